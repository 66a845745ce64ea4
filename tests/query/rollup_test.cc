// Rollups (DESIGN §8): a statement answered from a rollup must give exactly what raw data gives.
// Raw data is reached through the same statement with `AS OF <newest commit>`, which never reads
// a rollup; both run after every step of a random history of writes, late writes, corrections,
// deletes, flushes, restarts and rollups created and dropped, and while writers and flushes run.

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "query/explain.h"
#include "tests/query/engine_fixture.h"

namespace strata::query {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kJan1 = 1'767'225'600 * kSecond;  // 2026-01-01T00:00:00Z

// Equal cells, or numbers within 1e-12 relative: a sum folded from bucket sums may round its
// last bit differently from one folded point by point (DESIGN §7 allows 1e-9).
bool SameCell(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a);
  const double y = std::strtod(b.c_str(), &end_b);
  if (a.empty() || b.empty() || *end_a != '\0' || *end_b != '\0') return false;
  return std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
}

class RollupTest : public EngineFixture {
 protected:
  engine::ScanContext Counters(const std::string& query) {
    auto statement = ParseSelect(query, engine_->NowNanos());
    EXPECT_TRUE(statement.ok()) << statement.status().ToString();
    engine::ScanContext counters;
    TableSink sink;
    EXPECT_TRUE(ExecuteSelect(*engine_, *statement, sink, &counters).ok());
    return counters;
  }

  // Runs the statement through the rollup path and AS OF the newest commit (raw data); returns
  // how many buckets the rollup answered.
  uint64_t ExpectRollupMatchesRaw(const std::string& query, const std::string& context) {
    const std::string as_of = " AS OF " + std::to_string(engine_->LastVisibleTime().ns);
    const engine::ScanContext counters = Counters(query);
    const TableSink rolled = QueryOk(query);
    const TableSink raw = QueryOk(query + as_of);
    EXPECT_EQ(rolled.columns(), raw.columns()) << query << " after " << context;
    EXPECT_EQ(rolled.rows().size(), raw.rows().size()) << query << " after " << context;
    for (size_t r = 0; r < std::min(rolled.rows().size(), raw.rows().size()); ++r) {
      const auto& a = rolled.rows()[r];
      const auto& b = raw.rows()[r];
      EXPECT_EQ(a.size(), b.size());
      for (size_t c = 0; c < std::min(a.size(), b.size()); ++c) {
        EXPECT_TRUE(SameCell(a[c], b[c]))
            << query << " after " << context << ": row " << r << " column " << c << ": rollup "
            << a[c] << ", raw " << b[c];
      }
    }
    return counters.rollup_buckets;
  }

  void Run(const std::string& text) {
    auto statement = ParseRollup(text);
    ASSERT_TRUE(statement.ok()) << text << ": " << statement.status().ToString();
    Status done = ExecuteRollup(*engine_, *statement);
    ASSERT_TRUE(done.ok()) << text << ": " << done.ToString();
  }

  std::string RunError(const std::string& text) {
    auto statement = ParseRollup(text);
    if (!statement.ok()) return statement.status().message();
    Status done = ExecuteRollup(*engine_, *statement);
    return done.ok() ? "<no error>" : done.message();
  }

  std::string PlanLine(const std::string& query, const std::string& prefix) {
    auto statement = ParseSelect("EXPLAIN " + query, engine_->NowNanos());
    EXPECT_TRUE(statement.ok()) << statement.status().ToString();
    TableSink sink;
    EXPECT_TRUE(ExecuteExplain(*engine_, *statement, sink).ok());
    for (const auto& row : sink.rows()) {
      if (row[0].rfind(prefix, 0) == 0) return row[0];
    }
    return "<none>";
  }
};

