#pragma once

// UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
// Pure function, thread-safe.

#include <string_view>

namespace strata {

bool IsValidUtf8(std::string_view text);

}  // namespace strata
