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

TEST(ParserTest, ColumnNamesAreTheItemsAsWrittenWithoutSpaces) {
  const std::string query =
      "SELECT mean( usage_user ), count(*), percentile(v, 95), rolling_median(v , 5m) "
      "FROM cpu GROUP BY time(1m)";
  SelectStatement stmt = ParseOk(query);
  ASSERT_EQ(stmt.items.size(), 4u);
  EXPECT_EQ(stmt.measurement, "cpu");

  EXPECT_EQ(stmt.items[0].function, "mean");
  EXPECT_EQ(stmt.items[0].field, "usage_user");
  EXPECT_EQ(stmt.items[0].column_name, "mean(usage_user)");

  EXPECT_EQ(stmt.items[1].function, "count");
  EXPECT_EQ(stmt.items[1].field, "*");
  EXPECT_EQ(stmt.items[1].column_name, "count(*)");

  EXPECT_EQ(stmt.items[2].function, "percentile");
  EXPECT_EQ(stmt.items[2].field, "v");
  ASSERT_EQ(stmt.items[2].args.size(), 1u);
  EXPECT_EQ(stmt.items[2].args[0].kind, Literal::Kind::kInteger);
  EXPECT_EQ(stmt.items[2].args[0].integer, 95);
  EXPECT_EQ(stmt.items[2].column_name, "percentile(v,95)");

  EXPECT_EQ(stmt.items[3].function, "rolling_median");
  ASSERT_EQ(stmt.items[3].args.size(), 1u);
  EXPECT_EQ(stmt.items[3].args[0].kind, Literal::Kind::kDuration);
  EXPECT_EQ(stmt.items[3].args[0].integer, Ns(std::chrono::minutes{5}));
  EXPECT_EQ(stmt.items[3].column_name, "rolling_median(v,5m)");

  // Item positions point at the item's first token, for executor errors.
  const std::string where[] = {PosOf(query, "mean"), PosOf(query, "count"),
                               PosOf(query, "percentile"), PosOf(query, "rolling_median")};
  for (size_t i = 0; i < std::size(where); ++i) {
    EXPECT_EQ(std::to_string(stmt.items[i].line) + ":" + std::to_string(stmt.items[i].column),
              where[i])
        << i;
  }
  EXPECT_FALSE(stmt.where);
  EXPECT_FALSE(stmt.as_of_ns.has_value());
  EXPECT_FALSE(stmt.explain);

  const std::string raw = "SELECT v, * FROM cpu";
  stmt = ParseOk(raw);
  ASSERT_EQ(stmt.items.size(), 2u);
  EXPECT_TRUE(stmt.items[0].function.empty());
  EXPECT_EQ(stmt.items[0].field, "v");
  EXPECT_EQ(stmt.items[0].column_name, "v");
  EXPECT_EQ(stmt.items[0].column, raw.find(" v,") + 2);
  EXPECT_TRUE(stmt.items[1].function.empty());
  EXPECT_EQ(stmt.items[1].field, "*");
  EXPECT_EQ(stmt.items[1].column_name, "*");
}

TEST(ParserTest, KeywordsAndFunctionNamesAreCaseInsensitive) {
  SelectStatement stmt = ParseOk("select MEAN(Usage) from Cpu where TIME >= 5 and Time < 9");
  ASSERT_EQ(stmt.items.size(), 1u);
  EXPECT_EQ(stmt.items[0].function, "mean");
  EXPECT_EQ(stmt.items[0].field, "Usage");  // names keep their case
  EXPECT_EQ(stmt.measurement, "Cpu");
  ASSERT_TRUE(stmt.where);
  EXPECT_EQ(Render(*stmt.where), "(time>=@5 AND time<@9)");
}

TEST(ParserTest, AliasNamesTheColumn) {
  SelectStatement stmt = ParseOk("SELECT mean(v) AS m, max(v) as \"peak value\" FROM cpu");
  ASSERT_EQ(stmt.items.size(), 2u);
  EXPECT_EQ(stmt.items[0].column_name, "m");
  EXPECT_EQ(stmt.items[0].function, "mean");
  EXPECT_EQ(stmt.items[1].column_name, "peak value");
}

