// Integer-sequence mode 2 (split-Huffman deltas, engine/codec/split_huffman.h): byte-exact round
// trips at every k and on adversarial sequences, and the guarantee that no column is larger
// than its format-v1 encoding (the v1 size is computed here from the spec, independently).

#include "engine/codec/split_huffman.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "engine/codec/bit_packing.h"
#include "engine/codec/codec.h"
#include "engine/codec/decimal_float.h"
#include "engine/codec/int_delta_zigzag.h"
#include "engine/codec/xor_float.h"
#include "tests/engine/codec/codec_test_data.h"
#include "util/coding.h"

namespace strata::engine::codec {
namespace {

constexpr auto kHuffmanMode = static_cast<char>(IntSequenceMode::kHuffmanDeltas);

size_t VarintBytes(uint64_t v) { return static_cast<size_t>(std::max(1, (BitWidth(v) + 6) / 7)); }

// Bytes of the v1 integer sequence (docs/format/codecs.md v1): the smaller of mode 0 and mode 1.
size_t V1SequenceBytes(std::span<const int64_t> values) {
  if (values.empty()) return 0;
  std::vector<int64_t> deltas;
  for (size_t i = 1; i < values.size(); ++i) deltas.push_back(WrapSub(values[i], values[i - 1]));
  const uint64_t delta_divisor = DivideByCommonDivisor(deltas);
  std::vector<int64_t> scaled(values.begin(), values.end());
  const uint64_t value_divisor = DivideByCommonDivisor(scaled);
  const size_t delta_bytes = VarintBytes(delta_divisor) + VarintBytes(ZigZagEncode(values[0])) +
                             PackedMiniblocksSize(deltas);
  const size_t value_bytes = VarintBytes(value_divisor) + PackedMiniblocksSize(scaled);
  return 1 + std::min(delta_bytes, value_bytes);
}

// Zigzag deltas of `values`, as mode 2 codes them (divisor 1).
std::vector<uint64_t> ZigZagDeltas(const std::vector<int64_t>& values) {
  std::vector<uint64_t> z;
  for (size_t i = 1; i < values.size(); ++i)
    z.push_back(ZigZagEncode(WrapSub(values[i], values[i - 1])));
  return z;
}

// Encodes `values` with `plan`, checks the size, decodes, and compares.
void ExpectLayoutRoundTrip(const std::vector<uint64_t>& values, const SplitHuffmanPlan& plan) {
  std::string encoded = "x";  // a prefix, as a column has before the layout
  EncodeSplitHuffman(values, plan, &encoded);
  ASSERT_EQ(encoded.size() - 1, plan.encoded_bytes) << "k " << plan.low_bits;
  ByteReader reader(encoded);
  uint8_t prefix;
  ASSERT_TRUE(reader.ReadByte(&prefix));
  std::vector<uint64_t> decoded(values.size(), 0xdeadbeef);  // stale contents are overwritten
  const Status s = DecodeSplitHuffman(CodecId::kDeltaZigZag, &reader, decoded);
  ASSERT_TRUE(s.ok()) << "k " << plan.low_bits << ": " << s.ToString();
  EXPECT_TRUE(reader.empty()) << "k " << plan.low_bits;
  EXPECT_EQ(decoded, values) << "k " << plan.low_bits;
}

std::vector<int64_t> GaussianWalk(size_t n, double sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0.0, sigma);
  std::vector<int64_t> values(n);
  double x = 0;
  for (auto& v : values) v = std::llround(x += step(rng));
  return values;
}

// Encodes as an int column, checks the round trip and the size against v1; returns the mode.
char ExpectIntColumn(const std::vector<int64_t>& values) {
  std::string column;
  EncodeInts(values, &column);
  std::vector<int64_t> decoded;
  EXPECT_TRUE(DecodeInts(column, values.size(), &decoded).ok());
  EXPECT_EQ(decoded, values);
  const size_t v1 = 1 + V1SequenceBytes(values);
  EXPECT_LE(column.size(), v1);
  if (column.size() < 2) return -1;
  if (column[1] != kHuffmanMode) {
    EXPECT_EQ(column.size(), v1) << "modes 0 and 1 are unchanged";
  }
  return column[1];
}

TEST(SplitHuffmanTest, EveryLowBitCountRoundTrips) {
  std::mt19937_64 rng(3);
  // Each input with the number of k that leave two or more symbols.
  std::vector<std::pair<std::vector<uint64_t>, int>> inputs;
  std::vector<uint64_t> random(777);  // widths spread evenly: direct symbols and escapes at any k
  for (auto& v : random) v = rng() >> (rng() % 64);
  inputs.push_back({random, 64});
  inputs.push_back({ZigZagDeltas(GaussianWalk(4096, 100, 4)), 10});  // up to 10 bits
  std::vector<uint64_t> widths;  // every bit width, and the extremes
  for (int w = 0; w <= 64; ++w) widths.push_back(w == 0 ? 0 : ~uint64_t{0} >> (64 - w));
  widths.push_back(uint64_t{1} << 63);
  inputs.push_back({widths, 64});
  for (const auto& [values, expected_plans] : inputs) {
    int planned = 0;
    for (int k = 0; k <= 63; ++k) {
      const std::optional<SplitHuffmanPlan> plan = PlanSplitHuffmanWithLowBits(values, k);
      if (!plan) continue;
      ++planned;
      EXPECT_EQ(plan->low_bits, k);
      ExpectLayoutRoundTrip(values, *plan);
    }
    EXPECT_EQ(planned, expected_plans);
  }
}

TEST(SplitHuffmanTest, EscapesCarryUpTo64Bits) {
  std::vector<uint64_t> values(500, 3);
  values[10] = ~uint64_t{0};
  values[11] = uint64_t{1} << 63;
  values[499] = 1000;
  for (size_t i = 0; i < values.size(); i += 3) values[i] = 5;
  const std::optional<SplitHuffmanPlan> plan = PlanSplitHuffmanWithLowBits(values, 0);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->direct_symbols, 64);
  EXPECT_EQ(plan->escape_bits, 64);
  ExpectLayoutRoundTrip(values, *plan);
  const std::optional<SplitHuffmanPlan> best = PlanSplitHuffman(values);
  ASSERT_TRUE(best.has_value());
  EXPECT_GT(best->escape_bits, 0);
  ExpectLayoutRoundTrip(values, *best);
}

