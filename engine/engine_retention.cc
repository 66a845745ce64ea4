// Retention (engine.h, DESIGN §8): the oldest time kept, and dropping whole partitions.
// Crash safety: the catalog batch that removes a partition's files is the commit point; a crash
// after it leaves files the catalog does not name, which the next start removes as orphans.
// Expired rows still in the WAL are replayed at start-up, but stay hidden (reads clamp to the
// oldest time kept, known from the retention period at Open) and are dropped by the next flush.

#include <algorithm>
#include <climits>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "engine/engine.h"
#include "util/logging.h"

namespace strata::engine {

void Engine::RaiseOldestKept(int64_t ns) const {
  int64_t current = oldest_kept_floor_ns_.load(std::memory_order_acquire);
  while (current < ns &&
         !oldest_kept_floor_ns_.compare_exchange_weak(current, ns, std::memory_order_acq_rel)) {
  }
}

int64_t Engine::OldestKeptNs() const {
  if (options_.retention.count() > 0) {
    const int64_t now_ns = options_.env->NowNanos();
    const int64_t retention_ns = options_.retention.count();
    // now - retention, saturating: a period longer than the clock's reach keeps everything.
    if (now_ns >= INT64_MIN + retention_ns + kNanosPerDay) {
      RaiseOldestKept(DayOf(now_ns - retention_ns) * kNanosPerDay);
    }
  }
  return oldest_kept_floor_ns_.load(std::memory_order_acquire);
}

namespace {

// "2025-01-01T00:00:00Z", with a fraction only when there is one.
std::string FormatTimeNs(int64_t ns) {
  const int64_t day = DayOf(ns);
  const int64_t in_day = ns - day * kNanosPerDay;
  const int64_t secs = in_day / 1'000'000'000, frac = in_day % 1'000'000'000;
  std::string out = fmt::format("{}T{:02}:{:02}:{:02}", FormatDay(day), secs / 3600,
                                secs / 60 % 60, secs % 60);
  if (frac != 0) out += fmt::format(".{:09}", frac);
  return out + "Z";
}

// "30d", "36h", "90m", "45s", "1500ms": as the flag would be written.
std::string FormatPeriod(std::chrono::nanoseconds period) {
  const int64_t ns = period.count();
  constexpr std::pair<int64_t, const char*> kUnits[] = {
      {kNanosPerDay, "d"}, {3'600'000'000'000, "h"}, {60'000'000'000, "m"},
      {1'000'000'000, "s"}, {1'000'000, "ms"}};
  for (const auto& [unit, name] : kUnits) {
    if (ns % unit == 0) return fmt::format("{}{}", ns / unit, name);
  }
  return fmt::format("{}ns", ns);
}

}  // namespace

Status Engine::RetentionRejection(int64_t time_ns, int64_t oldest_kept_ns,
                                  std::chrono::nanoseconds retention) {
  const std::string period =
      retention.count() > 0 ? "the retention period (" + FormatPeriod(retention) + ")"
                            : "the partitions dropped by retention";
  return Status::InvalidArgument(fmt::format(
      "point time {} is older than {}: the oldest time kept is {}", FormatTimeNs(time_ns), period,
      FormatTimeNs(oldest_kept_ns)));
}

Result<RetentionResult> Engine::ApplyRetention(int64_t now_ns) {
  if (options_.retention.count() <= 0) {
    RetentionResult nothing;
    nothing.first_day_kept = INT64_MIN;
    return nothing;
  }
  const int64_t retention_ns = options_.retention.count();
  if (now_ns < INT64_MIN + retention_ns) return DropPartitionsBefore(INT64_MIN / kNanosPerDay);
  return DropPartitionsBefore(DayOf(now_ns - retention_ns));
}

Result<RetentionResult> Engine::DropPartitionsBefore(int64_t day) {
  // Flushes hold drop_mu_ from reading the oldest time kept to publishing their files, so none
  // can record a file of a day dropped here; replace_mu_ keeps compaction swaps out too.
  // Days whose start does not fit in int64 nanoseconds: clamp (nothing is stored there).
  day = std::clamp<int64_t>(day, INT64_MIN / kNanosPerDay + 1, INT64_MAX / kNanosPerDay);
  MutexLock drop_lock(&drop_mu_);
  MutexLock replace_lock(&replace_mu_);
  RetentionResult result;
  result.first_day_kept = day;
  std::vector<ChunkFile> dropped;
  {
    MutexLock lock(&mu_);
    if (closed_) return Status::Unavailable("engine is closed");
    for (const auto& [key, list] : files_->partitions) {
      if (key.day >= day) continue;
      result.partitions.push_back(key);
      dropped.insert(dropped.end(), list.begin(), list.end());
    }
  }
  // Only flushes and replacements change the file set, and both are held off: the partitions
  // found now are still current at the swap below.
  CatalogBatch batch;
  for (const ChunkFile& file : dropped) {
    batch.RemoveFile(file.meta);
    ++result.files;
    result.bytes += file.meta.size_bytes;
    result.versions += file.meta.points;
  }
  if (!dropped.empty()) {
    MutexLock commit_lock(&catalog_commit_mu_);
    batch.SetNextFileId(next_file_id_.load());
    STRATA_RETURN_IF_ERROR(catalog_->Commit(batch));
  }
  {
    MutexLock lock(&mu_);
    // Raised together with the swap: a reader takes both under mu_, so it sees either the old
    // files and the old bound, or neither the files nor (clamped away) memtable rows of the days.
    RaiseOldestKept(day * kNanosPerDay);
    if (!dropped.empty()) {
      auto files = std::make_shared<FileSet>(*files_);
      for (const PartitionKey& key : result.partitions) files->partitions.erase(key);
      files_ = std::move(files);
      partitions_dropped_ += result.partitions.size();
      files_dropped_ += result.files;
      bytes_dropped_ += result.bytes;
    }
  }
  // Deleted from disk when the last snapshot holding them lets go.
  for (const ChunkFile& file : dropped) file.handle->MarkObsolete();
  if (!dropped.empty()) DropExpiredRollupRows(day);
  if (!result.partitions.empty()) {
    STRATA_LOG(kInfo, "retention: dropped {} partitions before {} ({} files, {} bytes)",
               result.partitions.size(), FormatDay(day), result.files, result.bytes);
  }
  return result;
}

void Engine::DropExpiredRollupRows(int64_t day) {
  // After the swap, in a batch of its own: a statement whose view still has the dropped files
  // (taken before the swap, with a catalog snapshot from then) still finds their rows, and one
  // taken after clamps to the first day kept and never asks for them. Whole segments only: one
  // holding the first day kept stays. Best effort: rows left by a failure are never read.
  std::shared_ptr<const std::vector<RollupDef>> rollups;
  {
    MutexLock lock(&mu_);
    rollups = rollups_;
  }
  CatalogBatch batch;
  for (const RollupDef& rollup : *rollups) {
    const int64_t before = RollupSegmentStart(day * kNanosPerDay, rollup.interval_ns);
    for (const SeriesInfo* info : series_.SeriesOf(rollup.measurement)) {
      for (const auto& [field, type] : schema_.Fields(rollup.measurement)) {
        if (RollupKeeps(type)) batch.DeleteRollupRowsBefore(rollup.id, info->id, field, before);
      }
    }
  }
  if (batch.empty()) return;
  MutexLock commit_lock(&catalog_commit_mu_);
  if (Status s = catalog_->Commit(batch); !s.ok()) {
    STRATA_LOG(kWarn, "retention: deleting rollup rows before {} failed: {}", FormatDay(day),
               s.ToString());
  }
}

}  // namespace strata::engine
