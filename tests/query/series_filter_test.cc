#include "query/series_filter.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/schema.h"
#include "engine/series_index.h"
#include "query/parser.h"
#include "tests/query/engine_fixture.h"

namespace strata::query {
namespace {

using Tags = std::map<std::string, std::string>;
using Predicate = std::function<bool(const Tags&)>;

// The value of a tag as InfluxDB defines it for WHERE: "" when the series lacks the tag.
std::string Tag(const Tags& tags, const std::string& key) {
  auto it = tags.find(key);
  return it == tags.end() ? std::string() : it->second;
}

class SeriesFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The series of cpu with their tags, spelled out so the reference does not read the index.
    const std::map<std::string, Tags> series = {
        {"cpu,host=a,region=eu", {{"host", "a"}, {"region", "eu"}}},
        {"cpu,host=b,region=us", {{"host", "b"}, {"region", "us"}}},
        {"cpu,host=web1,region=eu", {{"host", "web1"}, {"region", "eu"}}},
        {"cpu,host=web22", {{"host", "web22"}}},
        {"cpu,region=ap", {{"region", "ap"}}},
        {"cpu", {}},
        {"cpu,dc=x,host=c", {{"dc", "x"}, {"host", "c"}}},
        {"cpu,host=A,region=eu", {{"host", "A"}, {"region", "eu"}}},
    };
    for (const auto& [key, tags] : series) {
      ASSERT_TRUE(index_.GetOrCreate(key).ok()) << key;
      tags_[key] = tags;
    }
    // Another measurement with the same tags must never be selected.
    ASSERT_TRUE(index_.GetOrCreate("mem,host=a,region=eu").ok());
    ASSERT_TRUE(schema_.CheckAndRegister("cpu", "usage", engine::FieldType::kFloat).ok());
    ASSERT_TRUE(schema_.CheckAndRegister("cpu", "status", engine::FieldType::kString).ok());
  }

  Result<WhereClause> Split(const std::string& where) {
    auto stmt = ParseSelect("SELECT count(usage) FROM cpu WHERE " + where, 0);
    EXPECT_TRUE(stmt.ok()) << where << "\n" << stmt.status().ToString();
    if (!stmt.ok()) return stmt.status();
    return SplitWhere(stmt->where.get(), "cpu", schema_);
  }

  // Keys of the series the filter selects.
  std::set<std::string> Selected(const std::string& where) {
    auto clause = Split(where);
    EXPECT_TRUE(clause.ok()) << where << "\n" << clause.status().ToString();
    std::set<std::string> keys;
    if (!clause.ok()) return keys;
    for (const engine::SeriesInfo* s : clause->series.Select(index_, "cpu")) keys.insert(s->key);
    return keys;
  }

  std::set<std::string> Expected(const Predicate& predicate) const {
    std::set<std::string> keys;
    for (const auto& [key, tags] : tags_) {
      if (predicate(tags)) keys.insert(key);
    }
    return keys;
  }

  // The error message of a WHERE that must be rejected when split.
  std::string ErrorOf(const std::string& where) {
    auto clause = Split(where);
    if (clause.ok()) return "<no error>";
    EXPECT_EQ(clause.status().code(), StatusCode::kInvalidArgument) << where;
    return clause.status().message();
  }

