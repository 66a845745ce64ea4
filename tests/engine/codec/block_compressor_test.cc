#include "engine/codec/block_compressor.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace strata::engine::codec {
namespace {

constexpr Compression kAll[] = {Compression::kNone, Compression::kLz4, Compression::kZstd};

std::string SampleBlock() {
  std::mt19937_64 rng(5);
  std::string block;
  for (int i = 0; i < 5000; ++i) {
    block += "cpu usage_user=" + std::to_string(rng() % 100) + " ";
  }
  return block;
}

TEST(CodecBlockCompressorTest, RoundTripsAndAppends) {
  for (const Compression c : kAll) {
    SCOPED_TRACE(CompressionName(c));
    for (const std::string& raw :
         {std::string(), std::string("x"), SampleBlock(), std::string(100000, '\0')}) {
      std::string compressed = "head";
      ASSERT_TRUE(Compress(c, raw, &compressed).ok());
      ASSERT_EQ(compressed.substr(0, 4), "head");
      std::string out = "stale";
      const Status s = Decompress(c, std::string_view(compressed).substr(4), raw.size(), &out);
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(out, raw);
    }
  }
}

TEST(CodecBlockCompressorTest, CompressesRepetitiveBlocks) {
  const std::string raw = SampleBlock();
  for (const Compression c : {Compression::kLz4, Compression::kZstd}) {
    std::string compressed;
    ASSERT_TRUE(Compress(c, raw, &compressed).ok());
    EXPECT_LT(compressed.size(), raw.size() / 2) << CompressionName(c);
  }
}

TEST(CodecBlockCompressorTest, WrongRawSizeIsCorruption) {
  const std::string raw = SampleBlock();
  for (const Compression c : kAll) {
    SCOPED_TRACE(CompressionName(c));
    std::string compressed;
    ASSERT_TRUE(Compress(c, raw, &compressed).ok());
    std::string out;
    for (const size_t wrong : {size_t{0}, raw.size() - 1, raw.size() + 1, raw.size() * 1000}) {
      EXPECT_TRUE(Decompress(c, compressed, wrong, &out).IsCorruption()) << wrong;
    }
  }
}

TEST(CodecBlockCompressorTest, DamagedInputIsCorruptionOrDifferentBytes) {
  const std::string raw = SampleBlock();
  std::mt19937_64 rng(8);
  for (const Compression c : {Compression::kLz4, Compression::kZstd}) {
    SCOPED_TRACE(CompressionName(c));
    std::string compressed;
    ASSERT_TRUE(Compress(c, raw, &compressed).ok());
    for (size_t len = 0; len < compressed.size(); len += 1 + len / 8) {
      std::string out;
      EXPECT_TRUE(Decompress(c, compressed.substr(0, len), raw.size(), &out).IsCorruption())
          << "truncated to " << len;
    }
    for (int trial = 0; trial < 200; ++trial) {
      std::string damaged = compressed;
      const size_t pos = rng() % damaged.size();
      damaged[pos] = static_cast<char>(damaged[pos] ^ 0x5a);
      std::string out;
      const Status s = Decompress(c, damaged, raw.size(), &out);
      EXPECT_TRUE(s.ok() || s.IsCorruption()) << s.ToString();
      if (s.ok()) {
        EXPECT_EQ(out.size(), raw.size());  // the block checksum catches the rest
      }
    }
  }
}

TEST(CodecBlockCompressorTest, GarbageAndUnknownIdsAreRejected) {
  std::string out;
  EXPECT_TRUE(Decompress(Compression::kZstd, "not a zstd frame", 10, &out).IsCorruption());
  EXPECT_TRUE(Decompress(Compression::kLz4, "\xff\xff\xff", 10, &out).IsCorruption());
  EXPECT_TRUE(Decompress(static_cast<Compression>(9), "abc", 3, &out).IsCorruption());
  EXPECT_FALSE(Compress(static_cast<Compression>(9), "abc", &out).ok());
  EXPECT_EQ(CompressionName(Compression::kZstd), "zstd");
}

}  // namespace
}  // namespace strata::engine::codec
