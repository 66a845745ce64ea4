#include "query/aggregate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace strata::query {
namespace {

using engine::FieldType;
using engine::FieldValue;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

// The test's own decimal rendering of a 128-bit integer.
std::string ToDecimal(Int128 v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  std::string digits;
  while (v != 0) {
    int d = static_cast<int>(v % 10);
    digits.push_back(static_cast<char>('0' + (negative ? -d : d)));
    v /= 10;
  }
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

double ParseDouble(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  EXPECT_EQ(end, text.c_str() + text.size()) << "'" << text << "' is not a number";
  return v;
}

Result<std::string> Aggregate(AggregateKind kind, FieldType type,
                              const std::vector<FieldValue>& values) {
  Aggregator agg(kind, type);
  for (const FieldValue& v : values) agg.Add(v);
  return agg.Finish();
}

std::string RunOk(AggregateKind kind, FieldType type, const std::vector<FieldValue>& values) {
  auto r = Aggregate(kind, type, values);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string("<error>");
}

std::vector<FieldValue> Floats(const std::vector<double>& v) {
  std::vector<FieldValue> out;
  for (double d : v) out.push_back(FieldValue::Float(d));
  return out;
}
std::vector<FieldValue> Ints(const std::vector<int64_t>& v) {
  std::vector<FieldValue> out;
  for (int64_t x : v) out.push_back(FieldValue::Int(x));
  return out;
}
std::vector<FieldValue> Uints(const std::vector<uint64_t>& v) {
  std::vector<FieldValue> out;
  for (uint64_t x : v) out.push_back(FieldValue::Uint(x));
  return out;
}

TEST(AggregateTest, NeumaierSumIsOrderIndependentWhereNaiveSumIsNot) {
  std::vector<double> values = {1e16, 1.0, -1e16};
  std::sort(values.begin(), values.end());
  // Exact answer from integer arithmetic: every value is an integer.
  Int128 exact = 0;
  for (double v : values) exact += static_cast<Int128>(v);
  ASSERT_EQ(exact, 1);

  bool naive_differs = false;
  do {
    NeumaierSum sum;
    double naive = 0;
    for (double v : values) {
      sum.Add(v);
      naive += v;
    }
    EXPECT_EQ(sum.Total(), static_cast<double>(exact))
        << values[0] << " " << values[1] << " " << values[2];
    if (naive != static_cast<double>(exact)) naive_differs = true;
  } while (std::next_permutation(values.begin(), values.end()));
  EXPECT_TRUE(naive_differs) << "the data no longer shows what naive summation gets wrong";
}

TEST(AggregateTest, NeumaierSumStaysExactUnderShufflesOfMixedMagnitudes) {
  // Values m * 2^e: their exact sum is an integer multiple of 2^-20 and fits an Int128, so the
  // test knows the true sum and can hold every permutation to it.
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> mantissa(-(int64_t{1} << 20), int64_t{1} << 20);
  std::uniform_int_distribution<int> exponent(-20, 40);
  std::vector<double> values;
  Int128 exact_scaled = 0;  // sum * 2^20
  for (int i = 0; i < 2000; ++i) {
    int64_t m = mantissa(rng);
    int e = exponent(rng);
    values.push_back(std::ldexp(static_cast<double>(m), e));
    exact_scaled += static_cast<Int128>(m) << (e + 20);
  }
  // Large values that cancel, so the true answer is far smaller than the intermediate sums.
  for (double big : {0x1p100, -0x1p100, 0x1p99, -0x1p99}) {
    values.push_back(big);
    exact_scaled += static_cast<Int128>(big) << 20;
  }
  const long double exact = std::ldexp(static_cast<long double>(exact_scaled), -20);
  double total_abs = 0;
  for (double v : values) total_abs += std::fabs(v);

  double worst_naive_error = 0;
  for (int round = 0; round < 20; ++round) {
    std::shuffle(values.begin(), values.end(), rng);
    NeumaierSum sum;
    double naive = 0;
    for (double v : values) {
      sum.Add(v);
      naive += v;
    }
    // Neumaier: error within a couple of ulps of the answer itself, independent of the
    // intermediate magnitudes.
    EXPECT_LE(std::fabs(static_cast<long double>(sum.Total()) - exact),
              2 * std::numeric_limits<double>::epsilon() * std::fabs(exact))
        << "round " << round;
    worst_naive_error = std::max(worst_naive_error, static_cast<double>(std::fabs(naive - exact)));
  }
  // The test data must be hard: naive summation is visibly off by more than the tolerance.
  EXPECT_GT(worst_naive_error, 1e-9 * std::fabs(static_cast<double>(exact)));
  EXPECT_GT(total_abs, 1e20);
}

TEST(AggregateTest, FloatSumMeanMinMaxMatchReference) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  std::vector<double> values;
  for (int i = 0; i < 1000; ++i) values.push_back(dist(rng));
  long double ref_sum = 0;
  for (double v : values) ref_sum += v;
  const double ref_min = *std::min_element(values.begin(), values.end());
  const double ref_max = *std::max_element(values.begin(), values.end());
  double abs_sum = 0;
  for (double v : values) abs_sum += std::fabs(v);

  const auto floats = Floats(values);
  EXPECT_EQ(RunOk(AggregateKind::kCount, FieldType::kFloat, floats), std::to_string(values.size()));
  EXPECT_NEAR(ParseDouble(RunOk(AggregateKind::kSum, FieldType::kFloat, floats)),
              static_cast<double>(ref_sum), 1e-12 * abs_sum);
  EXPECT_NEAR(ParseDouble(RunOk(AggregateKind::kMean, FieldType::kFloat, floats)),
              static_cast<double>(ref_sum / values.size()), 1e-12 * abs_sum / values.size());
  // min and max are exact values from the input, printed so they parse back bit for bit.
  EXPECT_EQ(
      std::bit_cast<uint64_t>(ParseDouble(RunOk(AggregateKind::kMin, FieldType::kFloat, floats))),
      std::bit_cast<uint64_t>(ref_min));
  EXPECT_EQ(
      std::bit_cast<uint64_t>(ParseDouble(RunOk(AggregateKind::kMax, FieldType::kFloat, floats))),
      std::bit_cast<uint64_t>(ref_max));
}

TEST(AggregateTest, IntSumIsExactBeyondTwoToThe53) {
  const int64_t two53 = int64_t{1} << 53;
  std::vector<int64_t> values = {two53, 1, 1, 1, two53 + 1, -3};
  Int128 exact = 0;
  for (int64_t v : values) exact += v;
  // As a double the answer would be rounded: prove the check is meaningful.
  ASSERT_NE(static_cast<Int128>(static_cast<double>(exact)), exact);
  EXPECT_EQ(RunOk(AggregateKind::kSum, FieldType::kInt, Ints(values)), ToDecimal(exact));
}

TEST(AggregateTest, IntSumToleratesIntermediateOverflowThatCancels) {
  std::vector<int64_t> values = {kI64Max, kI64Max, 5, -kI64Max, -kI64Max, kI64Min, kI64Max};
  Int128 exact = 0;
  for (int64_t v : values) exact += v;
  EXPECT_EQ(RunOk(AggregateKind::kSum, FieldType::kInt, Ints(values)), ToDecimal(exact));
  EXPECT_EQ(RunOk(AggregateKind::kMin, FieldType::kInt, Ints(values)), std::to_string(kI64Min));
  EXPECT_EQ(RunOk(AggregateKind::kMax, FieldType::kInt, Ints(values)), std::to_string(kI64Max));
}

TEST(AggregateTest, IntSumOverflowIsAnError) {
  for (const std::vector<int64_t>& values :
       {std::vector<int64_t>{kI64Max, 1}, std::vector<int64_t>{kI64Min, -1},
        std::vector<int64_t>{kI64Max / 2 + 1, kI64Max / 2 + 1}}) {
    auto r = Aggregate(AggregateKind::kSum, FieldType::kInt, Ints(values));
    ASSERT_FALSE(r.ok()) << "got " << *r;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("overflow"), std::string::npos) << r.status().message();
  }
  // Right at the edges is fine.
  EXPECT_EQ(RunOk(AggregateKind::kSum, FieldType::kInt, Ints({kI64Max - 1, 1})),
            std::to_string(kI64Max));
  EXPECT_EQ(RunOk(AggregateKind::kSum, FieldType::kInt, Ints({kI64Min + 1, -1})),
            std::to_string(kI64Min));
}

