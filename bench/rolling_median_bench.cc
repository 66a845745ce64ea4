// Rolling median (issue 5): what each step of `rolling_median(f, w)` costs once the window is
// full, over a random-walk series (a gauge: each value a normal step from the previous one).
//
//   BM_RollingMedianCountWindow/<w>   RollingMedian over the last w points: per point, Push
//                                     (which drops the oldest) and Median.
//   BM_RollingMedianTimeWindow/<w>    RollingMedian over (t - w ns, t] with irregular 0-2 ns
//                                     gaps (about w points): per point, EvictUpTo, Push, Median.
//   BM_NaiveResortCountWindow/<w>     the baseline: the last w values copied and fully sorted at
//                                     every point. Only w = 100 and 10,000; it is slow.
//
// Items are points. The window is filled before timing starts and stays full across iterations.
// Each RollingMedian run checks its final answer against a sort of the window and fails if it
// differs. Under the bench-smoke ctest (STRATA_BENCH_SMOKE=1) the 1,000,000-point window is only
// filled with 10,000 points, so the smoke test stays short.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string_view>
#include <vector>

#include "query/rolling_median.h"

namespace strata::query {
namespace {

constexpr size_t kSeriesPoints = size_t{1} << 21;  // cycled through; longer than any window
constexpr size_t kPointsPerIteration = 4096;
constexpr size_t kNaivePointsPerIteration = 16;

bool SmokeMode() {
  const char* smoke = std::getenv("STRATA_BENCH_SMOKE");
  return smoke != nullptr && std::string_view(smoke) == "1";
}

const std::vector<double>& RandomWalk() {
  static const std::vector<double> walk = [] {
    std::mt19937_64 rng(42);
    std::normal_distribution<double> step(0, 1);
    std::vector<double> values(kSeriesPoints);
    double value = 1000;
    for (double& v : values) v = value += step(rng);
    return values;
  }();
  return walk;
}

// The points a full window of `window` points is filled with before timing.
size_t WarmUpPoints(size_t window) {
  return SmokeMode() ? std::min<size_t>(window, 10'000) : window;
}

// The exact median of values, by selection; the series is finite, so no NaN or overflow rules.
double SortedMedian(std::vector<double> values) {
  const size_t n = values.size();
  auto middle = values.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(values.begin(), middle, values.end());
  const double upper = *middle;
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), middle);
  return (lower + upper) / 2;
}

// Walks the series as an endless stream: the next value and its index.
class Stream {
 public:
  double Next() {
    const double value = RandomWalk()[position_ % kSeriesPoints];
    ++position_;
    return value;
  }
  size_t position() const { return position_; }

 private:
  size_t position_ = 0;
};

// The last `count` values the stream produced.
std::vector<double> LastValues(const Stream& stream, size_t count) {
  std::vector<double> values;
  values.reserve(count);
  for (size_t i = stream.position() - count; i < stream.position(); ++i) {
    values.push_back(RandomWalk()[i % kSeriesPoints]);
  }
  return values;
}

void BM_RollingMedianCountWindow(benchmark::State& state) {
  const size_t window = static_cast<size_t>(state.range(0));
  RollingMedian median = RollingMedian::CountWindow(window);
  Stream stream;
  int64_t time_ns = 0;
  for (size_t i = 0; i < WarmUpPoints(window); ++i) median.Push(time_ns++, stream.Next());
  double sum = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kPointsPerIteration; ++i) {
      median.Push(time_ns++, stream.Next());
      sum += median.Median();
    }
  }
  benchmark::DoNotOptimize(sum);
  if (median.Median() != SortedMedian(LastValues(stream, median.size()))) {
    state.SkipWithError("rolling median differs from the sorted window");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPointsPerIteration));
}
BENCHMARK(BM_RollingMedianCountWindow)->Arg(100)->Arg(10'000)->Arg(1'000'000);

void BM_RollingMedianTimeWindow(benchmark::State& state) {
  const int64_t width_ns = state.range(0);
  // Gaps of 0, 1 or 2 ns (duplicate timestamps included), about one point per ns.
  std::vector<int64_t> gaps_ns(4096);
  std::mt19937_64 rng(7);
  for (int64_t& gap : gaps_ns) gap = static_cast<int64_t>(rng() % 3);
  RollingMedian median = RollingMedian::TimeWindow();
  Stream stream;
  int64_t time_ns = 0;
  size_t gap_index = 0;
  auto step = [&] {
    time_ns += gaps_ns[gap_index++ % gaps_ns.size()];
    median.EvictUpTo(time_ns - width_ns);
    median.Push(time_ns, stream.Next());
  };
  while (time_ns < width_ns) step();
  double sum = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kPointsPerIteration; ++i) {
      step();
      sum += median.Median();
    }
  }
  benchmark::DoNotOptimize(sum);
  if (median.Median() != SortedMedian(LastValues(stream, median.size()))) {
    state.SkipWithError("rolling median differs from the sorted window");
  }
  state.counters["window_points"] = static_cast<double>(median.size());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPointsPerIteration));
}
BENCHMARK(BM_RollingMedianTimeWindow)->Arg(10'000);

void BM_NaiveResortCountWindow(benchmark::State& state) {
  const size_t window = static_cast<size_t>(state.range(0));
  std::vector<double> ring(window);
  std::vector<double> sorted(window);
  Stream stream;
  for (double& v : ring) v = stream.Next();
  size_t oldest = 0;
  double sum = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kNaivePointsPerIteration; ++i) {
      ring[oldest] = stream.Next();
      oldest = oldest + 1 == window ? 0 : oldest + 1;
      std::copy(ring.begin(), ring.end(), sorted.begin());
      std::sort(sorted.begin(), sorted.end());
      sum +=
          window % 2 == 1 ? sorted[window / 2] : (sorted[window / 2 - 1] + sorted[window / 2]) / 2;
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kNaivePointsPerIteration));
}
BENCHMARK(BM_NaiveResortCountWindow)->Arg(100)->Arg(10'000);

}  // namespace
}  // namespace strata::query

BENCHMARK_MAIN();
