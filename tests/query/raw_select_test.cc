// Raw field selection, '*' and field conditions in WHERE (query/raw_select.h,
// query/field_filter.h) through the whole executor: every answer is compared row by row with a
// reference computed in the test from what it wrote.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/query/engine_fixture.h"

namespace strata::query {
namespace {

// One row of the model: the latest value of each field at one (series, time).
struct ModelRow {
  std::optional<double> u;   // float
  std::optional<int64_t> n;  // integer
  std::optional<std::string> s;
  std::optional<bool> b;
};

const std::vector<std::string> kHosts = {"a", "b", "c"};

std::string SeriesKey(const std::string& host) {
  return "cpu,host=" + host + ",region=" + (host == "c" ? "us" : "eu");
}

class RawSelectTest : public EngineFixture {
 protected:
  // Writes random rows with random subsets of the fields, in shuffled time order, then corrects
  // some of them in a later batch.
  void WriteData(int times, uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (int round = 0; round < 2; ++round) {
      std::vector<std::string> lines;
      for (const std::string& host : kHosts) {
        std::vector<int> order(static_cast<size_t>(times));
        for (int t = 0; t < times; ++t) order[static_cast<size_t>(t)] = t;
        std::shuffle(order.begin(), order.end(), rng);
        for (int t : order) {
          if (round == 1 && rng() % 4 != 0) continue;
          if (rng() % 5 == 0) continue;  // some rows missing entirely
          ModelRow& row = model_[host][t * 10];
          std::string fields;
          auto add = [&fields](const std::string& f) { fields += (fields.empty() ? "" : ",") + f; };
          if (rng() % 3 != 0) {
            double u = static_cast<double>(rng() % 1000) / 10.0;
            if (rng() % 50 == 0) u = std::nan("");
            row.u = u;
            add("u=" + FormatFloat(u));
          }
          if (rng() % 3 != 0) {
            const int64_t n = static_cast<int64_t>(rng() % 200) - 100;
            row.n = n;
            add("n=" + std::to_string(n) + "i");
          }
          if (rng() % 2 == 0) {
            const std::string s = std::string(1, static_cast<char>('x' + rng() % 3));
            row.s = s;
            add("s=\"" + s + "\"");
          }
          if (rng() % 2 == 0) {
            const bool b = rng() % 2 == 0;
            row.b = b;
            add(std::string("b=") + (b ? "true" : "false"));
          }
          if (fields.empty()) {
            const int64_t n = 7;
            row.n = n;
            fields = "n=7i";
          }
          lines.push_back(SeriesKey(host) + " " + fields + " " + std::to_string(t * 10));
        }
      }
      Write(lines);
      if (round == 0) {
        ASSERT_TRUE(engine_->Flush().ok());  // half in chunk files, half in memory
      }
    }
  }

  static std::string Cell(const ModelRow& row, const std::string& item, const std::string& host) {
    if (item == "u") return row.u ? FormatFloat(*row.u) : "";
    if (item == "n") return row.n ? std::to_string(*row.n) : "";
    if (item == "s") return row.s ? *row.s : "";
    if (item == "b") return row.b ? (*row.b ? "true" : "false") : "";
    if (item == "host") return host;
    if (item == "region") return host == "c" ? "us" : "eu";
    return "";
  }

  static bool HasSelectedField(const ModelRow& row, const std::vector<std::string>& items) {
    for (const std::string& item : items) {
      if ((item == "u" && row.u) || (item == "n" && row.n) || (item == "s" && row.s) ||
          (item == "b" && row.b)) {
        return true;
      }
    }
    return false;
  }

