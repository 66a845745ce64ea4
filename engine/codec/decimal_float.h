#pragma once

// Float columns whose values are short decimals (CodecId::kDecimalFloat): every value v is
// stored as the integer r = round(v * 10^e) for one block-wide exponent e, and decoded as
// (double)r / 10^e — the exact operation the encoder verified bit for bit. The integers use
// the integer-sequence layout (int_delta_zigzag.h).
// Format: docs/format/codecs.md v2, "kDecimalFloat".
// Thread-safety: pure functions, thread-safe.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/codec/codec.h"
#include "util/status.h"

namespace strata::engine::codec {

inline constexpr int kMaxDecimalExponent = 18;
// Scaled integers stay below 2^53 in magnitude, so (double)r is exact.
inline constexpr int64_t kMaxDecimalMagnitude = int64_t{1} << 53;

// The smallest e in [0, kMaxDecimalExponent] such that every value v is finite and
// r = round-to-nearest(v * 10^e) has |r| < 2^53 and (double)r / 10^e has v's exact bit pattern;
// fills *scaled with the r's. nullopt if there is none (NaN, infinities, -0.0, long fractions).
std::optional<int> FindDecimalExponent(std::span<const double> values,
                                       std::vector<int64_t>* scaled);

// Appends [kDecimalFloat][u8 exponent][int sequence of scaled]; `scaled` and `exponent` come
// from FindDecimalExponent.
void EncodeDecimalFloat(int exponent, std::span<const int64_t> scaled, std::string* out,
                        EncodeEffort effort = EncodeEffort::kSmall);

// Decodes exactly out.size() values from a whole column `in`, including its id byte.
Status DecodeDecimalFloat(std::string_view in, std::span<double> out);

}  // namespace strata::engine::codec
