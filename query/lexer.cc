#include "query/lexer.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>

#include "util/civil_time.h"
#include "util/utf8.h"

namespace strata::query {
namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<std::vector<Token>> Run() {
    // Error messages quote the text back to the client, and the wire protocol is UTF-8.
    if (const size_t bad = FindInvalidUtf8(text_); bad != std::string_view::npos) {
      return ErrorAtOffset(bad, "invalid UTF-8");
    }
    std::vector<Token> tokens;
    while (true) {
      SkipSpace();
      Token token;
      token.line = line_;
      token.column = static_cast<uint32_t>(pos_ - line_start_ + 1);
      if (pos_ >= text_.size()) {
        tokens.push_back(token);
        return tokens;
      }
      char c = text_[pos_];
      bool after_match_op = !tokens.empty() && tokens.back().kind == TokenKind::kOperator &&
                            (tokens.back().text == "=~" || tokens.back().text == "!~");
      Status s;
      if (IsIdentStart(c)) {
        token.kind = TokenKind::kIdentifier;
        size_t start = pos_;
        while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
        token.text = std::string(text_.substr(start, pos_ - start));
      } else if (c == '"' || c == '\'') {
        token.kind = c == '"' ? TokenKind::kIdentifier : TokenKind::kString;
        token.quoted = c == '"';
        s = Quoted(c, &token.text);
        // An empty name would reach the engine as "no measurement" or "no field".
        if (s.ok() && token.quoted && token.text.empty()) {
          s = ErrorAtColumn(token.column, "empty quoted identifier");
        }
      } else if (IsDigit(c) || (c == '.' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) {
        s = NumberOrDuration(&token);
      } else if (c == '/' && after_match_op) {
        token.kind = TokenKind::kRegex;
        s = Regex(&token.text);
      } else if (c == ',') {
        token.kind = TokenKind::kComma;
        token.text = ",";
        ++pos_;
      } else if (c == '(') {
        token.kind = TokenKind::kLParen;
        token.text = "(";
        ++pos_;
      } else if (c == ')') {
        token.kind = TokenKind::kRParen;
        token.text = ")";
        ++pos_;
      } else if (c == ';') {
        token.kind = TokenKind::kSemicolon;
        token.text = ";";
        ++pos_;
      } else {
        s = Operator(&token);
      }
      if (!s.ok()) return s;
      tokens.push_back(std::move(token));
    }
  }

 private:
  Status Error(const std::string& reason) const {
    return ErrorAtColumn(static_cast<uint32_t>(pos_ - line_start_ + 1), reason);
  }
  // An error at a byte offset of the text, before the lexer has walked to it.
  Status ErrorAtOffset(size_t offset, const std::string& reason) const {
    uint32_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < offset; ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    return Status::InvalidArgument(std::to_string(line) + ":" +
                                   std::to_string(offset - line_start + 1) + " " + reason);
  }
  Status ErrorAtColumn(uint32_t column, const std::string& reason) const {
    return Status::InvalidArgument(std::to_string(line_) + ":" + std::to_string(column) + " " +
                                   reason);
  }

  // Bytes of a duration-unit character at pos: an ASCII letter, or the two bytes of 'µ'.
  size_t UnitLength(size_t pos) const {
    if (pos >= text_.size()) return 0;
    if (std::isalpha(static_cast<unsigned char>(text_[pos]))) return 1;
    if (text_.substr(pos, 2) == "\xc2\xb5") return 2;
    return 0;
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++pos_;
        ++line_;
        line_start_ = pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '-' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '-') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;  // comment to end of line
      } else {
        return;
      }
    }
  }

  // Quoted text and regexes end on their line: the lexer counts lines only between tokens, and a
  // statement is one line on the wire anyway. An escaped newline is no exception.
  Status Quoted(char quote, std::string* out) {
    ++pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') {
        out->push_back(text_[pos_ + 1]);
        pos_ += 2;
      } else if (c == quote) {
        ++pos_;
        return Status::OK();
      } else {
        if (c == '\n') return Error("unterminated quoted text");
        out->push_back(c);
        ++pos_;
      }
    }
    return Error(quote == '\'' ? "unterminated string literal" : "unterminated quoted identifier");
  }

  Status Regex(std::string* out) {
    ++pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
        out->push_back('/');
        pos_ += 2;
      } else if (c == '/') {
        ++pos_;
        return Status::OK();
      } else {
        if (c == '\n') return Error("unterminated regular expression");
        out->push_back(c);
        ++pos_;
      }
    }
    return Error("unterminated regular expression");
  }

  Status NumberOrDuration(Token* token) {
    size_t start = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    bool is_float = false;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      is_float = true;
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      size_t save = pos_;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ < text_.size() && IsDigit(text_[pos_])) {
        is_float = true;
        while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
      } else {
        pos_ = save;  // not an exponent: maybe nothing valid, reported below
      }
    }
    if (!is_float && UnitLength(pos_) > 0) {
      while (size_t n = UnitLength(pos_)) pos_ += n;
      token->kind = TokenKind::kDuration;
      token->text = std::string(text_.substr(start, pos_ - start));
      auto d = ParseDuration(token->text);
      if (!d.ok()) return ErrorAtColumn(token->column, d.status().message());
      return Status::OK();
    }
    token->kind = is_float ? TokenKind::kNumber : TokenKind::kInteger;
    token->text = std::string(text_.substr(start, pos_ - start));
    if (pos_ < text_.size() && IsIdentChar(text_[pos_])) {
      return Error("invalid number '" + token->text + text_[pos_] + "'");
    }
    return Status::OK();
  }

  Status Operator(Token* token) {
    static constexpr std::string_view kTwo[] = {"!=", "<>", "<=", ">=", "=~", "!~"};
    token->kind = TokenKind::kOperator;
    for (std::string_view op : kTwo) {
      if (text_.substr(pos_, 2) == op) {
        token->text = std::string(op);
        pos_ += 2;
        return Status::OK();
      }
    }
    char c = text_[pos_];
    if (c == '=' || c == '<' || c == '>' || c == '+' || c == '-' || c == '*' || c == '/') {
      token->text = std::string(1, c);
      ++pos_;
      return Status::OK();
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02X", byte);
      return Error(std::string("unexpected control character ") + hex);
    }
    // The text is valid UTF-8 (checked first), so the lead byte gives the character's length.
    const size_t length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
    return Error("unexpected character '" + std::string(text_.substr(pos_, length)) + "'");
  }

  std::string_view text_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
};

