#pragma once

// Throttle: the budgets that keep compaction from crowding out ingest (stratad
// --compaction-rate and --compaction-cpu). Compaction charges every byte it reads and writes;
// Charge sleeps once the byte budget is spent (a burst of up to a tenth of a second's budget
// passes without waiting), and also while the job's thread has used more CPU time than its
// share of the wall time since the job began (StartJob), so a merge that decodes and encodes
// without touching the disk still leaves the cores to ingest.
// Thread-safety: thread-safe; jobs run one at a time (Compactor), each on the thread that
// called StartJob, and Charge measures that thread's CPU time.

#include <atomic>
#include <chrono>
#include <cstdint>

#include "util/mutex.h"

namespace strata::compaction {

class Throttle {
 public:
  // bytes_per_second 0: no byte budget. cpu_share: the fraction of one core a job may use,
  // in (0, 1]; 1: no CPU budget.
  explicit Throttle(uint64_t bytes_per_second, double cpu_share = 1.0)
      : bytes_per_second_(bytes_per_second), cpu_share_(cpu_share) {}
  Throttle(const Throttle&) = delete;
  Throttle& operator=(const Throttle&) = delete;

  // A job begins on the calling thread: its CPU time counts from now.
  void StartJob();
  // Accounts for `bytes` of I/O, sleeping while over either budget. Returns early (false) once
  // Cancel() was called, so a stopping server does not wait out a long budget.
  bool Charge(uint64_t bytes);
  void Cancel() { cancelled_.store(true); }
  uint64_t bytes_per_second() const { return bytes_per_second_; }
  double cpu_share() const { return cpu_share_; }

 private:
  using Clock = std::chrono::steady_clock;
  // Sleeps until `wake` in short slices; false if cancelled meanwhile.
  bool SleepUntil(Clock::time_point wake);

  const uint64_t bytes_per_second_;
  const double cpu_share_;
  std::atomic<bool> cancelled_{false};
  Mutex mu_;
  // When the bytes charged so far are paid for at the budget's rate.
  Clock::time_point paid_until_ GUARDED_BY(mu_){};
  // The running job's start: its thread's CPU time and the wall clock.
  std::chrono::nanoseconds job_cpu_start_ GUARDED_BY(mu_){0};
  Clock::time_point job_wall_start_ GUARDED_BY(mu_){};
};

}  // namespace strata::compaction
