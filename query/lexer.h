#pragma once

// Tokenizer for the InfluxQL-shaped query language (DESIGN §7). Keywords are identifiers
// compared case-insensitively by the parser.
// Thread-safety: single-threaded; tokens borrow the query text.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace strata::query {

enum class TokenKind {
  kIdentifier,  // bare word, or "double quoted" (text holds the unquoted name)
  kString,      // 'single quoted' (text holds the unescaped contents)
  kInteger,     // 123
  kNumber,      // 1.5, 1e3
  kDuration,    // 10s, 1h, 100ms (text holds the literal as written)
  kRegex,       // /.../ (text holds the pattern)
  kOperator,    // = != <> < <= > >= =~ !~ + - * /
  kComma,
  kLParen,
  kRParen,
  kSemicolon,
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  uint32_t line = 1;    // 1-based
  uint32_t column = 1;  // 1-based byte column
  bool quoted = false;  // a "double quoted" identifier: never a keyword
};

// Splits query text into tokens ending with kEnd. A '/' starts a regex only right after =~ or
// !~; elsewhere it is division. InvalidArgument "<line>:<col> <reason>" on bad input: invalid
// UTF-8 (checked first, so every error message quotes valid UTF-8), an unexpected character,
// an unterminated quote or regex, a malformed number or duration, an empty "" identifier.
Result<std::vector<Token>> Tokenize(std::string_view text);

// Nanoseconds in a duration literal such as "90s", "1h", "250ms", "1w"; InvalidArgument if the
// unit is unknown or the value overflows.
Result<int64_t> ParseDuration(std::string_view literal);

// Nanoseconds since the epoch of an RFC 3339 time ("2026-01-01T00:00:00Z",
// "2026-01-01T01:00:00.5+01:00", also a bare date "2026-01-01").
Result<int64_t> ParseRfc3339(std::string_view text);

}  // namespace strata::query
