#include "compaction/compactor.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "util/logging.h"
#include "util/thread_name.h"

namespace strata::compaction {

Compactor::Compactor(engine::Engine& engine, CompactorOptions options)
    : engine_(engine), options_(std::move(options)), throttle_(options_.rate_bytes_per_second, options_.cpu_share) {}

Compactor::~Compactor() { Stop(); }

void Compactor::Start() {
  const bool retention = engine_.retention().count() > 0;
  if ((options_.min_files == 0 && !retention) || scheduler_.joinable()) return;
  scheduler_ = std::thread([this] {
    SetCurrentThreadName("strata-compact");
    SchedulerLoop();
  });
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

Result<engine::RetentionResult> Compactor::ApplyRetention() {
  MutexLock job_lock(&job_mu_);
  {
    MutexLock lock(&mu_);
    if (stopping_) return Status::Unavailable("compaction is stopping");
  }
  Result<engine::RetentionResult> result = engine_.ApplyRetention(engine_.NowNanos());
  MutexLock lock(&mu_);
  ++(result.ok() ? stats_.retention_runs : stats_.retention_failures);
  return result;
}

Result<std::vector<CompactionResult>> Compactor::CompactAll() {
  // Expired partitions first: merging them would be wasted work.
  if (engine_.retention().count() > 0) STRATA_RETURN_IF_ERROR(ApplyRetention().status());
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
  if (options_.background_nice > 0 &&
      setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), options_.background_nice) != 0) {
    STRATA_LOG(kWarn, "compaction: could not lower the background thread's priority: {}",
               std::strerror(errno));
  }
  PickerOptions picker;
  picker.min_files = options_.min_files;
  picker.settle_time = options_.settle_time;
  const bool retention = engine_.retention().count() > 0;
  auto next_retention = std::chrono::steady_clock::now();  // at once: what expired while down
  MutexLock lock(&mu_);
  while (!stopping_) {
    if (retention && std::chrono::steady_clock::now() >= next_retention) {
      mu_.Unlock();
      auto dropped = ApplyRetention();
      if (!dropped.ok() && dropped.status().code() != StatusCode::kUnavailable) {
        STRATA_LOG(kError, "retention failed (retried in {} ms): {}",
                   options_.retention_interval.count(), dropped.status().ToString());
      }
      mu_.Lock();
      next_retention = std::chrono::steady_clock::now() + options_.retention_interval;
      continue;  // stopping_ may have changed
    }
    wake_cv_.WaitFor(options_.poll_interval);
    if (stopping_) break;
    if (options_.min_files == 0) continue;
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
