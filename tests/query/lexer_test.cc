#include "query/lexer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace strata::query {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// What a token should look like: its kind, its text and its source spelling, whose column the
// test finds in the query text itself.
struct ExpectedToken {
  TokenKind kind;
  std::string text;
  std::string spelling;  // as it appears in the source; empty means same as text
};

// Checks kinds, texts and 1-based columns of a one-line query's tokens; the columns come from
// searching each spelling in the text, left to right.
void ExpectTokens(std::string_view query, const std::vector<ExpectedToken>& expected) {
  auto tokens = Tokenize(query);
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_EQ(tokens->size(), expected.size() + 1) << query;
  size_t cursor = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const ExpectedToken& want = expected[i];
    const std::string& spelling = want.spelling.empty() ? want.text : want.spelling;
    size_t at = query.find(spelling, cursor);
    ASSERT_NE(at, std::string_view::npos) << spelling;
    cursor = at + spelling.size();
    const Token& got = (*tokens)[i];
    EXPECT_EQ(got.kind, want.kind) << "token " << i << " '" << got.text << "'";
    EXPECT_EQ(got.text, want.text) << "token " << i;
    EXPECT_EQ(got.line, 1u) << "token " << i;
    EXPECT_EQ(got.column, at + 1) << "token " << i << " '" << got.text << "'";
  }
  const Token& end = tokens->back();
  EXPECT_EQ(end.kind, TokenKind::kEnd);
  EXPECT_EQ(end.column, query.size() + 1);
}

// The "<line>:<col> " prefix an error must start with.
std::string Pos(int line, size_t column) {
  return std::to_string(line) + ":" + std::to_string(column) + " ";
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Reference conversion through <chrono>, independent of the parser's own calendar code.
int64_t CivilNs(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0,
                int64_t frac_ns = 0, int offset_minutes = 0) {
  auto day =
      std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
  auto t = std::chrono::time_point_cast<nanoseconds>(day) + hours{hh} + minutes{mm} + seconds{ss} +
           nanoseconds{frac_ns} - minutes{offset_minutes};
  return t.time_since_epoch().count();
}

TEST(LexerTest, ProducesIdentifiersFunctionsAndPunctuation) {
  ExpectTokens("SELECT mean(usage_user), cpu.total FROM cpu;",
               {{TokenKind::kIdentifier, "SELECT", ""},
                {TokenKind::kIdentifier, "mean", ""},
                {TokenKind::kLParen, "(", ""},
                {TokenKind::kIdentifier, "usage_user", ""},
                {TokenKind::kRParen, ")", ""},
                {TokenKind::kComma, ",", ""},
                {TokenKind::kIdentifier, "cpu.total", ""},
                {TokenKind::kIdentifier, "FROM", ""},
                {TokenKind::kIdentifier, "cpu", ""},
                {TokenKind::kSemicolon, ";", ""}});
}

TEST(LexerTest, ProducesEveryOperator) {
  ExpectTokens("a = b != c <> d < e <= f > g >= h + i - j * k / l",
               {{TokenKind::kIdentifier, "a", ""}, {TokenKind::kOperator, "=", ""},
                {TokenKind::kIdentifier, "b", ""}, {TokenKind::kOperator, "!=", ""},
                {TokenKind::kIdentifier, "c", ""}, {TokenKind::kOperator, "<>", ""},
                {TokenKind::kIdentifier, "d", ""}, {TokenKind::kOperator, "<", ""},
                {TokenKind::kIdentifier, "e", ""}, {TokenKind::kOperator, "<=", ""},
                {TokenKind::kIdentifier, "f", ""}, {TokenKind::kOperator, ">", ""},
                {TokenKind::kIdentifier, "g", ""}, {TokenKind::kOperator, ">=", ""},
                {TokenKind::kIdentifier, "h", ""}, {TokenKind::kOperator, "+", ""},
                {TokenKind::kIdentifier, "i", ""}, {TokenKind::kOperator, "-", ""},
                {TokenKind::kIdentifier, "j", ""}, {TokenKind::kOperator, "*", ""},
                {TokenKind::kIdentifier, "k", ""}, {TokenKind::kOperator, "/", ""},
                {TokenKind::kIdentifier, "l", ""}});
}

TEST(LexerTest, ProducesIntegersNumbersAndDurations) {
  ExpectTokens("42 1.5 .25 1e3 2E-2 7.5e+1 10s 250ms 3h", {{TokenKind::kInteger, "42", ""},
                                                           {TokenKind::kNumber, "1.5", ""},
                                                           {TokenKind::kNumber, ".25", ""},
                                                           {TokenKind::kNumber, "1e3", ""},
                                                           {TokenKind::kNumber, "2E-2", ""},
                                                           {TokenKind::kNumber, "7.5e+1", ""},
                                                           {TokenKind::kDuration, "10s", ""},
                                                           {TokenKind::kDuration, "250ms", ""},
                                                           {TokenKind::kDuration, "3h", ""}});
}

TEST(LexerTest, QuotedIdentifiersAndStringsAreUnescaped) {
  ExpectTokens(R"(SELECT "usage \"user\" %" FROM "my cpu" WHERE host = 'it\'s a\\b')",
               {{TokenKind::kIdentifier, "SELECT", ""},
                {TokenKind::kIdentifier, "usage \"user\" %", R"("usage \"user\" %")"},
                {TokenKind::kIdentifier, "FROM", ""},
                {TokenKind::kIdentifier, "my cpu", "\"my cpu\""},
                {TokenKind::kIdentifier, "WHERE", ""},
                {TokenKind::kIdentifier, "host", ""},
                {TokenKind::kOperator, "=", ""},
                {TokenKind::kString, "it's a\\b", R"('it\'s a\\b')"}});
}

