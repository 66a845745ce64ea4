#pragma once

// Valid-time columns (CodecId::kDeltaOfDelta): the first value, the first delta, then the
// delta-of-deltas divided by their common divisor, in frame-of-reference miniblocks. A regular
// interval makes every delta-of-delta zero, so a miniblock costs its 2-byte header and no bits
// per point; the divisor makes irregular whole-second (or whole-minute) steps cheap.
// Format: docs/format/codecs.md v2, "kDeltaOfDelta".
// Thread-safety: pure functions, thread-safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace strata::engine::codec {

// Appends [kDeltaOfDelta][body]; any int64s, in any order (arithmetic wraps).
void EncodeDeltaOfDelta(std::span<const int64_t> values, std::string* out);

// Decodes exactly out.size() values from a whole column `in`, including its id byte.
Status DecodeDeltaOfDelta(std::string_view in, std::span<int64_t> out);

}  // namespace strata::engine::codec
