#include "query/rolling_median.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace strata::query {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMax = std::numeric_limits<double>::max();
constexpr double kTiny = std::numeric_limits<double>::denorm_min();

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// Equal as the user sees it: both NaN, or the same bits (so -0.0 and 0.0 differ).
bool Same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || Bits(a) == Bits(b); }

std::string Show(double v) {
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  return std::to_string(v);
}

// The specification, computed the slow way: copy, sort (-0.0 before 0.0), take the middle.
double ReferenceMedian(std::vector<double> window) {
  if (std::any_of(window.begin(), window.end(), [](double v) { return std::isnan(v); })) {
    return kNaN;
  }
  std::sort(window.begin(), window.end(), [](double a, double b) {
    return a < b || (a == b && std::signbit(a) && !std::signbit(b));
  });
  const size_t n = window.size();
  if (n % 2 == 1) return window[n / 2];
  const double a = window[n / 2 - 1];
  const double b = window[n / 2];
  const double mean = (a + b) / 2;
  if (std::isinf(mean) && std::isfinite(a) && std::isfinite(b)) return a / 2 + b / 2;
  return mean;
}

double ReferenceMedian(const std::deque<std::pair<int64_t, double>>& window) {
  std::vector<double> values;
  for (const auto& [time_ns, value] : window) values.push_back(value);
  return ReferenceMedian(std::move(values));
}

enum class Shape { kRandomWalk, kFewDistinct, kSpecials };

// kSpecials mixes signed zeros, infinities, the extremes and a short run of NaNs a quarter of
// the way in, so windows see NaN arrive and leave.
std::vector<double> MakeValues(Shape shape, size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> values;
  values.reserve(count);
  double walk = 0;
  std::normal_distribution<double> step(0, 1);
  static constexpr double kSpecialValues[] = {-0.0, 0.0,  kInf,  -kInf, 1.0,
                                              -1.0, kMax, -kMax, kTiny, -kTiny};
  for (size_t i = 0; i < count; ++i) {
    switch (shape) {
      case Shape::kRandomWalk:
        walk += step(rng);
        values.push_back(walk);
        break;
      case Shape::kFewDistinct:
        values.push_back(static_cast<double>(rng() % 4));
        break;
      case Shape::kSpecials:
        if (i >= count / 4 && i < count / 4 + 3) {
          values.push_back(kNaN);
        } else {
          values.push_back(kSpecialValues[rng() % std::size(kSpecialValues)]);
        }
        break;
    }
  }
  return values;
}

constexpr Shape kShapes[] = {Shape::kRandomWalk, Shape::kFewDistinct, Shape::kSpecials};

TEST(RollingMedianTest, CountWindowMatchesSortedReference) {
  for (size_t n : {1, 2, 3, 10, 1000}) {
    for (Shape shape : kShapes) {
      const std::vector<double> values = MakeValues(shape, 4000, 1000 + n);
      RollingMedian median = RollingMedian::CountWindow(n);
      std::deque<std::pair<int64_t, double>> window;
      int mismatches = 0;
      for (size_t i = 0; i < values.size(); ++i) {
        median.Push(static_cast<int64_t>(i), values[i]);
        window.emplace_back(static_cast<int64_t>(i), values[i]);
        if (window.size() > n) window.pop_front();
        ASSERT_EQ(median.size(), window.size());
        const double expected = ReferenceMedian(window);
        const double actual = median.Median();
        if (!Same(actual, expected) && ++mismatches <= 3) {
          ADD_FAILURE() << "n=" << n << " shape=" << static_cast<int>(shape) << " point " << i
                        << ": got " << Show(actual) << ", want " << Show(expected);
        }
      }
      EXPECT_EQ(mismatches, 0) << "n=" << n << " shape=" << static_cast<int>(shape);
    }
  }
}

// Duration windows (t - w, t] over irregular gaps, including runs of equal timestamps, with the
// ring starting at one node so it grows many times along the way.
TEST(RollingMedianTest, TimeWindowMatchesSortedReference) {
  for (int64_t width_ns : {1, 2, 7, 100, 5000}) {
    for (Shape shape : kShapes) {
      const std::vector<double> values = MakeValues(shape, 4000, 2000 + width_ns);
      std::mt19937_64 rng(static_cast<uint64_t>(width_ns));
      RollingMedian median = RollingMedian::TimeWindow(/*initial_capacity=*/1);
      std::deque<std::pair<int64_t, double>> window;
      int64_t time_ns = -1'000'000;  // negative times work like any others
      int mismatches = 0;
      for (size_t i = 0; i < values.size(); ++i) {
        // Gaps of 0 (duplicate timestamps) to 5 ns, now and then a jump that empties the window.
        time_ns += rng() % 500 == 0 ? 10'000 : static_cast<int64_t>(rng() % 6);
        median.EvictUpTo(time_ns - width_ns);
        median.Push(time_ns, values[i]);
        while (!window.empty() && window.front().first <= time_ns - width_ns) {
          window.pop_front();
        }
        window.emplace_back(time_ns, values[i]);
        ASSERT_EQ(median.size(), window.size());
        const double expected = ReferenceMedian(window);
        const double actual = median.Median();
        if (!Same(actual, expected) && ++mismatches <= 3) {
          ADD_FAILURE() << "w=" << width_ns << " shape=" << static_cast<int>(shape) << " point "
                        << i << ": got " << Show(actual) << ", want " << Show(expected);
        }
      }
      EXPECT_EQ(mismatches, 0) << "w=" << width_ns << " shape=" << static_cast<int>(shape);
    }
  }
}