TEST_F(RollupTest, AnswersEqualRawDataThroughARandomHistory) {
  std::mt19937_64 rng(20261202);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  const std::vector<std::string> hosts = {"h0", "h1", "h2", "h3", "h4"};
  // 37 s apart: a history spans more than one 64-bucket segment of every rollup below.
  auto time_at = [](int slot) { return std::to_string(kJan1 + slot * 37 * kSecond); };
  auto point = [&](int host, int slot) {
    const std::string series = "m,host=" + hosts[host] + ",region=" + (host % 2 ? "eu" : "us");
    std::string fields = "v=" + std::to_string(pick(2000) - 1000) + "." + std::to_string(pick(100));
    if (pick(3) == 0) fields += ",n=" + std::to_string(pick(1000) - 500) + "i";
    if (pick(5) == 0) fields += ",u=" + std::to_string(pick(1000)) + "u";
    if (pick(4) == 0) fields += ",s=\"" + std::string(1, static_cast<char>('a' + pick(26))) + "\"";
    return series + " " + fields + " " + time_at(slot);
  };
  const std::string all_v = "count(v), sum(v), mean(v), min(v), max(v), first(v), last(v), spread(v)";
  const std::vector<std::string> queries = {
      "SELECT " + all_v + " FROM m GROUP BY time(5m), host",
      "SELECT " + all_v + " FROM m GROUP BY time(1h)",
      "SELECT " + all_v + " FROM m GROUP BY time(10m, 5m) FILL(0)",
      "SELECT sum(n), min(n), max(n), first(n), last(n), count(u), sum(u) FROM m GROUP BY "
      "time(2m), region",
      "SELECT mean(v), count(n) FROM m",
      "SELECT max(v), sum(n) FROM m WHERE host =~ /h[0-2]/ GROUP BY time(4m), host ORDER BY "
      "time DESC LIMIT 3",
      // Not answered by rollups (a string field): still equal, through the raw path.
      "SELECT count(s), last(s) FROM m GROUP BY time(5m)",
  };
  Run("CREATE ROLLUP r10s ON m EVERY 10s");
  int top_slot = 60;
  uint64_t from_rollups = 0;
  for (int step = 0; step < 250; ++step) {
    std::string what;
    const int op = pick(24);
    if (op < 10) {
      // New points at the end, late ones into old buckets, and rewrites of existing points.
      std::vector<std::string> lines;
      for (int k = 0, n = 1 + pick(6); k < n; ++k) {
        const int slot = pick(3) == 0 ? ++top_slot : pick(top_slot + 1);
        lines.push_back(point(pick(static_cast<int>(hosts.size())), slot));
      }
      Write(lines);
      what = "write " + lines.front();
    } else if (op < 13) {
      const int host = pick(static_cast<int>(hosts.size()));
      const int from = pick(top_slot);
      DeleteOk("DELETE FROM m WHERE host = '" + hosts[host] + "' AND time >= " + time_at(from) +
               " AND time <= " + time_at(from + pick(20)));
      what = "delete from slot " + std::to_string(from) + " of " + hosts[host];
    } else if (op < 19) {
      ASSERT_TRUE(engine_->Flush().ok());
      what = "flush";
    } else if (op < 21) {
      Reopen();
      what = "restart";
    } else if (op < 23) {
      // Rollups come and go; the coarsest one that tiles a statement's buckets answers it.
      const std::string name = std::vector<std::string>{"r10s", "r1m", "r2m", "r5m"}[pick(4)];
      const bool exists = RunError("DROP ROLLUP " + name) == "<no error>";
      if (!exists) Run("CREATE ROLLUP " + name + " ON m EVERY " + name.substr(1));
      what = (exists ? "drop " : "create ") + name;
    } else {
      // A huge write that spans many buckets at once.
      std::vector<std::string> lines;
      for (int slot = pick(top_slot); slot < top_slot; slot += 1 + pick(3)) {
        lines.push_back(point(pick(static_cast<int>(hosts.size())), slot));
      }
      Write(lines);
      what = "wide rewrite";
    }
    const std::string context = "step " + std::to_string(step) + ": " + what;
    for (const std::string& query : queries) from_rollups += ExpectRollupMatchesRaw(query, context);
    // Ranges that cut buckets at both ends.
    const int a = pick(top_slot), b = a + pick(top_slot);
    const std::string range =
        " WHERE time >= " + time_at(a) + " + 3s AND time < " + time_at(b) + " - 1s";
    from_rollups += ExpectRollupMatchesRaw("SELECT " + all_v + " FROM m" + range +
                                               " GROUP BY time(20s), host",
                                           context);
    from_rollups += ExpectRollupMatchesRaw("SELECT " + all_v + " FROM m" + range +
                                               " GROUP BY time(3m), host",
                                           context);
    from_rollups += ExpectRollupMatchesRaw("SELECT sum(v), count(n) FROM m" + range, context);
  }
  // The history did read rollups, and a query after a flush reads nothing but its rows.
  EXPECT_GT(from_rollups, 1000u);
  ASSERT_TRUE(engine_->Flush().ok());
  const engine::ScanContext counters = Counters("SELECT sum(v) FROM m GROUP BY time(1h)");
  EXPECT_GT(counters.rollup_buckets, 0u);
  EXPECT_EQ(counters.rollup_raw_scans, 0u);
  EXPECT_EQ(counters.blocks_decoded, 0u);
}

