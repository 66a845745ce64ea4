#pragma once

// Boolean and tombstone-flag columns (CodecId::kBitmap): a run flag when every value is the
// same (2 bytes per block), else one bit per value.
// Format: docs/format/codecs.md v2, "kBitmap".
// Thread-safety: pure functions, thread-safe.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace strata::engine::codec {

// Bitmap modes (persisted).
enum class BitmapMode : uint8_t {
  kAllFalse = 0,
  kAllTrue = 1,
  kBits = 2,  // ceil(n / 8) bytes, value i in bit i % 8 of byte i / 8
};

// Appends [kBitmap][u8 mode][bits]. Values are 0 or 1 (any nonzero value is stored as 1).
void EncodeBitmap(std::span<const uint8_t> values, std::string* out);

// Decodes exactly out.size() values (each 0 or 1) from a whole column `in`, with its id byte.
Status DecodeBitmap(std::string_view in, std::span<uint8_t> out);

}  // namespace strata::engine::codec