TEST(LexerTest, SlashIsARegexOnlyAfterMatchOperators) {
  ExpectTokens(R"(host =~ /^web\/[0-9]+$/ AND x !~ /a b/ AND y / 2)",
               {{TokenKind::kIdentifier, "host", ""},
                {TokenKind::kOperator, "=~", ""},
                {TokenKind::kRegex, "^web/[0-9]+$", R"(/^web\/[0-9]+$/)"},
                {TokenKind::kIdentifier, "AND", ""},
                {TokenKind::kIdentifier, "x", ""},
                {TokenKind::kOperator, "!~", ""},
                {TokenKind::kRegex, "a b", "/a b/"},
                {TokenKind::kIdentifier, "AND", ""},
                {TokenKind::kIdentifier, "y", ""},
                {TokenKind::kOperator, "/", ""},
                {TokenKind::kInteger, "2", ""}});
}

TEST(LexerTest, RegexKeepsBackslashesOtherThanEscapedSlash) {
  auto tokens = Tokenize(R"(h =~ /\d+\.x/)");
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_EQ(tokens->size(), 4u);
  EXPECT_EQ((*tokens)[2].kind, TokenKind::kRegex);
  EXPECT_EQ((*tokens)[2].text, R"(\d+\.x)");
}

TEST(LexerTest, TracksLinesAndColumnsAcrossNewlinesAndComments) {
  const std::string query = "SELECT -- a comment = 'x'\n\tmean(v)\r\n  FROM cpu";
  auto tokens = Tokenize(query);
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_EQ(tokens->size(), 8u);  // seven tokens and the end
  struct Want {
    std::string text;
    uint32_t line, column;
  };
  // Line 2 is "\tmean(v)\r" (a tab is one byte column), line 3 is "  FROM cpu".
  const Want want[] = {{"SELECT", 1, 1}, {"mean", 2, 2}, {"(", 2, 6},  {"v", 2, 7},
                       {")", 2, 8},      {"FROM", 3, 3}, {"cpu", 3, 8}};
  for (size_t i = 0; i < std::size(want); ++i) {
    EXPECT_EQ((*tokens)[i].text, want[i].text) << i;
    EXPECT_EQ((*tokens)[i].line, want[i].line) << want[i].text;
    EXPECT_EQ((*tokens)[i].column, want[i].column) << want[i].text;
  }
}

TEST(LexerTest, EmptyTextIsJustEnd) {
  auto tokens = Tokenize("  \n ");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ(tokens->front().kind, TokenKind::kEnd);
  EXPECT_EQ(tokens->front().line, 2u);
  EXPECT_EQ(tokens->front().column, 2u);
}

TEST(LexerTest, UnexpectedCharacterErrorPointsAtIt) {
  const std::string query = "SELECT\n  a # b";
  auto tokens = Tokenize(query);
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(tokens.status().code(), StatusCode::kInvalidArgument);
  const size_t column = query.find('#') - query.find('\n');  // 1-based column on line 2
  EXPECT_TRUE(StartsWith(tokens.status().message(), Pos(2, column))) << tokens.status().message();
  EXPECT_NE(tokens.status().message().find("'#'"), std::string::npos) << tokens.status().message();
}