TEST(ParserTest, QuotedIdentifiersAreNames) {
  SelectStatement stmt = ParseOk("SELECT sum(\"bytes in\") FROM \"net io\"");
  ASSERT_EQ(stmt.items.size(), 1u);
  EXPECT_EQ(stmt.items[0].field, "bytes in");
  EXPECT_EQ(stmt.measurement, "net io");
}

TEST(ParserTest, QuotedKeywordIsAMeasurementName) {
  // DESIGN §6.1: a measurement may be named like a keyword; double quotes make any text a name.
  auto parsed = ParseSelect("SELECT count(v) FROM \"select\"", kNow);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->measurement, "select");
}

TEST(ParserTest, AsOfAcceptsEveryTimeForm) {
  struct Case {
    std::string suffix;
    int64_t want;
  };
  const int64_t day_2026_03_01 = std::chrono::time_point_cast<nanoseconds>(
                                     std::chrono::sys_days{std::chrono::year{2026} / 3 / 1})
                                     .time_since_epoch()
                                     .count();
  const Case cases[] = {
      {"AS OF now()", kNow},
      {"AS OF now() - 1h", kNow - Ns(std::chrono::hours{1})},
      {"as of NOW() + 30m - 15s",
       kNow + Ns(std::chrono::minutes{30}) - Ns(std::chrono::seconds{15})},
      {"AS OF '2026-03-01T00:00:00Z'", day_2026_03_01},
      {"AS OF '2026-03-01T01:00:00+01:00' - 1d", day_2026_03_01 - Ns(std::chrono::days{1})},
      {"AS OF 1767225600123456789", 1767225600123456789},
      {"AS OF -5", -5},
      {"AS OF 0;", 0},
  };
  for (const Case& c : cases) {
    SelectStatement stmt = ParseOk("SELECT count(v) FROM cpu " + c.suffix);
    ASSERT_TRUE(stmt.as_of_ns.has_value()) << c.suffix;
    EXPECT_EQ(*stmt.as_of_ns, c.want) << c.suffix;
  }
}

TEST(ParserTest, AsOfMayFollowWhereAndAlias) {
  SelectStatement stmt =
      ParseOk("SELECT max(v) AS m FROM cpu WHERE time > now() - 2h AND time <= now() AS OF 77");
  ASSERT_EQ(stmt.items.size(), 1u);
  EXPECT_EQ(stmt.items[0].column_name, "m");
  ASSERT_TRUE(stmt.as_of_ns.has_value());
  EXPECT_EQ(*stmt.as_of_ns, 77);
  ASSERT_TRUE(stmt.where);
  EXPECT_EQ(Render(*stmt.where), "(time>@" + std::to_string(kNow - Ns(std::chrono::hours{2})) +
                                     " AND time<=@" + std::to_string(kNow) + ")");
}

TEST(ParserTest, AndBindsTighterThanOrAndParenthesesOverride) {
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE a = 'x' OR b = 'y' AND c = 'z'"),
            "(a='x' OR (b='y' AND c='z'))");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE (a = 'x' OR b = 'y') AND c = 'z'"),
            "((a='x' OR b='y') AND c='z')");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE a = 'x' AND b = 'y' AND c = 'z'"),
            "((a='x' AND b='y') AND c='z')");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE a = 'x' OR b = 'y' OR c = 'z'"),
            "((a='x' OR b='y') OR c='z')");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE ((a = 'x'))"), "a='x'");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE a = 'x' AND (b = 'y' OR (c = 'z'))"),
            "(a='x' AND (b='y' OR c='z'))");
}

