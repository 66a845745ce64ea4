// Aggregates with GROUP BY time and tags, FILL, ORDER BY and LIMIT against a reference computed
// here from the points the test wrote (latest version of each). Data is flushed in part, so some
// blocks are answered from statistics and others decoded, and part of it is corrected later.

#include "query/grouped_aggregate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/query/engine_fixture.h"

namespace strata::query {
namespace {

constexpr int64_t kBase = 1767225600LL * 1000000000LL;  // 2026-01-01T00:00:00Z
constexpr int64_t kSecond = 1000000000LL;

struct SeriesData {
  std::string host, region;
  std::map<int64_t, double> points;  // latest value per time
};

double Parse(const std::string& cell) { return std::strtod(cell.c_str(), nullptr); }

// The reference cell of one aggregate over values in time order.
std::string Reference(const std::string& function, std::vector<double> values, double p = 0) {
  if (function == "count") return std::to_string(values.size());
  if (values.empty()) return "";
  const size_t n = values.size();
  long double sum = 0;
  for (double v : values) sum += v;
  if (function == "sum") return FormatFloat(static_cast<double>(sum));
  if (function == "mean") return FormatFloat(static_cast<double>(sum / n));
  if (function == "first") return FormatFloat(values.front());
  if (function == "last") return FormatFloat(values.back());
  if (function == "stddev") {
    if (n < 2) return "";
    const long double mean = sum / n;
    long double m2 = 0;
    for (double v : values) m2 += (v - mean) * (v - mean);
    return FormatFloat(static_cast<double>(std::sqrt(m2 / (n - 1))));
  }
  std::sort(values.begin(), values.end());
  if (function == "min") return FormatFloat(values.front());
  if (function == "max") return FormatFloat(values.back());
  if (function == "spread") return FormatFloat(values.back() - values.front());
  if (function == "median") {
    return FormatFloat(n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
  }
  // percentile: nearest rank
  const double rank = std::ceil(p / 100.0 * static_cast<double>(n));
  return FormatFloat(values[rank < 1 ? 0 : std::min(n - 1, static_cast<size_t>(rank) - 1)]);
}

void ExpectCell(const std::string& got, const std::string& want, const std::string& what) {
  if (want.empty() || got.empty()) {
    EXPECT_EQ(got, want) << what;
    return;
  }
  const double g = Parse(got), w = Parse(want);
  EXPECT_LE(std::fabs(g - w), 1e-9 * std::max(1.0, std::fabs(w)))
      << what << ": " << got << " vs " << want;
}

class GroupedAggregateTest : public EngineFixture {
 protected:
  // Writes points at irregular times over 30 hours for `hosts` hosts in 2 regions, flushes half
  // way, then corrects some points (so those blocks are shadowed) and writes late ones.
  void Load(int hosts = 3) {
    std::mt19937_64 rng(11);
    std::vector<std::pair<std::string, std::string>> tags = {{"a", "eu"}, {"b", "eu"}, {"c", "us"}};
    for (int h = 3; h < hosts; ++h) tags.emplace_back("h" + std::to_string(h), h % 2 ? "us" : "eu");
    for (const auto& [host, region] : tags) series_.push_back({host, region, {}});
    auto write = [&](size_t s, int64_t t, double v, std::vector<std::string>* lines) {
      series_[s].points[t] = v;
      lines->push_back("cpu,host=" + series_[s].host + ",region=" + series_[s].region +
                       " v=" + FormatFloat(v) + " " + std::to_string(t));
    };
    for (int phase = 0; phase < 2; ++phase) {
      std::vector<std::string> lines;
      for (size_t s = 0; s < series_.size(); ++s) {
        int64_t t = kBase + phase * 15 * 3600 * kSecond + static_cast<int64_t>(s) * 1000;
        double v = 50;
        for (int i = 0; i < 3000; ++i) {
          t += (1 + static_cast<int64_t>(rng() % 30)) * kSecond;
          v = std::round((v + static_cast<double>(rng() % 200) / 100.0 - 1.0) * 100) / 100;
          write(s, t, v, &lines);
        }
      }
      Write(lines);
      ASSERT_TRUE(engine_->Flush().ok());
    }
    std::vector<std::string> corrections;
    for (int i = 0; i < 40; ++i) {
      const size_t s = rng() % series_.size();
      auto it = series_[s].points.begin();
      std::advance(it, static_cast<long>(rng() % (series_[s].points.size() / 2)));
      write(s, it->first, it->second + 0.5, &corrections);
    }
    Write(corrections);
  }

  // Random statements (every function, bucket width, offset, grouping, range, FILL, order and
  // LIMIT) against a reference computed here from the points written.
  void CheckRandomStatements(int statements, int min_rows);

  std::vector<SeriesData> series_;
};

TEST_F(GroupedAggregateTest, EveryAggregateBucketGroupingAndFillMatchesTheReference) {
  Load();
  CheckRandomStatements(120, 2000);
}

TEST_F(GroupedAggregateTest, StatementsOverManyGroupsScannedOnTwoThreadsMatchTheReference) {
  // 70 hosts: GROUP BY host makes 70 groups of 70 scans, which the executor splits over two
  // threads; the reference does not know.
  Load(70);
  CheckRandomStatements(40, 5000);
}

TEST_F(GroupedAggregateTest, TwoThreadsShareTheStatementsCountersAndItsMemoryLimit) {
  Load(70);
  auto statement = ParseSelect("SELECT median(v) FROM cpu GROUP BY host", engine_->NowNanos());
  ASSERT_TRUE(statement.ok());
  engine::ScanContext counted;
  TableSink answer;
  ASSERT_TRUE(ExecuteSelect(*engine_, *statement, answer, &counted).ok());
  EXPECT_EQ(answer.rows().size(), 70u);
  EXPECT_EQ(counted.scans, 70u);  // both threads' scans, as EXPLAIN reports them
  EXPECT_GT(counted.blocks_decoded, 70u);
  EXPECT_GT(counted.memory_bytes, 70u * 6000 * sizeof(double));  // every kept value, both halves

  // Medians keep every value: 4 KiB is too little, whichever thread passes it first.
  engine::ScanContext limited;
  limited.memory_limit_bytes = 4096;
  TableSink refused;
  Status status = ExecuteSelect(*engine_, *statement, refused, &limited);
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message().rfind("query memory limit exceeded: it holds ", 0), 0u)
      << status.message();
  EXPECT_NE(status.message().find("the limit is"), std::string::npos) << status.message();
}

void GroupedAggregateTest::CheckRandomStatements(int statements, int min_rows) {
  std::mt19937_64 rng(5);
  const std::vector<std::string> functions = {"count",  "sum",    "mean",      "min",
                                              "max",    "first",  "last",      "median",
                                              "stddev", "spread", "percentile"};
  const std::vector<std::pair<std::string, int64_t>> intervals = {{"", 0},
                                                                  {"1h", 3600 * kSecond},
                                                                  {"10m", 600 * kSecond},
                                                                  {"7m", 420 * kSecond},
                                                                  {"1d", 86400 * kSecond}};
  const std::vector<std::string> fills = {"", "none", "null", "previous", "linear", "-1"};
  int checked_rows = 0;
  for (int q = 0; q < statements; ++q) {
    const std::string function = functions[q % functions.size()];
    const auto& [interval_text, interval] = intervals[rng() % intervals.size()];
    const int64_t offset = interval > 0 && rng() % 3 == 0 ? 90 * kSecond : 0;
    const int group_mode = static_cast<int>(rng() % 3);  // none, region, host
    const bool ranged = rng() % 4 != 0;
    const int64_t lo = kBase + static_cast<int64_t>(rng() % (20 * 3600)) * kSecond;
    const int64_t hi = lo + static_cast<int64_t>(1 + rng() % (12 * 3600)) * kSecond;
    const std::string fill = interval > 0 ? fills[rng() % fills.size()] : "";
    const bool descending = interval > 0 && rng() % 4 == 0;
    const uint64_t limit = rng() % 5 == 0 ? 1 + rng() % 7 : 0;
    const double p = static_cast<double>(rng() % 101);

    std::string item =
        function == "percentile" ? "percentile(v, " + FormatFloat(p) + ")" : function + "(v)";
    std::string text = "SELECT " + item + " FROM cpu";
    if (ranged) {
      text += " WHERE time >= " + std::to_string(lo) + " AND time < " + std::to_string(hi);
    }
    std::vector<std::string> group_parts;
    if (interval > 0) {
      group_parts.push_back("time(" + interval_text +
                            (offset ? ", " + std::to_string(offset / kSecond) + "s" : "") + ")");
    }
    if (group_mode == 1) group_parts.push_back("region");
    if (group_mode == 2) group_parts.push_back("host");
    if (!group_parts.empty()) {
      text += " GROUP BY ";
      for (size_t i = 0; i < group_parts.size(); ++i) text += (i ? ", " : "") + group_parts[i];
    }
    if (!fill.empty()) text += " FILL(" + fill + ")";
    if (descending) text += " ORDER BY time DESC";
    if (limit) text += " LIMIT " + std::to_string(limit);

    // Reference: groups of series, buckets of points.
    std::map<std::string, std::vector<const SeriesData*>> groups;
    for (const SeriesData& s : series_) {
      groups[group_mode == 1 ? s.region : group_mode == 2 ? s.host : ""].push_back(&s);
    }
    const int64_t range_lo = ranged ? lo : INT64_MIN, range_hi = ranged ? hi : INT64_MAX;
    std::map<std::string, std::map<int64_t, std::vector<std::pair<int64_t, double>>>> buckets;
    int64_t first_bucket = INT64_MAX, last_bucket = INT64_MIN;
    for (const auto& [key, members] : groups) {
      for (const SeriesData* s : members) {
        for (const auto& [t, v] : s->points) {
          if (t < range_lo || t >= range_hi) continue;
          const int64_t b = interval > 0 ? BucketStart(t, interval, offset) : 0;
          buckets[key][b].emplace_back(t, v);
          first_bucket = std::min(first_bucket, b);
          last_bucket = std::max(last_bucket, b);
        }
      }
    }
    if (interval > 0 && ranged) {
      first_bucket = BucketStart(lo, interval, offset);
      last_bucket = BucketStart(hi - 1, interval, offset);
    }
    std::vector<std::vector<std::string>> expected;
    for (auto& [key, by_bucket] : buckets) {
      std::vector<int64_t> starts;
      std::vector<std::string> cells;
      std::vector<bool> present;
      auto cell_of = [&](std::vector<std::pair<int64_t, double>> points) {
        std::sort(points.begin(), points.end());
        std::vector<double> values;
        for (const auto& [t, v] : points) values.push_back(v);
        return Reference(function, values, p);
      };
      if (interval == 0) {
        starts.push_back(0);
        cells.push_back(cell_of(by_bucket[0]));
        present.push_back(true);
      } else {
        for (int64_t b = first_bucket; b <= last_bucket; b += interval) {
          auto it = by_bucket.find(b);
          starts.push_back(b);
          present.push_back(it != by_bucket.end());
          cells.push_back(it != by_bucket.end() ? cell_of(it->second) : "");
        }
      }
      for (size_t b = 0; b < cells.size(); ++b) {
        if (present[b]) continue;
        if (fill == "-1") cells[b] = "-1";
        if (fill == "previous" && b > 0) cells[b] = cells[b - 1];
        if (fill == "linear") {
          size_t prev = b, next = b;
          while (prev > 0 && (!present[prev] || cells[prev].empty())) --prev;
          while (next < cells.size() && (!present[next] || cells[next].empty())) ++next;
          if ((present[prev] && !cells[prev].empty()) && next < cells.size()) {
            const double x = static_cast<double>(starts[b] - starts[prev]) /
                             static_cast<double>(starts[next] - starts[prev]);
            cells[b] =
                FormatFloat(Parse(cells[prev]) + (Parse(cells[next]) - Parse(cells[prev])) * x);
          }
        }
      }
      uint64_t emitted = 0;
      for (size_t k = 0; k < cells.size(); ++k) {
        const size_t b = descending ? cells.size() - 1 - k : k;
        if (!present[b] && fill == "none") continue;
        if (limit && emitted >= limit) break;
        std::vector<std::string> row;
        if (interval > 0) row.push_back(FormatTime(starts[b]));
        if (group_mode != 0) row.push_back(key);
        row.push_back(cells[b]);
        expected.push_back(row);
        ++emitted;
      }
    }

    const TableSink got = QueryOk(text);
    ASSERT_EQ(got.rows().size(), expected.size()) << text;
    for (size_t r = 0; r < expected.size(); ++r) {
      ASSERT_EQ(got.rows()[r].size(), expected[r].size()) << text;
      for (size_t c = 0; c + 1 < expected[r].size(); ++c) {
        EXPECT_EQ(got.rows()[r][c], expected[r][c]) << text << " row " << r;
      }
      ExpectCell(got.rows()[r].back(), expected[r].back(), text + " row " + std::to_string(r));
      ++checked_rows;
    }
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(checked_rows, min_rows);
}

TEST_F(GroupedAggregateTest, CleanBlocksAreAnsweredFromStatisticsWithTheSameResult) {
  Load();
  engine::ScanContext counters;
  auto statement =
      ParseSelect("SELECT count(v), sum(v), max(v) FROM cpu GROUP BY region", engine_->NowNanos());
  ASSERT_TRUE(statement.ok()) << statement.status().ToString();
  auto where = SplitWhere(nullptr, "cpu", engine_->schema());
  ASSERT_TRUE(where.ok());
  TableSink sink;
  ASSERT_TRUE(
      ExecuteAggregates(*engine_, *statement, *where, engine_->LastVisibleTime(), sink, &counters)
          .ok());
  EXPECT_GT(counters.blocks_from_stats, 0u);
  EXPECT_GT(counters.blocks_decoded, 0u) << "the corrected blocks must be decoded";
  ASSERT_EQ(sink.rows().size(), 2u);
  for (const auto& row : sink.rows()) {
    std::vector<double> values;
    for (const SeriesData& s : series_) {
      if (s.region != row[0]) continue;
      for (const auto& [t, v] : s.points) values.push_back(v);
    }
    EXPECT_EQ(row[1], Reference("count", values));
    ExpectCell(row[2], Reference("sum", values), "sum");
    EXPECT_EQ(row[3], Reference("max", values));
  }
}

TEST_F(GroupedAggregateTest, SignedZerosFromStatisticsMatchThePointByPointAnswer) {
  // Each series is one clean block. -0.0 counts below 0.0 (as point by point), so min and max
  // answered from statistics must name the right zero.
  Write({"z,s=a v=0 1", "z,s=a v=-0 2", "z,s=a v=3 3",   // min -0
         "z,s=b v=-0 1", "z,s=b v=0 2", "z,s=b v=-5 3",  // max 0
         "z,s=c v=-0 1", "z,s=c v=-0 2",                 // min and max -0
         "z,s=d v=0 1", "z,s=d v=0 2"});                 // min and max 0
  ASSERT_TRUE(engine_->Flush().ok());
  engine::ScanContext counters;
  auto statement =
      ParseSelect("SELECT min(v), max(v), spread(v) FROM z GROUP BY s", engine_->NowNanos());
  ASSERT_TRUE(statement.ok());
  TableSink sink;
  ASSERT_TRUE(ExecuteSelect(*engine_, *statement, sink, &counters).ok());
  EXPECT_EQ(counters.blocks_from_stats, 4u);
  EXPECT_EQ(counters.blocks_decoded, 0u);
  EXPECT_EQ(sink.rows(), (std::vector<std::vector<std::string>>{{"a", "-0", "3", "3"},
                                                                {"b", "-5", "0", "5"},
                                                                {"c", "-0", "-0", "0"},
                                                                {"d", "0", "0", "0"}}));
  // Across blocks too: the whole measurement's min is -0 only if some block holds one.
  TableSink all = QueryOk("SELECT min(v), max(v) FROM z WHERE s = 'c' OR s = 'd'");
  EXPECT_EQ(all.rows(), (std::vector<std::vector<std::string>>{{"-0", "0"}}));
}

TEST_F(GroupedAggregateTest, FirstAndLastComeFromBlockStatisticsWithoutDecoding) {
  // Three series, 10,000 points each (three blocks), written in shuffled order and flushed.
  std::mt19937_64 rng(13);
  std::map<std::string, std::map<int64_t, std::string>> floats, ints, bools;
  std::vector<std::string> lines;
  for (const std::string s : {"a", "b", "c"}) {
    std::vector<int64_t> times;
    for (int64_t t = 0; t < 10000; ++t)
      times.push_back(t * 1000 + static_cast<int64_t>(rng() % 1000));
    std::shuffle(times.begin(), times.end(), rng);
    for (int64_t t : times) {
      const double f = static_cast<double>(rng() % 100000) / 100;
      const int64_t n = static_cast<int64_t>(rng() % 2000) - 1000;
      const bool b = rng() % 2 == 0;
      floats[s][t] = FormatFloat(f);
      ints[s][t] = std::to_string(n);
      bools[s][t] = b ? "true" : "false";
      lines.push_back("fl,s=" + s + " f=" + FormatFloat(f) + ",n=" + std::to_string(n) +
                      "i,b=" + (b ? "true" : "false") + " " + std::to_string(t));
    }
  }
  Write(lines);
  ASSERT_TRUE(engine_->Flush().ok());
  engine::ScanContext counters;
  auto statement = ParseSelect(
      "SELECT first(f), last(f), first(n), last(n), first(b), last(b) FROM fl GROUP BY s",
      engine_->NowNanos());
  ASSERT_TRUE(statement.ok());
  TableSink sink;
  ASSERT_TRUE(ExecuteSelect(*engine_, *statement, sink, &counters).ok());
  EXPECT_EQ(counters.blocks_decoded, 0u);
  EXPECT_EQ(counters.blocks_from_stats, 27u);  // 3 series x 3 fields x 3 blocks
  std::vector<std::vector<std::string>> expected;
  for (const std::string s : {"a", "b", "c"}) {
    expected.push_back({s, floats[s].begin()->second, floats[s].rbegin()->second,
                        ints[s].begin()->second, ints[s].rbegin()->second, bools[s].begin()->second,
                        bools[s].rbegin()->second});
  }
  EXPECT_EQ(sink.rows(), expected);
  // All series pooled: the earliest and latest point over every block of every series.
  int64_t first_t = INT64_MAX, last_t = INT64_MIN;
  std::string first_v, last_v;
  for (const auto& [s, points] : floats) {
    if (points.begin()->first < first_t) {
      first_t = points.begin()->first;
      first_v = points.begin()->second;
    }
    if (points.rbegin()->first > last_t) {
      last_t = points.rbegin()->first;
      last_v = points.rbegin()->second;
    }
  }
  EXPECT_EQ(QueryOk("SELECT first(f), last(f) FROM fl").rows(),
            (std::vector<std::vector<std::string>>{{first_v, last_v}}));
}

TEST_F(GroupedAggregateTest, DescendingLimitReadsOnlyTheLastBucketsAndAnswersTheSame) {
  // Series with different extents and a gap of all of them (2.4 ms to 2.6 ms), flushed and in
  // memory: ORDER BY time DESC LIMIT n with an open start reads only the last n buckets (plus
  // statistics before them); its rows must be the first n rows per group of the same query without
  // LIMIT.
  std::vector<std::string> lines;
  for (int64_t t = 0; t < 3000; ++t) {
    if (t % 7 != 0 && (t < 2400 || t >= 2600))
      lines.push_back("d,h=a v=" + std::to_string(t % 13) + " " + std::to_string(t * 1000));
    if (t < 1200)
      lines.push_back("d,h=b v=" + std::to_string(t % 5) + " " + std::to_string(t * 1000));
    if (t > 2000 && t < 2300) lines.push_back("d,h=c v=1 " + std::to_string(t * 1000));
  }
  Write(lines);
  ASSERT_TRUE(engine_->Flush().ok());
  Write({"d,h=a v=100 2999500", "d,h=c v=7 2500000"});
  for (const std::string fill :
       {"", " FILL(null)", " FILL(-1)", " FILL(previous)", " FILL(none)"}) {
    for (const std::string group : {"", ", h"}) {
      for (int64_t end : {3000000, 2550000, 2305000, 1500000, 600000}) {
        for (int limit : {1, 3, 40}) {
          const std::string base = "SELECT max(v), count(v) FROM d WHERE time < " +
                                   std::to_string(end) + " GROUP BY time(10us)" + group + fill +
                                   " ORDER BY time DESC";
          TableSink all = QueryOk(base);
          // The first `limit` rows of each group (the group is column 1 when grouped by h).
          std::vector<std::vector<std::string>> expected;
          std::map<std::string, int> taken;
          for (const auto& row : all.rows()) {
            const std::string key = group.empty() ? "" : row[1];
            if (taken[key]++ < limit) expected.push_back(row);
          }
          const std::string query = base + " LIMIT " + std::to_string(limit);
          EXPECT_EQ(QueryOk(query).rows(), expected) << query;
        }
      }
    }
  }
}

}  // namespace
}  // namespace strata::query