TEST(LexerTest, UnterminatedQuotesAndRegexAreErrors) {
  struct Case {
    std::string query;
    std::string reason;
  };
  const Case cases[] = {
      {"SELECT x FROM cpu WHERE host = 'abc", "unterminated string literal"},
      {"SELECT \"abc FROM cpu", "unterminated quoted identifier"},
      {"SELECT x FROM cpu WHERE host =~ /abc", "unterminated regular expression"},
      {"SELECT x FROM cpu WHERE host = 'ab\nc'", "unterminated"},
  };
  for (const Case& c : cases) {
    auto tokens = Tokenize(c.query);
    ASSERT_FALSE(tokens.ok()) << c.query;
    EXPECT_EQ(tokens.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(StartsWith(tokens.status().message(), "1:")) << tokens.status().message();
    EXPECT_NE(tokens.status().message().find(c.reason), std::string::npos)
        << tokens.status().message();
  }
}

TEST(LexerTest, ErrorsQuoteOnlyValidUtf8) {
  struct Case {
    std::string query;
    std::string message;
  };
  const Case cases[] = {
      // Invalid UTF-8 anywhere, even inside a string, is reported at its first byte.
      {"SELECT v FROM cpu WHERE host = 'a\xff'", "1:34 invalid UTF-8"},
      {"SELECT v\nFROM \xc3(", "2:6 invalid UTF-8"},
      // A character the language does not use is quoted whole; control bytes in hex.
      {"SELECT v FROM cpu WHERE v > \xe2\x82\xac"
       "5",
       "1:29 unexpected character '\xe2\x82\xac'"},
      {"SELECT v\x01 FROM cpu", "1:9 unexpected control character 0x01"},
      {std::string("SELECT v\0 FROM cpu", 18), "1:9 unexpected control character 0x00"},
  };
  for (const Case& c : cases) {
    auto tokens = Tokenize(c.query);
    ASSERT_FALSE(tokens.ok()) << c.query;
    EXPECT_EQ(tokens.status().message(), c.message);
  }
}

TEST(LexerTest, EmptyQuotedIdentifierIsAnErrorAtItsQuote) {
  // An empty name would reach the engine as "no measurement" or "no field"; '' stays a string.
  const std::string query = "SELECT v FROM \"\" WHERE host = ''";
  auto tokens = Tokenize(query);
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(tokens.status().message(), Pos(1, query.find('"') + 1) + "empty quoted identifier");
  auto ok = Tokenize("host = ''");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)[2].kind, TokenKind::kString);
  EXPECT_EQ((*ok)[2].text, "");
}

TEST(LexerTest, QuotesAndRegexesEndOnTheirLine) {
  // Found by query_parser_fuzzer: a regex running over a newline left every later position on
  // the wrong line. The error points at the newline, past the end of the line.
  struct Case {
    std::string query;
    std::string message;
  };
  const Case cases[] = {
      {"SHOW SERIES WHERE r =~ /eu-.* or (\nr =~ /x/", "1:35 unterminated regular expression"},
      {"SELECT v FROM cpu WHERE h = 'a\\\nb'", "1:32 unterminated quoted text"},
      {"SELECT \"a\nb\" FROM cpu", "1:10 unterminated quoted text"},
  };
  for (const Case& c : cases) {
    auto tokens = Tokenize(c.query);
    ASSERT_FALSE(tokens.ok()) << c.query;
    EXPECT_EQ(tokens.status().message(), c.message);
  }
}

TEST(LexerTest, NumberGluedToLettersIsAnError) {
  auto tokens = Tokenize("SELECT x FROM cpu WHERE v > 1.5x");
  ASSERT_FALSE(tokens.ok());
  EXPECT_TRUE(StartsWith(tokens.status().message(), "1:")) << tokens.status().message();
  EXPECT_NE(tokens.status().message().find("1.5x"), std::string::npos) << tokens.status().message();
}

TEST(LexerTest, UnknownDurationUnitErrorPointsAtTheLiteral) {
  const std::string query = "SELECT x FROM cpu\nWHERE time > now() - 5y";
  auto tokens = Tokenize(query);
  ASSERT_FALSE(tokens.ok());
  const size_t column = query.find("5y") - query.find('\n');
  EXPECT_TRUE(StartsWith(tokens.status().message(), Pos(2, column))) << tokens.status().message();
  EXPECT_NE(tokens.status().message().find("'y'"), std::string::npos) << tokens.status().message();
}