TEST(SplitHuffmanTest, PlannerIsNearTheBestSingleK) {
  for (const double sigma : {0.3, 3.0, 100.0, 1e5, 1e12}) {
    SCOPED_TRACE(sigma);
    const std::vector<uint64_t> values = ZigZagDeltas(GaussianWalk(4096, sigma, 5));
    size_t exhaustive = SIZE_MAX;
    for (int k = 0; k <= 63; ++k) {
      const std::optional<SplitHuffmanPlan> plan = PlanSplitHuffmanWithLowBits(values, k);
      if (plan) exhaustive = std::min(exhaustive, plan->encoded_bytes);
    }
    const std::optional<SplitHuffmanPlan> best = PlanSplitHuffman(values);
    ASSERT_TRUE(best.has_value());
    EXPECT_LE(best->encoded_bytes, exhaustive);
    ExpectLayoutRoundTrip(values, *best);
  }
}

TEST(SplitHuffmanTest, NoPlanWithoutTwoSymbols) {
  EXPECT_FALSE(PlanSplitHuffman(std::vector<uint64_t>{}).has_value());
  EXPECT_FALSE(PlanSplitHuffman(std::vector<uint64_t>{12345}).has_value());
  EXPECT_FALSE(PlanSplitHuffman(std::vector<uint64_t>(4095, 0)).has_value());
  std::vector<uint64_t> sevens(100, 7);
  sevens[5] = 0;
  EXPECT_FALSE(PlanSplitHuffmanWithLowBits(sevens, 3).has_value());  // every high part 0
  EXPECT_TRUE(PlanSplitHuffmanWithLowBits(sevens, 2).has_value());   // 1 and 0
}

