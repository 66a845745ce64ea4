#include "compaction/io_throttle.h"

#include <algorithm>
#include <thread>

namespace strata::compaction {

bool IoThrottle::Charge(uint64_t bytes) {
  if (bytes_per_second_ == 0) return !cancelled_.load();
  using Clock = std::chrono::steady_clock;
  constexpr auto kBurst = std::chrono::milliseconds(100);
  Clock::time_point wake;
  {
    MutexLock lock(&mu_);
    const Clock::time_point now = Clock::now();
    // Idle time earns at most a burst of credit.
    paid_until_ = std::max(paid_until_, now - kBurst);
    paid_until_ += std::chrono::nanoseconds(
        static_cast<int64_t>(static_cast<double>(bytes) * 1e9 / static_cast<double>(bytes_per_second_)));
    wake = paid_until_;
  }
  // Sleep in short slices so Cancel() is noticed promptly.
  while (!cancelled_.load()) {
    const Clock::time_point now = Clock::now();
    if (now >= wake) return true;
    std::this_thread::sleep_for(std::min<Clock::duration>(wake - now, std::chrono::milliseconds(50)));
  }
  return false;
}

}  // namespace strata::compaction
