#include "compaction/compactor.h"

#include <utility>

#include "util/logging.h"

namespace strata::compaction {

Compactor::Compactor(engine::Engine& engine, CompactorOptions options)
    : engine_(engine), options_(std::move(options)), throttle_(options_.rate_bytes_per_second) {}

Compactor::~Compactor() { Stop(); }

void Compactor::Start() {
  if (options_.min_files == 0 || scheduler_.joinable()) return;
  scheduler_ = std::thread([this] { SchedulerLoop(); });
}

void Compactor::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    wake_cv_.SignalAll();
  }
  throttle_.Cancel();
  if (scheduler_.joinable()) scheduler_.join();
}

Result<CompactionResult> Compactor::RunJob(const engine::PartitionKey& partition) {
  MutexLock job_lock(&job_mu_);
  {
    MutexLock lock(&mu_);
    if (stopping_) return Status::Unavailable("compaction is stopping");
    stats_.running = true;
  }
  CompactionJobOptions job;
  job.history_retention = options_.history_retention;
  job.target_file_bytes = options_.target_file_bytes;
  job.throttle = &throttle_;
  job.hook = options_.hook;
  const auto started = std::chrono::steady_clock::now();
  Result<CompactionResult> result = compaction::CompactPartition(engine_, partition, job);
  MutexLock lock(&mu_);
  stats_.running = false;
  stats_.busy += std::chrono::steady_clock::now() - started;
  if (!result.ok()) {
    ++stats_.failures;
    return result;
  }
  if (!result->skipped) {
    ++stats_.compactions;
    stats_.files_in += result->files_in;
    stats_.files_out += result->files_out;
    stats_.bytes_read += result->bytes_in;
    stats_.bytes_written += result->bytes_out;
    stats_.versions_dropped += result->dropped.redundant + result->dropped.superseded +
                               result->dropped.expired_tombstones;
  }
  return result;
}

Result<CompactionResult> Compactor::CompactPartition(const engine::PartitionKey& partition) {
  return RunJob(partition);
}

Result<std::vector<CompactionResult>> Compactor::CompactAll() {
  std::vector<engine::PartitionKey> partitions;
  {
    const auto files = engine_.FileSetSnapshot();
    for (const auto& [key, list] : files->partitions) partitions.push_back(key);
  }
  std::vector<CompactionResult> results;
  for (const engine::PartitionKey& partition : partitions) {
    auto result = RunJob(partition);
    // A partition emptied meanwhile (every version expired) is not an error.
    if (!result.ok() && result.status().code() == StatusCode::kNotFound) continue;
    if (!result.ok()) return result.status();
    results.push_back(std::move(result).value());
  }
  return results;
}

CompactorStats Compactor::Stats() const {
  CompactorStats stats;
  {
    MutexLock lock(&mu_);
    stats = stats_;
  }
  stats.backlog = CountBacklog(*engine_.FileSetSnapshot(), options_.min_files);
  return stats;
}

void Compactor::SchedulerLoop() {
  PickerOptions picker;
  picker.min_files = options_.min_files;
  picker.settle_time = options_.settle_time;
  MutexLock lock(&mu_);
  while (!stopping_) {
    wake_cv_.WaitFor(options_.poll_interval);
    if (stopping_) break;
    mu_.Unlock();
    const std::vector<engine::PartitionKey> due =
        PickPartitions(*engine_.FileSetSnapshot(), picker, engine_.NowNanos());
    for (const engine::PartitionKey& partition : due) {
      auto result = RunJob(partition);
      if (!result.ok()) {
        if (result.status().code() == StatusCode::kUnavailable) break;  // stopping
        STRATA_LOG(kError, "background compaction of {} failed: {}", partition.ToString(),
                   result.status().ToString());
        continue;
      }
      if (!result->skipped) {
        STRATA_LOG(kInfo, "compacted {}: {} files ({} bytes) into {} ({} bytes) in {} ms",
                   partition.ToString(), result->files_in, result->bytes_in, result->files_out,
                   result->bytes_out,
                   std::chrono::duration_cast<std::chrono::milliseconds>(result->elapsed).count());
      }
    }
    mu_.Lock();
  }
}

}  // namespace strata::compaction
