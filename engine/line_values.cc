#include "engine/line_values.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <system_error>

namespace strata::engine::line_values {

NumberParse ParseDecimalInteger(std::string_view s, bool allow_minus, bool is_unsigned,
                                uint64_t* value) {
  size_t i = 0;
  bool negative = false;
  if (allow_minus && !s.empty() && s[0] == '-') {
    negative = true;
    i = 1;
  }
  if (i == s.size()) return NumberParse::kInvalid;
  uint64_t acc = 0;
  bool overflow = false;
  // 19 digits never overflow 64 bits (timestamps in nanoseconds have 19): only longer numbers
  // pay for the check.
  constexpr size_t kSafeDigits = 19;
  const size_t safe_end = std::min(s.size(), i + kSafeDigits);
  for (; i < safe_end; ++i) {
    const auto digit = static_cast<unsigned>(static_cast<unsigned char>(s[i]) - '0');
    if (digit > 9) return NumberParse::kInvalid;
    acc = acc * 10 + digit;
  }
  for (; i < s.size(); ++i) {
    const auto digit = static_cast<unsigned>(static_cast<unsigned char>(s[i]) - '0');
    if (digit > 9) return NumberParse::kInvalid;
    if (acc > (std::numeric_limits<uint64_t>::max() - digit) / 10) overflow = true;
    acc = acc * 10 + digit;
  }
  if (overflow) return NumberParse::kOutOfRange;
  if (is_unsigned) {
    *value = acc;
    return NumberParse::kOk;
  }
  constexpr auto kMaxInt = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (acc > kMaxInt + (negative ? 1 : 0)) return NumberParse::kOutOfRange;
  *value = negative ? 0 - acc : acc;  // two's complement; converts exactly to int64 in C++20
  return NumberParse::kOk;
}

NumberParse ParseInt64(std::string_view s, int64_t* value) {
  uint64_t bits = 0;
  const NumberParse result = ParseDecimalInteger(s, /*allow_minus=*/true, false, &bits);
  *value = static_cast<int64_t>(bits);
  return result;
}

namespace {

// True when a decimal that from_chars reported out of range is below the smallest denormal
// (the correctly rounded result is then a signed zero) rather than above the largest double.
// Overflow needs a decimal exponent near +308 and underflow one near -324, so the sign of the
// leading digit's decimal exponent decides.
bool IsTinyDecimal(std::string_view s) {
  size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  int64_t magnitude = 0;
  bool seen_nonzero = false;
  bool in_fraction = false;
  for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
    if (s[i] == '.') {
      in_fraction = true;
    } else if (!seen_nonzero && s[i] != '0') {
      seen_nonzero = true;
      if (in_fraction) --magnitude;
    } else if (!seen_nonzero && in_fraction) {
      --magnitude;
    } else if (seen_nonzero && !in_fraction) {
      ++magnitude;
    }
  }
  int64_t exponent = 0;
  if (i < s.size()) {
    ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    for (; i < s.size(); ++i) exponent = std::min<int64_t>(exponent * 10 + (s[i] - '0'), 1 << 30);
    if (negative) exponent = -exponent;
  }
  return magnitude + exponent < 0;
}

}  // namespace

NumberParse ParseDecimalFloat(std::string_view s, double* value) {
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, *value);
  if (ptr != end) return NumberParse::kInvalid;
  if (ec == std::errc()) return NumberParse::kOk;
  if (ec == std::errc::result_out_of_range && IsTinyDecimal(s)) {
    *value = s[0] == '-' ? -0.0 : 0.0;
    return NumberParse::kOk;
  }
  return ec == std::errc::result_out_of_range ? NumberParse::kOutOfRange : NumberParse::kInvalid;
}

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace

bool ParseSpecialFloat(std::string_view s, double* value) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (EqualsIgnoreCase(s, "nan")) {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (EqualsIgnoreCase(s, "inf") || EqualsIgnoreCase(s, "infinity")) {
    *value = negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    return true;
  }
  return false;
}

bool ParseBool(std::string_view s, bool* value) {
  static constexpr std::string_view kSpellings[] = {"t", "T", "true",  "True",  "TRUE",
                                                    "f", "F", "false", "False", "FALSE"};
  for (size_t i = 0; i < std::size(kSpellings); ++i) {
    if (s == kSpellings[i]) {
      *value = i < 5;
      return true;
    }
  }
  return false;
}