TEST(ParserTest, ComparisonValuesKeepTheirKind) {
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE host = 'web 1'"), "host='web 1'");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE host <> 'a'"), "host!='a'");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE host != 'a'"), "host!='a'");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE host =~ /^web\\/[0-9]+$/"),
            "host=~/^web/[0-9]+$/");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE host !~ /x/"), "host!~/x/");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE usage > 90"), "usage>i90");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE usage < -3"), "usage<i-3");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE usage >= -1.5"), "usage>=f-1.5");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE up = TRUE"), "up=true");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE up = false"), "up=false");
  EXPECT_EQ(WhereOf("SELECT count(v) FROM cpu WHERE time = -7"), "time=@-7");

  SelectStatement stmt = ParseOk("SELECT count(v) FROM cpu WHERE usage >= -1.5");
  ASSERT_TRUE(stmt.where);
  EXPECT_EQ(stmt.where->value.kind, Literal::Kind::kNumber);
  EXPECT_EQ(stmt.where->value.number, -1.5);
  stmt = ParseOk("SELECT count(v) FROM cpu WHERE usage > 90");
  ASSERT_TRUE(stmt.where);
  EXPECT_EQ(stmt.where->value.number, 90.0);
}

TEST(ParserTest, ConditionsRememberWhereTheyStart) {
  const std::string query = "SELECT count(v)\nFROM cpu\nWHERE time > 0 AND\n  host = 'a'";
  SelectStatement stmt = ParseOk(query);
  ASSERT_TRUE(stmt.where);
  ASSERT_EQ(stmt.where->op, Condition::Op::kAnd);
  const Condition& left = *stmt.where->left;
  const Condition& right = *stmt.where->right;
  EXPECT_EQ(std::to_string(left.line) + ":" + std::to_string(left.column), PosOf(query, "time"));
  EXPECT_EQ(std::to_string(right.line) + ":" + std::to_string(right.column), PosOf(query, "host"));
}

