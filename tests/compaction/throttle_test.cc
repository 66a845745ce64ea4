// Throttle (compaction/throttle.h): the CPU budget keeps a job's thread at or under its share of
// one core, and the byte budget paces charged bytes. Both are checked only in the direction a
// busy machine cannot break: a slower machine gives the thread less CPU and stretches the wall
// time, which only lowers the measured share and the measured rate.

#include <gtest/gtest.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "compaction/throttle.h"

namespace strata::compaction {
namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Spins for about `seconds` of this thread's CPU time, charging nothing but the CPU every
// millisecond of it; returns the wall seconds it took.
double BusyJob(Throttle& throttle, double seconds) {
  throttle.StartJob();
  const double cpu_start = ThreadCpuSeconds();
  const auto wall_start = std::chrono::steady_clock::now();
  volatile uint64_t sink = 0;
  double next_charge = cpu_start;
  while (ThreadCpuSeconds() - cpu_start < seconds) {
    for (int i = 0; i < 10'000; ++i) sink = sink + static_cast<uint64_t>(i) * 31;
    if (ThreadCpuSeconds() >= next_charge) {
      EXPECT_TRUE(throttle.Charge(0));
      next_charge += 0.001;
    }
  }
  EXPECT_TRUE(throttle.Charge(0));  // the last slice is paid for too
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
}

TEST(ThrottleTest, AJobUsesAtMostItsShareOfACore) {
  Throttle quarter(/*bytes_per_second=*/0, /*cpu_share=*/0.25);
  const double cpu_seconds = 0.2;
  const double wall = BusyJob(quarter, cpu_seconds);
  // 0.2 s of CPU at a quarter of a core needs at least 0.8 s of wall time.
  EXPECT_GE(wall, cpu_seconds / 0.25 * 0.95) << "the CPU budget did not hold the job back";
}

TEST(ThrottleTest, TheByteBudgetPacesCharges) {
  Throttle throttle(/*bytes_per_second=*/10 << 20, /*cpu_share=*/1.0);
  throttle.StartJob();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(throttle.Charge(256 << 10));  // 10 MiB
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // 10 MiB at 10 MiB/s, less the 0.1 s burst allowance.
  EXPECT_GE(wall, 0.85);
}

TEST(ThrottleTest, CancelEndsAWaitAtOnce) {
  Throttle slow(/*bytes_per_second=*/1, /*cpu_share=*/1.0);
  slow.StartJob();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    slow.Cancel();
  });
  EXPECT_FALSE(slow.Charge(1 << 20));  // would otherwise sleep for days
  canceller.join();
  EXPECT_FALSE(slow.Charge(1));
}

}  // namespace
}  // namespace strata::compaction