namespace {

// Powers of ten that are exact doubles (10^22 is the largest).
constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

}  // namespace

namespace {

// The float at q when the 8 bytes there (all readable) hold 1-7 digits with at most one '.'
// (not first) and then ',' or ' ': classified and converted a word at a time, no loop. The
// same arithmetic as the loop below, so the same bits. False for anything else.
bool ParseShortDecimal(const char* q, bool negative, FieldValue* value, const char** next) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  uint64_t word;
  std::memcpy(&word, q, sizeof(word));
  const uint64_t low7 = word & ~kHigh;
  // The high bit of each byte that is an ASCII digit: >= '0' and <= '9', never with a borrow
  // across bytes, and not a byte >= 0x80.
  const uint64_t digits = ((low7 | kHigh) - 0x30 * kOnes) & ((0x39 * kOnes | kHigh) - low7) &
                          ~word & kHigh;
  const uint64_t others = ~digits & kHigh;
  if (others == 0) return false;  // eight digits or more
  const int first = std::countr_zero(others) / 8;
  if (first == 0) return false;
  int stop = first;
  int fraction_digits = 0;
  uint64_t packed = word;  // the digits from byte 0, the '.' taken out
  if (q[first] == '.') {
    const uint64_t after_dot = others & (others - 1);
    if (after_dot == 0) return false;
    stop = std::countr_zero(after_dot) / 8;
    fraction_digits = stop - first - 1;
    const uint64_t integer_bytes = (uint64_t{1} << (8 * first)) - 1;
    packed = (word & integer_bytes) | ((word >> 8) & ~integer_bytes);
  }
  if (q[stop] != ',' && q[stop] != ' ') return false;
  const int digit_count = first + fraction_digits;
  // Left-align the digits: the bytes below them become leading zeros.
  packed = (packed << (8 * (8 - digit_count))) & (0x0F * kOnes);
  packed = (packed * 2561) >> 8;
  packed = ((packed & 0x00FF00FF00FF00FFULL) * 6553601) >> 16;
  const uint32_t mantissa =
      static_cast<uint32_t>(((packed & 0x0000FFFF0000FFFFULL) * 42949672960001ULL) >> 32);
  double d = static_cast<double>(mantissa);
  if (fraction_digits != 0) d /= kExactPowersOfTen[fraction_digits];
  *value = FieldValue::Float(negative ? -d : d);
  *next = q + stop;
  return true;
}

}  // namespace

bool ParseCommonNumber(const char* p, const char* end, FieldValue* value, const char** next) {
  const bool negative = *p == '-';
  const char* q = p + (negative ? 1 : 0);
  if (end - q >= 8 && ParseShortDecimal(q, negative, value, next)) return true;
  const char* const digits_start = q;
  const char* dot = nullptr;
  uint64_t mantissa = 0;
  for (; q < end; ++q) {
    const auto digit = static_cast<unsigned>(static_cast<unsigned char>(*q) - '0');
    if (digit <= 9) {
      mantissa = mantissa * 10 + digit;
    } else if (*q == '.' && dot == nullptr) {
      dot = q;
    } else {
      break;
    }
  }
  const auto digit_count = static_cast<size_t>(q - digits_start) - (dot != nullptr ? 1 : 0);
  if (digit_count == 0 || digit_count > 18) return false;  // 18 digits cannot overflow
  auto ends_value = [end](const char* at) { return at == end || *at == ',' || *at == ' '; };
  if (ends_value(q)) {
    if (mantissa > (uint64_t{1} << 53)) return false;
    const auto fraction_digits = dot != nullptr ? static_cast<size_t>(q - dot - 1) : 0;
    double d = static_cast<double>(mantissa);
    if (fraction_digits != 0) d /= kExactPowersOfTen[fraction_digits];
    *value = FieldValue::Float(negative ? -d : d);
    *next = q;
    return true;
  }
  if (dot != nullptr || !ends_value(q + 1)) return false;
  if (*q == 'i') {
    const auto magnitude = static_cast<int64_t>(mantissa);
    *value = FieldValue::Int(negative ? -magnitude : magnitude);
  } else if (*q == 'u' && !negative) {
    *value = FieldValue::Uint(mantissa);
  } else {
    return false;
  }
  *next = q + 1;
  return true;
}

}  // namespace strata::engine::line_values