TEST(AggregateTest, RandomIntAggregatesMatchReference) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int64_t> dist(-(int64_t{1} << 58), int64_t{1} << 58);
  std::vector<int64_t> values;
  for (int i = 0; i < 500; ++i) values.push_back(dist(rng));
  Int128 exact = 0;
  for (int64_t v : values) exact += v;
  const auto ints = Ints(values);
  EXPECT_EQ(RunOk(AggregateKind::kSum, FieldType::kInt, ints), ToDecimal(exact));
  EXPECT_EQ(RunOk(AggregateKind::kMin, FieldType::kInt, ints),
            std::to_string(*std::min_element(values.begin(), values.end())));
  EXPECT_EQ(RunOk(AggregateKind::kMax, FieldType::kInt, ints),
            std::to_string(*std::max_element(values.begin(), values.end())));
  const long double mean = static_cast<long double>(exact) / values.size();
  EXPECT_NEAR(ParseDouble(RunOk(AggregateKind::kMean, FieldType::kInt, ints)),
              static_cast<double>(mean), 1e-9 * std::fabs(static_cast<double>(mean)));
}

TEST(AggregateTest, IntMeanOfHugeValuesDoesNotOverflow) {
  auto ints = Ints({kI64Max, kI64Max, kI64Max});
  const long double want = static_cast<long double>(kI64Max);
  EXPECT_NEAR(ParseDouble(RunOk(AggregateKind::kMean, FieldType::kInt, ints)),
              static_cast<double>(want), 1e-9 * static_cast<double>(want));
}