TEST_F(RollupTest, AnAnswerNeverMixesStatesWhileWritersAndFlushesRun) {
  // Pairs of points in different series and buckets always hold opposite integers; each batch
  // rewrites one pair whole. A statement that read one series' bucket from the rollup and the
  // other's raw data at a different state (or rollup rows newer than its view) would sum to
  // non-zero. Many series, so that flushes land while a statement walks them.
  constexpr int kSlots = 300;  // 5 minutes of 1s points per series
  constexpr int kPairs = 50;
  auto pair_lines = [](int pair, int slot, int value) {
    const int partner = (slot + 137) % kSlots;
    const std::string id = std::to_string(pair);
    return std::vector<std::string>{"m,host=a" + id + " n=" + std::to_string(value) + "i " +
                                        std::to_string(kJan1 + slot * kSecond),
                                    "m,host=b" + id + " n=" + std::to_string(-value) + "i " +
                                        std::to_string(kJan1 + partner * kSecond)};
  };
  for (int pair = 0; pair < kPairs; ++pair) {
    std::vector<std::string> lines;
    for (int slot = 0; slot < kSlots; ++slot) {
      for (std::string& line : pair_lines(pair, slot, slot)) lines.push_back(std::move(line));
    }
    Write(lines);
  }
  ASSERT_TRUE(engine_->Flush().ok());
  Run("CREATE ROLLUP r10s ON m EVERY 10s");
  Run("CREATE ROLLUP r1m ON m EVERY 1m");

  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::mt19937_64 rng(7);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    while (std::chrono::steady_clock::now() < until) {
      Write(pair_lines(static_cast<int>(rng() % kPairs), static_cast<int>(rng() % kSlots),
                       static_cast<int>(rng() % 100000)));
    }
    done = true;
  });
  std::thread flusher([&] {
    while (!done.load()) EXPECT_TRUE(engine_->Flush().ok());
  });
  uint64_t answers = 0, from_rollup = 0;
  const std::string total = std::to_string(2 * kPairs * kSlots);
  while (!done.load()) {
    for (const std::string& query :
         {std::string("SELECT sum(n), count(n) FROM m"),
          std::string("SELECT sum(n), count(n) FROM m GROUP BY time(10m)"),
          std::string("SELECT sum(n), count(n) FROM m WHERE time >= ") +
              std::to_string(kJan1 + 5 * kSecond) + " GROUP BY time(20m)"}) {
      auto statement = ParseSelect(query, engine_->NowNanos());
      ASSERT_TRUE(statement.ok());
      engine::ScanContext counters;
      TableSink sink;
      ASSERT_TRUE(ExecuteSelect(*engine_, *statement, sink, &counters).ok());
      ASSERT_EQ(sink.rows().size(), 1u) << query;
      const auto& row = sink.rows()[0];
      const size_t first = row.size() - 2;
      if (query.find(">=") == std::string::npos) {
        ASSERT_EQ(row[first], "0") << query << " after " << answers << " answers";
        ASSERT_EQ(row[first + 1], total) << query;
      }
      from_rollup += counters.rollup_buckets;
      ++answers;
    }
  }
  writer.join();
  flusher.join();
  EXPECT_GT(answers, 10u);
  EXPECT_GT(from_rollup, 0u);
  ExpectRollupMatchesRaw("SELECT sum(n), min(n), max(n) FROM m GROUP BY time(1m), host", "end");
}

TEST_F(RollupTest, CachedRowsServeStatementsUntilTheNextFlush) {
  std::vector<std::string> lines;
  for (int host = 0; host < 3; ++host) {
    for (int i = 0; i < 200; ++i) {
      lines.push_back("m,host=h" + std::to_string(host) + " v=" + std::to_string(i * (host + 1)) +
                      " " + std::to_string(kJan1 + i * 30 * kSecond));
    }
  }
  Write(lines);
  ASSERT_TRUE(engine_->Flush().ok());
  Run("CREATE ROLLUP m_5m ON m EVERY 5m");
  const std::string query = "SELECT sum(v), max(v) FROM m GROUP BY time(10m), host";
  EXPECT_EQ(Counters(query).rollup_cache_hits, 0u) << "the first statement reads the catalog";
  EXPECT_EQ(Counters(query).rollup_cache_hits, 3u);
  ExpectRollupMatchesRaw(query, "cached");
  // A write in memory does not touch the cached rows: its bucket is read raw.
  Write({"m,host=h1 v=1000 " + std::to_string(kJan1 + 45 * kSecond)});
  const engine::ScanContext dirty = Counters(query);
  EXPECT_EQ(dirty.rollup_cache_hits, 3u);
  EXPECT_EQ(dirty.rollup_raw_scans, 1u);
  ExpectRollupMatchesRaw(query, "a write in memory");
  // Its flush rewrote rows: the cached copies are not used again.
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_EQ(Counters(query).rollup_cache_hits, 0u);
  EXPECT_EQ(Counters(query).rollup_cache_hits, 3u);
  EXPECT_EQ(Counters(query).rollup_raw_scans, 0u);
  ExpectRollupMatchesRaw(query, "after the flush");
}

