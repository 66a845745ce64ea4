#pragma once

// UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
// Pure function, thread-safe.

#include <cstddef>
#include <string_view>

namespace strata {

// Offset of the first byte of an invalid UTF-8 sequence (overlong forms, surrogates and code
// points above U+10FFFF included), or std::string_view::npos if text is valid.
size_t FindInvalidUtf8(std::string_view text);

inline bool IsValidUtf8(std::string_view text) {
  return FindInvalidUtf8(text) == std::string_view::npos;
}

}  // namespace strata
