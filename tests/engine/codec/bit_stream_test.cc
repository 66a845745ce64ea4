#include "engine/codec/bit_stream.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/codec/bit_packing.h"

namespace strata::engine::codec {
namespace {

uint64_t Mask(int width) { return width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1; }

TEST(CodecBitStreamTest, MixedWidthsRoundTrip) {
  std::mt19937_64 rng(3);
  std::vector<std::pair<uint64_t, int>> items;
  for (int i = 0; i < 5000; ++i) {
    const int width = static_cast<int>(rng() % 65);
    items.emplace_back(rng() & Mask(width), width);
  }
  std::string bytes;
  BitWriter w(&bytes);
  size_t total_bits = 0;
  for (const auto& [v, width] : items) {
    w.Write(v, width);
    total_bits += static_cast<size_t>(width);
  }
  w.Finish();
  EXPECT_EQ(bytes.size(), (total_bits + 7) / 8);
  BitReader r(bytes);
  for (const auto& [v, width] : items) ASSERT_EQ(r.Read(width), v);
  EXPECT_FALSE(r.overrun());
  EXPECT_EQ(r.bytes_consumed(), bytes.size());
  EXPECT_TRUE(r.PaddingIsZero());
}

TEST(CodecBitStreamTest, BitOrderIsLsbFirst) {
  std::string bytes;
  BitWriter w(&bytes);
  w.Write(1, 1);
  w.Write(0b10, 2);
  w.Write(0x1ff, 9);
  w.Finish();
  // bits: 1 | 0 1 | 1 1111 1111  ->  byte0 = 1111 1101, byte1 = 0000 1111
  EXPECT_EQ(bytes, std::string("\xfd\x0f", 2));
}

TEST(CodecBitStreamTest, ReaderReportsOverrunInsteadOfReadingPastTheEnd) {
  const std::string bytes = "\xff\xff";
  BitReader r(std::string_view(bytes).substr(0, 1));
  EXPECT_EQ(r.Read(5), 0x1fu);
  EXPECT_FALSE(r.overrun());
  EXPECT_EQ(r.Read(4), 0u);  // only 3 bits left
  EXPECT_TRUE(r.overrun());
  EXPECT_EQ(r.Read(64), 0u);
}

TEST(CodecBitPackingTest, PackedWidthsRoundTripAndRejectPadding) {
  std::mt19937_64 rng(4);
  for (int width = 0; width <= 64; ++width) {
    for (const size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{64}, size_t{129}}) {
      std::vector<uint64_t> values(n);
      for (auto& v : values) v = rng() & Mask(width);
      std::string bytes;
      PackBits(values, width, &bytes);
      ASSERT_EQ(bytes.size(), PackedBytes(n, width));
      std::vector<uint64_t> out(n, 123);
      ASSERT_TRUE(UnpackBits(bytes, width, out));
      ASSERT_EQ(out, values) << "width " << width << " n " << n;
      if ((n * static_cast<size_t>(width)) % 8 != 0) {
        bytes.back() = static_cast<char>(bytes.back() | 0x80);
        EXPECT_FALSE(UnpackBits(bytes, width, out));
      }
    }
  }
}

TEST(CodecBitPackingTest, MiniblocksRoundTripAnyInt64s) {
  std::mt19937_64 rng(6);
  std::vector<int64_t> values(1000);
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = (i % 3 == 0) ? static_cast<int64_t>(rng()) : static_cast<int64_t>(i);
  }
  values[5] = INT64_MIN;
  values[6] = INT64_MAX;
  std::string bytes;
  PackMiniblocks(values, &bytes);
  EXPECT_EQ(bytes.size(), PackedMiniblocksSize(values));
  ByteReader r(bytes);
  std::vector<int64_t> out(values.size());
  ASSERT_TRUE(UnpackMiniblocks(CodecId::kDeltaZigZag, &r, out).ok());
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(out, values);
}

TEST(CodecBitPackingTest, CommonDivisorDividesExactly) {
  std::mt19937_64 rng(9);
  for (const uint64_t g : {uint64_t{1}, uint64_t{3}, uint64_t{1000000000}, uint64_t{60000000000},
                           uint64_t{1} << 40, uint64_t{999999937}}) {
    std::vector<int64_t> values(500);
    for (size_t i = 0; i < values.size(); ++i) {
      const int64_t q = static_cast<int64_t>(rng() % 2000001) - 1000000;
      values[i] = i % 7 == 0 ? 0 : q * static_cast<int64_t>(g);
    }
    std::vector<int64_t> scaled = values;
    const uint64_t divisor = DivideByCommonDivisor(scaled);
    EXPECT_EQ(divisor % g, 0u);
    for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(WrapMul(scaled[i], divisor), values[i]);
  }
  std::vector<int64_t> extremes = {INT64_MIN, 0, INT64_MIN};
  EXPECT_EQ(DivideByCommonDivisor(extremes), uint64_t{1} << 63);
  EXPECT_EQ(extremes, (std::vector<int64_t>{-1, 0, -1}));
  std::vector<int64_t> zeros(10, 0);
  EXPECT_EQ(DivideByCommonDivisor(zeros), 1u);
  std::vector<int64_t> mixed = {INT64_MAX, INT64_MIN, 6};
  EXPECT_EQ(DivideByCommonDivisor(mixed), 1u);
}

}  // namespace
}  // namespace strata::engine::codec
