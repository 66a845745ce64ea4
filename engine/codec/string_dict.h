#pragma once

// String columns (CodecId::kDictionary): the distinct values in first-seen order, each
// length-prefixed, then one bit-packed dictionary index per value.
// Format: docs/format/codecs.md v2, "kDictionary".
// Thread-safety: pure functions, thread-safe.

#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace strata::engine::codec {

// Appends [kDictionary][varint entries][entries][packed indexes].
void EncodeDictionary(std::span<const std::string_view> values, std::string* out);

// Decodes exactly out.size() values from a whole column `in`, including its id byte. The
// views point into `in`, which must outlive them.
Status DecodeDictionary(std::string_view in, std::span<std::string_view> out);

}  // namespace strata::engine::codec