// The GROUP BY time(s) evaluation: windows are read at step times between points, and a step
// may evict points without pushing any, down to an empty window.
TEST(RollingMedianTest, StepEvaluationEvictsWithoutPushing) {
  const std::vector<double> values = MakeValues(Shape::kFewDistinct, 3000, 7);
  std::mt19937_64 rng(8);
  constexpr int64_t kWidthNs = 40;
  constexpr int64_t kStepNs = 15;
  RollingMedian median = RollingMedian::TimeWindow(4);
  std::deque<std::pair<int64_t, double>> window;
  int64_t time_ns = 0;
  int64_t next_step_ns = 0;
  int steps_checked = 0;
  int empty_steps = 0;
  for (double value : values) {
    // Gaps below the width, and now and then one that leaves steps with an empty window.
    time_ns += rng() % 40 == 0 ? 200 : static_cast<int64_t>(rng() % 30);
    // Every step strictly before this point sees only the earlier points.
    for (; next_step_ns < time_ns; next_step_ns += kStepNs) {
      median.EvictUpTo(next_step_ns - kWidthNs);
      while (!window.empty() && window.front().first <= next_step_ns - kWidthNs) {
        window.pop_front();
      }
      ASSERT_EQ(median.size(), window.size());
      if (window.empty()) {
        ++empty_steps;
        continue;
      }
      ASSERT_TRUE(Same(median.Median(), ReferenceMedian(window))) << "step " << next_step_ns;
      ++steps_checked;
    }
    median.Push(time_ns, value);
    window.emplace_back(time_ns, value);
  }
  EXPECT_GT(steps_checked, 1000);
  EXPECT_GT(empty_steps, 10);
}

TEST(RollingMedianTest, NanPropagatesWhileInTheWindowAndRecoversAfterItLeaves) {
  RollingMedian median = RollingMedian::CountWindow(3);
  median.Push(1, 5.0);
  median.Push(2, kNaN);
  EXPECT_TRUE(std::isnan(median.Median()));
  median.Push(3, 1.0);
  median.Push(4, 3.0);
  EXPECT_TRUE(std::isnan(median.Median()));
  median.Push(5, 2.0);  // the NaN leaves: {1, 3, 2}
  EXPECT_EQ(median.Median(), 2.0);

  RollingMedian only_nan = RollingMedian::TimeWindow();
  only_nan.Push(10, kNaN);
  EXPECT_EQ(only_nan.size(), 1u);
  EXPECT_TRUE(std::isnan(only_nan.Median()));
  only_nan.EvictUpTo(10);
  EXPECT_TRUE(only_nan.empty());
  only_nan.Push(11, 4.0);
  EXPECT_EQ(only_nan.Median(), 4.0);
}

// Whatever order zeros arrive in: an odd count gives the middle zero of -0.0 < 0.0, an even
// count with one of each in the middle gives their sum's sign, +0.0.
TEST(RollingMedianTest, SignedZerosGiveTheSameAnswerInEveryArrivalOrder) {
  struct Case {
    std::vector<double> values;
    double expected;
  };
  const std::vector<Case> cases = {
      {{-0.0, 0.0}, 0.0},
      {{-0.0, -0.0}, -0.0},
      {{-0.0, 0.0, -0.0}, -0.0},
      {{0.0, -0.0, 0.0}, 0.0},
      {{-0.0, 0.0, 1.0}, 0.0},
      {{-1.0, -0.0, 0.0}, -0.0},
      {{-0.0, -0.0, 0.0, 0.0}, 0.0},
  };
  for (const Case& c : cases) {
    std::vector<double> order = c.values;
    std::sort(order.begin(), order.end(), [](double a, double b) { return Bits(a) < Bits(b); });
    do {
      RollingMedian median = RollingMedian::CountWindow(order.size());
      std::string arrival;
      for (size_t i = 0; i < order.size(); ++i) {
        median.Push(static_cast<int64_t>(i), order[i]);
        arrival += Show(order[i]) + " ";
      }
      EXPECT_EQ(Bits(median.Median()), Bits(c.expected)) << "arrival " << arrival;
    } while (std::next_permutation(order.begin(), order.end(),
                                   [](double a, double b) { return Bits(a) < Bits(b); }));
  }
}

