// Tag conditions in a SELECT's WHERE (query/series_filter.h) through the whole executor: each
// answer is checked against sums computed in the test from what it wrote.

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/query/engine_fixture.h"

namespace strata::query {
namespace {

using Tags = std::map<std::string, std::string>;

std::string Tag(const Tags& tags, const std::string& key) {
  auto it = tags.find(key);
  return it == tags.end() ? std::string() : it->second;
}

struct Series {
  std::string key;
  Tags tags;
};

const std::vector<Series> kSeries = {
    {"cpu,host=a,region=eu", {{"host", "a"}, {"region", "eu"}}},
    {"cpu,host=b,region=eu", {{"host", "b"}, {"region", "eu"}}},
    {"cpu,host=web1,region=us", {{"host", "web1"}, {"region", "us"}}},
    {"cpu,host=web2", {{"host", "web2"}}},
    {"cpu,region=us", {{"region", "us"}}},
    {"cpu", {}},
};

class ExecutorWhereTest : public EngineFixture {
 protected:
  // Writes `points` integer values per series at times 0..points-1, some rewritten later, and
  // records the last value of each point.
  void WriteData(int points) {
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<int64_t> value(-1000, 1000);
    for (int round = 0; round < 2; ++round) {
      std::vector<std::string> lines;
      for (size_t s = 0; s < kSeries.size(); ++s) {
        for (int t = 0; t < points; ++t) {
          if (round == 1 && rng() % 3 != 0) continue;  // a later batch corrects some points
          const int64_t n = value(rng);
          lines.push_back(kSeries[s].key + " n=" + std::to_string(n) + "i " + std::to_string(t));
          model_[s][t] = n;
        }
      }
      Write(lines);
    }
    // Same tags in another measurement must not count.
    Write({"mem,host=a,region=eu n=100000i 1", "mem n=100000i 2"});
  }

  // "count\tsum" of n over the series the predicate keeps and times in [lo, hi).
  std::vector<std::string> Expected(const std::function<bool(const Tags&)>& keep, int64_t lo,
                                    int64_t hi) const {
    int64_t count = 0, sum = 0;
    for (const auto& [s, points] : model_) {
      if (!keep(kSeries[s].tags)) continue;
      for (const auto& [t, n] : points) {
        if (t < lo || t >= hi) continue;
        ++count;
        sum += n;
      }
    }
    return {std::to_string(count), std::to_string(sum)};
  }

  std::map<size_t, std::map<int64_t, int64_t>> model_;  // series index -> time -> last value
};

TEST_F(ExecutorWhereTest, TagConditionsPickTheSeriesThatAreAggregated) {
  constexpr int kPoints = 40;
  WriteData(kPoints);
  struct Case {
    std::string where;
    std::function<bool(const Tags&)> keep;
    int64_t lo = 0, hi = kPoints;
  };
  const Case cases[] = {
      {"host = 'a'", [](const Tags& t) { return Tag(t, "host") == "a"; }},
      {"host != 'a'", [](const Tags& t) { return Tag(t, "host") != "a"; }},
      {"host = ''", [](const Tags& t) { return !t.contains("host"); }},
      {"host =~ /^web/", [](const Tags& t) { return Tag(t, "host").rfind("web", 0) == 0; }},
      {"host =~ /b/",  // partial match: b and both web hosts
       [](const Tags& t) { return Tag(t, "host").find('b') != std::string::npos; }},
      {"host !~ /web/",
       [](const Tags& t) { return Tag(t, "host").find("web") == std::string::npos; }},
      {"region = 'eu' AND host != 'b'",
       [](const Tags& t) { return Tag(t, "region") == "eu" && Tag(t, "host") != "b"; }},
      {"region = 'us' OR host = 'a'",
       [](const Tags& t) { return Tag(t, "region") == "us" || Tag(t, "host") == "a"; }},
      {"(region = 'us' OR region = '') AND host =~ /./",
       [](const Tags& t) {
         return (Tag(t, "region") == "us" || Tag(t, "region").empty()) && !Tag(t, "host").empty();
       }},
      {"time >= 10 AND host =~ /^(a|b)$/ AND time < 25",
       [](const Tags& t) { return Tag(t, "host") == "a" || Tag(t, "host") == "b"; }, 10, 25},
      {"region != 'eu' AND time > 30", [](const Tags& t) { return Tag(t, "region") != "eu"; }, 31,
       kPoints},
      {"nosuch = 'x'", [](const Tags&) { return false; }},
  };
  for (const Case& c : cases) {
    const std::string query = "SELECT count(n), sum(n) FROM cpu WHERE " + c.where;
    TableSink got = QueryOk(query);
    EXPECT_EQ(got.columns(), (std::vector<std::string>{"count(n)", "sum(n)"})) << query;
    const std::vector<std::string> want = Expected(c.keep, c.lo, c.hi);
    if (want[0] == "0") {
      EXPECT_TRUE(got.rows().empty()) << query;
      continue;
    }
    ASSERT_EQ(got.rows().size(), 1u) << query;
    EXPECT_EQ(got.rows()[0], want) << query;
  }
}

TEST_F(ExecutorWhereTest, TagConditionsWorkWithAsOf) {
  const engine::SystemTime first = Write({"cpu,host=a n=1i 1", "cpu,host=b n=2i 1"});
  Write({"cpu,host=a n=10i 1", "cpu,host=c n=5i 1"});
  TableSink then =
      QueryOk("SELECT sum(n) FROM cpu WHERE host != 'b' AS OF " + std::to_string(first.ns));
  ASSERT_EQ(then.rows().size(), 1u);
  EXPECT_EQ(then.rows()[0][0], "1");
  TableSink now = QueryOk("SELECT sum(n) FROM cpu WHERE host != 'b'");
  ASSERT_EQ(now.rows().size(), 1u);
  EXPECT_EQ(now.rows()[0][0], std::to_string(10 + 5));
}

TEST_F(ExecutorWhereTest, UnsupportedConditionsAreErrorsWithPositions) {
  Write({"cpu,host=a v=1,s=\"x\" 1"});
  struct Case {
    std::string query;
    std::string needle;
    std::string message;
  };
  const Case cases[] = {
      {"SELECT count(v) FROM cpu WHERE v > 0 AND s < 'x'", "s <",
       "field 's' is string; compare it with = or != and a 'string', or with =~ or !~ and a "
       "/regex/"},
      {"SELECT count(v) FROM cpu WHERE host = 'a' OR\n  s = 'x'",
       "OR", "a condition mixing fields with tags or time under OR is not supported yet"},
      {"SELECT count(v) FROM cpu WHERE host = 'a'\n OR time > 0", "OR",
       "OR with a time condition is not supported yet"},
      {"SELECT count(v) FROM cpu WHERE host >= 'a'", "host",
       "tag 'host' cannot be compared with '>='; tags take =, !=, =~ or !~"},
      {"SELECT VERSIONS v FROM cpu WHERE v = 1",
       "v =", "SELECT VERSIONS takes no condition on field values"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(QueryError(c.query), PositionOf(c.query, c.needle) + c.message) << c.query;
  }
  const std::string bad_regex = "SELECT count(v) FROM cpu WHERE host =~ /[a/";
  const std::string error = QueryError(bad_regex);
  const std::string prefix = PositionOf(bad_regex, "host") + "invalid regular expression /[a/: ";
  EXPECT_EQ(error.substr(0, prefix.size()), prefix) << error;
}

}  // namespace
}  // namespace strata::query
