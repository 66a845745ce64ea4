#include "util/utf8.h"

#include <cstdint>
#include <cstring>

namespace strata {

// Offset of the first byte of an invalid UTF-8 sequence (overlong forms, surrogates and code
// points above U+10FFFF included), or npos. ASCII is checked a word or four at a time.
size_t FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  // 32 bytes per test while the text is ASCII (a line is mostly that), then 8.
  while (i + 32 <= n) {
    uint64_t words[4];
    std::memcpy(words, p + i, sizeof(words));
    if ((words[0] | words[1] | words[2] | words[3]) & kHighBits) break;
    i += 32;
  }
  while (i + 8 <= n) {
    uint64_t word;
    std::memcpy(&word, p + i, sizeof(word));
    if (word & kHighBits) break;
    i += 8;
  }
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t need;
    uint32_t cp;
    uint32_t min_cp;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1, cp = c & 0x1F, min_cp = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      need = 2, cp = c & 0x0F, min_cp = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3, cp = c & 0x07, min_cp = 0x10000;
    } else {
      return i;
    }
    if (i + need >= n) return i;  // truncated sequence
    for (size_t k = 1; k <= need; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += need + 1;
  }
  return std::string_view::npos;
}

}  // namespace strata