TEST(ParserTest, ErrorPointsAtTheOffendingTokenAndSaysWhatWasExpected) {
  struct Case {
    std::string query;
    std::string where;  // "<line>:<col>"
    std::string message;
  };
  auto at = [](const std::string& q, std::string_view needle, int nth = 0) {
    return PosOf(q, needle, nth);
  };
  std::vector<Case> cases;
  auto add = [&](std::string q, std::string where, std::string message) {
    cases.push_back({std::move(q), std::move(where), std::move(message)});
  };
  std::string q;

  q = "SELECT count(x FROM cpu";
  add(q, at(q, "FROM"), "expected ')' after 'x', found 'FROM'");
  q = "SELECT mean(x) cpu";
  add(q, at(q, "cpu"), "expected ',' or FROM after ')', found 'cpu'");
  q = "SELECT FROM cpu";
  add(q, at(q, "FROM"), "expected a field or function, found 'FROM'");
  q = "SELECT mean(x) FROM";
  add(q, EndPos(q), "expected a measurement name after FROM, found end of query");
  q = "SELECT mean(x) FROM WHERE time > 0";
  add(q, at(q, "WHERE"), "expected a measurement name after FROM, found 'WHERE'");
  q = "SELECT mean() FROM cpu";
  add(q, at(q, ")"), "expected a field name after 'mean(', found ')'");
  q = "SELECT percentile(v, host) FROM cpu";
  add(q, at(q, "host"), "expected a number or a duration, found 'host'");
  q = "SELECT mean(x) FROM cpu WHERE";
  add(q, EndPos(q), "expected a condition (time, tag or field comparison), found end of query");
  q = "SELECT mean(x) FROM cpu WHERE time >";
  add(q, EndPos(q),
      "expected a time (now(), 'RFC 3339 time' or integer nanoseconds), found end of query");
  q = "SELECT mean(x) FROM cpu WHERE (time > 0 AND time < 5";
  add(q, EndPos(q), "expected ')' to close the condition, found end of query");
  q = "SELECT mean(x) FROM cpu WHERE host 'a'";
  add(q, at(q, "'a'"), "expected a comparison operator after 'host', found 'a'");
  q = "SELECT mean(x) FROM cpu WHERE v + 5";
  add(q, at(q, "+"), "'+' is not a comparison operator");
  q = "SELECT mean(x) FROM cpu WHERE time !~ now() - 1h";  // found by query_parser_fuzzer
  add(q, at(q, "!~"), "time compares with =, !=, <, <=, > or >=, not '!~'");
  q = "SELECT mean(x) FROM cpu WHERE Time =~ /x/";
  add(q, at(q, "=~"), "time compares with =, !=, <, <=, > or >=, not '=~'");
  q = "SELECT mean(x) FROM cpu WHERE host =~ 'a'";
  add(q, at(q, "'a'"), "expected a /regular expression/, found 'a'");
  q = "SELECT mean(x) FROM cpu WHERE host = ";
  add(q, EndPos(q), "expected a value after '=', found end of query");
  q = "SELECT mean(x) FROM cpu AS now()";
  add(q, at(q, "now"), "expected OF after AS, found 'now'");
  q = "SELECT mean(x) FROM cpu AS OF now";
  add(q, EndPos(q), "expected '()' after now, found end of query");
  q = "SELECT mean(x) FROM cpu AS OF now() - 5";
  add(q, at(q, "5"), "expected a duration after '+' or '-', found '5'");
  q = "SELECT mean(x) FROM cpu AS OF WHERE";
  add(q, at(q, "WHERE"),
      "expected a time (now(), 'RFC 3339 time' or integer nanoseconds), found 'WHERE'");
  q = "SELECT mean(x) FROM cpu OFFSET 10";
  add(q, at(q, "OFFSET"), "unexpected 'OFFSET'");
  q = "SELECT mean(x) FROM cpu;;";
  add(q, at(q, ";", 1), "unexpected ';'");
  q = "UPDATE cpu SET v = 1";
  add(q, "1:1", "expected SELECT, found 'UPDATE'");
  q = "SELECT mean(x) AS FROM cpu";
  add(q, at(q, "FROM"), "expected an alias after AS, found 'FROM'");
  q = "SELECT mean(x)\nFROM cpu\nWHERE time >";
  add(q, EndPos(q),
      "expected a time (now(), 'RFC 3339 time' or integer nanoseconds), found end of query");
  q = "SELECT mean(x)\n  FROM cpu\n  WHERE time > 0 AND\n    host <> )";
  add(q, at(q, ")", 1), "expected a value after '!=', found ')'");

  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.query), c.where + " " + c.message) << c.query;
  }
}

TEST(ParserTest, ErrorsInsideLiteralsCarryTheirPosition) {
  std::string q = "SELECT mean(x) FROM cpu AS OF 'yesterday'";
  std::string error = ErrorOf(q);
  EXPECT_EQ(error.substr(0, PosOf(q, "'yesterday'").size() + 1), PosOf(q, "'yesterday'") + " ");
  EXPECT_NE(error.find("invalid time 'yesterday'"), std::string::npos) << error;

  q = "SELECT mean(x) FROM cpu WHERE time > '2026-02-30T00:00:00Z'";
  error = ErrorOf(q);
  EXPECT_EQ(error.substr(0, PosOf(q, "'2026").size() + 1), PosOf(q, "'2026") + " ");
  EXPECT_NE(error.find("2026-02-30"), std::string::npos) << error;

  q = "SELECT mean(x) FROM cpu AS OF 99999999999999999999";
  EXPECT_EQ(ErrorOf(q), PosOf(q, "9999") + " integer '99999999999999999999' is out of range");

  // now() + 1s past the end of int64 is an error at the duration, not a wrap-around.
  q = "SELECT mean(x) FROM cpu AS OF now() + 1s";
  EXPECT_EQ(ErrorOf(q, std::numeric_limits<int64_t>::max() - 1),
            PosOf(q, "1s") + " time out of range");
  q = "SELECT mean(x) FROM cpu AS OF now() - 1s";
  EXPECT_EQ(ErrorOf(q, std::numeric_limits<int64_t>::min() + 1),
            PosOf(q, "1s") + " time out of range");

  // Lexer errors come through with their position.
  q = "SELECT mean(x) FROM cpu WHERE host = 'a";
  error = ErrorOf(q);
  EXPECT_EQ(error.substr(0, 2), "1:") << error;
  EXPECT_NE(error.find("unterminated string literal"), std::string::npos) << error;
}