TEST(SplitHuffmanTest, AdversarialIntColumnsRoundTripAndNeverGrow) {
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const int64_t hi = std::numeric_limits<int64_t>::max();
  std::mt19937_64 rng(6);
  std::vector<std::pair<std::string, std::vector<int64_t>>> cases;
  cases.push_back({"single", {42}});
  cases.push_back({"two", {lo, hi}});
  std::vector<int64_t> equal_deltas(4096);
  for (size_t i = 0; i < equal_deltas.size(); ++i) equal_deltas[i] = 7 * static_cast<int64_t>(i);
  cases.push_back({"all_equal_deltas", equal_deltas});
  std::vector<int64_t> alternating(4096);
  for (size_t i = 0; i < alternating.size(); ++i) alternating[i] = i % 2 ? hi : lo;
  cases.push_back({"alternating_extremes", alternating});
  std::vector<int64_t> huge(4096);
  for (size_t i = 0; i < huge.size(); ++i) huge[i] = (i % 2 ? 1 : -1) * (int64_t{1} << 62);
  cases.push_back({"alternating_huge_deltas", huge});
  std::vector<int64_t> spikes(4096, 5);
  for (size_t i = 0; i < spikes.size(); i += 97) spikes[i] = static_cast<int64_t>(rng());
  cases.push_back({"rare_spikes", spikes});
  std::vector<int64_t> outliers = GaussianWalk(4096, 100, 7);
  for (size_t i = 0; i < outliers.size(); i += 50) outliers[i] += int64_t{1} << 40;
  cases.push_back({"walk_with_outliers", outliers});
  cases.push_back({"walk_4096", GaussianWalk(4096, 100, 8)});
  cases.push_back({"walk_4095", GaussianWalk(4095, 100, 8)});
  cases.push_back({"walk_3", GaussianWalk(3, 100, 9)});
  std::vector<int64_t> divisible = GaussianWalk(4096, 30, 10);
  for (auto& v : divisible) v *= 1000;
  cases.push_back({"walk_with_divisor", divisible});
  std::vector<int64_t> random(4096);
  for (auto& v : random) v = static_cast<int64_t>(rng());
  cases.push_back({"random", random});
  for (const auto& [name, values] : cases) {
    SCOPED_TRACE(name);
    ExpectIntColumn(values);
  }
  EXPECT_EQ(ExpectIntColumn(GaussianWalk(4096, 100, 8)), kHuffmanMode);
  EXPECT_EQ(ExpectIntColumn(outliers), kHuffmanMode);
  EXPECT_EQ(ExpectIntColumn(divisible), kHuffmanMode);
}

TEST(SplitHuffmanTest, RandomSequencesNeverGrowAgainstVersionOne) {
  std::mt19937_64 rng(11);
  int huffman = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = 1 + rng() % 4096;
    std::vector<int64_t> values(n);
    const double sigma = std::pow(10.0, static_cast<double>(rng() % 130) / 10 - 1);  // 0.1..1e12
    std::normal_distribution<double> gauss(0.0, sigma);
    std::exponential_distribution<double> heavy(1.0);
    int64_t x = static_cast<int64_t>(rng() % 1000);
    const int shape = static_cast<int>(rng() % 4);
    for (auto& v : values) {
      switch (shape) {
        case 0:  // random walk
          x += std::llround(gauss(rng));
          break;
        case 1:  // noise around a level
          x = 5000 + std::llround(gauss(rng));
          break;
        case 2:  // heavy-tailed steps
          x += std::llround(std::pow(heavy(rng), 4) * sigma) * (rng() % 2 ? 1 : -1);
          break;
        default:  // mostly repeats
          if (rng() % 16 == 0) x += std::llround(gauss(rng));
          break;
      }
      v = x;
    }
    SCOPED_TRACE(trial);
    huffman += ExpectIntColumn(values) == kHuffmanMode;
  }
  std::printf("mode 2 chosen for %d of 300 random sequences\n", huffman);
}

TEST(SplitHuffmanTest, DecimalFloatColumnsNeverGrow) {
  std::mt19937_64 rng(12);
  for (int trial = 0; trial < 100; ++trial) {
    SCOPED_TRACE(trial);
    const size_t n = 1 + rng() % 4096;
    const int decimals = static_cast<int>(rng() % 4);
    const double scale = std::pow(10.0, decimals);
    std::normal_distribution<double> step(0.0, std::pow(10.0, static_cast<double>(rng() % 5) - 2));
    std::vector<double> values(n);
    double x = 50;
    for (auto& v : values) v = std::round((x += step(rng)) * scale) / scale;
    std::string column;
    EncodeFloats(values, &column);
    std::vector<double> decoded;
    ASSERT_TRUE(DecodeFloats(column, n, &decoded).ok());
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(std::bit_cast<uint64_t>(decoded[i]), std::bit_cast<uint64_t>(values[i])) << i;
    }
    size_t v1 = XorFloatSize(values);
    std::vector<int64_t> scaled;
    if (const std::optional<int> e = FindDecimalExponent(values, &scaled)) {
      v1 = std::min(v1, 2 + V1SequenceBytes(scaled));
    }
    EXPECT_LE(column.size(), v1);
  }
}

