#pragma once

// Canonical, length-limited Huffman codes over small alphabets: the entropy coder of the
// split-Huffman integer layout (split_huffman.h). A code is described by one length per symbol
// alone (0 = symbol unused); codes are assigned canonically as in DEFLATE (RFC 1951 §3.2.2) and
// written into LSB-first bit streams (bit_stream.h) first code bit first, so a decoder looks
// up the next kMaxHuffmanCodeLength stream bits in one table.
// Format: docs/format/codecs.md v2, "Huffman codes".
// Thread-safety: pure functions are thread-safe; HuffmanDecodeTable is immutable after Init.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace strata::engine::codec {

// Longest code. Persisted (readers reject longer ones); 11 keeps the decode table at 4 KiB and
// costs nothing measurable against unlimited lengths on the TSBS and NAB data.
inline constexpr int kMaxHuffmanCodeLength = 11;
// Largest alphabet the functions below accept.
inline constexpr size_t kMaxHuffmanSymbols = 65;

// Fills `lengths` (same size as `freq`, at most kMaxHuffmanSymbols) with a length-limited
// Huffman code for the frequencies: 0 for symbols of frequency 0, else 1..kMaxHuffmanCodeLength,
// and the lengths form a complete prefix code (Kraft sum exactly 1). Returns false, lengths
// all 0, when fewer than two symbols have a nonzero frequency (no complete code exists).
// Deterministic: equal frequencies are ordered by symbol.
bool BuildHuffmanLengths(std::span<const uint32_t> freq, std::span<uint8_t> lengths);

// Total bits of coding each symbol freq[s] times with lengths[s].
uint64_t HuffmanCostBits(std::span<const uint32_t> freq, std::span<const uint8_t> lengths);

// True if every length is at most kMaxHuffmanCodeLength and the nonzero ones form a complete
// prefix code (so at least two symbols are used).
bool IsCompleteHuffmanCode(std::span<const uint8_t> lengths);

// The canonical code of each symbol with its bits reversed, ready for BitWriter::Write(code,
// length). `lengths` must satisfy IsCompleteHuffmanCode; codes.size() == lengths.size().
void CanonicalHuffmanCodes(std::span<const uint8_t> lengths, std::span<uint16_t> codes);

// Lookup table of a complete code: the entry for the next kMaxHuffmanCodeLength stream bits
// (bit 0 = next stream bit) gives the symbol those bits start with and its code length.
class HuffmanDecodeTable {
 public:
  static constexpr uint64_t kIndexMask = (uint64_t{1} << kMaxHuffmanCodeLength) - 1;

  // Builds the table; false (table unusable) unless IsCompleteHuffmanCode(lengths) and
  // lengths.size() <= kMaxHuffmanSymbols.
  bool Init(std::span<const uint8_t> lengths);

  // Entry for the low kMaxHuffmanCodeLength bits of `bits`: code length in bits 0-7, symbol
  // in bits 8-15 (the length first: decoders need it on their critical path).
  uint16_t Lookup(uint64_t bits) const { return table_[bits & kIndexMask]; }
  static int Symbol(uint16_t entry) { return entry >> 8; }
  static int Length(uint16_t entry) { return entry & 0xff; }

 private:
  std::array<uint16_t, size_t{1} << kMaxHuffmanCodeLength> table_;
};

}  // namespace strata::engine::codec