  // The rows the reference expects, in answer order.
  std::vector<std::vector<std::string>> Expected(const std::vector<std::string>& items, int64_t lo,
                                                 int64_t hi,
                                                 const std::function<bool(const ModelRow&)>& keep,
                                                 bool group_by_host, bool descending,
                                                 std::optional<size_t> limit) const {
    std::vector<std::vector<std::string>> out;
    std::vector<std::vector<std::string>> group_keys;
    if (group_by_host) {
      for (const std::string& host : kHosts) group_keys.push_back({host});
    } else {
      group_keys.push_back(kHosts);
    }
    for (const auto& hosts : group_keys) {
      std::vector<std::pair<std::pair<int64_t, std::string>, std::vector<std::string>>> rows;
      for (const std::string& host : hosts) {
        auto it = model_.find(host);
        if (it == model_.end()) continue;
        for (const auto& [t, row] : it->second) {
          if (t < lo || t >= hi || !HasSelectedField(row, items) || !keep(row)) continue;
          std::vector<std::string> cells{FormatTime(t)};
          if (group_by_host) cells.push_back(host);
          for (const std::string& item : items) cells.push_back(Cell(row, item, host));
          rows.push_back({{t, SeriesKey(host)}, cells});
        }
      }
      std::sort(rows.begin(), rows.end());
      if (descending) std::reverse(rows.begin(), rows.end());
      size_t emitted = 0;
      for (const auto& [key, cells] : rows) {
        if (limit && emitted >= *limit) break;
        out.push_back(cells);
        ++emitted;
      }
    }
    return out;
  }

