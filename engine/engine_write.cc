#include <chrono>

#include "engine/engine.h"
#include "util/logging.h"

namespace strata::engine {

Status Engine::AddLine(const ParsedLine& line, int64_t default_time_ns, WriteBatch* batch,
                       SchemaMemo* memo) {
  const int64_t time_ns = line.timestamp_ns.value_or(default_time_ns);
  // Checked first, so an expired line registers no field. The point would be invisible at once
  // and dropped at the next flush: telling the writer beats a silent loss.
  if (const int64_t oldest_kept_ns = OldestKeptNs(); time_ns < oldest_kept_ns) {
    return RetentionRejection(time_ns, oldest_kept_ns, options_.retention);
  }
  if (memo == nullptr || !memo->Covers(line)) {
    for (const Field& field : line.fields) {
      STRATA_RETURN_IF_ERROR(
          schema_.CheckAndRegister(line.measurement, field.key, field.value.type));
    }
    if (memo != nullptr) memo->Remember(line);
  }
  batch->Add(line, time_ns);
  return Status::OK();
}

Result<SystemTime> Engine::Commit(WriteBatch* batch) {
  std::vector<WriteBatch::KeySpan> series_keys;
  std::string payload = batch->Release(&series_keys);
  // Series are resolved here, on the writer's thread, rather than by the single thread that
  // applies commits in WAL order: that thread is ingest's bottleneck. The batch says where its
  // keys are, so the payload is not decoded for them.
  std::vector<SeriesId> series_by_number;
  series_by_number.reserve(series_keys.size());
  for (const WriteBatch::KeySpan& key : series_keys) {
    const std::string_view series_key = std::string_view(payload).substr(key.offset, key.length);
    STRATA_ASSIGN_OR_RETURN(const SeriesInfo* info, series_.GetOrCreate(series_key));
    series_by_number.push_back(info->id);
  }
  {
    MutexLock lock(&mu_);
    // Backpressure, so memtables never hold more than the budget: wait while a frozen memtable
    // is still being flushed and the active one is full too, or while the active one has grown
    // to half the budget because the flush thread has not frozen it yet (a busy machine).
    const auto must_wait = [&]() EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return bg_error_.ok() && !closed_ &&
             ((!immutables_.empty() &&
               active_->MemoryBytes() >= options_.memtable_budget_bytes / 3) ||
              active_->MemoryBytes() >= options_.memtable_budget_bytes / 2);
    };
    if (must_wait()) {
      const auto stalled_at = std::chrono::steady_clock::now();
      do {
        // The wait ends when a flush does: make sure one is asked for (after a failed flush
        // nothing else would ask while commits wait here).
        if (flush_requested_ == flush_completed_) {
          ++flush_requested_;
          flush_cv_.SignalAll();
        }
        flush_cv_.Wait();
      } while (must_wait());
      ++write_stalls_;
      write_stall_ns_ += static_cast<uint64_t>(std::chrono::nanoseconds(
          std::chrono::steady_clock::now() - stalled_at).count());
    }
    if (!bg_error_.ok()) return bg_error_;
    if (closed_) return Status::Unavailable("engine is closed");
  }
  STRATA_ASSIGN_OR_RETURN(
      int64_t system_time_ns,
      wal_->Append(std::move(payload),
                   [this, series_by_number = std::move(series_by_number)](
                       const Status& status, int64_t t, std::string_view record) {
                     OnCommitted(status, t, record, series_by_number);
                   }));
  return SystemTime{system_time_ns};
}

void Engine::OnCommitted(const Status& status, int64_t system_time_ns, std::string_view payload,
                         std::span<const SeriesId> series_by_number) {
  MutexLock apply_lock(&apply_mu_);
  std::shared_ptr<MemTable> target;
  {
    MutexLock lock(&mu_);
    target = active_;
  }
  Status applied =
      status.ok() ? target->ApplyResolved(system_time_ns, payload, series_by_number, &last_values_)
                  : status;
  MutexLock lock(&mu_);
  if (!applied.ok()) {
    if (bg_error_.ok()) {
      bg_error_ = applied;
      STRATA_LOG(kError, "write path failed, refusing further writes: {}", applied.ToString());
    }
  } else {
    visible_upto_ns_ = system_time_ns;
    ++commits_;
    if (active_->MemoryBytes() >= options_.memtable_budget_bytes / 3 &&
        flush_requested_ == flush_completed_) {
      ++flush_requested_;
      flush_cv_.SignalAll();
    }
  }
  visible_cv_.SignalAll();
}

Status Engine::WaitForCommit(SystemTime t) {
  MutexLock lock(&mu_);
  while (visible_upto_ns_ < t.ns && bg_error_.ok()) visible_cv_.Wait();
  if (visible_upto_ns_ >= t.ns) return Status::OK();
  return bg_error_;
}

SystemTime Engine::LastVisibleTime() const {
  MutexLock lock(&mu_);
  return SystemTime{visible_upto_ns_};
}

}  // namespace strata::engine