bool ReadDigits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view text) { return Lexer(text).Run(); }

Result<int64_t> ParseDuration(std::string_view literal) {
  size_t i = 0;
  while (i < literal.size() && IsDigit(literal[i])) ++i;
  if (i == 0) return Status::InvalidArgument("invalid duration '" + std::string(literal) + "'");
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(literal.data(), literal.data() + i, value);
  if (ec != std::errc()) {
    return Status::InvalidArgument("duration '" + std::string(literal) + "' is out of range");
  }
  std::string_view unit = literal.substr(i);
  int64_t scale;
  if (unit == "ns") {
    scale = 1;
  } else if (unit == "u" || unit == "us" || unit == "µs") {
    scale = 1'000;
  } else if (unit == "ms") {
    scale = 1'000'000;
  } else if (unit == "s") {
    scale = 1'000'000'000;
  } else if (unit == "m") {
    scale = 60'000'000'000;
  } else if (unit == "h") {
    scale = 3'600'000'000'000;
  } else if (unit == "d") {
    scale = 86'400'000'000'000;
  } else if (unit == "w") {
    scale = 7 * 86'400'000'000'000;
  } else {
    return Status::InvalidArgument("unknown duration unit '" + std::string(unit) + "' in '" +
                                   std::string(literal) + "' (use ns, us, ms, s, m, h, d, w)");
  }
  int64_t ns;
  if (__builtin_mul_overflow(value, scale, &ns)) {
    return Status::InvalidArgument("duration '" + std::string(literal) + "' is out of range");
  }
  return ns;
}

Result<int64_t> ParseRfc3339(std::string_view s) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("invalid time '" + std::string(s) + "': " + why);
  };
  size_t p = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(s, &p, 4, &year) || p >= s.size() || s[p++] != '-' ||
      !ReadDigits(s, &p, 2, &month) || p >= s.size() || s[p++] != '-' ||
      !ReadDigits(s, &p, 2, &day)) {
    return bad("expected YYYY-MM-DD");
  }
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 ||
      day > kDaysInMonth[month - 1] + (month == 2 && leap ? 1 : 0)) {
    return bad("no such date");
  }
  int64_t frac_ns = 0;
  int64_t offset_s = 0;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return bad("expected 'T' after the date");
    ++p;
    if (!ReadDigits(s, &p, 2, &hour) || p >= s.size() || s[p++] != ':' ||
        !ReadDigits(s, &p, 2, &minute) || p >= s.size() || s[p++] != ':' ||
        !ReadDigits(s, &p, 2, &second)) {
      return bad("expected hh:mm:ss");
    }
    // No leap seconds: Unix time has none, so 23:59:60 names no instant.
    if (hour > 23 || minute > 59 || second > 59) return bad("time of day out of range");
    if (p < s.size() && s[p] == '.') {
      ++p;
      int digits = 0;
      while (p < s.size() && IsDigit(s[p])) {
        if (digits < 9) frac_ns = frac_ns * 10 + (s[p] - '0');
        ++digits;
        ++p;
      }
      if (digits == 0) return bad("expected digits after '.'");
      for (int i = digits; i < 9; ++i) frac_ns *= 10;
    }
    if (p >= s.size()) return bad("missing time zone ('Z' or +hh:mm)");
    if (s[p] == 'Z' || s[p] == 'z') {
      ++p;
    } else if (s[p] == '+' || s[p] == '-') {
      int sign = s[p] == '-' ? -1 : 1;
      ++p;
      int oh, om;
      if (!ReadDigits(s, &p, 2, &oh) || p >= s.size() || s[p++] != ':' ||
          !ReadDigits(s, &p, 2, &om)) {
        return bad("expected +hh:mm offset");
      }
      if (oh > 23 || om > 59) return bad("time zone offset out of range");
      offset_s = sign * (oh * 3600 + om * 60);
    } else {
      return bad("expected 'Z' or an offset");
    }
    if (p != s.size()) return bad("unexpected text after the time");
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  // For negative times, fold one second into the fraction first, so that the earliest
  // representable instants (secs * 1e9 just below INT64_MIN, plus a fraction) still fit.
  if (secs < 0 && frac_ns > 0) {
    secs += 1;
    frac_ns -= 1'000'000'000;
  }
  int64_t ns;
  if (__builtin_mul_overflow(secs, int64_t{1'000'000'000}, &ns) ||
      __builtin_add_overflow(ns, frac_ns, &ns)) {
    return bad("out of range");
  }
  return ns;
}

}  // namespace strata::query
