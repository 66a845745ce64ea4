#include "query/parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "tests/query/parser_test_util.h"

namespace strata::query {
namespace {

using namespace parser_test;  // NOLINT: test helpers
using std::chrono::nanoseconds;

TEST(ParserTest, ExplainPrefixesASelect) {
  SelectStatement stmt = ParseOk("EXPLAIN SELECT mean(v) FROM cpu WHERE host = 'a'");
  EXPECT_TRUE(stmt.explain);
  ASSERT_EQ(stmt.items.size(), 1u);
  EXPECT_EQ(stmt.items[0].column_name, "mean(v)");
  EXPECT_EQ(WhereOf("explain select count(v) from cpu where host = 'a'"), "host='a'");

  stmt = ParseOk("explain SELECT VERSIONS v FROM cpu");
  EXPECT_TRUE(stmt.explain);
  EXPECT_TRUE(stmt.versions);
  // A field may still be called explain.
  stmt = ParseOk("SELECT explain FROM cpu");
  EXPECT_FALSE(stmt.explain);
  ASSERT_EQ(stmt.items.size(), 1u);
  EXPECT_EQ(stmt.items[0].field, "explain");

  ExpectSelectErrors({
      {"EXPLAIN", "", "expected SELECT after EXPLAIN, found end of query"},
      {"EXPLAIN DELETE FROM cpu", "DELETE", "expected SELECT after EXPLAIN, found 'DELETE'"},
      {"EXPLAIN EXPLAIN SELECT v FROM cpu", "EXPLAIN",
       "expected SELECT after EXPLAIN, found 'EXPLAIN'", 1},
  });
}

TEST(ParserTest, EveryAggregateTakesAFieldOrStar) {
  const std::string names[] = {"count", "sum",  "mean",   "min",    "max",
                               "first", "last", "median", "stddev", "spread"};
  for (const std::string& name : names) {
    SelectStatement stmt = ParseOk("SELECT " + name + "(v), " + name + "(*) FROM cpu");
    ASSERT_EQ(stmt.items.size(), 2u) << name;
    EXPECT_EQ(stmt.items[0].function, name);
    EXPECT_EQ(stmt.items[0].field, "v");
    EXPECT_TRUE(stmt.items[0].args.empty());
    EXPECT_EQ(stmt.items[1].field, "*");
    EXPECT_EQ(stmt.items[1].column_name, name + "(*)");
  }
  SelectStatement stmt = ParseOk("SELECT LAST(*) FROM cpu GROUP BY hostname");
  ASSERT_EQ(stmt.items.size(), 1u);
  EXPECT_EQ(stmt.items[0].function, "last");
}

TEST(ParserTest, FunctionArgumentsKeepTheirKinds) {
  SelectStatement stmt = ParseOk(
      "SELECT percentile(v, 0), percentile(v, 100), percentile(v, 99.9), percentile(*, 1e1) "
      "FROM cpu");
  ASSERT_EQ(stmt.items.size(), 4u);
  EXPECT_EQ(stmt.items[0].args[0].kind, Literal::Kind::kInteger);
  EXPECT_EQ(stmt.items[0].args[0].number, 0.0);
  EXPECT_EQ(stmt.items[1].args[0].integer, 100);
  EXPECT_EQ(stmt.items[2].args[0].kind, Literal::Kind::kNumber);
  EXPECT_EQ(stmt.items[2].args[0].number, 99.9);
  EXPECT_EQ(stmt.items[2].column_name, "percentile(v,99.9)");
  EXPECT_EQ(stmt.items[3].field, "*");
  EXPECT_EQ(stmt.items[3].args[0].number, 10.0);

  stmt = ParseOk(
      "SELECT rolling_median(v, 1h), rolling_median(v, 7), moving_average(v, 1), "
      "Moving_Average(w, 30) AS ma FROM cpu");
  ASSERT_EQ(stmt.items.size(), 4u);
  EXPECT_EQ(stmt.items[0].args[0].kind, Literal::Kind::kDuration);
  EXPECT_EQ(stmt.items[0].args[0].integer, Ns(std::chrono::hours{1}));
  EXPECT_EQ(stmt.items[0].args[0].text, "1h");
  EXPECT_EQ(stmt.items[1].args[0].kind, Literal::Kind::kInteger);
  EXPECT_EQ(stmt.items[1].args[0].integer, 7);
  EXPECT_EQ(stmt.items[1].column_name, "rolling_median(v,7)");
  EXPECT_EQ(stmt.items[2].function, "moving_average");
  EXPECT_EQ(stmt.items[2].args[0].integer, 1);
  EXPECT_EQ(stmt.items[3].function, "moving_average");
  EXPECT_EQ(stmt.items[3].column_name, "ma");
}

TEST(ParserTest, FunctionErrorsNameTheProblemAndTheUsage) {
  ExpectSelectErrors({
      {"SELECT average(v) FROM cpu", "average",
       "unknown function 'average' (supported: count, sum, mean, min, max, first, last, median, "
       "stddev, spread, percentile, rolling_median, moving_average)"},
      {"SELECT mean(v, 5) FROM cpu", "5", "too many arguments: use mean(<field>)"},
      {"SELECT count(v, host) FROM cpu", "host", "too many arguments: use count(<field>)"},
      {"SELECT percentile(v, 5, 6) FROM cpu", "6",
       "too many arguments: use percentile(<field>, <p from 0 to 100>)"},
      {"SELECT percentile(v) FROM cpu", ")",
       "missing argument: use percentile(<field>, <p from 0 to 100>)"},
      {"SELECT rolling_median(v) FROM cpu", ")",
       "missing argument: use rolling_median(<field>, <duration> | <points>)"},
      {"SELECT moving_average(v) FROM cpu", ")",
       "missing argument: use moving_average(<field>, <points>)"},
      {"SELECT percentile(v, 100.5) FROM cpu", "100.5",
       "percentile must be a number from 0 to 100, found '100.5'"},
      {"SELECT percentile(v, -1) FROM cpu", "-",
       "percentile must be a number from 0 to 100, found '-1'"},
      {"SELECT percentile(v, 5m) FROM cpu", "5m",
       "percentile must be a number from 0 to 100, found '5m'"},
      {"SELECT percentile(v, 1e400) FROM cpu", "1e400", "number '1e400' is out of range"},
      {"SELECT rolling_median(v, 0s) FROM cpu", "0s",
       "rolling_median window must be greater than zero, found '0s'"},
      {"SELECT rolling_median(v, -5m) FROM cpu", "-",
       "rolling_median window must be greater than zero, found '-5m'"},
      {"SELECT rolling_median(v, 0) FROM cpu", "0",
       "rolling_median window must be greater than zero, found '0'"},
      {"SELECT rolling_median(v, 2.5) FROM cpu", "2.5",
       "rolling_median window must be a duration or a whole number of points, found '2.5'"},
      {"SELECT moving_average(v, 0) FROM cpu", "0",
       "moving_average window must be a whole number of points, at least 1, found '0'"},
      {"SELECT moving_average(v, 5m) FROM cpu", "5m",
       "moving_average window must be a whole number of points, at least 1, found '5m'"},
      {"SELECT moving_average(v, 1.0) FROM cpu", "1.0",
       "moving_average window must be a whole number of points, at least 1, found '1.0'"},
      {"SELECT rolling_median(*, 5) FROM cpu", "*",
       "rolling_median() takes one field name, not '*'"},
      {"SELECT moving_average(*, 5) FROM cpu", "*",
       "moving_average() takes one field name, not '*'"},
      {"SELECT mean(max(v)) FROM cpu", "max", "function calls cannot be nested: use mean(<field>)"},
      {"SELECT percentile(v, ) FROM cpu", ")", "expected a number or a duration, found ')'"},
      {"SELECT percentile(v, 5 FROM cpu", "FROM", "expected ')' after '5', found 'FROM'"},
  });
}

TEST(ParserTest, ItemKindsMixOnlyWhereRowsLineUp) {
  // Allowed: raw fields alone (with GROUP BY tags), aggregates alone, window functions alone,
  // and aggregates with window functions once GROUP BY time() gives both one row per step.
  for (const char* ok : {
           "SELECT v, w, * FROM cpu GROUP BY host",
           "SELECT mean(v), percentile(v, 50), count(*) FROM cpu",
           "SELECT rolling_median(v, 5m), moving_average(v, 3) FROM cpu",
           "SELECT rolling_median(v, 5m), max(v) FROM cpu GROUP BY time(1m), host",
           "SELECT moving_average(v, 3) FROM cpu GROUP BY time(1m)",
       }) {
    auto parsed = ParseSelect(ok, kNow);
    EXPECT_TRUE(parsed.ok()) << ok << ": " << parsed.status().ToString();
  }
  const std::string mix_window =
      "cannot mix aggregates and window functions (rolling_median, "
      "moving_average) without GROUP BY time(<interval>)";
  ExpectSelectErrors({
      {"SELECT mean(v), v FROM cpu", "v FROM", "cannot mix aggregates and raw fields"},
      {"SELECT v, *, count(v) FROM cpu", "count", "cannot mix aggregates and raw fields"},
      {"SELECT *, percentile(v, 5) FROM cpu", "percentile", "cannot mix aggregates and raw fields"},
      {"SELECT v, rolling_median(v, 5) FROM cpu", "rolling_median",
       "cannot mix raw fields and window functions (rolling_median, moving_average)"},
      {"SELECT moving_average(v, 3), v FROM cpu", "v FROM",
       "cannot mix raw fields and window functions (rolling_median, moving_average)"},
      {"SELECT rolling_median(v, 5m), max(v) FROM cpu", "max", mix_window},
      {"SELECT max(v), rolling_median(v, 5m) FROM cpu GROUP BY host", "rolling_median", mix_window},
      {"SELECT v FROM cpu GROUP BY time(1m)", "time",
       "GROUP BY time() needs aggregates or window functions, not raw fields"},
      {"SELECT v FROM cpu GROUP BY host, time(1m)", "time",
       "GROUP BY time() needs aggregates or window functions, not raw fields"},
      // Syntax errors come before mixing errors.
      {"SELECT mean(v), v FROM cpu WHERE", "",
       "expected a condition (time, tag or field "
       "comparison), found end of query"},
  });
}

TEST(ParserTest, GroupByTimeBucketsAndTags) {
  SelectStatement stmt = ParseOk("SELECT mean(v) FROM cpu GROUP BY time(5m)");
  EXPECT_EQ(stmt.group_by.interval_ns, Ns(std::chrono::minutes{5}));
  EXPECT_EQ(stmt.group_by.offset_ns, 0);
  EXPECT_TRUE(stmt.group_by.tags.empty());
  EXPECT_FALSE(stmt.group_by.all_tags);

  stmt = ParseOk("SELECT mean(v) FROM cpu group by TIME(1h, 15m), host, \"data center\"");
  EXPECT_EQ(stmt.group_by.interval_ns, Ns(std::chrono::hours{1}));
  EXPECT_EQ(stmt.group_by.offset_ns, Ns(std::chrono::minutes{15}));
  EXPECT_EQ(stmt.group_by.tags, (std::vector<std::string>{"host", "data center"}));

  // Offsets may be negative or larger than the interval: only offset modulo interval matters.
  stmt = ParseOk("SELECT mean(v) FROM cpu GROUP BY time(1d, -2h)");
  EXPECT_EQ(stmt.group_by.offset_ns, -Ns(std::chrono::hours{2}));
  stmt = ParseOk("SELECT mean(v) FROM cpu GROUP BY time(1m, 90s)");
  EXPECT_EQ(stmt.group_by.offset_ns, Ns(std::chrono::seconds{90}));

  // time() may stand anywhere in the list; tags keep the order written.
  stmt = ParseOk("SELECT mean(v) FROM cpu GROUP BY region, time(10s), host");
  EXPECT_EQ(stmt.group_by.interval_ns, Ns(std::chrono::seconds{10}));
  EXPECT_EQ(stmt.group_by.tags, (std::vector<std::string>{"region", "host"}));

  stmt = ParseOk("SELECT last(*) FROM cpu GROUP BY *");
  EXPECT_TRUE(stmt.group_by.all_tags);
  EXPECT_EQ(stmt.group_by.interval_ns, 0);
  stmt = ParseOk("SELECT max(v) FROM cpu GROUP BY time(1m), *");
  EXPECT_TRUE(stmt.group_by.all_tags);
  EXPECT_EQ(stmt.group_by.interval_ns, Ns(std::chrono::minutes{1}));
  // A double-quoted "time" is a tag name like any other.
  stmt = ParseOk("SELECT max(v) FROM cpu GROUP BY \"time\"");
  EXPECT_EQ(stmt.group_by.tags, (std::vector<std::string>{"time"}));
  EXPECT_EQ(stmt.group_by.interval_ns, 0);
}

TEST(ParserTest, GroupByErrors) {
  const std::string star_and_tags =
      "GROUP BY * already groups by every tag; list tags or use '*', not both";
  ExpectSelectErrors({
      {"SELECT mean(v) FROM cpu GROUP host", "host", "expected BY after GROUP, found 'host'"},
      {"SELECT mean(v) FROM cpu GROUP BY", "",
       "expected a tag, time(<interval>) or '*' in GROUP BY, found end of query"},
      {"SELECT mean(v) FROM cpu GROUP BY host,", "",
       "expected a tag, time(<interval>) or '*' in GROUP BY, found end of query"},
      {"SELECT mean(v) FROM cpu GROUP BY 'host'", "'host'",
       "expected a tag, time(<interval>) or '*' in GROUP BY, found 'host'"},
      {"SELECT mean(v) FROM cpu GROUP BY time", "",
       "expected '(' after time in GROUP BY, found end of query"},
      {"SELECT mean(v) FROM cpu GROUP BY time(0s)", "0s",
       "GROUP BY time interval must be greater than zero, found '0s'"},
      {"SELECT mean(v) FROM cpu GROUP BY time(-1m)", "-",
       "GROUP BY time interval must be greater than zero, found '-1m'"},
      {"SELECT mean(v) FROM cpu GROUP BY time(60)", "60",
       "expected an interval such as 1m in time(), found '60'"},
      {"SELECT mean(v) FROM cpu GROUP BY time(1m, 5)", "5",
       "expected an offset duration after ',', found '5'"},
      {"SELECT mean(v) FROM cpu GROUP BY time(1m", "",
       "expected ')' after '1m', found end of query"},
      {"SELECT mean(v) FROM cpu GROUP BY time(1m, 1s, 2s)", ",",
       "expected ')' after '1s', found ','", 1},
      {"SELECT mean(v) FROM cpu GROUP BY time(1m), time(5m)", "time",
       "duplicate time() in GROUP BY", 1},
      {"SELECT mean(v) FROM cpu GROUP BY host, dc, host", "host",
       "duplicate tag 'host' in GROUP BY", 1},
      {"SELECT mean(v) FROM cpu GROUP BY *, *", "*", "duplicate '*' in GROUP BY", 1},
      {"SELECT mean(v) FROM cpu GROUP BY host, *", "*", star_and_tags},
      {"SELECT mean(v) FROM cpu GROUP BY *, host", "host", star_and_tags},
  });
}

TEST(ParserTest, FillModes) {
  const std::string prefix = "SELECT mean(v) FROM cpu GROUP BY time(1m) ";
  EXPECT_EQ(ParseOk("SELECT mean(v) FROM cpu GROUP BY time(1m)").fill.mode, Fill::Mode::kNull);
  EXPECT_EQ(ParseOk(prefix + "FILL(null)").fill.mode, Fill::Mode::kNull);
  EXPECT_EQ(ParseOk(prefix + "FILL(none)").fill.mode, Fill::Mode::kNone);
  EXPECT_EQ(ParseOk(prefix + "fill(Previous)").fill.mode, Fill::Mode::kPrevious);
  EXPECT_EQ(ParseOk(prefix + "FILL(LINEAR)").fill.mode, Fill::Mode::kLinear);

  struct Case {
    std::string written;
    double value;
  };
  for (const Case& c : {Case{"0", 0.0}, Case{"42", 42.0}, Case{"-1.5", -1.5}, Case{"2.5e3", 2500.0},
                        Case{"-7", -7.0}}) {
    SelectStatement stmt = ParseOk(prefix + "FILL(" + c.written + ")");
    EXPECT_EQ(stmt.fill.mode, Fill::Mode::kValue) << c.written;
    EXPECT_EQ(stmt.fill.value, c.value) << c.written;
    EXPECT_EQ(stmt.fill.text, c.written);
  }

  ExpectSelectErrors({
      {"SELECT mean(v) FROM cpu FILL(0)", "FILL", "FILL needs GROUP BY time(<interval>)"},
      {"SELECT mean(v) FROM cpu GROUP BY host FILL(0)", "FILL",
       "FILL needs GROUP BY time(<interval>)"},
      {prefix + "FILL 0", "0", "expected '(' after FILL, found '0'"},
      {prefix + "FILL(zero)", "zero",
       "expected none, null, previous, linear or a number in FILL(), found 'zero'"},
      {prefix + "FILL('x')", "'x'",
       "expected none, null, previous, linear or a number in FILL(), found 'x'"},
      {prefix + "FILL()", ")",
       "expected none, null, previous, linear or a number in FILL(), found ')'", 2},
      {prefix + "FILL(none", "", "expected ')' after 'none', found end of query"},
      {prefix + "FILL(1, 2)", ",", "expected ')' after '1', found ','", 0},
      {prefix + "FILL(99999999999999999999)", "999",
       "integer '99999999999999999999' is out of range"},
  });
}

TEST(ParserTest, OrderByTimeAndLimit) {
  SelectStatement stmt = ParseOk("SELECT v FROM cpu");
  EXPECT_FALSE(stmt.descending);
  EXPECT_FALSE(stmt.limit.has_value());
  stmt = ParseOk("SELECT v FROM cpu ORDER BY time DESC LIMIT 10");
  EXPECT_TRUE(stmt.descending);
  ASSERT_TRUE(stmt.limit.has_value());
  EXPECT_EQ(*stmt.limit, 10u);
  EXPECT_FALSE(ParseOk("SELECT v FROM cpu order by TIME asc").descending);
  EXPECT_FALSE(ParseOk("SELECT v FROM cpu ORDER BY time").descending);
  EXPECT_TRUE(ParseOk("SELECT v FROM cpu ORDER BY time desc;").descending);
  stmt = ParseOk("SELECT v FROM cpu LIMIT 0");
  ASSERT_TRUE(stmt.limit.has_value());
  EXPECT_EQ(*stmt.limit, 0u);
  stmt = ParseOk("SELECT v FROM cpu limit 18446744073709551615");
  ASSERT_TRUE(stmt.limit.has_value());
  EXPECT_EQ(*stmt.limit, std::numeric_limits<uint64_t>::max());

  ExpectSelectErrors({
      {"SELECT v FROM cpu ORDER time", "time", "expected BY after ORDER, found 'time'"},
      {"SELECT v FROM cpu ORDER BY host", "host",
       "expected time after ORDER BY (answers are ordered by time), found 'host'"},
      {"SELECT v FROM cpu ORDER BY time DOWN", "DOWN", "unexpected 'DOWN'"},
      {"SELECT v FROM cpu LIMIT", "",
       "expected a non-negative integer after LIMIT, found end of query"},
      {"SELECT v FROM cpu LIMIT -1", "-", "expected a non-negative integer after LIMIT, found '-'"},
      {"SELECT v FROM cpu LIMIT 1.5", "1.5",
       "expected a non-negative integer after LIMIT, found '1.5'"},
      {"SELECT v FROM cpu LIMIT 18446744073709551616", "184",
       "LIMIT '18446744073709551616' is out of range"},
  });
}

TEST(ParserTest, AsOfStandsAfterWhereOrAtTheEndButOnce) {
  const std::string clauses[] = {
      "SELECT mean(v) FROM cpu AS OF 7 WHERE host = 'a' GROUP BY time(1m) FILL(0) ORDER BY time "
      "DESC LIMIT 3",
      "SELECT mean(v) FROM cpu WHERE host = 'a' AS OF 7 GROUP BY time(1m) FILL(0) ORDER BY time "
      "DESC LIMIT 3",
      // DESIGN §7's grammar: after FILL.
      "SELECT mean(v) FROM cpu WHERE host = 'a' GROUP BY time(1m) FILL(0) AS OF 7 ORDER BY time "
      "DESC LIMIT 3",
      "SELECT mean(v) FROM cpu WHERE host = 'a' GROUP BY time(1m) FILL(0) ORDER BY time DESC "
      "LIMIT 3 AS OF 7",
  };
  for (const std::string& q : clauses) {
    SelectStatement stmt = ParseOk(q);
    ASSERT_TRUE(stmt.as_of_ns.has_value()) << q;
    EXPECT_EQ(*stmt.as_of_ns, 7) << q;
    ASSERT_TRUE(stmt.where) << q;
    EXPECT_EQ(Render(*stmt.where), "host='a'");
    EXPECT_EQ(stmt.group_by.interval_ns, Ns(std::chrono::minutes{1})) << q;
    EXPECT_EQ(stmt.fill.mode, Fill::Mode::kValue) << q;
    EXPECT_TRUE(stmt.descending) << q;
    ASSERT_TRUE(stmt.limit.has_value()) << q;
    EXPECT_EQ(*stmt.limit, 3u) << q;
  }
}

TEST(ParserTest, ClausesComeOnceAndInOrder) {
  ExpectSelectErrors({
      {"SELECT v FROM cpu WHERE a = 'x' WHERE b = 'y'", "WHERE", "duplicate WHERE clause", 1},
      {"SELECT v FROM cpu GROUP BY host GROUP BY dc", "GROUP", "duplicate GROUP BY clause", 1},
      {"SELECT mean(v) FROM cpu GROUP BY time(1m) FILL(1) FILL(2)", "FILL", "duplicate FILL clause",
       1},
      {"SELECT v FROM cpu ORDER BY time ORDER BY time", "ORDER", "duplicate ORDER BY clause", 1},
      {"SELECT v FROM cpu LIMIT 1 LIMIT 2", "LIMIT", "duplicate LIMIT clause", 1},
      {"SELECT v FROM cpu AS OF 1 LIMIT 5 AS OF 2", "AS", "duplicate AS OF clause", 1},
      {"SELECT v FROM cpu LIMIT 5 GROUP BY host", "GROUP", "GROUP BY must come before LIMIT"},
      {"SELECT v FROM cpu GROUP BY host WHERE a = 'x'", "WHERE", "WHERE must come before GROUP BY"},
      {"SELECT mean(v) FROM cpu GROUP BY time(1m) ORDER BY time FILL(0)", "FILL",
       "FILL must come before ORDER BY"},
      {"SELECT v FROM cpu LIMIT 1 ORDER BY time DESC", "ORDER", "ORDER BY must come before LIMIT"},
      {"SELECT v FROM cpu LIMIT 1 AS OF 5 WHERE a = 'x'", "WHERE", "WHERE must come before LIMIT"},
  });
}

TEST(ParserTest, VersionsTakesOnlyWhereAndAsOf) {
  ExpectSelectErrors({
      {"SELECT VERSIONS v FROM cpu GROUP BY host", "GROUP",
       "SELECT VERSIONS takes no GROUP BY (only WHERE and AS OF)"},
      {"SELECT VERSIONS v FROM cpu WHERE host = 'a' ORDER BY time DESC", "ORDER",
       "SELECT VERSIONS takes no ORDER BY (only WHERE and AS OF)"},
      {"SELECT VERSIONS v FROM cpu AS OF 5 LIMIT 5", "LIMIT",
       "SELECT VERSIONS takes no LIMIT (only WHERE and AS OF)"},
      {"SELECT VERSIONS v FROM cpu FILL(0)", "FILL",
       "SELECT VERSIONS takes no FILL (only WHERE and AS OF)"},
  });
}

TEST(ParserTest, HostileNestingIsBoundedWithAClearError) {
  // The server accepts 1 MiB query lines; recursion over conditions must stay shallow.
  const std::string head = "SELECT count(v) FROM cpu WHERE ";
  const auto nested = [&](int depth) {
    return head + std::string(static_cast<size_t>(depth), '(') + "a = 'x'" +
           std::string(static_cast<size_t>(depth), ')');
  };
  EXPECT_EQ(WhereOf(nested(100)), "a='x'");
  const std::string too_deep = nested(101);
  EXPECT_EQ(ErrorOf(too_deep), "1:" + std::to_string(head.size() + 101) +
                                   " conditions nest deeper than 100 parentheses");

  const auto chain = [&](int comparisons) {
    std::string q = head + "a = 'x'";
    for (int i = 1; i < comparisons; ++i) q += " OR a = 'x'";
    return q;
  };
  EXPECT_TRUE(ParseSelect(chain(1000), kNow).ok());
  const std::string too_many = chain(1001);
  EXPECT_EQ(ErrorOf(too_many),
            PosOf(too_many, "a =", 1000) + " more than 1000 comparisons in WHERE");
  auto del = ParseDelete("DELETE FROM cpu WHERE " + chain(1001).substr(head.size()), kNow);
  ASSERT_FALSE(del.ok());
  EXPECT_NE(del.status().message().find("more than 1000 comparisons"), std::string::npos);
}

TEST(ParserTest, LongTokensAreShortenedInErrors) {
  // 59 ASCII bytes, then a two-byte character across the 60-byte cut: it is left out whole.
  const std::string literal = std::string(59, 'a') + "\xc3\xa9" + std::string(50, 'b');
  const std::string q = "SELECT '" + literal + "' FROM cpu";
  EXPECT_EQ(ErrorOf(q),
            "1:8 expected a field or function, found '" + std::string(59, 'a') + "...'");
}

Result<ShowStatement> Show(std::string_view text) { return ParseShow(text); }

TEST(ParserTest, ShowStatements) {
  using What = ShowStatement::What;
  struct Case {
    std::string query;
    What what;
    std::string measurement;
    std::string tag_key;
    std::string where;  // rendered, or "<none>"
  };
  const Case cases[] = {
      {"SHOW MEASUREMENTS", What::kMeasurements, "", "", "<none>"},
      {"show measurements;", What::kMeasurements, "", "", "<none>"},
      {"SHOW SERIES", What::kSeries, "", "", "<none>"},
      {"SHOW SERIES FROM cpu", What::kSeries, "cpu", "", "<none>"},
      {"Show Series From \"net io\" Where host = 'a' AND (dc =~ /eu-.*/ OR dc != 'x')",
       What::kSeries, "net io", "", "(host='a' AND (dc=~/eu-.*/ OR dc!='x'))"},
      {"SHOW SERIES WHERE host !~ /^web/", What::kSeries, "", "", "host!~/^web/"},
      {"SHOW TAG KEYS", What::kTagKeys, "", "", "<none>"},
      {"SHOW TAG KEYS FROM cpu", What::kTagKeys, "cpu", "", "<none>"},
      {"SHOW TAG VALUES WITH KEY = host", What::kTagValues, "", "host", "<none>"},
      {"show tag values from cpu with key = \"data center\" where region = 'eu'", What::kTagValues,
       "cpu", "data center", "region='eu'"},
      {"SHOW FIELD KEYS", What::kFieldKeys, "", "", "<none>"},
      {"SHOW FIELD KEYS FROM cpu", What::kFieldKeys, "cpu", "", "<none>"},
      {"SHOW PARTITIONS", What::kPartitions, "", "", "<none>"},
      {"SHOW ROLLUPS", What::kRollups, "", "", "<none>"},
  };
  for (const Case& c : cases) {
    auto show = Show(c.query);
    ASSERT_TRUE(show.ok()) << c.query << ": " << show.status().ToString();
    EXPECT_EQ(show->what, c.what) << c.query;
    EXPECT_EQ(show->measurement, c.measurement) << c.query;
    EXPECT_EQ(show->tag_key, c.tag_key) << c.query;
    EXPECT_EQ(show->where ? Render(*show->where) : "<none>", c.where) << c.query;
  }
}

TEST(ParserTest, ShowErrors) {
  const std::string targets =
      "MEASUREMENTS, SERIES, TAG KEYS, TAG VALUES, FIELD KEYS, PARTITIONS or ROLLUPS after SHOW";
  ExpectErrors(
      {
          {"SHOW", "", "expected " + targets + ", found end of query"},
          {"SHOW DATABASES", "DATABASES", "expected " + targets + ", found 'DATABASES'"},
          {"SHOW TAG", "", "expected KEYS or VALUES after SHOW TAG, found end of query"},
          {"SHOW FIELD VALUES", "VALUES", "expected KEYS after SHOW FIELD, found 'VALUES'"},
          {"SHOW TAG VALUES FROM cpu", "",
           "expected WITH KEY = <tag key> after SHOW TAG VALUES, found end of query"},
          {"SHOW TAG VALUES FROM cpu WHERE host = 'a'", "WHERE",
           "expected WITH KEY = <tag key> after SHOW TAG VALUES, found 'WHERE'"},
          {"SHOW TAG VALUES WITH host", "host", "expected KEY after WITH, found 'host'"},
          {"SHOW TAG VALUES WITH KEY host", "host", "expected '=' after KEY, found 'host'"},
          {"SHOW TAG VALUES WITH KEY =", "", "expected a tag key after '=', found end of query"},
          {"SHOW TAG VALUES WITH KEY = 'host'", "'host'",
           "expected a tag key after '=', found 'host'"},
          {"SHOW TAG VALUES FROM WITH KEY = host", "WITH",
           "expected a measurement name after FROM, found 'WITH'"},
          {"SHOW SERIES FROM", "", "expected a measurement name after FROM, found end of query"},
          {"SHOW MEASUREMENTS FROM cpu", "FROM", "unexpected 'FROM'"},
          {"SHOW TAG KEYS WHERE host = 'a'", "WHERE", "unexpected 'WHERE'"},
          {"SHOW PARTITIONS;;", ";", "unexpected ';'", 1},
          {"SHOW SERIES WHERE", "", "expected a tag comparison, found end of query"},
          {"SHOW SERIES WHERE time > now() - 1h", "time",
           "SHOW filters by tags only; time conditions are not supported here"},
          {"SHOW SERIES WHERE host > 'a'", ">", "tags compare with =, !=, =~ or !~, not '>'"},
          {"SHOW SERIES WHERE host = 5", "5", "expected a 'quoted' tag value after '=', found '5'"},
          {"SHOW SERIES WHERE host <> true", "true",
           "expected a 'quoted' tag value after '!=', found 'true'"},
          {"SHOW SERIES WHERE host =~ 'a'", "'a'", "expected a /regular expression/, found 'a'"},
          {"SHOW SERIES WHERE (host = 'a'", "",
           "expected ')' to close the condition, found end of query"},
          {"SELECT * FROM cpu", "SELECT", "expected SHOW, found 'SELECT'"},
      },
      Show);
  EXPECT_EQ(ErrorOf("SHOW MEASUREMENTS"), "1:1 expected SELECT, found 'SHOW'");
}


}  // namespace
}  // namespace strata::query
