// When the float encoder takes the decimal path, and that the decimal check is bit-exact.

#include "engine/codec/decimal_float.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/codec/codec.h"
#include "engine/codec/xor_float.h"
#include "util/coding.h"

namespace strata::engine::codec {
namespace {

CodecId EncodedCodec(const std::vector<double>& values) {
  std::string encoded;
  EncodeFloats(values, &encoded);
  return *PeekCodec(encoded);
}

void ExpectRoundTrip(const std::vector<double>& values) {
  std::string encoded;
  EncodeFloats(values, &encoded);
  std::vector<double> decoded;
  ASSERT_TRUE(DecodeFloats(encoded, values.size(), &decoded).ok());
  ASSERT_EQ(decoded.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(decoded[i]), std::bit_cast<uint64_t>(values[i])) << i;
  }
}

int Exponent(const std::vector<double>& values) {
  std::vector<int64_t> scaled;
  return FindDecimalExponent(values, &scaled).value_or(-1);
}

// A random walk printed with `decimals` digits after the point, plus a few edge values.
std::vector<double> Walk(int decimals, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0.0, 1.0);
  const double scale = std::pow(10.0, decimals);
  std::vector<double> values = {0.0, -1.0, 100.0};
  double x = 10;
  while (values.size() < 300) {
    x += step(rng);
    values.push_back(std::round(x * scale) / scale);  // exactly what strtod makes of the text
  }
  return values;
}

TEST(CodecDecimalFloatTest, ShortDecimalsTakeTheDecimalPath) {
  for (int decimals = 0; decimals <= 3; ++decimals) {
    SCOPED_TRACE(decimals);
    const std::vector<double> values = Walk(decimals, 100 + static_cast<uint64_t>(decimals));
    EXPECT_EQ(EncodedCodec(values), CodecId::kDecimalFloat);
    EXPECT_EQ(Exponent(values), decimals);
    ExpectRoundTrip(values);
  }
  EXPECT_EQ(Exponent({0.001, 1.234, -5.555, 1e-3}), 3);
  EXPECT_EQ(Exponent({1, 2, 3, -40, 1e15}), 0);
}

TEST(CodecDecimalFloatTest, XorWinsWhenItIsSmaller) {
  // Valid decimals, but random powers of two up to 2^40: consecutive doubles differ only in
  // their exponent bits, which XOR stores in about 20 bits a value, while the integer deltas
  // are spread over 40 bits, packed or entropy coded.
  std::mt19937_64 rng(5);
  std::vector<double> values(1000);
  for (double& v : values) v = std::ldexp(1.0, static_cast<int>(rng() % 41));
  ASSERT_EQ(Exponent(values), 0);
  EXPECT_EQ(EncodedCodec(values), CodecId::kXorFloat);
  ExpectRoundTrip(values);
}

TEST(CodecDecimalFloatTest, RareJumpsInARunStayDecimalWithEntropyCoding) {
  // Mostly one value with rare huge jumps (v1 of the format wrote XOR here: 2 bits a repeat
  // beat the jumps' width on every packed point): the split-Huffman deltas spend about 1 bit
  // a repeat and escape the jumps.
  std::vector<double> values(1000, 0.0);
  for (size_t i = 0; i < values.size(); i += 100) values[i] = 123456789.5 + static_cast<double>(i);
  ASSERT_EQ(Exponent(values), 1);
  EXPECT_EQ(EncodedCodec(values), CodecId::kDecimalFloat);
  std::string decimal;
  std::string xor_form;
  EncodeFloats(values, &decimal);
  EncodeXorFloat(values, &xor_form);
  EXPECT_LT(decimal.size(), xor_form.size());
  ExpectRoundTrip(values);
}

TEST(CodecDecimalFloatTest, ExponentIsTheSmallestThatWorksForTheWholeBlock) {
  // The first values alone would pass at 0; the last one raises e to 4.
  EXPECT_EQ(Exponent({1, 2, 3, 4, 0.5, 0.0001}), 4);
  EXPECT_EQ(Exponent({0.0001, 1, 2}), 4);
}

