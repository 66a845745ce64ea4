#pragma once

// Column codecs for chunk-file blocks (DESIGN §4). Each block column is encoded by one codec
// into bytes that begin with a one-byte CodecId, so a reader knows how to decode it and the
// encoder may pick the best codec per block (e.g. decimal floats vs. XOR floats).
// Format: docs/format/codecs.md, version 2. CodecId values are persisted:
// never renumber.
//
// Contracts common to every codec:
//  - Encode* appends to *out (never clears it) and cannot fail.
//  - Decode* reads exactly `count` values from `in` into *out (cleared first) and returns
//    Corruption — naming the codec and what was wrong — on any malformed input: truncated,
//    trailing garbage, impossible widths. Never reads out of bounds, never crashes, never
//    allocates more than a bound derived from count (count itself is bounded by the caller:
//    at most kMaxBlockPoints).
//  - Round trips are bit-exact: floats keep NaN payloads, -0.0 and infinities.
// Thread-safety: pure functions, thread-safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace strata::engine::codec {

inline constexpr size_t kMaxBlockPoints = 4096;

// How hard an encoder looks for the smallest form. kFast skips entropy coding (integer-sequence
// mode 2, whose planning costs more than the rest of the encoding): flushes write files that
// compaction rewrites soon. Either decodes with the same Decode* functions.
enum class EncodeEffort : uint8_t { kSmall, kFast };

enum class CodecId : uint8_t {
  kDeltaOfDelta = 1,     // int64 timestamps: first value, first delta, then zigzag delta-of-deltas
  kRunLengthDelta = 2,   // int64 system times: runs of equal deltas (one batch = one time)
  kDecimalFloat = 3,     // doubles that are short decimals: scaled to integers, delta-coded
  kXorFloat = 4,         // any doubles: Gorilla/Chimp-style XOR with the previous value
  kDeltaZigZag = 5,      // int64/uint64: delta + zigzag + bit packing or Huffman coding
  kBitmap = 6,           // booleans and tombstone flags
  kDictionary = 7,       // strings: dictionary of distinct values + bit-packed indexes
};

// valid times (any order, any values; sorted input compresses best)
void EncodeTimestamps(std::span<const int64_t> values, std::string* out);
Status DecodeTimestamps(std::string_view in, size_t count, std::vector<int64_t>* out);

// system times (any values; long runs of equal values compress to almost nothing)
void EncodeSystemTimes(std::span<const int64_t> values, std::string* out);
Status DecodeSystemTimes(std::string_view in, size_t count, std::vector<int64_t>* out);

// Picks kDecimalFloat when every value round-trips through a short decimal, else kXorFloat.
void EncodeFloats(std::span<const double> values, std::string* out,
                  EncodeEffort effort = EncodeEffort::kSmall);
Status DecodeFloats(std::string_view in, size_t count, std::vector<double>* out);

void EncodeInts(std::span<const int64_t> values, std::string* out,
                EncodeEffort effort = EncodeEffort::kSmall);
Status DecodeInts(std::string_view in, size_t count, std::vector<int64_t>* out);
// uint64 shares the int codec through a bit cast (wrap-around deltas are exact).
void EncodeUints(std::span<const uint64_t> values, std::string* out,
                 EncodeEffort effort = EncodeEffort::kSmall);
Status DecodeUints(std::string_view in, size_t count, std::vector<uint64_t>* out);

// values are 0 or 1
void EncodeBools(std::span<const uint8_t> values, std::string* out);
Status DecodeBools(std::string_view in, size_t count, std::vector<uint8_t>* out);

// Decoded views point into `in`, which must outlive them.
void EncodeStrings(std::span<const std::string_view> values, std::string* out);
Status DecodeStrings(std::string_view in, size_t count, std::vector<std::string_view>* out);

// The codec of an encoded column (its first byte), or Corruption if it is none of ours.
Result<CodecId> PeekCodec(std::string_view encoded);
std::string_view CodecName(CodecId id);

}  // namespace strata::engine::codec