TEST(ParserTest, SelectVersionsListsOneField) {
  SelectStatement stmt =
      ParseOk("SELECT VERSIONS usage FROM cpu WHERE host = 'a' AND time >= 5 AS OF 99");
  EXPECT_TRUE(stmt.versions);
  ASSERT_EQ(stmt.items.size(), 1u);
  EXPECT_TRUE(stmt.items[0].function.empty());
  EXPECT_EQ(stmt.items[0].field, "usage");
  EXPECT_EQ(stmt.items[0].column_name, "usage");
  EXPECT_EQ(stmt.measurement, "cpu");
  ASSERT_TRUE(stmt.where);
  EXPECT_EQ(Render(*stmt.where), "(host='a' AND time>=@5)");
  ASSERT_TRUE(stmt.as_of_ns.has_value());
  EXPECT_EQ(*stmt.as_of_ns, 99);

  stmt = ParseOk("select versions \"bytes in\" as b from net");
  EXPECT_TRUE(stmt.versions);
  ASSERT_EQ(stmt.items.size(), 1u);
  EXPECT_EQ(stmt.items[0].field, "bytes in");
  EXPECT_EQ(stmt.items[0].column_name, "b");

  // Where no field name follows, versions is a field name like any other.
  stmt = ParseOk("SELECT versions FROM cpu");
  EXPECT_FALSE(stmt.versions);
  ASSERT_EQ(stmt.items.size(), 1u);
  EXPECT_EQ(stmt.items[0].field, "versions");
  stmt = ParseOk("SELECT count(versions), max(versions) AS v FROM cpu");
  EXPECT_FALSE(stmt.versions);
  ASSERT_EQ(stmt.items.size(), 2u);
  EXPECT_EQ(stmt.items[0].field, "versions");
  EXPECT_EQ(stmt.items[1].column_name, "v");
  stmt = ParseOk("SELECT v, versions AS w FROM cpu");
  EXPECT_FALSE(stmt.versions);
  ASSERT_EQ(stmt.items.size(), 2u);
  EXPECT_EQ(stmt.items[1].field, "versions");
  EXPECT_EQ(stmt.items[1].column_name, "w");
  // Plain selects are not VERSIONS.
  EXPECT_FALSE(ParseOk("SELECT count(v) FROM cpu").versions);
}

TEST(ParserTest, VersionsWithAnythingButOneFieldIsAnErrorAtTheCulprit) {
  struct Case {
    std::string query;
    std::string where;
    std::string message;
  };
  std::vector<Case> cases;
  auto add = [&](std::string q, std::string where, std::string message) {
    cases.push_back({std::move(q), std::move(where), std::move(message)});
  };
  std::string q;
  q = "SELECT VERSIONS v, w FROM cpu";
  add(q, PosOf(q, ","),
      "expected FROM after the VERSIONS field (VERSIONS lists exactly one field), found ','");
  q = "SELECT VERSIONS v cpu";
  add(q, PosOf(q, "cpu"),
      "expected FROM after the VERSIONS field (VERSIONS lists exactly one field), found 'cpu'");
  q = "SELECT VERSIONS mean(v) FROM cpu";
  add(q, PosOf(q, "mean"), "VERSIONS takes one field name, not 'mean(v)'");
  q = "SELECT VERSIONS * FROM cpu";
  add(q, PosOf(q, "*"), "VERSIONS takes one field name, not '*'");
  q = "SELECT count(v),\n  VERSIONS v FROM cpu";
  add(q, PosOf(q, "VERSIONS"), "VERSIONS must be the only select item");
  q = "SELECT VERSIONS v FROM";
  add(q, EndPos(q), "expected a measurement name after FROM, found end of query");
  q = "SELECT VERSIONS v FROM cpu AS OF";
  add(q, EndPos(q),
      "expected a time (now(), 'RFC 3339 time' or integer nanoseconds), found end of query");
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.query), c.where + " " + c.message) << c.query;
  }
}