  engine::SeriesIndex index_;
  engine::Schema schema_;
  std::map<std::string, Tags> tags_;
};

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST_F(SeriesFilterTest, EachConditionFormSelectsWhatTheReferenceSays) {
  struct Case {
    std::string where;
    Predicate want;
  };
  const Case cases[] = {
      {"host = 'a'", [](const Tags& t) { return Tag(t, "host") == "a"; }},
      // A series without host has host "", which is not 'a'.
      {"host != 'a'", [](const Tags& t) { return Tag(t, "host") != "a"; }},
      {"host <> 'a'", [](const Tags& t) { return Tag(t, "host") != "a"; }},
      {"host = ''", [](const Tags& t) { return !t.contains("host"); }},
      {"host != ''", [](const Tags& t) { return t.contains("host"); }},
      // Regexes match anywhere in the value unless anchored.
      {"host =~ /^web/", [](const Tags& t) { return StartsWith(Tag(t, "host"), "web"); }},
      {"host =~ /b/", [](const Tags& t) { return Contains(Tag(t, "host"), "b"); }},
      {"host =~ /2$/",
       [](const Tags& t) {
         const std::string h = Tag(t, "host");
         return !h.empty() && h.back() == '2';
       }},
      {"host !~ /^web/", [](const Tags& t) { return !StartsWith(Tag(t, "host"), "web"); }},
      {"host =~ /^$/", [](const Tags& t) { return Tag(t, "host").empty(); }},
      {"host !~ /./", [](const Tags& t) { return Tag(t, "host").empty(); }},
      {"host =~ /^(a|c)$/",
       [](const Tags& t) { return Tag(t, "host") == "a" || Tag(t, "host") == "c"; }},
      {"host =~ /^web\\d+$/", [](const Tags& t) { return StartsWith(Tag(t, "host"), "web"); }},
      {"host =~ /a/", [](const Tags& t) { return Contains(Tag(t, "host"), "a"); }},  // not 'A'
      {"region = 'eu' AND host = 'a'",
       [](const Tags& t) { return Tag(t, "region") == "eu" && Tag(t, "host") == "a"; }},
      {"region = 'eu' OR host = 'b'",
       [](const Tags& t) { return Tag(t, "region") == "eu" || Tag(t, "host") == "b"; }},
      // AND binds tighter than OR; parentheses override.
      {"region = 'us' OR region = 'eu' AND host =~ /web/",
       [](const Tags& t) {
         return Tag(t, "region") == "us" ||
                (Tag(t, "region") == "eu" && Contains(Tag(t, "host"), "web"));
       }},
      {"(region = 'us' OR region = 'eu') AND host !~ /web/",
       [](const Tags& t) {
         return (Tag(t, "region") == "us" || Tag(t, "region") == "eu") &&
                !Contains(Tag(t, "host"), "web");
       }},
      {"region = 'ap' OR (host = 'c' AND dc = 'x')",
       [](const Tags& t) {
         return Tag(t, "region") == "ap" || (Tag(t, "host") == "c" && Tag(t, "dc") == "x");
       }},
      {"((dc = 'x'))", [](const Tags& t) { return Tag(t, "dc") == "x"; }},
      // A tag no series has is "" everywhere.
      {"nosuch = ''", [](const Tags&) { return true; }},
      {"nosuch != ''", [](const Tags&) { return false; }},
      {"nosuch =~ /x/", [](const Tags&) { return false; }},
      // Tag names are case-sensitive, as in line protocol.
      {"HOST = 'a'", [](const Tags& t) { return Tag(t, "HOST") == "a"; }},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Selected(c.where), Expected(c.want)) << c.where;
  }
  // Sanity: the data must make the cases meaningful (neither all nor none for the basic ones).
  EXPECT_EQ(Expected(cases[0].want).size(), 1u);
  EXPECT_EQ(Expected(cases[3].want).size(), 2u);
}

// Random AND/OR trees over the leaves above, fully parenthesised, against the reference.
TEST_F(SeriesFilterTest, RandomTreesMatchTheReference) {
  struct Leaf {
    std::string text;
    Predicate want;
  };
  const std::vector<Leaf> leaves = {
      {"host = 'a'", [](const Tags& t) { return Tag(t, "host") == "a"; }},
      {"host != 'b'", [](const Tags& t) { return Tag(t, "host") != "b"; }},
      {"region = 'eu'", [](const Tags& t) { return Tag(t, "region") == "eu"; }},
      {"region != ''", [](const Tags& t) { return t.contains("region"); }},
      {"host =~ /^web/", [](const Tags& t) { return StartsWith(Tag(t, "host"), "web"); }},
      {"host !~ /1/", [](const Tags& t) { return !Contains(Tag(t, "host"), "1"); }},
      {"dc = 'x'", [](const Tags& t) { return Tag(t, "dc") == "x"; }},
      // Equalities are answered from the tag posting lists, '' (no such tag) is not.
      {"host = ''", [](const Tags& t) { return !t.contains("host"); }},
      {"region = 'us'", [](const Tags& t) { return Tag(t, "region") == "us"; }},
      {"host = 'web1'", [](const Tags& t) { return Tag(t, "host") == "web1"; }},
      {"nosuch = 'x'", [](const Tags&) { return false; }},
  };
  std::mt19937_64 rng(4);
  std::function<Leaf(int)> tree = [&](int depth) -> Leaf {
    if (depth == 0 || rng() % 3 == 0) return leaves[rng() % leaves.size()];
    Leaf a = tree(depth - 1), b = tree(depth - 1);
    if (rng() % 2) {
      return {"(" + a.text + " AND " + b.text + ")",
              [a, b](const Tags& t) { return a.want(t) && b.want(t); }};
    }
    return {"(" + a.text + " OR " + b.text + ")",
            [a, b](const Tags& t) { return a.want(t) || b.want(t); }};
  };
  for (int i = 0; i < 400; ++i) {
    const Leaf expression = tree(4);
    EXPECT_EQ(Selected(expression.text), Expected(expression.want)) << expression.text;
  }
}

