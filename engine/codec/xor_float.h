#pragma once

// Any float column (CodecId::kXorFloat), the fallback of the decimal codec: Chimp-style XOR
// with the previous value (Liakos et al., VLDB 2022). Works on bit patterns, so NaN payloads,
// infinities, -0.0 and denormals round-trip.
// Format: docs/format/codecs.md v2, "kXorFloat".
// Thread-safety: pure functions, thread-safe.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace strata::engine::codec {

// Appends [kXorFloat][u64LE first value][bit stream].
void EncodeXorFloat(std::span<const double> values, std::string* out);

// The size EncodeXorFloat would append, computed without encoding (a cheap way to compare
// against another codec).
size_t XorFloatSize(std::span<const double> values);

// Decodes exactly out.size() values from a whole column `in`, including its id byte.
Status DecodeXorFloat(std::string_view in, std::span<double> out);

}  // namespace strata::engine::codec
