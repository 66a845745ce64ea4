// Golden bytes (STYLE §7): the encoded form of a small fixed input per codec, pinned so that a
// format change is deliberate. Changing an expectation here means bumping the version in
// docs/format/codecs.md.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/codec/codec.h"

namespace strata::engine::codec {
namespace {

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (const char c : bytes) {
    if (!hex.empty()) hex += ' ';
    hex += kDigits[static_cast<uint8_t>(c) >> 4];
    hex += kDigits[static_cast<uint8_t>(c) & 15];
  }
  return hex;
}

template <typename Fn>
std::string Encoded(Fn fn) {
  std::string out;
  fn(&out);
  return Hex(out);
}

TEST(CodecGoldenTest, DeltaOfDelta) {
  const std::vector<int64_t> v = {1000, 1010, 1020, 1031, 1041};
  EXPECT_EQ(Encoded([&](std::string* o) { EncodeTimestamps(v, o); }), "01 d0 0f 14 01 01 02 09");
}

TEST(CodecGoldenTest, RunLengthDelta) {
  const std::vector<int64_t> v = {500, 500, 500, 700, 700, 701};
  EXPECT_EQ(Encoded([&](std::string* o) { EncodeSystemTimes(v, o); }),
            "02 03 e8 07 02 08 c7 00 00 02 06");
}

TEST(CodecGoldenTest, DecimalFloat) {
  const std::vector<double> v = {12.5, 12.75, 13.0, 12.25};
  EXPECT_EQ(Encoded([&](std::string* o) { EncodeFloats(v, o); }), "03 02 00 19 62 02 39");
}

TEST(CodecGoldenTest, DecimalFloatHuffmanDeltas) {
  // The integers of the DeltaZigZagHuffmanDeltas example, divided by 100.
  const std::vector<double> v = {1.0,  1.0,  1.01, 1.01, 1.0, 1.01, 1.01,
                                 1.01, 6.01, 6.01, 6.0,  6.0, 6.01};
  EXPECT_EQ(Encoded([&](std::string* o) { EncodeFloats(v, o); }),
            "03 02 02 01 c8 01 00 03 0a 31 32 02 b2 00 5e be 09");
}

TEST(CodecGoldenTest, XorFloat) {
  const std::vector<double> v = {1.0, 1.0, 1.5, -2.0, 0.1 + 0.2};
  EXPECT_EQ(Encoded([&](std::string* o) { EncodeFloats(v, o); }),
            "04 00 00 00 00 00 00 f0 3f a4 60 68 fe bf 34 33 33 33 33 33 d3 ff");
}

TEST(CodecGoldenTest, DeltaZigZag) {
  const std::vector<int64_t> v = {-3, 4, 4, 100, -100};
  EXPECT_EQ(Encoded([&](std::string* o) { EncodeInts(v, o); }), "05 00 01 c7 01 08 61 68 68 c8 00");
}

TEST(CodecGoldenTest, DeltaZigZagHuffmanDeltas) {
  // Small steps and one jump: integer-sequence mode 2 (split-Huffman deltas), read byte by
  // byte in docs/format/codecs.md "Examples".
  const std::vector<int64_t> v = {100, 100, 101, 101, 100, 101, 101, 101, 601, 601, 600, 600, 601};
  EXPECT_EQ(Encoded([&](std::string* o) { EncodeInts(v, o); }),
            "05 02 01 c8 01 00 03 0a 31 32 02 b2 00 5e be 09");
}

TEST(CodecGoldenTest, Bitmap) {
  const std::vector<uint8_t> mixed = {1, 0, 1, 1, 0, 0, 0, 0, 1, 1};
  EXPECT_EQ(Encoded([&](std::string* o) { EncodeBools(mixed, o); }), "06 02 0d 03");
  const std::vector<uint8_t> ones(10, 1);
  EXPECT_EQ(Encoded([&](std::string* o) { EncodeBools(ones, o); }), "06 01");
}

TEST(CodecGoldenTest, Dictionary) {
  const std::vector<std::string_view> v = {"ok", "warn", "ok", "", "ok"};
  EXPECT_EQ(Encoded([&](std::string* o) { EncodeStrings(v, o); }),
            "07 03 02 6f 6b 04 77 61 72 6e 00 84 00");
}

}  // namespace
}  // namespace strata::engine::codec