TEST(AggregateTest, UintAggregatesUseTheFullUnsignedRange) {
  std::vector<uint64_t> values = {kU64Max - 10, 3, 7, kU64Max / 3};
  Uint128 exact = 0;
  for (uint64_t v : values) exact += v;
  ASSERT_GT(exact, static_cast<Uint128>(kU64Max));  // this set overflows
  auto overflow = Aggregate(AggregateKind::kSum, FieldType::kUint, Uints(values));
  ASSERT_FALSE(overflow.ok()) << *overflow;
  EXPECT_NE(overflow.status().message().find("overflow"), std::string::npos);

  std::vector<uint64_t> fits = {kU64Max - 10, 3, 7};
  Int128 fits_sum = 0;
  for (uint64_t v : fits) fits_sum += v;
  EXPECT_EQ(RunOk(AggregateKind::kSum, FieldType::kUint, Uints(fits)), ToDecimal(fits_sum));
  EXPECT_EQ(RunOk(AggregateKind::kMin, FieldType::kUint, Uints(fits)), "3");
  EXPECT_EQ(RunOk(AggregateKind::kMax, FieldType::kUint, Uints(fits)),
            std::to_string(kU64Max - 10));
  const long double mean = static_cast<long double>(fits_sum) / 3;
  EXPECT_NEAR(ParseDouble(RunOk(AggregateKind::kMean, FieldType::kUint, Uints(fits))),
              static_cast<double>(mean), 1e-9 * static_cast<double>(mean));
}

TEST(AggregateTest, NaNPropagatesIntoSumMeanMinAndMaxWhereverItArrives) {
  const std::vector<double> base = {3.0, -1.0, 7.5};
  for (size_t at = 0; at <= base.size(); ++at) {
    std::vector<double> values = base;
    values.insert(values.begin() + static_cast<std::ptrdiff_t>(at), kNaN);
    const auto floats = Floats(values);
    for (AggregateKind kind :
         {AggregateKind::kSum, AggregateKind::kMean, AggregateKind::kMin, AggregateKind::kMax}) {
      EXPECT_EQ(RunOk(kind, FieldType::kFloat, floats), "NaN")
          << "kind " << static_cast<int>(kind) << ", NaN at " << at;
    }
    EXPECT_EQ(RunOk(AggregateKind::kCount, FieldType::kFloat, floats),
              std::to_string(values.size()));
  }
}

TEST(AggregateTest, InfinitiesFollowIeeeArithmetic) {
  // Reference: plain IEEE addition, which is exact enough here and gets infinities right.
  const std::vector<std::vector<double>> cases = {
      {kInf}, {1.0, kInf, 2.0}, {-kInf, 5.0}, {kInf, -kInf}, {kInf, kInf}, {1e308, 1e308},
  };
  for (const auto& values : cases) {
    double naive = 0;
    for (double v : values) naive += v;
    const auto floats = Floats(values);
    const std::string sum = RunOk(AggregateKind::kSum, FieldType::kFloat, floats);
    if (std::isnan(naive)) {
      EXPECT_EQ(sum, "NaN");
    } else {
      EXPECT_EQ(sum, naive > 0 ? "+Inf" : "-Inf") << "values[0]=" << values[0];
    }
  }
  EXPECT_EQ(RunOk(AggregateKind::kMin, FieldType::kFloat, Floats({3.0, -kInf, 1.0})), "-Inf");
  EXPECT_EQ(RunOk(AggregateKind::kMax, FieldType::kFloat, Floats({3.0, kInf, 1.0})), "+Inf");
  EXPECT_EQ(RunOk(AggregateKind::kMax, FieldType::kFloat, Floats({3.0, -kInf, 1.0})), "3");
  EXPECT_EQ(RunOk(AggregateKind::kMean, FieldType::kFloat, Floats({1.0, kInf})), "+Inf");
}

