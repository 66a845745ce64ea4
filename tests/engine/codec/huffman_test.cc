// Canonical length-limited Huffman codes (engine/codec/huffman.h): the lengths form complete
// prefix codes within the limit, canonical codes decode through the table, and malformed
// length sets are refused.

#include "engine/codec/huffman.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "engine/codec/bit_stream.h"

namespace strata::engine::codec {
namespace {

std::vector<uint8_t> Lengths(const std::vector<uint32_t>& freq) {
  std::vector<uint8_t> lengths(freq.size());
  EXPECT_TRUE(BuildHuffmanLengths(freq, lengths));
  return lengths;
}

// Encodes `symbols` with the code and decodes them through the table.
void ExpectCodeRoundTrips(const std::vector<uint8_t>& lengths, const std::vector<int>& symbols) {
  std::vector<uint16_t> codes(lengths.size());
  CanonicalHuffmanCodes(lengths, codes);
  std::string stream;
  BitWriter writer(&stream);
  for (const int s : symbols) {
    writer.Write(codes[static_cast<size_t>(s)], lengths[static_cast<size_t>(s)]);
  }
  writer.Finish();
  stream.append(8, '\0');  // lookups peek past the last code
  HuffmanDecodeTable table;
  ASSERT_TRUE(table.Init(lengths));
  // Peeks kMaxHuffmanCodeLength bits at a bit position, one bit at a time.
  size_t pos = 0;
  for (size_t i = 0; i < symbols.size(); ++i) {
    uint64_t bits = 0;
    for (int b = 0; b < kMaxHuffmanCodeLength; ++b) {
      const size_t bit = pos + static_cast<size_t>(b);
      bits |= static_cast<uint64_t>((static_cast<uint8_t>(stream[bit / 8]) >> (bit % 8)) & 1) << b;
    }
    const uint16_t entry = table.Lookup(bits);
    ASSERT_EQ(HuffmanDecodeTable::Symbol(entry), symbols[i]) << i;
    ASSERT_EQ(HuffmanDecodeTable::Length(entry), lengths[static_cast<size_t>(symbols[i])]);
    pos += static_cast<size_t>(HuffmanDecodeTable::Length(entry));
  }
}

TEST(HuffmanTest, LengthsFormACompleteCodeWithinTheLimit) {
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 500; ++trial) {
    const size_t n = 2 + rng() % (kMaxHuffmanSymbols - 1);
    std::vector<uint32_t> freq(n);
    for (auto& f : freq) f = rng() % 3 == 0 ? 0 : static_cast<uint32_t>(1 + rng() % 5000);
    freq[0] = 1;
    freq[n - 1] = 7;  // at least two used symbols
    const std::vector<uint8_t> lengths = Lengths(freq);
    ASSERT_TRUE(IsCompleteHuffmanCode(lengths)) << trial;
    for (size_t s = 0; s < n; ++s) {
      EXPECT_EQ(lengths[s] == 0, freq[s] == 0) << s;
      EXPECT_LE(lengths[s], kMaxHuffmanCodeLength);
      for (size_t t = 0; t < n; ++t) {
        // A more frequent symbol never gets a longer code.
        if (freq[s] > freq[t] && freq[t] > 0) {
          EXPECT_LE(lengths[s], lengths[t]);
        }
      }
    }
  }
}

TEST(HuffmanTest, UnlimitedLengthsMatchTheEntropyBound) {
  // Dyadic frequencies have an exact Huffman code: lengths 1, 2, 3, 4, 4.
  const std::vector<uint32_t> freq = {8, 4, 2, 1, 1};
  EXPECT_EQ(Lengths(freq), (std::vector<uint8_t>{1, 2, 3, 4, 4}));
  EXPECT_EQ(HuffmanCostBits(freq, Lengths(freq)), 8 * 1 + 4 * 2 + 2 * 3 + 4 + 4);
}

TEST(HuffmanTest, SkewedFrequenciesAreLimitedToElevenBits) {
  // Fibonacci frequencies make an unlimited Huffman code as deep as the alphabet is long.
  std::vector<uint32_t> freq = {1, 1};
  while (freq.size() < 30) freq.push_back(freq[freq.size() - 1] + freq[freq.size() - 2]);
  const std::vector<uint8_t> lengths = Lengths(freq);
  EXPECT_TRUE(IsCompleteHuffmanCode(lengths));
  EXPECT_EQ(*std::max_element(lengths.begin(), lengths.end()), kMaxHuffmanCodeLength);
  std::vector<int> symbols;
  for (int s = 0; s < 30; ++s) symbols.push_back(s);
  ExpectCodeRoundTrips(lengths, symbols);
}

TEST(HuffmanTest, FewerThanTwoSymbolsHaveNoCode) {
  std::vector<uint8_t> lengths(3, 9);
  EXPECT_FALSE(BuildHuffmanLengths(std::vector<uint32_t>{0, 0, 0}, lengths));
  EXPECT_EQ(lengths, (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_FALSE(BuildHuffmanLengths(std::vector<uint32_t>{0, 5, 0}, lengths));
  EXPECT_TRUE(BuildHuffmanLengths(std::vector<uint32_t>{0, 5, 1}, lengths));
  EXPECT_EQ(lengths, (std::vector<uint8_t>{0, 1, 1}));
}

TEST(HuffmanTest, CanonicalCodesDecodeThroughTheTable) {
  std::mt19937_64 rng(2);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<uint32_t> freq(1 + rng() % kMaxHuffmanSymbols);
    for (auto& f : freq) f = static_cast<uint32_t>(rng() % 1000);
    freq.push_back(1);
    freq.push_back(2);
    const std::vector<uint8_t> lengths = Lengths(freq);
    std::vector<int> symbols;
    for (int i = 0; i < 2000; ++i) {
      const auto s = static_cast<int>(rng() % freq.size());
      if (freq[static_cast<size_t>(s)] > 0) symbols.push_back(s);
    }
    ExpectCodeRoundTrips(lengths, symbols);
  }
}

TEST(HuffmanTest, RfcCanonicalAssignment) {
  // RFC 1951 §3.2.2's example: lengths (3, 3, 3, 3, 3, 2, 4, 4) give codes 010, 011, 100, 101,
  // 110, 00, 1110, 1111 (most significant bit first); ours hold them bit-reversed.
  const std::vector<uint8_t> lengths = {3, 3, 3, 3, 3, 2, 4, 4};
  std::vector<uint16_t> codes(lengths.size());
  CanonicalHuffmanCodes(lengths, codes);
  EXPECT_EQ(codes,
            (std::vector<uint16_t>{0b010, 0b110, 0b001, 0b101, 0b011, 0b00, 0b0111, 0b1111}));
}

TEST(HuffmanTest, MalformedLengthsAreRefused) {
  HuffmanDecodeTable table;
  EXPECT_FALSE(table.Init(std::vector<uint8_t>{}));
  EXPECT_FALSE(table.Init(std::vector<uint8_t>{1}));        // one symbol: incomplete
  EXPECT_FALSE(table.Init(std::vector<uint8_t>{1, 2}));     // incomplete
  EXPECT_FALSE(table.Init(std::vector<uint8_t>{1, 1, 1}));  // oversubscribed
  EXPECT_FALSE(table.Init(std::vector<uint8_t>{1, 2, 3, 3, 1}));
  std::vector<uint8_t> deep = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12};  // complete, too long
  EXPECT_FALSE(IsCompleteHuffmanCode(deep));
  EXPECT_FALSE(table.Init(deep));
  EXPECT_FALSE(table.Init(std::vector<uint8_t>(kMaxHuffmanSymbols + 1, 7)));
  EXPECT_TRUE(table.Init(std::vector<uint8_t>{1, 0, 2, 0, 2}));
  EXPECT_TRUE(table.Init(std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11}));
}

}  // namespace
}  // namespace strata::engine::codec
