// The codec x data-shape matrix (STYLE §7 "Codecs"): every codec round-trips every shape
// bit-exactly and tags its output with the expected CodecId.

#include <gtest/gtest.h>

#include <bit>
#include <string>
#include <vector>

#include "engine/codec/codec.h"
#include "engine/codec/decimal_float.h"
#include "engine/codec/xor_float.h"
#include "tests/engine/codec/codec_test_data.h"

namespace strata::engine::codec {
namespace {

using testing::NamedInputs;

// One column kind of the matrix: its value type, inputs, encoder, decoder and expected ids.
struct Timestamps {
  using T = int64_t;
  static NamedInputs<T> Inputs() { return testing::IntShapes(); }
  static void Encode(const std::vector<T>& v, std::string* out) { EncodeTimestamps(v, out); }
  static Status Decode(std::string_view in, size_t n, std::vector<T>* out) {
    return DecodeTimestamps(in, n, out);
  }
  static bool Accepts(CodecId id) { return id == CodecId::kDeltaOfDelta; }
};

struct SystemTimes {
  using T = int64_t;
  static NamedInputs<T> Inputs() { return testing::IntShapes(); }
  static void Encode(const std::vector<T>& v, std::string* out) { EncodeSystemTimes(v, out); }
  static Status Decode(std::string_view in, size_t n, std::vector<T>* out) {
    return DecodeSystemTimes(in, n, out);
  }
  static bool Accepts(CodecId id) { return id == CodecId::kRunLengthDelta; }
};

struct Ints {
  using T = int64_t;
  static NamedInputs<T> Inputs() { return testing::IntShapes(); }
  static void Encode(const std::vector<T>& v, std::string* out) { EncodeInts(v, out); }
  static Status Decode(std::string_view in, size_t n, std::vector<T>* out) {
    return DecodeInts(in, n, out);
  }
  static bool Accepts(CodecId id) { return id == CodecId::kDeltaZigZag; }
};

struct Uints {
  using T = uint64_t;
  static NamedInputs<T> Inputs() { return testing::UintShapes(); }
  static void Encode(const std::vector<T>& v, std::string* out) { EncodeUints(v, out); }
  static Status Decode(std::string_view in, size_t n, std::vector<T>* out) {
    return DecodeUints(in, n, out);
  }
  static bool Accepts(CodecId id) { return id == CodecId::kDeltaZigZag; }
};

struct Floats {
  using T = double;
  static NamedInputs<T> Inputs() { return testing::FloatShapes(); }
  static void Encode(const std::vector<T>& v, std::string* out) { EncodeFloats(v, out); }
  static Status Decode(std::string_view in, size_t n, std::vector<T>* out) {
    return DecodeFloats(in, n, out);
  }
  static bool Accepts(CodecId id) {
    return id == CodecId::kDecimalFloat || id == CodecId::kXorFloat;
  }
};

// The XOR codec forced on every shape, including those the decimal codec would take.
struct XorFloats {
  using T = double;
  static NamedInputs<T> Inputs() { return testing::FloatShapes(); }
  static void Encode(const std::vector<T>& v, std::string* out) { EncodeXorFloat(v, out); }
  static Status Decode(std::string_view in, size_t n, std::vector<T>* out) {
    return DecodeFloats(in, n, out);
  }
  static bool Accepts(CodecId id) { return id == CodecId::kXorFloat; }
};

struct Bools {
  using T = uint8_t;
  static NamedInputs<T> Inputs() { return testing::BoolShapes(); }
  static void Encode(const std::vector<T>& v, std::string* out) { EncodeBools(v, out); }
  static Status Decode(std::string_view in, size_t n, std::vector<T>* out) {
    return DecodeBools(in, n, out);
  }
  static bool Accepts(CodecId id) { return id == CodecId::kBitmap; }
};

// Bit patterns, so NaN payloads and -0.0 compare exactly.
template <typename T>
std::vector<uint64_t> Bits(const std::vector<T>& v) {
  std::vector<uint64_t> bits;
  for (const T x : v) {
    if constexpr (std::is_same_v<T, double>) {
      bits.push_back(std::bit_cast<uint64_t>(x));
    } else {
      bits.push_back(static_cast<uint64_t>(x));
    }
  }
  return bits;
}

template <typename Kind>
class CodecRoundTripTest : public ::testing::Test {};

using Kinds = ::testing::Types<Timestamps, SystemTimes, Ints, Uints, Floats, XorFloats, Bools>;
TYPED_TEST_SUITE(CodecRoundTripTest, Kinds);

TYPED_TEST(CodecRoundTripTest, EveryShapeRoundTripsBitExactly) {
  using T = typename TypeParam::T;
  for (const auto& [name, values] : TypeParam::Inputs()) {
    SCOPED_TRACE(name);
    std::string encoded = "prefix";  // Encode* appends
    TypeParam::Encode(values, &encoded);
    ASSERT_EQ(encoded.substr(0, 6), "prefix");
    const std::string_view column = std::string_view(encoded).substr(6);
    const Result<CodecId> id = PeekCodec(column);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_TRUE(TypeParam::Accepts(*id)) << CodecName(*id);
    std::vector<T> decoded(3);  // Decode* clears first
    const Status s = TypeParam::Decode(column, values.size(), &decoded);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(Bits(decoded), Bits(values));
  }
}

TYPED_TEST(CodecRoundTripTest, EmptyColumnIsOnlyTheCodecId) {
  std::string encoded;
  TypeParam::Encode({}, &encoded);
  EXPECT_EQ(encoded.size(), 1u);
}

TEST(CodecStringRoundTripTest, EveryShapeRoundTrips) {
  for (const auto& [name, strings] : testing::StringShapes()) {
    SCOPED_TRACE(name);
    const std::vector<std::string_view> values = testing::StringViews(strings);
    std::string encoded;
    EncodeStrings(values, &encoded);
    ASSERT_EQ(*PeekCodec(encoded), CodecId::kDictionary);
    std::vector<std::string_view> decoded;
    const Status s = DecodeStrings(encoded, values.size(), &decoded);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(decoded, values);
    for (const std::string_view v : decoded) {
      if (!v.empty()) {  // views point into the encoding
        EXPECT_GE(v.data(), encoded.data());
        EXPECT_LE(v.data() + v.size(), encoded.data() + encoded.size());
      }
    }
  }
}

TEST(CodecSizeTest, RegularTimestampsCostAlmostNothing) {
  std::vector<int64_t> ts(4096);
  for (size_t i = 0; i < ts.size(); ++i) {
    ts[i] = 1767225600000000000 + static_cast<int64_t>(i) * 10000000000;
  }
  std::string encoded;
  EncodeTimestamps(ts, &encoded);
  // First value and delta, then a 2-byte header per miniblock and no bits per point.
  EXPECT_LT(encoded.size(), 200u);
}

TEST(CodecSizeTest, OneBatchSystemTimeCostsAFewBytes) {
  std::string encoded;
  EncodeSystemTimes(std::vector<int64_t>(4096, 1767225600123456789), &encoded);
  EXPECT_LT(encoded.size(), 20u);
}

TEST(CodecSizeTest, UniformBoolsCostTwoBytes) {
  std::string encoded;
  EncodeBools(std::vector<uint8_t>(4096, 0), &encoded);
  EXPECT_EQ(encoded.size(), 2u);
  encoded.clear();
  EncodeBools(std::vector<uint8_t>(4096, 1), &encoded);
  EXPECT_EQ(encoded.size(), 2u);
}

TEST(CodecSizeTest, ConstantIntsCostAFewBytesPerMiniblock) {
  std::string encoded;
  EncodeInts(std::vector<int64_t>(4096, -7), &encoded);
  EXPECT_LT(encoded.size(), 4096u / 8);
}

TEST(CodecDispatchTest, Int64ColumnsAcceptEveryInt64Codec) {
  const std::vector<int64_t> values = {5, 5, 5, 9, 9, -3};
  std::string dod, rle, dz;
  EncodeTimestamps(values, &dod);
  EncodeSystemTimes(values, &rle);
  EncodeInts(values, &dz);
  for (const std::string* encoded : {&dod, &rle, &dz}) {
    std::vector<int64_t> a, b, c;
    ASSERT_TRUE(DecodeTimestamps(*encoded, values.size(), &a).ok());
    ASSERT_TRUE(DecodeSystemTimes(*encoded, values.size(), &b).ok());
    ASSERT_TRUE(DecodeInts(*encoded, values.size(), &c).ok());
    EXPECT_EQ(a, values);
    EXPECT_EQ(b, values);
    EXPECT_EQ(c, values);
  }
}

TEST(CodecDispatchTest, WrongColumnTypeIsCorruption) {
  std::string floats;
  EncodeFloats(std::vector<double>{1.5, 2.5}, &floats);
  std::vector<int64_t> ints;
  EXPECT_TRUE(DecodeInts(floats, 2, &ints).IsCorruption());
  std::string bools;
  EncodeBools(std::vector<uint8_t>{1, 0}, &bools);
  std::vector<double> doubles;
  EXPECT_TRUE(DecodeFloats(bools, 2, &doubles).IsCorruption());
  std::vector<std::string_view> strings;
  EXPECT_TRUE(DecodeStrings(bools, 2, &strings).IsCorruption());
  std::vector<uint8_t> flags;
  EXPECT_TRUE(DecodeBools(floats, 2, &flags).IsCorruption());
}

TEST(CodecDispatchTest, PeekCodecRejectsUnknownIds) {
  EXPECT_TRUE(PeekCodec("").status().IsCorruption());
  EXPECT_TRUE(PeekCodec(std::string(1, '\0')).status().IsCorruption());
  EXPECT_TRUE(PeekCodec("\x08").status().IsCorruption());
  EXPECT_EQ(*PeekCodec("\x07"), CodecId::kDictionary);
  EXPECT_EQ(CodecName(CodecId::kXorFloat), "xor-float");
}

TEST(CodecDispatchTest, CountAboveBlockLimitIsCorruption) {
  std::string encoded;
  EncodeInts(std::vector<int64_t>(10, 1), &encoded);
  std::vector<int64_t> out;
  EXPECT_TRUE(DecodeInts(encoded, kMaxBlockPoints + 1, &out).IsCorruption());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace strata::engine::codec
