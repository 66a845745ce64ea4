#pragma once

// Integer columns (CodecId::kDeltaZigZag) and the integer-sequence layout it shares with the
// decimal-float codec: frame-of-reference miniblocks of the values themselves, the first value
// plus miniblocks of the deltas, or the first value plus the zigzag deltas entropy-coded
// (split_huffman.h), whichever is smallest for the block.
// Format: docs/format/codecs.md v2, "Integer sequence" and "kDeltaZigZag".
// Thread-safety: pure functions, thread-safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/codec/codec.h"
#include "engine/codec/codec_internal.h"
#include "util/status.h"

namespace strata::engine::codec {

// Integer-sequence modes (persisted).
enum class IntSequenceMode : uint8_t {
  kValues = 0,  // miniblocks of value / divisor
  kDeltas = 1,  // zigzag varint first value, then miniblocks of the n-1 wrapping deltas / divisor
  kHuffmanDeltas = 2,  // zigzag varint first value, then split-Huffman zigzag(delta / divisor)
};

// Appends the sequence: nothing for an empty one, else [u8 mode][varint divisor][mode's body],
// the divisor being the common divisor of what the mode packs. The mode is the one with the
// fewest bytes, kDeltas winning ties with kValues, and kHuffmanDeltas used only when strictly
// smaller than both (so a sequence never grows against the v1 layout); with kFast effort
// kHuffmanDeltas is never tried.
void EncodeIntSequence(std::span<const int64_t> values, std::string* out,
                       EncodeEffort effort = EncodeEffort::kSmall);

// Reads out.size() values written by EncodeIntSequence; Corruption naming `id` if malformed.
Status DecodeIntSequence(CodecId id, ByteReader* in, std::span<int64_t> out);

// [kDeltaZigZag][int sequence]. int64 and (bit cast) uint64 columns.
void EncodeDeltaZigZag(std::span<const int64_t> values, std::string* out,
                       EncodeEffort effort = EncodeEffort::kSmall);
// Decodes exactly out.size() values from a whole column `in`, including its id byte.
Status DecodeDeltaZigZag(std::string_view in, std::span<int64_t> out);

}  // namespace strata::engine::codec
