#pragma once

// IoThrottle: a byte budget per second for compaction I/O (stratad --compaction-rate), so a
// merge leaves the disk and the cores to ingest. Compaction charges every byte it reads and
// writes; Charge sleeps once the budget is spent. A burst of up to a tenth of a second's budget
// passes without waiting.
// Thread-safety: thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>

#include "util/mutex.h"

namespace strata::compaction {

class IoThrottle {
 public:
  // bytes_per_second 0: unthrottled.
  explicit IoThrottle(uint64_t bytes_per_second) : bytes_per_second_(bytes_per_second) {}
  IoThrottle(const IoThrottle&) = delete;
  IoThrottle& operator=(const IoThrottle&) = delete;

  // Accounts for `bytes` of I/O, sleeping while over budget. Returns early (false) once
  // Cancel() was called, so a stopping server does not wait out a long budget.
  bool Charge(uint64_t bytes);
  void Cancel() { cancelled_.store(true); }
  uint64_t bytes_per_second() const { return bytes_per_second_; }

 private:
  const uint64_t bytes_per_second_;
  std::atomic<bool> cancelled_{false};
  Mutex mu_;
  // When the bytes charged so far are paid for at the budget's rate.
  std::chrono::steady_clock::time_point paid_until_ GUARDED_BY(mu_){};
};

}  // namespace strata::compaction