TEST(SplitHuffmanTest, TsbsLikeWalksUseHuffmanDeltasNearTheEntropy) {
  // Two-decimal random walks with steps of 1.0 (x100: Gaussian deltas, sigma 100): the
  // entropy is about 1.09 bytes per value, v1 packing spent about 1.20.
  const testing::CpuColumns cpu = testing::SynthesizeCpu(4, 8192, 13);
  size_t bytes = 0;
  size_t v1_bytes = 0;
  size_t points = 0;
  for (const auto& column : cpu.usage_user) {
    for (size_t start = 0; start < column.size(); start += kMaxBlockPoints) {
      const auto block =
          std::span(column).subspan(start, std::min(kMaxBlockPoints, column.size() - start));
      std::string encoded;
      EncodeFloats(block, &encoded);
      ASSERT_EQ(encoded[0], static_cast<char>(CodecId::kDecimalFloat));
      EXPECT_EQ(encoded[2], kHuffmanMode);
      std::vector<int64_t> scaled;
      ASSERT_TRUE(FindDecimalExponent(block, &scaled).has_value());
      bytes += encoded.size();
      v1_bytes += 2 + V1SequenceBytes(scaled);
      points += block.size();
    }
  }
  const double per_value = static_cast<double>(bytes) / static_cast<double>(points);
  const double v1_per_value = static_cast<double>(v1_bytes) / static_cast<double>(points);
  std::printf("synthesized usage_user: %.4f bytes/value (v1 %.4f)\n", per_value, v1_per_value);
  EXPECT_LT(per_value, 1.12);
  EXPECT_LT(per_value, v1_per_value * 0.95);
}

TEST(SplitHuffmanTest, FastEffortWritesTheVersionOneLayoutOfTheSameValues) {
  // Flushes encode with kFast: no mode 2, exactly the v1 sequence size, the same values back.
  const testing::CpuColumns cpu = testing::SynthesizeCpu(2, 8192, 14);
  for (const auto& column : cpu.usage_user) {
    for (size_t start = 0; start < column.size(); start += kMaxBlockPoints) {
      const auto block =
          std::span(column).subspan(start, std::min(kMaxBlockPoints, column.size() - start));
      std::string fast, small;
      EncodeFloats(block, &fast, EncodeEffort::kFast);
      EncodeFloats(block, &small, EncodeEffort::kSmall);
      ASSERT_EQ(fast[0], static_cast<char>(CodecId::kDecimalFloat));
      EXPECT_NE(fast[2], kHuffmanMode);
      EXPECT_EQ(small[2], kHuffmanMode);
      std::vector<int64_t> scaled;
      ASSERT_TRUE(FindDecimalExponent(block, &scaled).has_value());
      EXPECT_EQ(fast.size(), 2 + V1SequenceBytes(scaled));
      std::vector<double> decoded;
      ASSERT_TRUE(DecodeFloats(fast, block.size(), &decoded).ok());
      for (size_t i = 0; i < block.size(); ++i) {
        ASSERT_EQ(std::bit_cast<uint64_t>(decoded[i]), std::bit_cast<uint64_t>(block[i])) << i;
      }
    }
  }
  std::mt19937_64 rng(15);
  std::vector<int64_t> walk(3000);
  int64_t x = 0;
  for (auto& v : walk) v = (x += static_cast<int64_t>(rng() % 201) - 100);
  std::string fast;
  EncodeInts(walk, &fast, EncodeEffort::kFast);
  EXPECT_NE(fast[1], kHuffmanMode);
  EXPECT_EQ(fast.size(), 1 + V1SequenceBytes(walk));
  std::vector<int64_t> decoded;
  ASSERT_TRUE(DecodeInts(fast, walk.size(), &decoded).ok());
  EXPECT_EQ(decoded, walk);
}

}  // namespace
}  // namespace strata::engine::codec