TEST_F(SeriesFilterTest, TopLevelTimeConditionsNarrowTheRangeAndLeaveTheTags) {
  auto clause = Split("time >= 10 AND host = 'a' AND time < 20 AND region = 'eu'");
  ASSERT_TRUE(clause.ok()) << clause.status().ToString();
  EXPECT_EQ(clause->time.min_ns, 10);
  EXPECT_EQ(clause->time.max_ns, 20);
  EXPECT_EQ(Selected("time >= 10 AND host = 'a' AND time < 20 AND region = 'eu'"),
            (std::set<std::string>{"cpu,host=a,region=eu"}));

  clause = Split("(time > 10 AND time <= 20) AND (host = 'a' OR host = 'b')");
  ASSERT_TRUE(clause.ok()) << clause.status().ToString();
  EXPECT_EQ(clause->time.min_ns, 11);
  EXPECT_EQ(clause->time.max_ns, 21);

  clause = Split("time = 7");
  ASSERT_TRUE(clause.ok()) << clause.status().ToString();
  EXPECT_EQ(clause->time.min_ns, 7);
  EXPECT_EQ(clause->time.max_ns, 8);
  EXPECT_EQ(Selected("time = 7").size(), tags_.size()) << "no tag condition keeps every series";

  auto none = SplitWhere(nullptr, "cpu", schema_);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->time.min_ns, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(none->time.max_ns, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(none->series.Select(index_, "cpu").size(), tags_.size());
  EXPECT_TRUE(none->series.Select(index_, "nosuch").empty());
}

TEST_F(SeriesFilterTest, UnsupportedOrWrongConditionsAreErrorsAtTheirPosition) {
  struct Case {
    std::string where;
    std::string at;  // the text the error must point at
    std::string message;
  };
  const Case cases[] = {
      {"usage > 'high'", "usage >",
       "field 'usage' is float; compare it with a number using =, !=, <, <=, > or >="},
      {"host = 'a' OR status = 'ok'", "OR",
       "a condition mixing fields with tags or time under OR is not supported yet"},
      {"host = 'a' OR time > 5", "OR", "OR with a time condition is not supported yet"},
      {"host = 'a' AND (time > 5 OR region = 'eu')", "OR",
       "OR with a time condition is not supported yet"},
      {"time != 5", "time", "time != is not supported yet"},
      {"host > 'a'", "host", "tag 'host' cannot be compared with '>'; tags take =, !=, =~ or !~"},
      {"host = 5", "host", "tag 'host' is compared with a 'string', not 5"},
      {"region = 'eu' AND host != true", "host",
       "tag 'host' is compared with a 'string', not true"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.where),
              PositionOf("SELECT count(usage) FROM cpu WHERE " + c.where, c.at) + c.message)
        << c.where;
  }
}

TEST_F(SeriesFilterTest, BadRegexIsAnErrorNamingItsPosition) {
  const std::string query =
      "SELECT count(usage)\nFROM cpu\nWHERE region = 'eu' AND\n  host =~ /a(/";
  auto stmt = ParseSelect(query, 0);
  ASSERT_TRUE(stmt.ok()) << stmt.status().ToString();
  auto clause = SplitWhere(stmt->where.get(), "cpu", schema_);
  ASSERT_FALSE(clause.ok());
  EXPECT_EQ(clause.status().code(), StatusCode::kInvalidArgument);
  const std::string prefix = "4:3 invalid regular expression /a(/: ";
  EXPECT_EQ(clause.status().message().substr(0, prefix.size()), prefix)
      << clause.status().message();
}

}  // namespace
}  // namespace strata::query
