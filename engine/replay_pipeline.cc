#include "engine/replay_pipeline.h"

#include <utility>

#include "util/thread_name.h"

namespace strata::engine {

ReplayPipeline::ReplayPipeline(MemTable* target, LastValueCache* last_values,
                               BlockPool* row_blocks)
    : target_(target),
      last_values_(last_values),
      row_blocks_(row_blocks),
      thread_([this] {
        SetCurrentThreadName("strata-replay");
        Run();
      }) {}

ReplayPipeline::~ReplayPipeline() { Finish().IgnoreError(); }

Status ReplayPipeline::Add(uint64_t segment, uint64_t offset, int64_t system_time_ns,
                           std::string_view payload, std::span<const SeriesId> series_by_number) {
  Record record;
  record.segment = segment;
  record.offset = offset;
  record.system_time_ns = system_time_ns;
  record.payload_begin = current_.payloads.size();
  record.payload_size = payload.size();
  record.series_begin = current_.series.size();
  record.series_size = series_by_number.size();
  if (current_.payloads.empty()) current_.payloads.reserve(kBatchBytes + payload.size());
  current_.payloads.append(payload);
  current_.series.insert(current_.series.end(), series_by_number.begin(), series_by_number.end());
  current_.records.push_back(record);
  if (current_.payloads.size() < kBatchBytes) return Status::OK();
  HandOver();
  MutexLock lock(&mu_);
  return error_;
}

void ReplayPipeline::HandOver() {
  auto applier_behind = [this] {
    MutexLock lock(&mu_);
    return queue_.size() >= kMaxQueuedBatches && error_.ok();
  };
  while (row_blocks_ != nullptr && applier_behind() && row_blocks_->Prefault(kPrefaultBlocks)) {
  }
  MutexLock lock(&mu_);
  while (queue_.size() >= kMaxQueuedBatches && error_.ok()) changed_.Wait();
  if (error_.ok()) queue_.push_back(std::move(current_));
  current_ = Batch{};
  changed_.SignalAll();
}

Status ReplayPipeline::Finish() {
  if (finished_) {
    MutexLock lock(&mu_);
    return error_;
  }
  finished_ = true;
  if (!current_.records.empty()) HandOver();
  {
    MutexLock lock(&mu_);
    finishing_ = true;
    changed_.SignalAll();
  }
  thread_.join();
  MutexLock lock(&mu_);
  return error_;
}

void ReplayPipeline::Run() {
  for (;;) {
    Batch batch;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !finishing_) changed_.Wait();
      if (queue_.empty()) return;
      batch = std::move(queue_.front());
      queue_.pop_front();
      changed_.SignalAll();
    }
    for (const Record& r : batch.records) {
      Status applied = target_->ApplyResolved(
          r.system_time_ns, std::string_view(batch.payloads).substr(r.payload_begin, r.payload_size),
          std::span<const SeriesId>(batch.series).subspan(r.series_begin, r.series_size),
          last_values_);
      if (applied.ok()) continue;
      MutexLock lock(&mu_);
      error_ = applied.WithContext("wal segment " + std::to_string(r.segment) + " offset " +
                                   std::to_string(r.offset));
      queue_.clear();  // nothing after a failed record may be applied
      changed_.SignalAll();
      return;
    }
  }
}

}  // namespace strata::engine