  std::map<std::string, std::map<int64_t, ModelRow>> model_;  // host -> time -> row
};

struct Predicate {
  std::string text;  // empty: no field condition
  std::function<bool(const ModelRow&)> keep;
};

std::vector<Predicate> Predicates() {
  return {
      {"", [](const ModelRow&) { return true; }},
      {"u > 50", [](const ModelRow& r) { return r.u && *r.u > 50; }},
      {"u <= 20.5", [](const ModelRow& r) { return r.u && *r.u <= 20.5; }},
      {"u != 3", [](const ModelRow& r) { return r.u && *r.u != 3; }},  // NaN counts as !=
      {"n >= -10 AND n < 40", [](const ModelRow& r) { return r.n && *r.n >= -10 && *r.n < 40; }},
      {"n = 7", [](const ModelRow& r) { return r.n && *r.n == 7; }},
      {"s = 'y'", [](const ModelRow& r) { return r.s && *r.s == "y"; }},
      {"s =~ /^[xz]$/", [](const ModelRow& r) { return r.s && *r.s != "y"; }},
      {"b = true", [](const ModelRow& r) { return r.b && *r.b; }},
      {"(u > 90 OR n < -90)",
       [](const ModelRow& r) { return (r.u && *r.u > 90) || (r.n && *r.n < -90); }},
      {"u > 10.5 AND b != false",
       [](const ModelRow& r) { return r.u && *r.u > 10.5 && r.b && *r.b; }},
  };
}

TEST_F(RawSelectTest, RandomRawSelectionsMatchTheModel) {
  WriteData(300, 5);
  const std::vector<std::vector<std::string>> item_sets = {
      {"u"}, {"u", "n"}, {"s", "b", "u"}, {"n", "host"}, {"b"}, {"u", "n", "s", "b"}};
  std::mt19937_64 rng(17);
  const auto predicates = Predicates();
  for (int q = 0; q < 150; ++q) {
    const auto& items = item_sets[rng() % item_sets.size()];
    const Predicate& predicate = predicates[rng() % predicates.size()];
    const bool ranged = rng() % 2 == 0;
    const int64_t lo = ranged ? static_cast<int64_t>(rng() % 1500) : INT64_MIN;
    const int64_t hi = ranged ? lo + static_cast<int64_t>(rng() % 2000) : INT64_MAX;
    const bool by_host = rng() % 3 == 0;
    const bool descending = rng() % 3 == 0;
    std::optional<size_t> limit;
    if (rng() % 3 == 0) limit = rng() % 20;

    std::string query = "SELECT ";
    for (size_t i = 0; i < items.size(); ++i) query += (i ? ", " : "") + items[i];
    query += " FROM cpu";
    std::vector<std::string> conditions;
    if (ranged) {
      conditions.push_back("time >= " + std::to_string(lo));
      conditions.push_back("time < " + std::to_string(hi));
    }
    if (!predicate.text.empty()) conditions.push_back(predicate.text);
    for (size_t i = 0; i < conditions.size(); ++i) {
      query += (i ? " AND " : " WHERE ") + conditions[i];
    }
    if (by_host) query += " GROUP BY host";
    if (descending) query += " ORDER BY time DESC";
    if (limit) query += " LIMIT " + std::to_string(*limit);

    TableSink answer = QueryOk(query);
    std::vector<std::string> columns{"time"};
    if (by_host) columns.push_back("host");
    columns.insert(columns.end(), items.begin(), items.end());
    EXPECT_EQ(answer.columns(), columns) << query;
    const auto expected = Expected(items, lo, hi, predicate.keep, by_host, descending, limit);
    ASSERT_EQ(answer.rows().size(), expected.size()) << query;
    EXPECT_EQ(answer.rows(), expected) << query;
  }
}

TEST_F(RawSelectTest, LimitOneFindsTheEdgeRowOfEachGroup) {
  // LIMIT 1 takes a path of its own (edge points from block statistics): it must agree with the
  // reference for every item set, direction, grouping and range, flushed data and memtable alike.
  WriteData(300, 8);
  Write({SeriesKey("a") + " u=1.25 2990", SeriesKey("b") + " n=5i 2990"});  // a tie at the end
  model_["a"][2990].u = 1.25;
  model_["b"][2990].n = 5;
  const std::vector<std::vector<std::string>> item_sets = {
      {"u"}, {"u", "n"}, {"s", "b", "u"}, {"n", "host"}, {"b"}, {"u", "n", "s", "b"}};
  for (const auto& items : item_sets) {
    for (bool descending : {false, true}) {
      for (bool by_host : {false, true}) {
        for (auto [lo, hi] : {std::pair<int64_t, int64_t>{INT64_MIN, INT64_MAX}, {500, 1700}}) {
          std::string query = "SELECT ";
          for (size_t i = 0; i < items.size(); ++i) query += (i ? ", " : "") + items[i];
          query += " FROM cpu";
          if (lo != INT64_MIN) {
            query += " WHERE time >= " + std::to_string(lo) + " AND time < " + std::to_string(hi);
          }
          if (by_host) query += " GROUP BY host";
          if (descending) query += " ORDER BY time DESC";
          query += " LIMIT 1";
          EXPECT_EQ(QueryOk(query).rows(), Expected(
                                               items, lo, hi, [](const ModelRow&) { return true; },
                                               by_host, descending, 1))
              << query;
        }
      }
    }
  }
}

TEST_F(RawSelectTest, FieldConditionsFilterPointsBeforeAggregation) {
  WriteData(200, 9);
  for (const Predicate& predicate : Predicates()) {
    if (predicate.text.empty()) continue;
    const std::string query =
        "SELECT count(u), sum(n), count(s) FROM cpu WHERE " + predicate.text + " GROUP BY host";
    std::vector<std::vector<std::string>> expected;
    for (const std::string& host : kHosts) {
      uint64_t u_count = 0, n_count = 0, s_count = 0;
      int64_t sum = 0;
      for (const auto& [t, row] : model_[host]) {
        if (!predicate.keep(row)) continue;
        u_count += row.u.has_value();
        s_count += row.s.has_value();
        if (row.n) {
          ++n_count;
          sum += *row.n;
        }
      }
      if (u_count + n_count + s_count == 0) continue;  // no points: the group has no row
      expected.push_back({host, std::to_string(u_count), n_count ? std::to_string(sum) : "",
                          std::to_string(s_count)});
    }
    EXPECT_EQ(QueryOk(query).rows(), expected) << query;
  }
}

TEST_F(RawSelectTest, FieldConditionsRestrictTheRollingMedianStream) {
  WriteData(200, 21);
  const std::string query = "SELECT rolling_median(u, 3) FROM cpu WHERE n >= -10 AND n < 40";
  // The pooled stream: rows that match, with a u, in (time, series key) order.
  std::vector<std::pair<std::pair<int64_t, std::string>, double>> stream;
  for (const auto& [host, rows] : model_) {
    for (const auto& [t, row] : rows) {
      if (row.u && row.n && *row.n >= -10 && *row.n < 40)
        stream.push_back({{t, SeriesKey(host)}, *row.u});
    }
  }
  std::sort(stream.begin(), stream.end());
  std::vector<std::vector<std::string>> expected;
  for (size_t i = 0; i < stream.size(); ++i) {
    std::vector<double> window;
    for (size_t j = i >= 2 ? i - 2 : 0; j <= i; ++j) window.push_back(stream[j].second);
    const bool has_nan =
        std::any_of(window.begin(), window.end(), [](double v) { return std::isnan(v); });
    std::sort(window.begin(), window.end());
    const size_t k = window.size();
    const double median = k % 2 ? window[k / 2] : (window[k / 2 - 1] + window[k / 2]) / 2;
    expected.push_back({FormatTime(stream[i].first.first),
                        has_nan ? FormatFloat(std::nan("")) : FormatFloat(median)});
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(QueryOk(query).rows(), expected) << query;
}

TEST_F(RawSelectTest, StarSelectsEveryFieldAndTag) {
  Write({"cpu,host=a,region=eu u=1.5,n=2i 10", "cpu,host=b,region=us s=\"x\" 20"});
  TableSink raw = QueryOk("SELECT * FROM cpu");
  EXPECT_EQ(raw.columns(), (std::vector<std::string>{"time", "host", "n", "region", "s", "u"}));
  EXPECT_EQ(raw.rows(),
            (std::vector<std::vector<std::string>>{{FormatTime(10), "a", "2", "eu", "", "1.5"},
                                                   {FormatTime(20), "b", "", "us", "x", ""}}));
  // The columns are the measurement's, whatever WHERE selects.
  EXPECT_EQ(QueryOk("SELECT * FROM cpu WHERE region = 'nowhere'").columns(), raw.columns());
  EXPECT_EQ(QueryOk("SELECT * FROM cpu WHERE host = 'b'").columns(), raw.columns());
  TableSink grouped = QueryOk("SELECT * FROM cpu GROUP BY region");
  EXPECT_EQ(grouped.columns(), (std::vector<std::string>{"time", "region", "host", "n", "s", "u"}));
  TableSink maxes = QueryOk("SELECT max(*) FROM cpu");
  EXPECT_EQ(maxes.columns(), (std::vector<std::string>{"max_n", "max_u"}));
  EXPECT_EQ(maxes.rows(), (std::vector<std::vector<std::string>>{{"2", "1.5"}}));
  TableSink lasts = QueryOk("SELECT last(*) FROM cpu GROUP BY host");
  EXPECT_EQ(lasts.columns(), (std::vector<std::string>{"host", "last_n", "last_s", "last_u"}));
  EXPECT_EQ(lasts.rows(),
            (std::vector<std::vector<std::string>>{{"a", "2", "", "1.5"}, {"b", "", "x", ""}}));
}

TEST_F(RawSelectTest, DeleteWithAFieldConditionRemovesWholeRows) {
  WriteData(100, 3);
  DeleteOk("DELETE FROM cpu WHERE u > 50");
  for (auto& [host, rows] : model_) {
    std::erase_if(rows, [](const auto& entry) { return entry.second.u && *entry.second.u > 50; });
  }
  const std::vector<std::string> items{"u", "n", "s", "b"};
  TableSink answer = QueryOk("SELECT u, n, s, b FROM cpu");
  EXPECT_EQ(answer.rows(), Expected(items, INT64_MIN, INT64_MAX,
                                    [](const ModelRow&) { return true; }, false, false, {}));
  EXPECT_FALSE(answer.rows().empty());
}

TEST_F(RawSelectTest, FieldConditionErrorsPointAtTheCondition) {
  Write({"cpu,host=a u=1,s=\"x\",b=true 1"});
  struct Case {
    std::string query, needle, message;
  };
  const Case cases[] = {
      {"SELECT u FROM cpu WHERE u =~ /1/", "u =~",
       "field 'u' is float; compare it with a number using =, !=, <, <=, > or >="},
      {"SELECT u FROM cpu WHERE b > true", "b >",
       "field 'b' is boolean; compare it with = or != and true or false"},
      {"SELECT u FROM cpu WHERE s = 1", "s =",
       "field 's' is string; compare it with = or != and a 'string', or with =~ or !~ and a "
       "/regex/"},
      {"SELECT u FROM cpu WHERE s =~ /[x/", "s =~", "invalid regular expression /[x/: "},
  };
  for (const Case& c : cases) {
    const std::string error = QueryError(c.query);
    const std::string expected = PositionOf(c.query, c.needle) + c.message;
    EXPECT_EQ(error.substr(0, expected.size()), expected) << c.query;
  }
}

}  // namespace
}  // namespace strata::query
