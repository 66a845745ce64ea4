#include "engine/line_values.h"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <system_error>

namespace strata::engine {
namespace {

TEST(LineValuesTest, ShortDecimalsAgreeWithFromCharsWhateverFollowsThem) {
  // Decimals of up to seven digits are read eight bytes at a time when eight are readable;
  // whatever follows a value (a terminator, a suffix, other bytes, the end) and wherever the
  // dot is, the answer must be the byte-by-byte grammar's: -?[digits and one '.'] with 1-18
  // digits (at most 2^53 as an integer), then ',' or ' ' or the end, valued as from_chars does.
  std::mt19937_64 rng(29);
  const std::string tails[] = {",x=1", " 1700000000000000000", ",", " ", "", "i,", "u ", "e3,",
                               "x,", "\x80,", "..,", "1234567890,"};
  for (int round = 0; round < 200000; ++round) {
    std::string text = rng() % 4 == 0 ? "-" : "";
    const size_t length = 1 + rng() % 9;
    const size_t dot = rng() % 3 == 0 ? length : rng() % (length + 1);
    for (size_t i = 0; i < length; ++i) {
      if (i == dot) text += '.';
      text += static_cast<char>('0' + rng() % 10);
    }
    if (rng() % 20 == 0) text.insert(text.size() - 1, ".");  // sometimes a second dot
    const std::string& tail = tails[rng() % std::size(tails)];
    const std::string buffer = text + tail;

    // The byte-by-byte grammar.
    const size_t start = text[0] == '-' ? 1 : 0;
    size_t at = start, dots = 0;
    while (at < buffer.size() &&
           ((buffer[at] >= '0' && buffer[at] <= '9') || (buffer[at] == '.' && dots++ == 0))) {
      ++at;
    }
    const size_t digit_count = at - start - (buffer.find('.', start) < at ? 1 : 0);
    const bool ends = at == buffer.size() || buffer[at] == ',' || buffer[at] == ' ';
    uint64_t mantissa = 0;
    for (size_t i = start; i < at && digit_count <= 18; ++i) {
      if (buffer[i] != '.') mantissa = mantissa * 10 + static_cast<uint64_t>(buffer[i] - '0');
    }
    // Beyond 2^53 the decimal is left to the general path (from_chars' own rounding).
    const bool want_float =
        digit_count >= 1 && digit_count <= 18 && mantissa <= (uint64_t{1} << 53) && ends;

    FieldValue value;
    const char* next = nullptr;
    const bool got = line_values::ParseCommonNumber(buffer.data(), buffer.data() + buffer.size(),
                                                    &value, &next);
    if (want_float) {
      ASSERT_TRUE(got) << buffer;
      ASSERT_EQ(value.type, FieldType::kFloat) << buffer;
      double expected = 0;
      const auto [ptr, ec] = std::from_chars(buffer.data(), buffer.data() + at, expected);
      ASSERT_EQ(ec, std::errc()) << buffer;
      ASSERT_EQ(ptr, buffer.data() + at) << buffer;
      EXPECT_EQ(std::bit_cast<uint64_t>(value.f), std::bit_cast<uint64_t>(expected)) << buffer;
      EXPECT_EQ(next, buffer.data() + at) << buffer;
    } else if (got) {
      // Only an integer with its suffix may be taken otherwise.
      EXPECT_NE(value.type, FieldType::kFloat) << buffer;
      EXPECT_TRUE(buffer[at] == 'i' || buffer[at] == 'u') << buffer;
    }
  }
}

}  // namespace
}  // namespace strata::engine
