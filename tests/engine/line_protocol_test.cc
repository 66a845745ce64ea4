#include "engine/line_protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "tests/support/test_util.h"

namespace strata::engine {
namespace {

using TagPairs = std::vector<std::pair<std::string, std::string>>;

class LineProtocolTest : public ::testing::Test {
 protected:
  // Parses `line` into out_ and reports the status message on failure.
  ::testing::AssertionResult Ok(std::string_view line) {
    Status s = parser_.Parse(line, &out_);
    if (s.ok()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "'" << line << "': " << s.ToString();
  }

  // The error message for a line that must fail ("" if it parsed).
  // Parses line with the test's reused parser and with fresh, a new parser (alive as long as
  // *expected views into it). Whether both accepted it (then *expected is the fresh parse, out_
  // the reused one); when both refused it, the messages are checked to be equal.
  bool ParseAsFreshParserDoes(const std::string& line, LineParser& fresh, ParsedLine* expected) {
    const Status want = fresh.Parse(line, expected);
    const Status got = parser_.Parse(line, &out_);
    EXPECT_EQ(got.ok(), want.ok()) << line;
    if (!want.ok() && !got.ok()) {
      EXPECT_EQ(got.message(), want.message()) << line;
    }
    return want.ok() && got.ok();
  }

  std::string ErrorOf(std::string_view line) {
    Status s = parser_.Parse(line, &out_);
    if (s.ok()) return "";
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    return s.message();
  }

  TagPairs Tags() const {
    TagPairs tags;
    for (const Tag& t : out_.tags) tags.emplace_back(std::string(t.key), std::string(t.value));
    return tags;
  }

  const FieldValue& Value(size_t i = 0) const { return out_.fields.at(i).value; }

  double ParseFloat(std::string_view text) {
    std::string line = "m v=" + std::string(text);
    EXPECT_TRUE(Ok(line));
    EXPECT_EQ(Value().type, FieldType::kFloat) << text;
    return Value().f;
  }

  LineParser parser_;
  ParsedLine out_;
};

// ---- structure ----

TEST_F(LineProtocolTest, ParsesMeasurementTagsFieldsAndTimestamp) {
  ASSERT_TRUE(Ok("cpu,host=a,region=eu usage=1.5,count=3i,ok=true,msg=\"hi\" 1700000000000000000"));
  EXPECT_EQ(out_.measurement, "cpu");
  EXPECT_EQ(Tags(), (TagPairs{{"host", "a"}, {"region", "eu"}}));
  ASSERT_EQ(out_.fields.size(), 4u);
  EXPECT_EQ(out_.fields[0].key, "usage");
  EXPECT_EQ(Value(0).type, FieldType::kFloat);
  EXPECT_EQ(Value(0).f, 1.5);
  EXPECT_EQ(out_.fields[1].key, "count");
  EXPECT_EQ(Value(1).type, FieldType::kInt);
  EXPECT_EQ(Value(1).i, 3);
  EXPECT_EQ(Value(2).type, FieldType::kBool);
  EXPECT_TRUE(Value(2).b);
  EXPECT_EQ(Value(3).type, FieldType::kString);
  EXPECT_EQ(Value(3).s, "hi");
  EXPECT_EQ(out_.timestamp_ns, 1700000000000000000);
  EXPECT_EQ(out_.series_key, "cpu,host=a,region=eu");
}

TEST_F(LineProtocolTest, LineWithoutTagsOrTimestampIsValid) {
  ASSERT_TRUE(Ok("cpu v=1"));
  EXPECT_EQ(out_.measurement, "cpu");
  EXPECT_TRUE(out_.tags.empty());
  EXPECT_FALSE(out_.timestamp_ns.has_value());
  EXPECT_EQ(out_.series_key, "cpu");
}

TEST_F(LineProtocolTest, FieldsKeepLineOrder) {
  ASSERT_TRUE(Ok("m z=1,a=2,m=3"));
  ASSERT_EQ(out_.fields.size(), 3u);
  EXPECT_EQ(out_.fields[0].key, "z");
  EXPECT_EQ(out_.fields[1].key, "a");
  EXPECT_EQ(out_.fields[2].key, "m");
}

TEST_F(LineProtocolTest, SeveralSpacesMaySeparateSections) {
  ASSERT_TRUE(Ok("cpu,host=a   v=1    42"));
  EXPECT_EQ(out_.series_key, "cpu,host=a");
  EXPECT_EQ(Value().f, 1.0);
  EXPECT_EQ(out_.timestamp_ns, 42);
}

TEST_F(LineProtocolTest, TrailingBlanksAndCarriageReturnAreIgnored) {
  for (const char* line : {"cpu v=1 42\r", "cpu v=1 42 \t \r", "cpu v=1 42  ", "cpu v=1 42\t"}) {
    ASSERT_TRUE(Ok(line));
    EXPECT_EQ(out_.timestamp_ns, 42) << line;
  }
  ASSERT_TRUE(Ok("cpu v=1 \r"));
  EXPECT_FALSE(out_.timestamp_ns.has_value());
}

TEST_F(LineProtocolTest, TagsComeOutSortedByKey) {
  ASSERT_TRUE(Ok("m,zone=z,app=a,host=h,b=2 v=1"));
  EXPECT_EQ(Tags(), (TagPairs{{"app", "a"}, {"b", "2"}, {"host", "h"}, {"zone", "z"}}));
  EXPECT_EQ(out_.series_key, "m,app=a,b=2,host=h,zone=z");
}

TEST_F(LineProtocolTest, ManyUnsortedTagsAreSorted) {
  std::string line = "m";
  for (int i = 999; i >= 0; --i) line += ",k" + std::to_string(i) + "=v" + std::to_string(i);
  line += " f=1";
  ASSERT_TRUE(Ok(line));
  ASSERT_EQ(out_.tags.size(), 1000u);
  EXPECT_TRUE(std::is_sorted(out_.tags.begin(), out_.tags.end(),
                             [](const Tag& a, const Tag& b) { return a.key < b.key; }));
  for (const Tag& t : out_.tags) EXPECT_EQ(t.key.substr(1), t.value.substr(1));
}

TEST_F(LineProtocolTest, TagOrderRememberedFromThePreviousLineIsCheckedBeforeUse) {
  // The parser retries the order that sorted the previous line; a different order, or a
  // repeated key, must still come out right.
  ASSERT_TRUE(Ok("m,c=1,a=2,b=3 f=1"));
  EXPECT_EQ(out_.series_key, "m,a=2,b=3,c=1");
  ASSERT_TRUE(Ok("m,c=4,a=5,b=6 f=1"));
  EXPECT_EQ(out_.series_key, "m,a=5,b=6,c=4");
  ASSERT_TRUE(Ok("m,b=7,c=8,a=9 f=1"));
  EXPECT_EQ(out_.series_key, "m,a=9,b=7,c=8");
  EXPECT_EQ(ErrorOf("m,b=7,c=8,b=9 f=1"), "column 11: duplicate tag key 'b'");
  EXPECT_EQ(ErrorOf("m,c=1,a=2,a=3 f=1"), "column 11: duplicate tag key 'a'");
  ASSERT_TRUE(Ok("m,x=1,y=2,z=3 f=1"));
  EXPECT_EQ(out_.series_key, "m,x=1,y=2,z=3");
}

TEST_F(LineProtocolTest, CanonicalPrefixIsReturnedAsAViewWithoutCopying) {
  const std::string line = "cpu,a=1,b=2 v=1 5";
  ASSERT_TRUE(Ok(line));
  EXPECT_EQ(out_.series_key, "cpu,a=1,b=2");
  EXPECT_EQ(out_.series_key.data(), line.data());
  EXPECT_EQ(out_.measurement.data(), line.data());
}

TEST_F(LineProtocolTest, SeriesKeyIsTheSameForReorderedTags) {
  ASSERT_TRUE(Ok("cpu,host=a,region=eu,dc=x v=1"));
  const std::string first(out_.series_key);
  ASSERT_TRUE(Ok("cpu,region=eu,dc=x,host=a v=2"));
  EXPECT_EQ(out_.series_key, first);
  ASSERT_TRUE(Ok("cpu,dc=x,host=a,region=eu v=3"));
  EXPECT_EQ(out_.series_key, first);
  EXPECT_EQ(first, "cpu,dc=x,host=a,region=eu");
}

TEST_F(LineProtocolTest, SeriesKeyIsTheSameForRedundantEscapes) {
  // "a\b" (literal backslash) and "a\\b" (escaped backslash) both mean a, backslash, b.
  ASSERT_TRUE(Ok(R"(m\x,t=a\b v=1)"));
  const std::string first(out_.series_key);
  EXPECT_EQ(out_.measurement, R"(m\x)");
  ASSERT_TRUE(Ok(R"(m\\x,t=a\\b v=1)"));
  EXPECT_EQ(out_.series_key, first);
  EXPECT_EQ(first, R"(m\\x,t=a\\b)");
}

TEST_F(LineProtocolTest, SeriesKeyEscapesSpecialBytes) {
  ASSERT_TRUE(Ok(R"(my\ m\,e=as,t\=k\ e\,y=v\ a\=l\,ue\\ f=1)"));
  EXPECT_EQ(out_.measurement, "my m,e=as");
  EXPECT_EQ(Tags(), (TagPairs{{"t=k e,y", "v a=l,ue\\"}}));
  EXPECT_EQ(out_.series_key, R"(my\ m\,e=as,t\=k\ e\,y=v\ a\=l\,ue\\)");
}

// ---- escapes ----

TEST_F(LineProtocolTest, MeasurementEscapesCommaSpaceAndBackslash) {
  ASSERT_TRUE(Ok(R"(a\,b\ c\\d v=1)"));
  EXPECT_EQ(out_.measurement, R"(a,b c\d)");
}

TEST_F(LineProtocolTest, MeasurementMayContainUnescapedEquals) {
  ASSERT_TRUE(Ok("a=b,t=1 v=1"));
  EXPECT_EQ(out_.measurement, "a=b");
  EXPECT_EQ(out_.series_key, "a=b,t=1");
}

TEST_F(LineProtocolTest, BackslashEqualsIsLiteralInMeasurement) {
  ASSERT_TRUE(Ok(R"(a\=b v=1)"));
  EXPECT_EQ(out_.measurement, R"(a\=b)");
  EXPECT_EQ(out_.series_key, R"(a\\=b)");
}

TEST_F(LineProtocolTest, TagAndFieldNamesUnescapeCommaEqualsSpaceAndBackslash) {
  ASSERT_TRUE(Ok(R"(m,k\,1\=\ \\=v\,1\=\ \\ f\,1\=\ \\=1)"));
  EXPECT_EQ(Tags(), (TagPairs{{R"(k,1= \)", R"(v,1= \)"}}));
  EXPECT_EQ(out_.fields[0].key, R"(f,1= \)");
}

TEST_F(LineProtocolTest, BackslashBeforeOtherBytesIsLiteral) {
  ASSERT_TRUE(Ok(R"(m\x,t\a=v\b f\c=1)"));
  EXPECT_EQ(out_.measurement, R"(m\x)");
  EXPECT_EQ(Tags(), (TagPairs{{R"(t\a)", R"(v\b)"}}));
  EXPECT_EQ(out_.fields[0].key, R"(f\c)");
}

TEST_F(LineProtocolTest, StringValuesUnescapeQuoteAndBackslashOnly) {
  ASSERT_TRUE(Ok(R"(m s="a \"q\" b\\c\d, e=f" 7)"));
  EXPECT_EQ(Value().s, R"(a "q" b\c\d, e=f)");
  EXPECT_EQ(out_.timestamp_ns, 7);
}

TEST_F(LineProtocolTest, StringValuesMayBeEmptyOrHoldSeparators) {
  ASSERT_TRUE(Ok(R"(m a="",b=" , = ",c="x")"));
  EXPECT_EQ(Value(0).s, "");
  EXPECT_EQ(Value(1).s, " , = ");
  EXPECT_EQ(Value(2).s, "x");
}

TEST_F(LineProtocolTest, EscapedBackslashBeforeClosingQuoteEndsTheString) {
  ASSERT_TRUE(Ok(R"(m s="ab\\",t=1)"));
  EXPECT_EQ(Value(0).s, R"(ab\)");
  EXPECT_EQ(Value(1).f, 1.0);
}

TEST_F(LineProtocolTest, UnicodeNamesAndValuesAreAccepted) {
  ASSERT_TRUE(Ok("température,ville=Zürich valeur=1,note=\"très 🙂\""));
  EXPECT_EQ(out_.measurement, "température");
  EXPECT_EQ(Value(1).s, "très 🙂");
}

// ---- values ----

TEST_F(LineProtocolTest, FloatSpellings) {
  EXPECT_EQ(ParseFloat("1"), 1.0);
  EXPECT_EQ(ParseFloat("-1.5"), -1.5);
  EXPECT_EQ(ParseFloat("1."), 1.0);
  EXPECT_EQ(ParseFloat(".5"), 0.5);
  EXPECT_EQ(ParseFloat("-.5"), -0.5);
  EXPECT_EQ(ParseFloat("1e10"), 1e10);
  EXPECT_EQ(ParseFloat("1.5E-3"), 1.5e-3);
  EXPECT_EQ(ParseFloat("2e+3"), 2000.0);
  EXPECT_EQ(ParseFloat("007"), 7.0);
}

TEST_F(LineProtocolTest, FloatsParseBitExactly) {
  const std::pair<const char*, double> cases[] = {
      {"0.1", 0.1},
      {"0.30000000000000004", 0.30000000000000004},
      {"5e-324", std::numeric_limits<double>::denorm_min()},
      {"2.2250738585072014e-308", std::numeric_limits<double>::min()},
      {"1.7976931348623157e308", std::numeric_limits<double>::max()},
      {"-1.7976931348623157e308", std::numeric_limits<double>::lowest()},
      {"9007199254740993", 9007199254740992.0},  // ties round to even
      {"123456789.12345679", 123456789.12345679},
      {"3.141592653589793", 3.141592653589793},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(std::bit_cast<uint64_t>(ParseFloat(text)), std::bit_cast<uint64_t>(expected)) << text;
  }
  const double negative_zero = ParseFloat("-0.0");
  EXPECT_EQ(negative_zero, 0.0);
  EXPECT_TRUE(std::signbit(negative_zero));
  EXPECT_FALSE(std::signbit(ParseFloat("0.0")));
}

TEST_F(LineProtocolTest, FloatsBelowTheSmallestDenormalRoundToSignedZero) {
  const double tiny = ParseFloat("1e-400");
  EXPECT_EQ(tiny, 0.0);
  EXPECT_FALSE(std::signbit(tiny));
  EXPECT_TRUE(std::signbit(ParseFloat("-0.000001e-320")));
  EXPECT_EQ(ParseFloat("2e-324"), 0.0);
}

TEST_F(LineProtocolTest, FastAndGeneralFloatPathsAgreeBitForBit) {
  // Short decimals take a one-pass fast path; everything must match from_chars exactly.
  std::mt19937_64 rng(99);
  for (int i = 0; i < 20000; ++i) {
    const int digits = 1 + static_cast<int>(rng() % 19);
    std::string text = (rng() % 2) ? "-" : "";
    const int dot = static_cast<int>(rng() % (digits + 1));
    for (int d = 0; d < digits; ++d) {
      if (d == dot) text += '.';
      text += static_cast<char>('0' + rng() % 10);
    }
    if (rng() % 4 == 0) text += "e" + std::to_string(static_cast<int>(rng() % 40) - 20);
    double expected = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), expected);
    ASSERT_EQ(ec, std::errc()) << text;
    ASSERT_EQ(ptr, text.data() + text.size()) << text;
    EXPECT_EQ(std::bit_cast<uint64_t>(ParseFloat(text)), std::bit_cast<uint64_t>(expected)) << text;
  }
}

TEST_F(LineProtocolTest, IntegersAtTheFastPathLimitsAreExact) {
  ASSERT_TRUE(
      Ok("m a=999999999999999999i,b=-999999999999999999i,c=1000000000000000000i,"
         "d=999999999999999999u,e=1000000000000000000u,f=-0i,g=0001u"));
  EXPECT_EQ(Value(0).i, 999999999999999999);
  EXPECT_EQ(Value(1).i, -999999999999999999);
  EXPECT_EQ(Value(2).i, 1000000000000000000);
  EXPECT_EQ(Value(3).u, 999999999999999999u);
  EXPECT_EQ(Value(4).u, 1000000000000000000u);
  EXPECT_EQ(Value(5).i, 0);
  EXPECT_EQ(Value(6).u, 1u);
}

TEST_F(LineProtocolTest, IntegersPastNineteenDigitsAreCheckedForOverflow) {
  // Nineteen digits cannot overflow 64 bits and are read unchecked; the checks start after.
  ASSERT_TRUE(Ok("m a=9999999999999999999u,b=000000000000000000000042u,c=-00000000000000000000042i"));
  EXPECT_EQ(Value(0).u, 9999999999999999999u);
  EXPECT_EQ(Value(1).u, 42u);
  EXPECT_EQ(Value(2).i, -42);
  EXPECT_EQ(ErrorOf("m a=184467440737095516150u"),
            "column 5: unsigned integer value '184467440737095516150u' out of range for field 'a'");
  EXPECT_EQ(ErrorOf("m a=99999999999999999990u"),
            "column 5: unsigned integer value '99999999999999999990u' out of range for field 'a'");
}

TEST_F(LineProtocolTest, NanAndInfinitySpellingsAreFloats) {
  for (const char* text : {"nan", "NaN", "NAN", "-nan", "+NaN"}) {
    EXPECT_TRUE(std::isnan(ParseFloat(text))) << text;
  }
  // Every NaN spelling gives the same bits, so equal text means an identical value.
  EXPECT_EQ(std::bit_cast<uint64_t>(ParseFloat("-nan")),
            std::bit_cast<uint64_t>(ParseFloat("nan")));
  for (const char* text : {"inf", "Inf", "+inf", "INF", "infinity", "Infinity", "+INFINITY"}) {
    EXPECT_EQ(ParseFloat(text), std::numeric_limits<double>::infinity()) << text;
  }
  for (const char* text : {"-inf", "-Inf", "-infinity"}) {
    EXPECT_EQ(ParseFloat(text), -std::numeric_limits<double>::infinity()) << text;
  }
}

TEST_F(LineProtocolTest, IntegersCoverTheInt64Range) {
  ASSERT_TRUE(Ok("m a=0i,b=-5i,c=9223372036854775807i,d=-9223372036854775808i"));
  EXPECT_EQ(Value(0).type, FieldType::kInt);
  EXPECT_EQ(Value(0).i, 0);
  EXPECT_EQ(Value(1).i, -5);
  EXPECT_EQ(Value(2).i, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Value(3).i, std::numeric_limits<int64_t>::min());
}

TEST_F(LineProtocolTest, UnsignedIntegersCoverTheUint64Range) {
  ASSERT_TRUE(Ok("m a=0u,b=18446744073709551615u"));
  EXPECT_EQ(Value(0).type, FieldType::kUint);
  EXPECT_EQ(Value(0).u, 0u);
  EXPECT_EQ(Value(1).u, std::numeric_limits<uint64_t>::max());
}

TEST_F(LineProtocolTest, BooleanSpellings) {
  for (const char* t : {"t", "T", "true", "True", "TRUE"}) {
    ASSERT_TRUE(Ok(std::string("m b=") + t));
    EXPECT_EQ(Value().type, FieldType::kBool);
    EXPECT_TRUE(Value().b) << t;
  }
  for (const char* f : {"f", "F", "false", "False", "FALSE"}) {
    ASSERT_TRUE(Ok(std::string("m b=") + f));
    EXPECT_EQ(Value().type, FieldType::kBool);
    EXPECT_FALSE(Value().b) << f;
  }
  EXPECT_NE(ErrorOf("m b=tRUE"), "");
  EXPECT_NE(ErrorOf("m b=yes"), "");
}

// ---- timestamps ----

TEST_F(LineProtocolTest, TimestampsMayBeNegative) {
  ASSERT_TRUE(Ok("m v=1 -1500"));
  EXPECT_EQ(out_.timestamp_ns, -1500);
}

TEST_F(LineProtocolTest, PrecisionScalesTimestamps) {
  const std::pair<Precision, int64_t> cases[] = {{Precision::kNanoseconds, 7},
                                                 {Precision::kMicroseconds, 7'000},
                                                 {Precision::kMilliseconds, 7'000'000},
                                                 {Precision::kSeconds, 7'000'000'000}};
  for (const auto& [precision, expected] : cases) {
    parser_.set_precision(precision);
    ASSERT_TRUE(Ok("m v=1 7"));
    EXPECT_EQ(out_.timestamp_ns, expected);
  }
  LineParser seconds(Precision::kSeconds);
  ASSERT_TRUE(seconds.Parse("m v=1 -9223372036", &out_).ok());
  EXPECT_EQ(out_.timestamp_ns, -9'223'372'036'000'000'000);
}

TEST_F(LineProtocolTest, ScaledTimestampThatOverflowsIsAnError) {
  parser_.set_precision(Precision::kSeconds);
  EXPECT_EQ(ErrorOf("m v=1 9223372037"),
            "column 7: timestamp '9223372037' out of range at precision s");
  EXPECT_EQ(ErrorOf("m v=1 -9223372037"),
            "column 7: timestamp '-9223372037' out of range at precision s");
  parser_.set_precision(Precision::kMilliseconds);
  EXPECT_TRUE(Ok("m v=1 9223372036854"));
  EXPECT_EQ(ErrorOf("m v=1 9223372036855"),
            "column 7: timestamp '9223372036855' out of range at precision ms");
  parser_.set_precision(Precision::kNanoseconds);
  EXPECT_TRUE(Ok("m v=1 9223372036854775807"));
  EXPECT_TRUE(Ok("m v=1 -9223372036854775808"));
  EXPECT_EQ(ErrorOf("m v=1 9223372036854775808"),
            "column 7: timestamp '9223372036854775808' out of range at precision ns");
}

TEST_F(LineProtocolTest, ParsePrecisionAcceptsInfluxSpellings) {
  const std::pair<const char*, Precision> cases[] = {
      {"ns", Precision::kNanoseconds},  {"n", Precision::kNanoseconds},
      {"us", Precision::kMicroseconds}, {"u", Precision::kMicroseconds},
      {"ms", Precision::kMilliseconds}, {"s", Precision::kSeconds}};
  for (const auto& [text, expected] : cases) {
    Result<Precision> p = ParsePrecision(text);
    ASSERT_TRUE(p.ok()) << text;
    EXPECT_EQ(*p, expected);
  }
  Result<Precision> bad = ParsePrecision("h");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "invalid precision 'h': expected ns, us, ms or s");
}

// ---- errors: every rule names its column and reason ----

struct ErrorCase {
  const char* line;
  const char* message;
};

TEST_F(LineProtocolTest, MalformedLinesNameTheColumnAndReason) {
  const ErrorCase cases[] = {
      {"", "column 1: empty measurement name"},
      {",host=a v=1", "column 1: empty measurement name"},
      {" cpu v=1", "column 1: empty measurement name"},
      {"cpu", "column 4: missing field set"},
      {"cpu,host=a", "column 11: missing field set"},
      {"cpu,host=a   ", "column 11: missing field set"},
      {"cpu,host value=1", "column 9: expected '=' after tag key 'host'"},
      {"cpu,host", "column 9: expected '=' after tag key 'host'"},
      {"cpu,=a v=1", "column 5: empty tag key"},
      {"cpu, v=1", "column 5: empty tag key"},
      {"cpu,host=a, v=1", "column 12: empty tag key"},
      {"cpu,host= v=1", "column 10: empty value for tag 'host'"},
      {"cpu,host=a=b v=1", "column 11: unescaped '=' in the value of tag 'host'"},
      {"cpu,host=a,host=b v=1", "column 12: duplicate tag key 'host'"},
      {"cpu,b=1,a=2,b=3 v=1", "column 13: duplicate tag key 'b'"},
      {"cpu v", "column 6: expected '=' after field key 'v'"},
      {"cpu v 1", "column 6: expected '=' after field key 'v'"},
      {"cpu v=", "column 7: missing value for field 'v'"},
      {"cpu v=,w=1", "column 7: missing value for field 'v'"},
      {"cpu v= 5", "column 7: missing value for field 'v'"},
      {"cpu =1", "column 5: empty field key"},
      {"cpu v=1,", "column 9: expected a field key after ','"},
      {"cpu v=1, w=2", "column 9: expected a field key after ','"},
      {"cpu v=1,,w=2", "column 9: expected a field key after ','"},
      {"cpu v=1,=2", "column 9: empty field key"},
      {"cpu v=1,v=2", "column 9: duplicate field key 'v'"},
      {"cpu a=1,b=2,a=3,b=4", "column 13: duplicate field key 'a'"},
      {"cpu count=12x", "column 11: invalid integer value '12x' for field 'count'"},
      {"cpu v=12ab", "column 7: invalid integer value '12ab' for field 'v'"},
      {"cpu v=1i2", "column 7: invalid integer value '1i2' for field 'v'"},
      {"cpu v=+1", "column 7: invalid integer value '+1' for field 'v'"},
      {"cpu v=-", "column 7: invalid integer value '-' for field 'v'"},
      {"cpu v=1.2.3", "column 7: invalid float value '1.2.3' for field 'v'"},
      {"cpu v=1e", "column 7: invalid float value '1e' for field 'v'"},
      {"cpu v=.", "column 7: invalid float value '.' for field 'v'"},
      {"cpu v=+1.5", "column 7: invalid float value '+1.5' for field 'v'"},
      {"cpu v=-infx", "column 7: invalid float value '-infx' for field 'v'"},
      {"cpu v=0x10", "column 7: invalid integer value '0x10' for field 'v'"},
      {"cpu v=1e400", "column 7: float value '1e400' out of range for field 'v'"},
      {"cpu v=-1e400", "column 7: float value '-1e400' out of range for field 'v'"},
      {"cpu v=hello",
       "column 7: invalid value 'hello' for field 'v' (strings must be double-quoted)"},
      {"cpu v=nanx",
       "column 7: invalid value 'nanx' for field 'v' (strings must be double-quoted)"},
      {"cpu v=tRUE",
       "column 7: invalid value 'tRUE' for field 'v' (strings must be double-quoted)"},
      {"cpu n=1.5i", "column 7: invalid integer value '1.5i' for field 'n'"},
      {"cpu n=-i", "column 7: invalid integer value '-i' for field 'n'"},
      {"cpu n=+5i", "column 7: invalid integer value '+5i' for field 'n'"},
      {"cpu n=99999999999999999999i",
       "column 7: integer value '99999999999999999999i' out of range for field 'n'"},
      {"cpu n=9223372036854775808i",
       "column 7: integer value '9223372036854775808i' out of range for field 'n'"},
      {"cpu n=-9223372036854775809i",
       "column 7: integer value '-9223372036854775809i' out of range for field 'n'"},
      {"cpu n=18446744073709551616u",
       "column 7: unsigned integer value '18446744073709551616u' out of range for field 'n'"},
      {"cpu n=-1u", "column 7: invalid unsigned integer value '-1u' for field 'n'"},
      {"cpu n=1.0u", "column 7: invalid unsigned integer value '1.0u' for field 'n'"},
      {"cpu msg=\"abc", "column 9: unterminated string value for field 'msg'"},
      {R"(cpu msg="abc\")", "column 9: unterminated string value for field 'msg'"},
      {"cpu msg=\"a\"b", "column 12: expected ',' or ' ' after the string value of field 'msg'"},
      {"cpu v=1 123abc", "column 9: timestamp '123abc' is not an integer"},
      {"cpu v=1 12 34", "column 9: timestamp '12 34' is not an integer"},
      {"cpu v=1 1.5", "column 9: timestamp '1.5' is not an integer"},
      {"cpu v=1 -", "column 9: timestamp '-' is not an integer"},
      {"cpu v=1 +5", "column 9: timestamp '+5' is not an integer"},
      {"cpu v=1 99999999999999999999",
       "column 9: timestamp '99999999999999999999' out of range at precision ns"},
      {"cpu v=1\nx", "column 8: unexpected newline inside a line"},
      {"cpu,host=\xff v=1", "column 10: invalid UTF-8"},
      {"cpu v=\"\xc0\x80\"", "column 8: invalid UTF-8"},          // overlong NUL
      {"cpu v=\"\xed\xa0\x80\"", "column 8: invalid UTF-8"},      // surrogate
      {"cpu v=\"\xf4\x90\x80\x80\"", "column 8: invalid UTF-8"},  // above U+10FFFF
      {"cpu v=1 \xe2\x82", "column 9: invalid UTF-8"},            // truncated
  };
  for (const ErrorCase& c : cases) {
    EXPECT_EQ(ErrorOf(c.line), c.message) << "line: " << c.line;
  }
}

TEST_F(LineProtocolTest, LineWithOnlyATimestampAfterTheTagsIsRejected) {
  EXPECT_EQ(ErrorOf("cpu,host=a 1700000000"),
            "column 12: missing field set before timestamp '1700000000'");
  EXPECT_EQ(ErrorOf("cpu 5"), "column 5: missing field set before timestamp '5'");
  // A numeric field key is still a field key when '=' follows.
  ASSERT_TRUE(Ok("cpu 5=1"));
  EXPECT_EQ(out_.fields[0].key, "5");
}

TEST_F(LineProtocolTest, DuplicateFieldKeysAreFoundAmongManyFields) {
  std::string line = "m ";
  for (int i = 0; i < 40; ++i) line += "f" + std::to_string(i) + "=1,";
  const size_t column = line.size() + 1;
  line += "f17=2,f3=1";
  EXPECT_EQ(ErrorOf(line), "column " + std::to_string(column) + ": duplicate field key 'f17'");
}

TEST_F(LineProtocolTest, DuplicateTagKeysAreFoundAmongManyTags) {
  std::string line = "m";
  for (int i = 40; i > 0; --i) line += ",t" + std::to_string(i) + "=x";
  const size_t column = line.size() + 2;
  line += ",t7=y,t9=z f=1";
  EXPECT_EQ(ErrorOf(line), "column " + std::to_string(column) + ": duplicate tag key 't7'");
}

TEST_F(LineProtocolTest, LongBadTokensAreCutInMessages) {
  const std::string token(200, '7');
  const std::string message = ErrorOf("m v=" + token + "x");
  EXPECT_EQ(message,
            "column 5: invalid integer value '" + token.substr(0, 64) + "...' for field 'v'");
}

// ---- reuse and lifetime ----

TEST_F(LineProtocolTest, ReusedParserKeepsItsBuffers) {
  const std::string line =
      "cpu,z=1,y=2,x=3,w=4 a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10 1700000000000000000";
  ASSERT_TRUE(Ok(line));
  const Tag* tags = out_.tags.data();
  const Field* fields = out_.fields.data();
  const std::string key(out_.series_key);
  ASSERT_TRUE(Ok(line));
  const char* key_data = out_.series_key.data();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(Ok(line));
    EXPECT_EQ(out_.tags.data(), tags);
    EXPECT_EQ(out_.fields.data(), fields);
    EXPECT_EQ(out_.series_key.data(), key_data);  // the prefix cache's copy, never reallocated
    EXPECT_EQ(out_.series_key, key);
  }
}

// A parser that has seen a line's prefix before answers from its prefix cache; a fresh parser
// parses everything. Both must give the same line and the same errors, for prefixes that
// collide in the cache, need escaping, carry unsorted tags, or precede a bad field set.
TEST_F(LineProtocolTest, PrefixCacheAnswersExactlyAsAFreshParse) {
  std::mt19937_64 rng(17);
  const std::vector<std::string> prefixes_of_kind = {
      "cpu,host=h{},region=r{}", "cpu,region=r{},host=h{}", "m\\ x,host=h{},z=z{}",
      "disk,path=/a{} b,dev=d{}", "net,b=1,a={}", "cpu,host=h{},host=h{}"};
  auto fill = [](std::string pattern, size_t n) {
    for (size_t at; (at = pattern.find("{}")) != std::string::npos;) {
      pattern.replace(at, 2, std::to_string(n));
    }
    return pattern;
  };
  const std::vector<std::string> field_sets = {"f=1", "f=1,g=2i 1700000000000000000", "f=",
                                               "f=1 x", " f=2", "f=\"s\",g=t"};
  for (int i = 0; i < 20000; ++i) {
    const std::string line = fill(prefixes_of_kind[rng() % prefixes_of_kind.size()], rng() % 3000) +
                             " " + field_sets[rng() % field_sets.size()];
    LineParser fresh;
    ParsedLine expected;
    if (!ParseAsFreshParserDoes(line, fresh, &expected)) continue;
    EXPECT_EQ(out_.series_key, expected.series_key) << line;
    EXPECT_EQ(out_.measurement, expected.measurement) << line;
    ASSERT_EQ(out_.tags.size(), expected.tags.size()) << line;
    for (size_t t = 0; t < expected.tags.size(); ++t) {
      EXPECT_EQ(out_.tags[t].key, expected.tags[t].key) << line;
      EXPECT_EQ(out_.tags[t].value, expected.tags[t].value) << line;
    }
    ASSERT_EQ(out_.fields.size(), expected.fields.size()) << line;
    EXPECT_EQ(out_.timestamp_ns, expected.timestamp_ns) << line;
  }
}

TEST_F(LineProtocolTest, FieldSetsParseExactlyAsAFreshParserWhateverTheLastShape) {
  // A reused parser compares each key with the last field set's key at its position before
  // scanning it. Keys that are prefixes of each other, escaped keys, repeated keys, other types
  // and other counts must all still parse as a fresh parser parses them.
  std::mt19937_64 rng(23);
  const std::vector<std::string> keys = {"a", "ab", "b", "a\\ b", "a\\,b", "a\\=b", "usage_user",
                                         "usage_use", "x\\\\"};
  const std::vector<std::string> values = {"1", "2i", "3u", "t", "\"s\"", "-1.5", "", "1.2.3"};
  std::vector<std::string> last;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::string> fields = last;
    if (fields.empty() || rng() % 3 == 0) {  // otherwise repeat the last keys with new values
      fields.clear();
      const size_t n = 1 + rng() % 4;
      for (size_t k = 0; k < n; ++k) fields.push_back(keys[rng() % keys.size()]);
    }
    last = fields;
    std::string line = "m,t=" + std::to_string(rng() % 5) + " ";
    for (size_t k = 0; k < fields.size(); ++k) {
      line += (k ? "," : "") + fields[k] + "=" + values[rng() % (rng() % 4 == 0 ? values.size() : 2)];
    }
    LineParser fresh;
    ParsedLine expected;
    if (!ParseAsFreshParserDoes(line, fresh, &expected)) continue;
    ASSERT_EQ(out_.fields.size(), expected.fields.size()) << line;
    for (size_t k = 0; k < expected.fields.size(); ++k) {
      EXPECT_EQ(out_.fields[k].key, expected.fields[k].key) << line;
      EXPECT_EQ(out_.fields[k].value.type, expected.fields[k].value.type) << line;
      EXPECT_EQ(out_.fields[k].value.Bits(), expected.fields[k].value.Bits()) << line;
    }
  }
}

TEST_F(LineProtocolTest, ViewsIntoScratchSurviveTheWholeParse) {
  // Every name needs unescaping and the key is rebuilt, so all views point into scratch; a
  // buffer that moved while parsing would show up here (and under ASan).
  ASSERT_TRUE(Ok(R"(m\ 1,z\ k=z\ v s\ 1="x\"y",s\ 2="a\\b" 9)"));
  std::string long_line = R"(m\ 2)";
  for (int i = 0; i < 200; ++i) long_line += ",t\\ " + std::to_string(1000 - i) + "=v\\ x";
  long_line += R"( f\ 1="q\"q")";
  ASSERT_TRUE(Ok(long_line));
  EXPECT_EQ(out_.measurement, "m 2");
  EXPECT_EQ(out_.tags.front().key, "t 1000");
  EXPECT_EQ(out_.tags.back().value, "v x");
  EXPECT_EQ(out_.fields[0].key, "f 1");
  EXPECT_EQ(Value().s, "q\"q");
  std::string measurement;
  TagPairs tags;
  ASSERT_TRUE(ParseSeriesKey(out_.series_key, &measurement, &tags).ok());
  EXPECT_EQ(measurement, "m 2");
  EXPECT_EQ(tags.size(), 200u);
}

// ---- helpers ----

TEST_F(LineProtocolTest, BlankAndCommentLinesAreRecognised) {
  for (const char* line : {"", " ", "\t \r", "\r", "#", "# comment", "  \t# indented"}) {
    EXPECT_TRUE(IsBlankOrComment(line)) << "'" << line << "'";
  }
  for (const char* line : {"cpu v=1", " cpu v=1", "c#pu v=1"}) {
    EXPECT_FALSE(IsBlankOrComment(line)) << "'" << line << "'";
  }
}

TEST(LineProtocolEscapeTest, EscapeHelpersMatchTheCanonicalForm) {
  EXPECT_EQ(EscapeMeasurement(R"(a,b c=d\e)"), R"(a\,b\ c=d\\e)");
  EXPECT_EQ(EscapeTagPart(R"(a,b c=d\e)"), R"(a\,b\ c\=d\\e)");
  EXPECT_EQ(EscapeTagPart(""), "");
}

TEST(LineProtocolSeriesKeyTest, ParsesCanonicalKeyIntoUnescapedParts) {
  std::string measurement;
  TagPairs tags;
  ASSERT_TRUE(ParseSeriesKey(R"(my\ m\,x=y\\,a\=b=c\ d,z=\,)", &measurement, &tags).ok());
  EXPECT_EQ(measurement, R"(my m,x=y\)");
  EXPECT_EQ(tags, (TagPairs{{"a=b", "c d"}, {"z", ","}}));
  ASSERT_TRUE(ParseSeriesKey("cpu", &measurement, &tags).ok());
  EXPECT_EQ(measurement, "cpu");
  EXPECT_TRUE(tags.empty());
}

TEST(LineProtocolSeriesKeyTest, RejectsKeysThatAreNotCanonical) {
  const ErrorCase cases[] = {
      {"", "series key column 1: empty measurement name"},
      {",a=b", "series key column 1: empty measurement name"},
      {"m x", "series key column 2: unescaped ' ' in measurement name"},
      {"m,a", "series key column 4: expected '=' after tag key 'a'"},
      {"m,=b", "series key column 3: empty tag key"},
      {"m,a=", "series key column 5: empty value for tag 'a'"},
      {"m,a=b=c", "series key column 6: unescaped '=' in the value of tag 'a'"},
      {"m,a=b c", "series key column 6: unescaped ' ' in the value of tag 'a'"},
      {"m,b=1,a=2", "series key column 7: tag key 'a' out of order or repeated"},
      {"m,a=1,a=2", "series key column 7: tag key 'a' out of order or repeated"},
  };
  std::string measurement;
  TagPairs tags;
  for (const ErrorCase& c : cases) {
    Status s = ParseSeriesKey(c.line, &measurement, &tags);
    EXPECT_EQ(s.message(), c.message) << "key: " << c.line;
  }
}

// Random names drawn from an alphabet heavy in special bytes, escaped with the public helpers,
// written with tags in random order: the parser must recover the names, give the same key for
// every order, and ParseSeriesKey must invert the key.
TEST_F(LineProtocolTest, CanonicalKeyRoundTripsForRandomNames) {
  std::mt19937 rng(20240601);
  const std::vector<std::string> alphabet = {"a", "b", ",", " ", "=", "\\", "\"", "#", "é", "z"};
  auto random_name = [&] {
    std::string s;
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int iteration = 0; iteration < 500; ++iteration) {
    const std::string measurement = random_name();
    TagPairs tags;
    const int tag_count = static_cast<int>(rng() % 5);
    for (int i = 0; i < tag_count; ++i) {
      std::string key = random_name();
      bool repeated = false;
      for (const auto& t : tags) repeated |= t.first == key;
      if (!repeated) tags.emplace_back(key, random_name());
    }
    TagPairs sorted = tags;
    std::sort(sorted.begin(), sorted.end());
    std::string first_key;
    for (int order = 0; order < 3; ++order) {
      std::shuffle(tags.begin(), tags.end(), rng);
      std::string line = EscapeMeasurement(measurement);
      for (const auto& [k, v] : tags) line += "," + EscapeTagPart(k) + "=" + EscapeTagPart(v);
      line += " " + EscapeTagPart(random_name()) + "=1";
      ASSERT_TRUE(Ok(line));
      EXPECT_EQ(out_.measurement, measurement) << line;
      EXPECT_EQ(Tags(), sorted) << line;
      if (order == 0) first_key = std::string(out_.series_key);
      EXPECT_EQ(out_.series_key, first_key) << line;
    }
    std::string parsed_measurement;
    TagPairs parsed_tags;
    ASSERT_TRUE(ParseSeriesKey(first_key, &parsed_measurement, &parsed_tags).ok()) << first_key;
    EXPECT_EQ(parsed_measurement, measurement);
    EXPECT_EQ(parsed_tags, sorted);
    // The parsed line borrows its input, so the input must outlive the check.
    const std::string reparsed = first_key + " f=1";
    ASSERT_TRUE(Ok(reparsed));
    EXPECT_EQ(out_.series_key, first_key);
  }
}

}  // namespace
}  // namespace strata::engine
