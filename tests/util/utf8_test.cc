#include "util/utf8.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace strata {
namespace {

// A byte-at-a-time reading of RFC 3629, independent of the word-at-a-time scanner.
size_t ReferenceFindInvalid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return i;
    uint32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (b & 0x3F);
    }
    const uint32_t min_cp = len == 2 ? 0x80 : len == 3 ? 0x800 : len == 4 ? 0x10000 : 0;
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

TEST(Utf8Test, ABadByteIsFoundWhereverItSitsInAsciiText) {
  // Every position of texts longer than the scanner's 32- and 8-byte strides.
  for (size_t length : {1u, 7u, 8u, 9u, 31u, 32u, 33u, 64u, 100u}) {
    const std::string ascii(length, 'a');
    EXPECT_EQ(FindInvalidUtf8(ascii), std::string_view::npos);
    for (size_t at = 0; at < length; ++at) {
      std::string text = ascii;
      text[at] = '\xFF';
      EXPECT_EQ(FindInvalidUtf8(text), at) << "length " << length;
    }
  }
}

TEST(Utf8Test, RandomTextsAgreeWithAByteByByteReading) {
  std::mt19937 rng(3);
  const std::string pieces[] = {"a",        "xyz",          "\xC3\xA9",     "\xE2\x82\xAC",
                                "\xF0\x9F\x98\x80", "\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                "\x80",     "\xE2\x82",     "0123456789abcdefghijklmnopqrstuv"};
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) text += pieces[rng() % std::size(pieces)];
    EXPECT_EQ(FindInvalidUtf8(text), ReferenceFindInvalid(text)) << text;
  }
}

}  // namespace
}  // namespace strata
