#include "query/result_format.h"

#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>

#include "query/lexer.h"

namespace strata::query {
namespace {

using std::chrono::nanoseconds;

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

double ParseBack(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  EXPECT_EQ(end, text.c_str() + text.size()) << "'" << text << "' did not parse whole";
  return v;
}

// The fewest significant digits that %.*g needs to round-trip v: the length a shortest
// representation must have.
int ShortestDigits(double v) {
  for (int p = 1; p <= 17; ++p) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*g", p, v);
    if (Bits(std::strtod(buf, nullptr)) == Bits(v)) return p;
  }
  return 17;
}

// Significant digits in a decimal text: the mantissa's digits without leading and trailing
// zeros.
int SignificantDigits(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c == 'e' || c == 'E') break;
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return 1;
  size_t last = digits.find_last_not_of('0');
  return static_cast<int>(last - first + 1);
}

// The %g text with the fewest significant digits that still round-trips.
std::string ShortestG(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*g", ShortestDigits(v), v);
  return buf;
}

// Round trip, and shortest: no longer than the shortest %g form. A number printed with a
// fraction or an exponent carries exactly the shortest digit count; an integer may be printed
// whole (its exact digits) when that is no longer than the exponent form.
void ExpectRoundTripShortest(double v) {
  const std::string text = FormatFloat(v);
  EXPECT_EQ(Bits(ParseBack(text)), Bits(v)) << text;
  EXPECT_LE(text.size(), ShortestG(v).size()) << text << " vs " << ShortestG(v);
  if (text.find_first_of(".e") != std::string::npos) {
    EXPECT_EQ(SignificantDigits(text), ShortestDigits(v)) << text;
  }
  EXPECT_EQ(text.find_first_of(" \t\n"), std::string::npos) << text;
}

TEST(ResultFormatTest, RandomDoublesRoundTripInShortestForm) {
  std::mt19937_64 rng(2026);
  int tested = 0;
  while (tested < 20000) {
    double v = std::bit_cast<double>(rng());
    if (!std::isfinite(v)) continue;
    ExpectRoundTripShortest(v);
    ++tested;
  }
  std::uniform_real_distribution<double> everyday(-1e6, 1e6);
  for (int i = 0; i < 5000; ++i) ExpectRoundTripShortest(everyday(rng));
}

TEST(ResultFormatTest, SpecialFiniteValuesRoundTrip) {
  const double cases[] = {
      0.0,
      1.0,
      -1.5,
      0.1,
      0.1 + 0.2,
      1e21,
      1e22,
      123456789012345680000.0,
      1e-7,
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      std::numeric_limits<double>::min(),                       // smallest normal
      std::numeric_limits<double>::denorm_min(),                // smallest denormal
      std::nextafter(std::numeric_limits<double>::min(), 0.0),  // largest denormal
      -std::numeric_limits<double>::denorm_min(),
      9007199254740993.0,
  };
  for (double v : cases) ExpectRoundTripShortest(v);
}

TEST(ResultFormatTest, NegativeZeroKeepsItsSign) {
  const std::string text = FormatFloat(-0.0);
  EXPECT_EQ(Bits(ParseBack(text)), Bits(-0.0)) << text;
  EXPECT_EQ(text, "-0");
  EXPECT_EQ(FormatFloat(0.0), "0");
}

TEST(ResultFormatTest, ShortValuesPrintAsWritten) {
  EXPECT_EQ(FormatFloat(1.0), "1");
  EXPECT_EQ(FormatFloat(0.1), "0.1");
  EXPECT_EQ(FormatFloat(-2.5), "-2.5");
  EXPECT_EQ(FormatFloat(100.0), "100");
}

TEST(ResultFormatTest, NonFiniteValuesHaveFixedSpellingsThatParseBack) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(FormatFloat(nan), "NaN");
  EXPECT_EQ(FormatFloat(-nan), "NaN");
  EXPECT_EQ(FormatFloat(std::numeric_limits<double>::signaling_NaN()), "NaN");
  EXPECT_EQ(FormatFloat(inf), "+Inf");
  EXPECT_EQ(FormatFloat(-inf), "-Inf");
  EXPECT_TRUE(std::isnan(ParseBack(FormatFloat(nan))));
  EXPECT_EQ(ParseBack(FormatFloat(inf)), inf);
  EXPECT_EQ(ParseBack(FormatFloat(-inf)), -inf);
}

