#pragma once

// System-time columns (CodecId::kRunLengthDelta). A write batch shares one system time, so a
// block is a few runs of one repeated value; each run is (jump from the previous run's value,
// length). Jumps and lengths are packed in frame-of-reference miniblocks, so a block whose
// every point has its own time (live ingest) still packs its jumps tightly.
// Format: docs/format/codecs.md v2, "kRunLengthDelta".
// Thread-safety: pure functions, thread-safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace strata::engine::codec {

// Appends [kRunLengthDelta][body]; any int64s (arithmetic wraps).
void EncodeRunLengthDelta(std::span<const int64_t> values, std::string* out);

// Decodes exactly out.size() values from a whole column `in`, including its id byte.
Status DecodeRunLengthDelta(std::string_view in, std::span<int64_t> out);

}  // namespace strata::engine::codec