TEST(LexerTest, MicroSignDurationIsOneToken) {
  // ParseDuration accepts "µs"; the lexer must hand such a literal to it whole.
  auto tokens = Tokenize("time > now() - 10µs");
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  // time > now ( ) - 10µs <end>
  ASSERT_EQ(tokens->size(), 8u);
  EXPECT_EQ((*tokens)[6].kind, TokenKind::kDuration);
  EXPECT_EQ((*tokens)[6].text, "10µs");
}

struct UnitCase {
  std::string unit;
  int64_t scale_ns;
};

std::vector<UnitCase> AllUnits() {
  return {
      {"ns", nanoseconds{1}.count()},
      {"u", nanoseconds{std::chrono::microseconds{1}}.count()},
      {"us", nanoseconds{std::chrono::microseconds{1}}.count()},
      {"µs", nanoseconds{std::chrono::microseconds{1}}.count()},
      {"ms", nanoseconds{std::chrono::milliseconds{1}}.count()},
      {"s", nanoseconds{seconds{1}}.count()},
      {"m", nanoseconds{minutes{1}}.count()},
      {"h", nanoseconds{hours{1}}.count()},
      {"d", nanoseconds{days{1}}.count()},
      {"w", nanoseconds{std::chrono::weeks{1}}.count()},
  };
}

TEST(LexerTest, ParseDurationKnowsEveryUnit) {
  for (const UnitCase& u : AllUnits()) {
    for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{90}}) {
      auto d = ParseDuration(std::to_string(n) + u.unit);
      ASSERT_TRUE(d.ok()) << n << u.unit << ": " << d.status().ToString();
      EXPECT_EQ(*d, n * u.scale_ns) << n << u.unit;
    }
  }
}

TEST(LexerTest, ParseDurationRejectsOverflowAtTheExactBoundary) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (const UnitCase& u : AllUnits()) {
    const int64_t largest = kMax / u.scale_ns;
    auto ok = ParseDuration(std::to_string(largest) + u.unit);
    ASSERT_TRUE(ok.ok()) << largest << u.unit << ": " << ok.status().ToString();
    EXPECT_EQ(*ok, largest * u.scale_ns);
    // largest + 1 in unsigned arithmetic: for "ns" it does not fit int64 at all.
    const std::string too_big = std::to_string(static_cast<uint64_t>(largest) + 1) + u.unit;
    auto bad = ParseDuration(too_big);
    ASSERT_FALSE(bad.ok()) << too_big;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("out of range"), std::string::npos)
        << bad.status().message();
  }
  EXPECT_FALSE(ParseDuration("99999999999999999999999h").ok());
}

TEST(LexerTest, ParseDurationRejectsUnknownOrMissingUnits) {
  for (std::string_view bad : {"5y", "10", "10S", "1.5h", "h", "", "-1h", "3 h"}) {
    auto d = ParseDuration(bad);
    EXPECT_FALSE(d.ok()) << "'" << bad << "' parsed as " << (d.ok() ? *d : 0);
    if (!d.ok()) {
      EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    }
  }
  auto d = ParseDuration("5y");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("'y'"), std::string::npos) << d.status().message();
}

TEST(LexerTest, Rfc3339WithZuluAndOffsets) {
  struct Case {
    std::string text;
    int64_t want;
  };
  const Case cases[] = {
      {"2026-01-01T00:00:00Z", CivilNs(2026, 1, 1)},
      {"2026-01-01t00:00:00z", CivilNs(2026, 1, 1)},
      {"2026-01-01 00:00:00Z", CivilNs(2026, 1, 1)},
      {"2026-07-15T13:45:30Z", CivilNs(2026, 7, 15, 13, 45, 30)},
      {"2026-01-01T01:00:00+01:00", CivilNs(2026, 1, 1)},
      {"2025-12-31T18:30:00-05:30", CivilNs(2026, 1, 1)},
      {"2026-03-01T00:15:00+00:30", CivilNs(2026, 2, 28, 23, 45)},
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59Z", -1'000'000'000},
      {"1900-03-01T12:00:00Z", CivilNs(1900, 3, 1, 12)},
      {"2024-02-29T23:59:59Z", CivilNs(2024, 2, 29, 23, 59, 59)},
      {"2000-02-29T00:00:00Z", CivilNs(2000, 2, 29)},
  };
  for (const Case& c : cases) {
    auto t = ParseRfc3339(c.text);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status().ToString();
    EXPECT_EQ(*t, c.want) << c.text;
  }
}