TEST(AggregateTest, MinAndMaxDoNotDependOnArrivalOrder) {
  // DESIGN §7: answers must not drift with the order in which points are combined. -0.0 and
  // 0.0 compare equal but are different values (§7 VERSIONS), so which one is reported must
  // not depend on which arrived first.
  std::vector<double> values = {-0.0, 0.0, 2.0, 1.0};
  std::sort(values.begin(), values.end(), [](double a, double b) { return Bits(a) < Bits(b); });
  std::string first_min, first_max;
  do {
    const std::string min = RunOk(AggregateKind::kMin, FieldType::kFloat, Floats(values));
    const std::string max = RunOk(AggregateKind::kMax, FieldType::kFloat, Floats(values));
    if (first_min.empty()) {
      first_min = min;
      first_max = max;
    }
    EXPECT_EQ(min, first_min) << values[0] << " " << values[1] << " " << values[2];
    EXPECT_EQ(max, first_max);
  } while (std::next_permutation(values.begin(), values.end(),
                                 [](double a, double b) { return Bits(a) < Bits(b); }));
}

TEST(AggregateTest, NumericAggregatesOfNonNumericFieldsAreErrorsNamingTheField) {
  for (FieldType type : {FieldType::kString, FieldType::kBool}) {
    for (AggregateKind kind :
         {AggregateKind::kSum, AggregateKind::kMean, AggregateKind::kMin, AggregateKind::kMax}) {
      Aggregator agg(kind, type);
      Status s = agg.CheckType("hostname");
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
      EXPECT_NE(s.message().find("'hostname'"), std::string::npos) << s.message();
      EXPECT_NE(s.message().find(std::string(engine::FieldTypeName(type))), std::string::npos)
          << s.message();
    }
    EXPECT_TRUE(Aggregator(AggregateKind::kCount, type).CheckType("hostname").ok());
  }
  for (FieldType type : {FieldType::kFloat, FieldType::kInt, FieldType::kUint}) {
    EXPECT_TRUE(Aggregator(AggregateKind::kSum, type).CheckType("v").ok());
  }
}

TEST(AggregateTest, CountCountsValuesOfAnyType) {
  std::vector<FieldValue> strings = {FieldValue::String("a"), FieldValue::String(""),
                                     FieldValue::String("a")};
  EXPECT_EQ(RunOk(AggregateKind::kCount, FieldType::kString, strings), "3");
  std::vector<FieldValue> bools = {FieldValue::Bool(true), FieldValue::Bool(false)};
  EXPECT_EQ(RunOk(AggregateKind::kCount, FieldType::kBool, bools), "2");
}

TEST(AggregateTest, NoValuesGiveZeroCountAndNullCells) {
  EXPECT_EQ(RunOk(AggregateKind::kCount, FieldType::kFloat, {}), "0");
  for (FieldType type : {FieldType::kFloat, FieldType::kInt, FieldType::kUint}) {
    for (AggregateKind kind :
         {AggregateKind::kSum, AggregateKind::kMean, AggregateKind::kMin, AggregateKind::kMax}) {
      EXPECT_EQ(RunOk(kind, type, {}), "") << static_cast<int>(kind);
    }
  }
}

TEST(AggregateTest, ParseAggregateKindKnowsTheFiveAndNamesAnUnknownOne) {
  EXPECT_EQ(*ParseAggregateKind("count"), AggregateKind::kCount);
  EXPECT_EQ(*ParseAggregateKind("sum"), AggregateKind::kSum);
  EXPECT_EQ(*ParseAggregateKind("mean"), AggregateKind::kMean);
  EXPECT_EQ(*ParseAggregateKind("min"), AggregateKind::kMin);
  EXPECT_EQ(*ParseAggregateKind("max"), AggregateKind::kMax);
  auto bad = ParseAggregateKind("median_absolute");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("median_absolute"), std::string::npos);
}

}  // namespace
}  // namespace strata::query

