#include "compaction/throttle.h"

#include <time.h>

#include <algorithm>
#include <thread>

namespace strata::compaction {
namespace {

std::chrono::nanoseconds ThreadCpuTime() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

void Throttle::StartJob() {
  MutexLock lock(&mu_);
  job_cpu_start_ = ThreadCpuTime();
  job_wall_start_ = Clock::now();
}

bool Throttle::SleepUntil(Clock::time_point wake) {
  // Short slices, so Cancel() is noticed promptly.
  while (!cancelled_.load()) {
    const Clock::time_point now = Clock::now();
    if (now >= wake) return true;
    std::this_thread::sleep_for(std::min<Clock::duration>(wake - now, std::chrono::milliseconds(50)));
  }
  return false;
}

bool Throttle::Charge(uint64_t bytes) {
  Clock::time_point wake = Clock::now();
  {
    MutexLock lock(&mu_);
    const Clock::time_point now = wake;
    if (bytes_per_second_ > 0) {
      constexpr auto kBurst = std::chrono::milliseconds(100);
      // Idle time earns at most a burst of credit.
      paid_until_ = std::max(paid_until_, now - kBurst);
      paid_until_ += std::chrono::nanoseconds(static_cast<int64_t>(
          static_cast<double>(bytes) * 1e9 / static_cast<double>(bytes_per_second_)));
      wake = std::max(wake, paid_until_);
    }
    if (cpu_share_ < 1.0) {
      // The job's CPU time must fit in cpu_share of the wall time since it began.
      const auto used = ThreadCpuTime() - job_cpu_start_;
      const auto due = job_wall_start_ + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double, std::nano>(
                                                 static_cast<double>(used.count()) / cpu_share_));
      wake = std::max(wake, due);
    }
  }
  return SleepUntil(wake);
}

}  // namespace strata::compaction
