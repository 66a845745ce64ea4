// Damaged columns (STYLE §7 "Corruption tables"): truncations, trailing bytes, wrong counts and
// random byte flips must give Corruption or an in-bounds decode of `count` values — never a
// crash or an out-of-bounds read (ASan builds check the latter).

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/codec/codec.h"
#include "engine/codec/xor_float.h"
#include "tests/engine/codec/codec_test_data.h"

namespace strata::engine::codec {
namespace {

// A valid column and a decoder that also checks the decoded size on success.
struct Case {
  std::string name;
  std::string encoded;
  size_t count;
  std::function<Status(std::string_view, size_t)> decode;
};

template <typename T, typename DecodeFn>
std::function<Status(std::string_view, size_t)> Checked(DecodeFn fn) {
  return [fn](std::string_view in, size_t count) -> Status {
    std::vector<T> out(5);  // stale contents: decoders clear first
    Status s = fn(in, count, &out);
    if (s.ok() && out.size() != count) return Status::Internal("decoded the wrong count");
    if (!s.ok() && !out.empty()) return Status::Internal("failed decode left values behind");
    if (!s.ok() && !s.IsCorruption()) return Status::Internal("not Corruption: " + s.ToString());
    return s;
  };
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  std::mt19937_64 rng(99);
  auto ints = [&](const std::string& name, std::vector<int64_t> v) {
    std::string a, b, c;
    EncodeTimestamps(v, &a);
    EncodeSystemTimes(v, &b);
    EncodeInts(v, &c);
    cases.push_back({"dod_" + name, a, v.size(), Checked<int64_t>(DecodeTimestamps)});
    cases.push_back({"rle_" + name, b, v.size(), Checked<int64_t>(DecodeSystemTimes)});
    cases.push_back({"dz_" + name, c, v.size(), Checked<int64_t>(DecodeInts)});
  };
  std::vector<int64_t> jitter(300);
  int64_t t = 1767225600000000000;
  for (auto& v : jitter) v = (t += 10000000000 + static_cast<int64_t>(rng() % 1000));
  ints("jitter", jitter);
  std::vector<int64_t> batches(300);
  for (size_t i = 0; i < batches.size(); ++i) batches[i] = 1000 + static_cast<int64_t>(i / 37);
  ints("batches", batches);
  ints("one", {77});
  ints("extremes", {INT64_MIN, INT64_MAX, 0, INT64_MIN});

  auto floats = [&](const std::string& name, std::vector<double> v, bool force_xor) {
    std::string e;
    if (force_xor) {
      EncodeXorFloat(v, &e);
    } else {
      EncodeFloats(v, &e);
    }
    cases.push_back({name, e, v.size(), Checked<double>(DecodeFloats)});
  };
  std::vector<double> walk(300);
  for (size_t i = 0; i < walk.size(); ++i) walk[i] = static_cast<double>(i % 17) * 0.25 + 3;
  floats("decimal_walk", walk, false);
  // Integer-sequence mode 2 (split-Huffman deltas): a two-decimal random walk, and integers
  // with outliers that take escapes.
  std::normal_distribution<double> step(0.0, 1.0);
  std::vector<double> gauss_walk(600);
  std::vector<int64_t> int_walk(600);
  double x = 50;
  for (size_t i = 0; i < gauss_walk.size(); ++i) {
    x += step(rng);
    gauss_walk[i] = std::round(x * 100) / 100;
    int_walk[i] = std::llround(x * 100) + (i % 97 == 0 ? int64_t{1} << 40 : 0);
  }
  floats("decimal_huffman_walk", gauss_walk, false);
  std::string huffman_ints;
  EncodeInts(int_walk, &huffman_ints);
  cases.push_back(
      {"dz_huffman_escapes", huffman_ints, int_walk.size(), Checked<int64_t>(DecodeInts)});
  floats("xor_walk", walk, true);
  for (const auto& [name, v] : testing::FloatShapes()) {
    if (name == "specials" || name == "random_bit_patterns") floats("xor_" + name, v, true);
  }

  std::vector<uint8_t> bits(300);
  for (auto& b : bits) b = static_cast<uint8_t>(rng() & 1);
  std::string bm, bm_const;
  EncodeBools(bits, &bm);
  EncodeBools(std::vector<uint8_t>(300, 1), &bm_const);
  cases.push_back({"bitmap_random", bm, bits.size(), Checked<uint8_t>(DecodeBools)});
  cases.push_back({"bitmap_all_true", bm_const, 300, Checked<uint8_t>(DecodeBools)});

  const std::vector<std::string> strings = {"alpha", "beta", "", "alpha", "gamma", "beta", "z"};
  std::string dict;
  EncodeStrings(testing::StringViews(strings), &dict);
  cases.push_back({"dictionary", dict, strings.size(), Checked<std::string_view>(DecodeStrings)});
  return cases;
}

TEST(CodecCorruptionTest, ValidCasesDecode) {
  for (const Case& c : Cases()) {
    EXPECT_TRUE(c.decode(c.encoded, c.count).ok()) << c.name;
    if (c.name.find("huffman") != std::string::npos) {  // they do test mode 2
      const size_t mode_byte = c.encoded[0] == static_cast<char>(CodecId::kDecimalFloat) ? 2 : 1;
      EXPECT_EQ(c.encoded[mode_byte], 2) << c.name;
    }
  }
}

TEST(CodecCorruptionTest, EveryTruncationIsCorruption) {
  for (const Case& c : Cases()) {
    for (size_t len = 0; len < c.encoded.size(); ++len) {
      // A copy of exactly `len` bytes, so ASan sees any read past the truncation.
      const std::string truncated = c.encoded.substr(0, len);
      const Status s = c.decode(truncated, c.count);
      EXPECT_TRUE(s.IsCorruption()) << c.name << " len " << len << ": " << s.ToString();
    }
  }
}

TEST(CodecCorruptionTest, TrailingBytesAreCorruption) {
  for (const Case& c : Cases()) {
    for (const char extra : {'\0', '\x01', '\xff'}) {
      const Status s = c.decode(c.encoded + extra, c.count);
      EXPECT_TRUE(s.IsCorruption()) << c.name << ": " << s.ToString();
    }
  }
}

TEST(CodecCorruptionTest, WrongCountsNeverReadOutOfBounds) {
  for (const Case& c : Cases()) {
    for (const size_t count :
         {size_t{0}, c.count / 2, c.count + 1, c.count + 64, kMaxBlockPoints}) {
      const Status s = c.decode(c.encoded, count);
      EXPECT_TRUE(s.ok() || s.IsCorruption())
          << c.name << " count " << count << ": " << s.ToString();
    }
  }
}

TEST(CodecCorruptionTest, RandomByteFlipsNeverCrash) {
  std::mt19937_64 rng(2024);
  size_t detected = 0;
  size_t trials = 0;
  for (const Case& c : Cases()) {
    for (int trial = 0; trial < 300; ++trial) {
      std::string damaged = c.encoded;
      const int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) {
        const size_t pos = rng() % damaged.size();
        damaged[pos] = static_cast<char>(damaged[pos] ^ static_cast<char>(1 + rng() % 255));
      }
      const Status s = c.decode(damaged, c.count);
      EXPECT_TRUE(s.ok() || s.IsCorruption()) << c.name << ": " << s.ToString();
      detected += s.IsCorruption() ? 1 : 0;
      ++trials;
    }
  }
  // Informational: most codecs carry no redundancy, so many flips decode to wrong values;
  // the block checksum (DESIGN §4) is what detects them.
  std::printf("byte flips detected by the codecs alone: %zu of %zu\n", detected, trials);
}

TEST(CodecCorruptionTest, ImpossibleFieldsAreCorruption) {
  std::vector<int64_t> i64;
  std::vector<double> f64;
  std::vector<uint8_t> flags;
  std::vector<std::string_view> strs;
  // Miniblock width 65.
  EXPECT_TRUE(DecodeInts(std::string("\x05\x00\x00\x41", 4), 1, &i64).IsCorruption());
  // Unknown int-sequence mode.
  EXPECT_TRUE(DecodeInts(std::string("\x05\x07\x00\x00", 4), 1, &i64).IsCorruption());
  // Run count 0 and run count above count.
  EXPECT_TRUE(DecodeSystemTimes(std::string("\x02\x00\x00\x00\x00", 5), 1, &i64).IsCorruption());
  EXPECT_TRUE(DecodeSystemTimes(std::string("\x02\x05\x00", 3), 2, &i64).IsCorruption());
  // Unknown bitmap mode.
  EXPECT_TRUE(DecodeBools(std::string("\x06\x03", 2), 4, &flags).IsCorruption());
  // Dictionary: zero entries, more entries than values, index beyond the dictionary.
  EXPECT_TRUE(DecodeStrings(std::string("\x07\x00", 2), 1, &strs).IsCorruption());
  EXPECT_TRUE(DecodeStrings(std::string("\x07\x03\x00\x00\x00", 5), 2, &strs).IsCorruption());
  EXPECT_TRUE(DecodeStrings(std::string("\x07\x03\x00\x00\x00\x03", 6), 3, &strs).IsCorruption());
  // Dictionary entry longer than the input.
  EXPECT_TRUE(DecodeStrings(std::string("\x07\x01\x7f"
                                        "ab",
                                        5),
                            1, &strs)
                  .IsCorruption());
  // Split-Huffman deltas (integer-sequence mode 2), from the golden column of 100, 100, 101,
  // 101, 100, 101, 101, 101, 601, 601, 600, 600, 601: [05][02][divisor 01][v0 c8 01]
  // [k 00][S 03][escape bits 0a][lengths 31 32][first stream bytes 02][b2 00][5e be 09].
  const std::string good("\x05\x02\x01\xc8\x01\x00\x03\x0a\x31\x32\x02\xb2\x00\x5e\xbe\x09", 16);
  ASSERT_TRUE(DecodeInts(good, 13, &i64).ok());
  EXPECT_EQ(
      i64, (std::vector<int64_t>{100, 100, 101, 101, 100, 101, 101, 101, 601, 601, 600, 600, 601}));
  const auto with = [&](size_t pos, char byte) {
    std::string bad = good;
    bad[pos] = byte;
    return bad;
  };
  const std::pair<std::string, std::string> huffman_damage[] = {
      {"k 64", with(5, '\x40')},
      {"no direct symbols", with(6, '\x00')},
      {"65 direct symbols", with(6, '\x41')},
      {"escape width 65", with(7, '\x41')},
      {"incomplete code", with(8, '\x33')},
      {"oversubscribed code", with(8, '\x11')},
      {"code length 12", with(8, '\xc1')},
      {"odd length count, nonzero padding nibble", with(6, '\x02')},
      {"first stream one byte short", with(10, '\x01')},
      {"first stream one byte long", with(10, '\x03')},
      {"first stream beyond the column", with(10, '\x7f')},
      {"first stream padding", with(12, '\x04')},
      {"second stream padding", with(15, '\x29')},
  };
  for (const auto& [what, bad] : huffman_damage) {
    const Status s = DecodeInts(bad, 13, &i64);
    EXPECT_TRUE(s.IsCorruption()) << what << ": " << s.ToString();
  }
  EXPECT_TRUE(DecodeInts(good.substr(0, 15), 13, &i64).IsCorruption());  // second stream short
  EXPECT_TRUE(DecodeInts(good + '\0', 13, &i64).IsCorruption());
  EXPECT_TRUE(DecodeInts(good, 12, &i64).IsCorruption());  // codes left over
  // A few more values can decode from the padding bits (symbol 0 has code 0); many cannot.
  EXPECT_TRUE(DecodeInts(good, 40, &i64).IsCorruption());
  // Unknown integer-sequence mode 3.
  EXPECT_TRUE(DecodeInts(with(1, '\x03'), 13, &i64).IsCorruption());

  // XOR: a "same leading zeros" entry before any leading zeros were written.
  std::string xor_col(1, '\x04');
  xor_col.append(8, '\0');
  xor_col.push_back('\x02');
  EXPECT_TRUE(DecodeFloats(xor_col, 2, &f64).IsCorruption());
}

}  // namespace
}  // namespace strata::engine::codec