namespace strata::query {
namespace {

// Batches (the scan path) and single points must agree for every aggregate, whatever the values.
TEST(AggregateBatchTest, BatchesGiveTheSameAnswerAsSinglePoints) {
  std::mt19937_64 rng(3);
  const double specials[] = {0.0,
                             -0.0,
                             1.5,
                             -2.25,
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::nan(""),
                             1e300};
  for (int round = 0; round < 300; ++round) {
    const size_t n = 1 + rng() % 40;
    std::vector<int64_t> times(n);
    std::vector<uint64_t> bits(n);
    for (size_t i = 0; i < n; ++i) {
      times[i] = static_cast<int64_t>(i) * 10;
      const bool special = rng() % 4 == 0 && round % 3 != 0;  // every third round: no NaN/inf
      const double v = special ? specials[rng() % 8] : static_cast<double>(rng() % 1000) / 8 - 60;
      bits[i] = std::bit_cast<uint64_t>(v);
    }
    for (int k = 0; k <= static_cast<int>(AggregateKind::kSpread); ++k) {
      const auto kind = static_cast<AggregateKind>(k);
      Aggregator one(kind, engine::FieldType::kFloat, 90),
          batch(kind, engine::FieldType::kFloat, 90);
      for (size_t i = 0; i < n; ++i) {
        one.Add(times[i], engine::FieldValue::Float(std::bit_cast<double>(bits[i])));
      }
      const size_t cut = rng() % (n + 1);  // two batches, as two blocks would give
      batch.AddBatch(times.data(), bits.data(), nullptr, cut);
      batch.AddBatch(times.data() + cut, bits.data() + cut, nullptr, n - cut);
      auto a = one.Finish(), b = batch.Finish();
      ASSERT_TRUE(a.ok() && b.ok());
      if (kind == AggregateKind::kSum || kind == AggregateKind::kMean ||
          kind == AggregateKind::kStddev) {
        const double x = std::strtod(a->c_str(), nullptr), y = std::strtod(b->c_str(), nullptr);
        if (std::isnan(x) || std::isinf(x)) {
          EXPECT_EQ(*a, *b) << AggregateName(kind);
        } else {
          EXPECT_NEAR(x, y, 1e-9 * std::max(1.0, std::fabs(x))) << AggregateName(kind);
        }
      } else {
        EXPECT_EQ(*a, *b) << AggregateName(kind) << " round " << round;
      }
    }
  }
}

TEST(AggregateBatchTest, LaneSumsFallBackToTheSequentialOrderWhenALaneOverflows) {
  // Four lanes would see only +1e308 (or only -1e308) and overflow; one by one the sum is 0.
  std::vector<uint64_t> bits;
  for (int i = 0; i < 16; ++i) bits.push_back(std::bit_cast<uint64_t>(i % 2 ? -1e308 : 1e308));
  NeumaierSum lanes, sequential;
  lanes.AddBits(bits.data(), bits.size());
  for (uint64_t b : bits) sequential.Add(std::bit_cast<double>(b));
  EXPECT_EQ(std::bit_cast<uint64_t>(lanes.Total()), std::bit_cast<uint64_t>(sequential.Total()));
  EXPECT_EQ(lanes.Total(), 0.0);
  // Mixed magnitudes: the lanes keep Neumaier's accuracy.
  std::mt19937_64 rng(5);
  std::vector<uint64_t> mixed;
  for (int i = 0; i < 4099; ++i) {
    const double v =
        (rng() % 2 ? 1e16 : 1.0) * (rng() % 2 ? 1 : -1) + static_cast<double>(rng() % 100) / 10;
    mixed.push_back(std::bit_cast<uint64_t>(v));
  }
  NeumaierSum a, b;
  a.AddBits(mixed.data(), mixed.size());
  for (uint64_t x : mixed) b.Add(std::bit_cast<double>(x));
  EXPECT_NEAR(a.Total(), b.Total(), std::fabs(b.Total()) * 1e-12 + 1e-3);
}

TEST(AggregateTest, IntegerMediansAreExactBeyondDoublePrecision) {
  auto median = [](std::vector<int64_t> values) {
    Aggregator a(AggregateKind::kMedian, engine::FieldType::kInt);
    for (int64_t v : values) a.Add(engine::FieldValue::Int(v));
    return *a.Finish();
  };
  const int64_t big = (int64_t{1} << 53) + 1;  // not a double
  EXPECT_EQ(median({big, big, -3}), "9007199254740993");
  EXPECT_EQ(median({big, big + 1}), "9007199254740993.5");
  EXPECT_EQ(median({-1, 0}), "-0.5");
  EXPECT_EQ(median({-3, -4}), "-3.5");
  EXPECT_EQ(median({INT64_MAX, INT64_MAX - 2}), "9223372036854775806");
  Aggregator u(AggregateKind::kMedian, engine::FieldType::kUint);
  u.Add(engine::FieldValue::Uint(UINT64_MAX));
  u.Add(engine::FieldValue::Uint(UINT64_MAX - 1));
  EXPECT_EQ(*u.Finish(), "18446744073709551614.5");
}

}  // namespace
}  // namespace strata::query