// Reference RFC 3339 rendering through <chrono>, independent of gmtime. Whole seconds are split
// off first so that no intermediate nanosecond count can overflow near the ends of int64.
std::string ChronoRfc3339(int64_t ns) {
  int64_t secs = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    secs -= 1;
  }
  std::chrono::sys_seconds tp{std::chrono::seconds{secs}};
  auto day = std::chrono::floor<std::chrono::days>(tp);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{tp - day};
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02lld.%09lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()), static_cast<long long>(frac));
  return buf;
}

TEST(ResultFormatTest, FormatTimeAroundTheEpoch) {
  EXPECT_EQ(FormatTime(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatTime(1), "1970-01-01T00:00:00.000000001Z");
  EXPECT_EQ(FormatTime(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatTime(-1'000'000'000), "1969-12-31T23:59:59.000000000Z");
  EXPECT_EQ(FormatTime(-1'000'000'001), "1969-12-31T23:59:58.999999999Z");
  EXPECT_EQ(FormatTime(1'500'000'000), "1970-01-01T00:00:01.500000000Z");
}

TEST(ResultFormatTest, FormatTimeMatchesChronoEverywhere) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 20000; ++i) {
    const int64_t ns = static_cast<int64_t>(rng());
    ASSERT_EQ(FormatTime(ns), ChronoRfc3339(ns)) << ns;
  }
  for (int64_t ns : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                     int64_t{951782400} * 1'000'000'000 /* 2000-02-29 */}) {
    EXPECT_EQ(FormatTime(ns), ChronoRfc3339(ns)) << ns;
  }
  // Runs of one day, as an answer's buckets are (the date text is reused within a day), across
  // midnights, and times hopping between two days and across the epoch.
  constexpr int64_t kMinute = 60'000'000'000;
  for (int64_t ns = -2 * 1440 * kMinute + 13; ns < 3 * 1440 * kMinute; ns += 7 * kMinute) {
    ASSERT_EQ(FormatTime(ns), ChronoRfc3339(ns)) << ns;
  }
  for (int i = 0; i < 100; ++i) {
    const int64_t ns = (i % 2 == 0 ? -1 : 1) * (i * kMinute + 1);
    ASSERT_EQ(FormatTime(ns), ChronoRfc3339(ns)) << ns;
  }
}

TEST(ResultFormatTest, FormatTimeAlwaysHasNineFractionDigitsAndParsesBack) {
  std::mt19937_64 rng(5);
  // Within the range ParseRfc3339 can represent whole seconds of.
  std::uniform_int_distribution<int64_t> dist(-(int64_t{1} << 62), int64_t{1} << 62);
  for (int i = 0; i < 5000; ++i) {
    const int64_t ns = dist(rng);
    const std::string text = FormatTime(ns);
    ASSERT_EQ(text.size(), 30u) << text;
    ASSERT_EQ(text[19], '.') << text;
    ASSERT_EQ(text.back(), 'Z') << text;
    auto parsed = ParseRfc3339(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, ns) << text;
  }
}

TEST(ResultFormatTest, TableSinkKeepsHeaderAndRows) {
  TableSink sink;
  ASSERT_TRUE(sink.Header({"a", "b"}).ok());
  ASSERT_TRUE(sink.Row({"1", ""}).ok());
  ASSERT_TRUE(sink.Row({"2", "x"}).ok());
  EXPECT_EQ(sink.columns(), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(sink.rows().size(), 2u);
  EXPECT_EQ(sink.rows()[0], (std::vector<std::string>{"1", ""}));
  EXPECT_EQ(sink.rows()[1], (std::vector<std::string>{"2", "x"}));
}

TEST(ResultFormatTest, FieldValuesFormatByType) {
  EXPECT_EQ(FormatFieldValue(engine::FieldValue::Float(0.1)), "0.1");
  EXPECT_EQ(FormatFieldValue(engine::FieldValue::Float(-0.0)), "-0");
  EXPECT_EQ(FormatFieldValue(engine::FieldValue::Float(1e21)), "1e+21");
  EXPECT_EQ(FormatFieldValue(engine::FieldValue::Int(std::numeric_limits<int64_t>::min())),
            "-9223372036854775808");
  EXPECT_EQ(FormatFieldValue(engine::FieldValue::Uint(std::numeric_limits<uint64_t>::max())),
            "18446744073709551615");
  EXPECT_EQ(FormatFieldValue(engine::FieldValue::Bool(true)), "true");
  EXPECT_EQ(FormatFieldValue(engine::FieldValue::Bool(false)), "false");
  EXPECT_EQ(FormatFieldValue(engine::FieldValue::String("a b\"c")), "a b\"c");
  EXPECT_EQ(FormatFieldValue(engine::FieldValue::String("")), "");
}

}  // namespace
}  // namespace strata::query