Result<DeleteStatement> ParseDeleteAtNow(std::string_view text) { return ParseDelete(text, kNow); }

TEST(ParserTest, DeleteFromMeasurementWithOptionalWhere) {
  auto stmt = ParseDeleteAtNow("DELETE FROM cpu");
  ASSERT_TRUE(stmt.ok()) << stmt.status().ToString();
  EXPECT_EQ(stmt->measurement, "cpu");
  EXPECT_FALSE(stmt->where);

  stmt = ParseDeleteAtNow(
      "delete from \"net io\" WHERE host = 'a' AND (dc =~ /x/ OR dc = 'y') AND time < now() - 1h;");
  ASSERT_TRUE(stmt.ok()) << stmt.status().ToString();
  EXPECT_EQ(stmt->measurement, "net io");
  ASSERT_TRUE(stmt->where);
  EXPECT_EQ(Render(*stmt->where), "((host='a' AND (dc=~/x/ OR dc='y')) AND time<@" +
                                      std::to_string(kNow - Ns(std::chrono::hours{1})) + ")");

  // A quoted keyword is a measurement name here too.
  stmt = ParseDeleteAtNow("DELETE FROM \"delete\"");
  ASSERT_TRUE(stmt.ok()) << stmt.status().ToString();
  EXPECT_EQ(stmt->measurement, "delete");
}

TEST(ParserTest, DeleteErrorsPointAtTheOffendingToken) {
  struct Case {
    std::string query;
    std::string where;
    std::string message;
  };
  std::vector<Case> cases;
  auto add = [&](std::string q, std::string where, std::string message) {
    cases.push_back({std::move(q), std::move(where), std::move(message)});
  };
  std::string q;
  q = "DELETE cpu";
  add(q, PosOf(q, "cpu"), "expected FROM after DELETE, found 'cpu'");
  q = "DELETE FROM";
  add(q, EndPos(q), "expected a measurement name after FROM, found end of query");
  q = "DELETE FROM WHERE host = 'a'";
  add(q, PosOf(q, "WHERE"), "expected a measurement name after FROM, found 'WHERE'");
  q = "DELETE FROM cpu WHERE";
  add(q, EndPos(q), "expected a condition (time, tag or field comparison), found end of query");
  q = "DELETE FROM cpu WHERE host = 'a' AS OF 5";
  add(q, PosOf(q, "AS"), "DELETE takes no AS OF: it deletes the points visible now");
  q = "DELETE FROM cpu LIMIT 5";
  add(q, PosOf(q, "LIMIT"), "unexpected 'LIMIT'");
  q = "DELETE FROM cpu WHERE\n  time >";
  add(q, EndPos(q),
      "expected a time (now(), 'RFC 3339 time' or integer nanoseconds), found end of query");
  q = "DELETE FROM cpu WHERE (host = 'a'";
  add(q, EndPos(q), "expected ')' to close the condition, found end of query");
  q = "SELECT count(v) FROM cpu";
  add(q, "1:1", "expected DELETE, found 'SELECT'");
  for (const Case& c : cases) {
    auto parsed = ParseDeleteAtNow(c.query);
    ASSERT_FALSE(parsed.ok()) << c.query;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << c.query;
    EXPECT_EQ(parsed.status().message(), c.where + " " + c.message) << c.query;
  }
  // And the other way round.
  EXPECT_EQ(ErrorOf("DELETE FROM cpu"), "1:1 expected SELECT, found 'DELETE'");
}

}  // namespace
}  // namespace strata::query
