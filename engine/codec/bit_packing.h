#pragma once

// Fixed-width bit packing and frame-of-reference miniblocks, the integer back end of the
// delta-of-delta, run-length, delta-zigzag and decimal-float codecs.
// Format: docs/format/codecs.md v2, "Packed runs" and "Miniblocks".
// Thread-safety: pure functions, thread-safe.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/codec/codec.h"
#include "engine/codec/codec_internal.h"
#include "util/status.h"

namespace strata::engine::codec {

// Values per miniblock (the last one of a sequence may be shorter). Persisted: changing it is a
// format change. Chosen by measurement on TSBS and NAB data (docs/format/codecs.md).
inline constexpr size_t kMiniblockValues = 64;

// Bits needed for v: 0 for 0, else floor(log2 v) + 1.
inline int BitWidth(uint64_t v) { return std::bit_width(v); }

// Bytes taken by n packed values of `width` bits.
inline size_t PackedBytes(size_t n, int width) { return (n * static_cast<size_t>(width) + 7) / 8; }

// Appends the low `width` bits of each value (each must be < 2^width), LSB-first, padded to a
// whole byte with zero bits: exactly PackedBytes(values.size(), width) bytes.
void PackBits(std::span<const uint64_t> values, int width, std::string* out);

// Inverse of PackBits: `in` must hold exactly PackedBytes(out.size(), width) bytes (checked by
// the caller). Returns false if a padding bit is set.
bool UnpackBits(std::string_view in, int width, std::span<uint64_t> out);

// Divides the values in place by the greatest common divisor of their magnitudes (zeros
// ignored) and returns it; 1 if all are zero. Exact: no rounding, no overflow. Packing the
// quotients saves the divisor's bits per value, e.g. for nanosecond timestamps that are whole
// seconds.
uint64_t DivideByCommonDivisor(std::span<int64_t> values);

// q * divisor with wrapping arithmetic: inverts DivideByCommonDivisor; defined for any input.
inline int64_t WrapMul(int64_t q, uint64_t divisor) {
  return static_cast<int64_t>(static_cast<uint64_t>(q) * divisor);
}

// Appends `values` as miniblocks of kMiniblockValues: each is [zigzag varint min][u8 width]
// [values - min packed in `width` bits]. Arithmetic wraps, so any int64s round-trip.
void PackMiniblocks(std::span<const int64_t> values, std::string* out);

// The bytes PackMiniblocks would append, without encoding.
size_t PackedMiniblocksSize(std::span<const int64_t> values);

// Reads out.size() values written by PackMiniblocks; Corruption (naming `id`) on truncation,
// a width above 64 or a set padding bit.
Status UnpackMiniblocks(CodecId id, ByteReader* in, std::span<int64_t> out);

}  // namespace strata::engine::codec