TEST(CodecDecimalFloatTest, BinaryFractionsFallBackToXor) {
  EXPECT_EQ(EncodedCodec({0.1 + 0.2, 0.5}), CodecId::kXorFloat);  // 0.30000000000000004
  EXPECT_EQ(EncodedCodec({1.0 / 3.0}), CodecId::kXorFloat);
  ExpectRoundTrip({0.1 + 0.2, 0.5});
}

TEST(CodecDecimalFloatTest, HugeOrTinyMagnitudesFallBackToXor) {
  EXPECT_EQ(EncodedCodec({1e300, 1}), CodecId::kXorFloat);
  EXPECT_EQ(EncodedCodec({1e-300}), CodecId::kXorFloat);
  EXPECT_EQ(EncodedCodec({9007199254740993.0 * 4}), CodecId::kXorFloat);  // beyond 2^53
  EXPECT_EQ(EncodedCodec({std::numeric_limits<double>::denorm_min()}), CodecId::kXorFloat);
  ExpectRoundTrip({1e300, 1});
}

TEST(CodecDecimalFloatTest, OneNaNOrInfinityMakesTheWholeBlockXor) {
  std::vector<double> values(100, 1.25);
  values[50] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(EncodedCodec(values), CodecId::kXorFloat);
  ExpectRoundTrip(values);
  values[50] = -std::numeric_limits<double>::infinity();
  EXPECT_EQ(EncodedCodec(values), CodecId::kXorFloat);
  ExpectRoundTrip(values);
}

TEST(CodecDecimalFloatTest, NegativeZeroRoundTripsWhicheverPath) {
  ExpectRoundTrip({-0.0});
  ExpectRoundTrip({1.5, -0.0, 0.0, -2.25});
  ExpectRoundTrip(std::vector<double>(4096, -0.0));
  // The decimal check rejects -0.0 (it would decode as +0.0), so such blocks use XOR.
  EXPECT_EQ(EncodedCodec({1.5, -0.0}), CodecId::kXorFloat);
  EXPECT_EQ(EncodedCodec({1.5, 0.0}), CodecId::kDecimalFloat);
}

TEST(CodecDecimalFloatTest, DecoderUsesDivisionNotMultiplicationByTheInverse) {
  // 3 / 10 is 0.3, but 3 * 0.1 is 0.30000000000000004: the decoder must divide, as verified.
  ASSERT_NE(3 * 0.1, 0.3);
  ExpectRoundTrip({0.3, 0.7, 0.9, 1.1});
  EXPECT_EQ(EncodedCodec({0.3, 0.7, 0.9, 1.1}), CodecId::kDecimalFloat);
}

TEST(CodecDecimalFloatTest, LongDecimalsStillRoundTrip) {
  // NAB data carries values such as 74.93588199999998 (14 decimals).
  ExpectRoundTrip({74.93588199999998, 0.132, 42.0, 1e-12, 123456.789012});
}

TEST(CodecDecimalFloatTest, CorruptExponentAndOutOfRangeIntegersAreRejected) {
  std::string encoded;
  EncodeFloats(std::vector<double>{1.5, 2.5}, &encoded);
  ASSERT_EQ(*PeekCodec(encoded), CodecId::kDecimalFloat);
  std::vector<double> out;
  std::string bad = encoded;
  bad[1] = 19;  // exponent above 18
  EXPECT_TRUE(DecodeFloats(bad, 2, &out).IsCorruption());
  // A hand-built column: exponent 0, mode kValues, one miniblock with min 2^53 and width 0.
  std::string big = {static_cast<char>(CodecId::kDecimalFloat), 0, 0};
  PutVarint64(&big, ZigZagEncode(int64_t{1} << 53));
  big.push_back(0);
  EXPECT_TRUE(DecodeFloats(big, 1, &out).IsCorruption());
}

}  // namespace
}  // namespace strata::engine::codec
