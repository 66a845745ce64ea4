#pragma once

// The split-Huffman layout of a sequence of unsigned integers, used for the zigzag deltas of
// integer-sequence mode 2 (int_delta_zigzag.h). Each value z is cut into its low k bits, packed
// at a fixed width (they are close to uniform), and its high part z >> k, a small number with a
// skewed distribution for the near-Gaussian deltas of real series, which a canonical Huffman
// code (huffman.h) stored in the header codes in about its entropy. High parts of S or more
// are an escape symbol followed by raw bits, so outliers cost only their own bits. The high
// parts of the first and second half of the sequence go to two bit streams, so a decoder runs
// two independent table-lookup chains at once (about 1.3x the speed of one stream).
// Format: docs/format/codecs.md v2, "Split-Huffman sequence".
// Thread-safety: pure functions, thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "engine/codec/codec.h"
#include "engine/codec/codec_internal.h"
#include "util/status.h"

namespace strata::engine::codec {

// Largest S (direct high-part symbols 0..S-1; the escape is symbol S). Persisted.
inline constexpr int kSplitHuffmanMaxDirect = 64;

// How EncodeSplitHuffman codes one sequence.
struct SplitHuffmanPlan {
  int low_bits = 0;        // k, [0, 63]
  int direct_symbols = 0;  // S, [1, kSplitHuffmanMaxDirect]
  int escape_bits = 0;     // raw bits after an escape: width of the largest high part - S
  // Code lengths of the symbols 0..S (S = escape); the rest are 0.
  std::array<uint8_t, kSplitHuffmanMaxDirect + 1> lengths{};
  uint64_t code_bits = 0;                // both Huffman streams, without padding
  std::array<size_t, 2> stream_bytes{};  // the two Huffman streams
  size_t encoded_bytes = 0;              // exactly what EncodeSplitHuffman appends
};

// The smallest plan over the k worth trying (from 6 below the values' median bit width up to
// below the width of all but about one in a thousand of them; two symbol counts S each), or
// nullopt when no k gives two or more symbols (fewer than two values, or all 0: fixed-width
// packing is as good).
std::optional<SplitHuffmanPlan> PlanSplitHuffman(std::span<const uint64_t> values);

// A plan with low_bits == k (0..63) and every high part below 64 direct; nullopt if that
// leaves fewer than two symbols. Lets tests reach every k.
std::optional<SplitHuffmanPlan> PlanSplitHuffmanWithLowBits(std::span<const uint64_t> values,
                                                            int k);

// Appends `values` in the layout, exactly plan.encoded_bytes bytes. `plan` must come from
// PlanSplitHuffman* for these values.
void EncodeSplitHuffman(std::span<const uint64_t> values, const SplitHuffmanPlan& plan,
                        std::string* out);

// Reads out.size() values written by EncodeSplitHuffman, consuming exactly its bytes.
// Corruption naming `id` on truncation, out-of-range header fields, code lengths that do not
// form a complete prefix code, a first stream whose length disagrees with its symbols, or set
// padding bits. Never reads outside `in`.
Status DecodeSplitHuffman(CodecId id, ByteReader* in, std::span<uint64_t> out);

}  // namespace strata::engine::codec