TEST(RollingMedianTest, InfinitiesAndOverflowFollowTheDocumentedMean) {
  struct Case {
    std::vector<double> values;
    double expected;
  };
  const std::vector<Case> cases = {
      {{-kInf, kInf}, kNaN},  // inf - inf, as numpy
      {{1.0, kInf}, kInf},
      {{kInf, kInf}, kInf},
      {{-kInf, -kInf, 5.0}, -kInf},
      {{kMax, kMax}, kMax},  // (a + b) overflows; a / 2 + b / 2 does not
      {{-kMax, -kMax}, -kMax},
      {{kMax, kMax / 2}, kMax / 2 + kMax / 4},
      {{kTiny, kTiny}, kTiny},  // (a + b) / 2 is exact where a / 2 + b / 2 gives 0
      {{1.0, 2.0}, 1.5},
      {{1.0, 2.0, 3.0, 10.0}, 2.5},
  };
  for (const Case& c : cases) {
    RollingMedian median = RollingMedian::TimeWindow(1);
    for (size_t i = 0; i < c.values.size(); ++i) median.Push(static_cast<int64_t>(i), c.values[i]);
    EXPECT_TRUE(Same(median.Median(), c.expected))
        << "got " << Show(median.Median()) << ", want " << Show(c.expected);
    EXPECT_TRUE(Same(median.Median(), ReferenceMedian(c.values)));
  }
}

TEST(RollingMedianTest, EvictUpToDropsEveryPointAtOrBeforeTheTime) {
  RollingMedian median = RollingMedian::TimeWindow(2);
  median.Push(5, 1.0);
  median.Push(5, 2.0);
  median.Push(6, 9.0);
  median.Push(8, 4.0);
  median.EvictUpTo(4);
  EXPECT_EQ(median.size(), 4u);
  median.EvictUpTo(5);  // both points at 5
  EXPECT_EQ(median.size(), 2u);
  EXPECT_EQ(median.Median(), 6.5);
  median.EvictOldest();
  EXPECT_EQ(median.Median(), 4.0);
  median.EvictUpTo(100);
  EXPECT_TRUE(median.empty());
  median.EvictUpTo(200);  // on an empty window: nothing to do
  EXPECT_TRUE(median.empty());
}

// A count window allocates its ring once; a time window stops growing once the ring holds the
// largest window. The trees are intrusive, so the ring is the only memory per point.
TEST(RollingMedianTest, RingDoesNotGrowAfterWarmUp) {
  RollingMedian count_window = RollingMedian::CountWindow(100);
  EXPECT_EQ(count_window.capacity(), 100u);
  for (int64_t i = 0; i < 100'000; ++i) count_window.Push(i, static_cast<double>(i % 37));
  EXPECT_EQ(count_window.capacity(), 100u);

  RollingMedian time_window = RollingMedian::TimeWindow(1);
  constexpr int64_t kWidthNs = 1000;  // 100 points at 10 ns apart
  size_t warm_capacity = 0;
  for (int64_t i = 0; i < 100'000; ++i) {
    time_window.EvictUpTo(i * 10 - kWidthNs);
    time_window.Push(i * 10, static_cast<double>(i % 37));
    if (i == 1000) warm_capacity = time_window.capacity();
  }
  EXPECT_EQ(time_window.size(), 100u);
  EXPECT_GE(warm_capacity, 100u);
  EXPECT_LT(warm_capacity, 256u);
  EXPECT_EQ(time_window.capacity(), warm_capacity);
}

TEST(RollingMedianTest, ClearEmptiesForReuseAndMoveKeepsTheWindow) {
  RollingMedian median = RollingMedian::CountWindow(4);
  median.Push(10, 3.0);
  median.Push(20, kNaN);
  median.Clear();
  EXPECT_TRUE(median.empty());
  median.Push(1, 7.0);  // an earlier time is fine after Clear: it starts a new stream
  median.Push(2, 1.0);
  median.Push(3, 4.0);
  EXPECT_EQ(median.Median(), 4.0);

  RollingMedian moved(std::move(median));
  EXPECT_EQ(moved.size(), 3u);
  EXPECT_EQ(moved.Median(), 4.0);
  moved.Push(4, 0.0);
  moved.Push(5, 0.5);  // 7.0 leaves: {1, 4, 0, 0.5}
  EXPECT_EQ(moved.Median(), 0.75);
  EXPECT_EQ(moved.capacity(), 4u);
}

TEST(RollingMedianDeathTest, PushBeforeThePreviousTimeAborts) {
  RollingMedian median = RollingMedian::TimeWindow();
  median.Push(10, 1.0);
  EXPECT_DEATH(median.Push(9, 1.0), "check failed");
}

}  // namespace
}  // namespace strata::query
