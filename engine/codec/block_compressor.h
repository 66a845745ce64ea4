#pragma once

// Whole-block compression after column encoding (DESIGN §4): LZ4 for freshly flushed files
// (fast), Zstandard for compacted ones (small). Compression values are persisted.
// Thread-safety: pure functions, thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace strata::engine::codec {

enum class Compression : uint8_t { kNone = 0, kLz4 = 1, kZstd = 2 };

std::string_view CompressionName(Compression c);

// Appends the compressed form of in to *out.
Status Compress(Compression c, std::string_view in, std::string* out, int zstd_level = 3);

// Decompresses into *out (replacing it); raw_size is the exact uncompressed size recorded by the
// writer. Corruption if the input does not decompress to exactly raw_size bytes.
Status Decompress(Compression c, std::string_view in, size_t raw_size, std::string* out);

}  // namespace strata::engine::codec
