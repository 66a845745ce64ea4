#include "util/coding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace strata {
namespace {

TEST(CodingTest, FixedWidthIsLittleEndian) {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0807060504030201ull);
  EXPECT_EQ(s, std::string("\x01\x02\x03\x04\x01\x02\x03\x04\x05\x06\x07\x08", 12));
  EXPECT_EQ(DecodeFixed32(s.data()), 0x04030201u);
  EXPECT_EQ(DecodeFixed64(s.data() + 4), 0x0807060504030201ull);

  char buf[8];
  EncodeFixed32(buf, 0xdeadbeefu);
  EXPECT_EQ(DecodeFixed32(buf), 0xdeadbeefu);
  EncodeFixed64(buf, 0xfedcba9876543210ull);
  EXPECT_EQ(DecodeFixed64(buf), 0xfedcba9876543210ull);
}

TEST(CodingTest, FixedRoundTrip) {
  std::string s;
  const std::vector<uint64_t> values = {
      0, 1, 255, 256, 0xffffffffull, 0x100000000ull, std::numeric_limits<uint64_t>::max()};
  for (uint64_t v : values) {
    PutFixed32(&s, static_cast<uint32_t>(v));
    PutFixed64(&s, v);
  }
  std::string_view in(s);
  for (uint64_t v : values) {
    uint32_t v32;
    uint64_t v64;
    ASSERT_TRUE(GetFixed32(&in, &v32));
    ASSERT_TRUE(GetFixed64(&in, &v64));
    EXPECT_EQ(v32, static_cast<uint32_t>(v));
    EXPECT_EQ(v64, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, FixedDecodersRejectShortInputWithoutConsuming) {
  std::string s = "abc";
  std::string_view in(s);
  uint32_t v32 = 7;
  EXPECT_FALSE(GetFixed32(&in, &v32));
  EXPECT_EQ(in.size(), 3u);
  EXPECT_EQ(v32, 7u);
  s = "1234567";
  in = s;
  uint64_t v64 = 7;
  EXPECT_FALSE(GetFixed64(&in, &v64));
  EXPECT_EQ(in.size(), 7u);
}

TEST(CodingTest, VarintRoundTripAndLengths) {
  std::vector<uint64_t> values;
  for (int shift = 0; shift < 64; ++shift) {
    const uint64_t p = uint64_t{1} << shift;
    values.push_back(p - 1);
    values.push_back(p);
    values.push_back(p + 1);
  }
  values.push_back(std::numeric_limits<uint64_t>::max());
  std::string s;
  for (uint64_t v : values) PutVarint64(&s, v);
  std::string_view in(s);
  for (uint64_t v : values) {
    uint64_t got = 0;
    ASSERT_TRUE(GetVarint64(&in, &got)) << v;
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());

  const std::pair<uint64_t, size_t> lengths[] = {
      {0, 1},     {127, 1},   {128, 2},
      {16383, 2}, {16384, 3}, {std::numeric_limits<uint64_t>::max(), 10}};
  for (const auto& [v, len] : lengths) {
    std::string enc;
    PutVarint64(&enc, v);
    EXPECT_EQ(enc.size(), len) << v;
  }
  std::string enc;
  PutVarint64(&enc, 300);
  EXPECT_EQ(enc, "\xac\x02");
}

TEST(CodingTest, VarintRejectsEveryTruncation) {
  std::string enc;
  PutVarint64(&enc, std::numeric_limits<uint64_t>::max());
  for (size_t n = 0; n < enc.size(); ++n) {
    std::string_view in(enc.data(), n);
    uint64_t v = 0;
    EXPECT_FALSE(GetVarint64(&in, &v)) << n;
  }
}

TEST(CodingTest, VarintRejectsOverflow) {
  // Ten bytes whose last one carries more than the 64th bit.
  std::string too_big(9, '\xff');
  too_big += '\x02';
  std::string_view in(too_big);
  uint64_t v = 0;
  EXPECT_FALSE(GetVarint64(&in, &v));
  // Eleven bytes: continuation past the tenth.
  std::string too_long(10, '\x80');
  too_long += '\x00';
  in = too_long;
  EXPECT_FALSE(GetVarint64(&in, &v));
}

TEST(CodingTest, LengthPrefixedRoundTripAndTruncation) {
  std::string s;
  PutLengthPrefixed(&s, "");
  PutLengthPrefixed(&s, "hello");
  PutLengthPrefixed(&s, std::string(300, 'x'));
  std::string_view in(s);
  std::string_view out;
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(out, "");
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(out, "hello");
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(out, std::string(300, 'x'));
  EXPECT_TRUE(in.empty());

  std::string cut;
  PutLengthPrefixed(&cut, "hello");
  cut.pop_back();
  in = cut;
  EXPECT_FALSE(GetLengthPrefixed(&in, &out));
}

TEST(CodingTest, ZigZag) {
  const std::pair<int64_t, uint64_t> table[] = {
      {0, 0},
      {-1, 1},
      {1, 2},
      {-2, 3},
      {2, 4},
      {std::numeric_limits<int64_t>::max(), std::numeric_limits<uint64_t>::max() - 1},
      {std::numeric_limits<int64_t>::min(), std::numeric_limits<uint64_t>::max()}};
  for (const auto& [v, z] : table) {
    EXPECT_EQ(ZigZagEncode(v), z) << v;
    EXPECT_EQ(ZigZagDecode(z), v) << z;
  }
  for (int64_t v = -1000; v <= 1000; ++v) EXPECT_EQ(ZigZagDecode(ZigZagEncode(v)), v);
}

}  // namespace
}  // namespace strata