TEST(LexerTest, Rfc3339FractionsOfAnyLength) {
  const int64_t base = CivilNs(2026, 5, 6, 7, 8, 9);
  const std::string digits = "123456789";
  for (size_t n = 1; n <= digits.size(); ++n) {
    std::string frac = digits.substr(0, n);
    int64_t frac_ns = std::stoll(frac);
    for (size_t k = n; k < 9; ++k) frac_ns *= 10;
    auto t = ParseRfc3339("2026-05-06T07:08:09." + frac + "Z");
    ASSERT_TRUE(t.ok()) << frac << ": " << t.status().ToString();
    EXPECT_EQ(*t, base + frac_ns) << frac;
  }
  // More than nine digits: below a nanosecond, truncated.
  auto t = ParseRfc3339("2026-05-06T07:08:09.1234567899999Z");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, base + 123456789);
  auto one = ParseRfc3339("2026-05-06T07:08:09.000000001+02:00");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(*one, CivilNs(2026, 5, 6, 7, 8, 9, 1, 120));
  auto before_epoch = ParseRfc3339("1969-12-31T23:59:59.5Z");
  ASSERT_TRUE(before_epoch.ok());
  EXPECT_EQ(*before_epoch, -500'000'000);
}

TEST(LexerTest, Rfc3339BareDateIsMidnightUtc) {
  auto t = ParseRfc3339("2026-03-14");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, CivilNs(2026, 3, 14));
}

TEST(LexerTest, Rfc3339ReachesTheEndOfInt64AndNoFurther) {
  // The largest representable instant, from <chrono>.
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  auto max_tp = std::chrono::sys_time<nanoseconds>{nanoseconds{kMax}};
  auto max_day = std::chrono::floor<days>(max_tp);
  std::chrono::year_month_day ymd{max_day};
  std::chrono::hh_mm_ss hms{max_tp - max_day};
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02u-%02uT%02d:%02d:%02lld.%09lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()),
                static_cast<long long>(hms.subseconds().count()));
  auto t = ParseRfc3339(text);
  ASSERT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  EXPECT_EQ(*t, kMax);

  std::string one_more = text;
  one_more[one_more.size() - 2] += 1;  // last fraction digit 7 -> 8
  auto over = ParseRfc3339(one_more);
  EXPECT_FALSE(over.ok()) << one_more << " parsed as " << (over.ok() ? *over : 0);
  EXPECT_FALSE(ParseRfc3339("9999-12-31T23:59:59Z").ok());
}

TEST(LexerTest, Rfc3339RejectsDatesThatDoNotExist) {
  for (std::string_view bad :
       {"2026-02-30", "2026-02-29", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01",
        "2026-00-10", "2026-01-00", "2026-01-32"}) {
    auto t = ParseRfc3339(bad);
    EXPECT_FALSE(t.ok()) << bad << " parsed as " << (t.ok() ? *t : 0);
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(t.status().message().find(std::string(bad)), std::string::npos)
          << t.status().message();
    }
  }
}

TEST(LexerTest, Rfc3339RejectsMalformedText) {
  for (std::string_view bad : {
           "",
           "2026",
           "2026-1-01",
           "26-01-01",
           "2026/01/01",
           "2026-01-01T",
           "2026-01-01T10:00Z",
           "2026-01-01T10:00:00",
           "2026-01-01T10:00:00.Z",
           "2026-01-01T10:00:00Zjunk",
           "2026-01-01T10:00:00+0100",
           "2026-01-01T10:00:00+01",
           "2026-01-01T24:00:00Z",
           "2026-01-01T23:60:00Z",
           "2026-01-01T10:00:00X",
           "2026-01-01x",
           "now",
       }) {
    auto t = ParseRfc3339(bad);
    EXPECT_FALSE(t.ok()) << "'" << bad << "' parsed as " << (t.ok() ? *t : 0);
  }
}

TEST(LexerTest, Rfc3339RejectsOffsetsOutOfRange) {
  for (std::string_view bad :
       {"2026-01-01T10:00:00+01:60", "2026-01-01T10:00:00-24:00", "2026-01-01T10:00:00+99:99"}) {
    auto t = ParseRfc3339(bad);
    EXPECT_FALSE(t.ok()) << bad << " parsed as " << (t.ok() ? *t : 0);
  }
}

}  // namespace
}  // namespace strata::query