TEST_F(RollupTest, ShowExplainAndErrors) {
  EXPECT_EQ(QueryOk("SELECT count(v) FROM m").rows().size(), 0u);
  Write({"m,host=a v=1.5 " + std::to_string(kJan1), "m,host=a v=2.5 " + std::to_string(kJan1 + 90 * kSecond),
         "m,host=b v=4 " + std::to_string(kJan1 + 30 * kSecond)});
  ASSERT_TRUE(engine_->Flush().ok());
  Run("CREATE ROLLUP m_1m ON m EVERY 1m");

  auto show = [&] {
    auto statement = ParseShow("SHOW ROLLUPS");
    EXPECT_TRUE(statement.ok());
    TableSink sink;
    EXPECT_TRUE(ExecuteShow(*engine_, *statement, sink).ok());
    return sink;
  };
  const TableSink shown = show();
  EXPECT_EQ(shown.columns(), (std::vector<std::string>{"name", "measurement", "interval",
                                                       "aggregates", "system_time"}));
  ASSERT_EQ(shown.rows().size(), 1u);
  EXPECT_EQ(shown.rows()[0][0], "m_1m");
  EXPECT_EQ(shown.rows()[0][1], "m");
  EXPECT_EQ(shown.rows()[0][2], "1m");
  EXPECT_EQ(shown.rows()[0][4], std::to_string(engine_->Stats().rollup_system_time_ns));

  const std::string query = "SELECT sum(v), count(v) FROM m GROUP BY time(2m)";
  EXPECT_EQ(QueryOk(query).rows(),
            (std::vector<std::vector<std::string>>{{"2026-01-01T00:00:00.000000000Z", "8", "3"}}));
  // Buckets 00:00 and 00:01 of a and 00:00 of b.
  EXPECT_EQ(PlanLine(query, "rollups:"),
            "rollups: m_1m (3 buckets from the rollup, 0 raw scans of partial or unflushed "
            "buckets, 2 series-fields from the cache)");
  // An unflushed point makes its bucket raw; the others still come from the rollup.
  Write({"m,host=a v=10 " + std::to_string(kJan1 + 100 * kSecond)});
  EXPECT_EQ(PlanLine(query, "rollups:"),
            "rollups: m_1m (2 buckets from the rollup, 1 raw scans of partial or unflushed "
            "buckets, 2 series-fields from the cache)");
  EXPECT_EQ(QueryOk(query).rows()[0][1], "18");
  // Not from a rollup: AS OF, holistic aggregates, field conditions, buckets it cannot tile.
  for (const std::string& other :
       {query + " AS OF " + std::to_string(engine_->LastVisibleTime().ns),
        std::string("SELECT median(v) FROM m GROUP BY time(2m)"),
        std::string("SELECT sum(v) FROM m WHERE v > 2 GROUP BY time(2m)"),
        std::string("SELECT sum(v) FROM m GROUP BY time(90s)"),
        std::string("SELECT sum(v) FROM m GROUP BY time(2m, 30s)")}) {
    EXPECT_EQ(PlanLine(other, "rollups:"), "rollups: none") << other;
  }

  EXPECT_EQ(RunError("CREATE ROLLUP m_1m ON m EVERY 5m"), "rollup m_1m already exists");
  EXPECT_EQ(RunError("DROP ROLLUP nope"), "no rollup named nope");
  EXPECT_EQ(RunError("CREATE ROLLUP x ON m EVERY 500ms"), "1:28 a rollup's interval is at least 1s");
  EXPECT_EQ(RunError("CREATE ROLLUP x ON m"), "1:21 expected EVERY <duration> after the measurement, found end of query");
  EXPECT_EQ(RunError("CREATE ROLLUP ON m EVERY 1m"), "1:18 expected ON <measurement> after the rollup name, found 'm'");
  EXPECT_EQ(RunError("DROP ROLLUP a b"), "1:15 unexpected 'b'");

  // Rollups survive a restart, and a flush after it still keeps them current.
  Reopen();
  EXPECT_EQ(show().rows().size(), 1u);
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_EQ(PlanLine(query, "rollups:"),
            "rollups: m_1m (3 buckets from the rollup, 0 raw scans of partial or unflushed "
            "buckets, 0 series-fields from the cache)");
  EXPECT_EQ(QueryOk(query).rows()[0][1], "18");
  Run("DROP ROLLUP m_1m");
  EXPECT_EQ(show().rows().size(), 0u);
  EXPECT_EQ(PlanLine(query, "rollups:"), "rollups: none");
  Reopen();
  EXPECT_EQ(show().rows().size(), 0u);
}

}  // namespace
}  // namespace strata::query
