#pragma once

// Compactor: the compaction service of one engine (DESIGN §8). It runs compaction jobs one at a
// time — the background scheduler's and those asked for online (COMPACT, strata compact) — all
// under one I/O budget, and keeps the counters STATS shows.
//
// Background scheduling: every poll interval the scheduler picks the partitions that hold at
// least min_files files (compaction_picker.h: a partition still receiving flushes waits until
// it settles, unless it holds twice as many) and compacts them, most files first. Every byte a
// job reads or writes is charged to the I/O budget (--compaction-rate), which keeps the merge
// from taking the disk and a core away from ingest.
//
// Retention (DESIGN §8) runs on the same thread, under the same one-job-at-a-time lock (a
// partition is never dropped under a running merge): at start, then every retention interval,
// and before every CompactAll (COMPACT). The engine hides expired days at once by itself
// (Engine::OldestKeptNs); this only removes their files.
//
// Thread-safety: thread-safe. Start/Stop from the owner; Stop before the engine closes.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <thread>
#include <vector>

#include "compaction/compaction_job.h"
#include "compaction/compaction_picker.h"
#include "compaction/throttle.h"
#include "engine/engine.h"
#include "util/mutex.h"
#include "util/status.h"

namespace strata::compaction {

struct CompactorOptions {
  // Background trigger: a partition with at least this many files (0: no background thread).
  size_t min_files = 4;
  std::chrono::nanoseconds settle_time = std::chrono::seconds(30);
  // Compaction I/O (bytes read plus written) per second, for every job (0: unthrottled).
  uint64_t rate_bytes_per_second = 64ull << 20;
  // The fraction of one core a job may use, in (0, 1] (1: no CPU budget).
  double cpu_share = 1.0;
  // Nice value of the background thread (0-19; Linux sets it per thread), as RocksDB lowers its
  // compaction threads' CPU priority: where cores are scarce, background jobs give way to ingest
  // and queries, and catch up when they idle. Jobs asked for online (COMPACT) keep the caller's.
  int background_nice = 10;
  // Versions superseded longer ago than this are dropped (0: keep all history).
  std::chrono::nanoseconds history_retention{0};
  uint64_t target_file_bytes = 512ull << 20;
  std::chrono::milliseconds poll_interval{1000};
  // How often expired partitions are dropped, when the engine has a retention period.
  std::chrono::milliseconds retention_interval{60'000};
  // Test hook for every job (CompactionJobOptions::hook).
  std::function<Status(std::string_view step)> hook;
};

struct CompactorStats {
  uint64_t compactions = 0;  // jobs that committed
  uint64_t failures = 0;
  uint64_t files_in = 0, files_out = 0;
  uint64_t bytes_read = 0, bytes_written = 0;
  uint64_t versions_dropped = 0;  // redundant, superseded before the horizon, expired tombstones
  std::chrono::nanoseconds busy{0};  // time spent in jobs
  uint64_t backlog = 0;  // partitions holding at least min_files files now
  uint64_t retention_runs = 0;
  uint64_t retention_failures = 0;
  bool running = false;  // a job is in progress
};

class Compactor {
 public:
  // engine must outlive the compactor.
  Compactor(engine::Engine& engine, CompactorOptions options);
  ~Compactor();  // Stop()s
  Compactor(const Compactor&) = delete;
  Compactor& operator=(const Compactor&) = delete;

  // Starts the background thread: compaction (if min_files > 0) and retention (if the engine has
  // a retention period; its first run is at once, so a start drops what expired meanwhile).
  void Start();
  // Cancels a running job (its outputs are discarded, the inputs stay) and joins the
  // scheduler. Later calls fail with Unavailable. Idempotent.
  void Stop();

  // Compacts one partition now, after any job in progress. NotFound if it has no files.
  Result<CompactionResult> CompactPartition(const engine::PartitionKey& partition);
  // Compacts every partition (one with a single file only when history is dropped). Stops at
  // the first failure; results of the partitions done before it are lost from the answer but
  // committed.
  Result<std::vector<CompactionResult>> CompactAll();

  CompactorStats Stats() const;

  // Drops the partitions the engine's retention period expired (Engine::ApplyRetention at the
  // engine's clock), after any job in progress. Unavailable once stopping.
  Result<engine::RetentionResult> ApplyRetention();

 private:
  Result<CompactionResult> RunJob(const engine::PartitionKey& partition);
  void SchedulerLoop();

  engine::Engine& engine_;
  const CompactorOptions options_;
  Throttle throttle_;

  Mutex job_mu_;  // held for the whole of a job: one at a time
  mutable Mutex mu_;
  CondVar wake_cv_{&mu_};
  bool stopping_ GUARDED_BY(mu_) = false;
  CompactorStats stats_ GUARDED_BY(mu_);
  std::thread scheduler_;
};

}  // namespace strata::compaction
