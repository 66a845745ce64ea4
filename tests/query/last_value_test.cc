// The last-value cache (engine/last_value_cache.h) behind `SELECT last(...)` without AS OF:
// its answers must be exactly the scan's. The scan is reached through the same statement with
// `AS OF <now>`, which never reads the cache; both run after every step of a random history of
// writes, corrections, out-of-order points, deletes, flushes and restarts, and under concurrent
// writers.

#include <atomic>
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

class LastValueTest : public EngineFixture {
 protected:
  // The statement's rows from the cache path and from the scan path (AS OF the newest commit).
  void ExpectCacheMatchesScan(const std::string& query, const std::string& context) {
    const std::string as_of = " AS OF " + std::to_string(engine_->LastVisibleTime().ns);
    const TableSink cached = QueryOk(query);
    const TableSink scanned = QueryOk(query + as_of);
    EXPECT_EQ(cached.columns(), scanned.columns()) << query << " after " << context;
    EXPECT_EQ(cached.rows(), scanned.rows()) << query << " after " << context;
  }

  engine::ScanContext Counters(const std::string& query) {
    auto statement = ParseSelect(query, engine_->NowNanos());
    EXPECT_TRUE(statement.ok()) << statement.status().ToString();
    engine::ScanContext counters;
    TableSink sink;
    EXPECT_TRUE(ExecuteSelect(*engine_, *statement, sink, &counters).ok());
    return counters;
  }
};

TEST_F(LastValueTest, AnswersEqualTheScanThroughARandomHistory) {
  std::mt19937_64 rng(20261202);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  const std::vector<std::string> hosts = {"h0", "h1", "h2", "h3", "h4"};
  auto time_at = [](int slot) { return std::to_string(kJan1 + slot * 10 * kSecond); };
  auto point = [&](int host, int slot) {
    const std::string series = "m,host=" + hosts[host] + ",region=" + (host % 2 ? "eu" : "us");
    // Not every field in every write: a series' fields end at different times.
    std::string fields;
    auto add = [&](const std::string& field) { fields += (fields.empty() ? "" : ",") + field; };
    if (pick(4) != 0) add("v=" + std::to_string(pick(1000)) + "." + std::to_string(pick(100)));
    if (pick(3) == 0) add("n=" + std::to_string(pick(50) - 25) + "i");
    if (pick(3) == 0) add("s=\"" + std::string(1, static_cast<char>('a' + pick(26))) + "\"");
    if (pick(4) == 0) add(std::string("b=") + (pick(2) ? "true" : "false"));
    if (fields.empty()) add("v=-0.5");
    return series + " " + fields + " " + time_at(slot);
  };
  const std::vector<std::string> queries = {
      "SELECT last(*) FROM m GROUP BY host",
      "SELECT last(v) FROM m",
      "SELECT last(v), last(s) FROM m GROUP BY region",
      "SELECT last(n), last(b) FROM m WHERE host =~ /h[0-2]/ GROUP BY host",
      // The TSBS "lastpoint" form: the latest raw row of each host.
      "SELECT * FROM m GROUP BY host ORDER BY time DESC LIMIT 1",
      "SELECT v, s FROM m ORDER BY time DESC LIMIT 1",
  };
  int top_slot = 100;
  for (int step = 0; step < 300; ++step) {
    std::string what;
    const int op = pick(20);
    if (op < 10) {
      // New points at the end, in the past (out of order) or on an existing time (corrections
      // and duplicates), several to a batch.
      std::vector<std::string> lines;
      for (int k = 0, n = 1 + pick(4); k < n; ++k) {
        const int slot = pick(3) == 0 ? ++top_slot : pick(top_slot + 1);
        lines.push_back(point(pick(static_cast<int>(hosts.size())), slot));
      }
      Write(lines);
      what = "write " + lines.front();
    } else if (op < 14) {
      // Rewrite the newest point of a series: the cached point itself is corrected.
      const int host = pick(static_cast<int>(hosts.size()));
      Write({point(host, top_slot)});
      what = "correction of the newest point of " + hosts[host];
    } else if (op < 17) {
      // Delete the newest points of one series (the cached one among them), or a middle range.
      const int host = pick(static_cast<int>(hosts.size()));
      const int from = pick(2) ? top_slot - pick(5) : pick(top_slot);
      DeleteOk("DELETE FROM m WHERE host = '" + hosts[host] + "' AND time >= " + time_at(from) +
               " AND time <= " + time_at(from + pick(6)));
      what = "delete from slot " + std::to_string(from) + " of " + hosts[host];
    } else if (op < 19) {
      ASSERT_TRUE(engine_->Flush().ok());
      what = "flush";
    } else {
      Reopen();
      what = "restart";
    }
    for (const std::string& query : queries) {
      ExpectCacheMatchesScan(query, "step " + std::to_string(step) + ": " + what);
    }
    // Ranges: the newest point may lie past the range's end (the range then needs a scan).
    const std::string range = " WHERE time >= " + time_at(pick(top_slot)) + " AND time < " +
                              time_at(pick(top_slot + 2));
    ExpectCacheMatchesScan("SELECT last(v), last(s) FROM m" + range + " GROUP BY host",
                           "step " + std::to_string(step) + ": " + what);
    ExpectCacheMatchesScan("SELECT * FROM m" + range + " GROUP BY host ORDER BY time DESC LIMIT 1",
                           "step " + std::to_string(step) + ": " + what);
  }
  // The random history did use the cache: a repeated query is answered without a scan.
  QueryOk("SELECT last(*) FROM m GROUP BY host");
  const engine::ScanContext counters = Counters("SELECT last(*) FROM m GROUP BY host");
  EXPECT_EQ(counters.scans, 0u);
  EXPECT_EQ(counters.last_value_fills, 0u);
  EXPECT_EQ(counters.last_value_hits, hosts.size() * 4);  // v, n, s, b per host
}

TEST_F(LastValueTest, FillsRacingWithWritersNeverInstallAStaleValue) {
  // Writers append and delete the newest point while readers keep asking for it; every delete
  // of the cached point drops the entry, so fills happen throughout. A fill installed over a
  // commit it did not see would stay stale after the writers stop.
  constexpr int kHosts = 4;
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> done{false};
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
      readers.emplace_back([&] {
        while (!done.load()) {
          auto answer = Query("SELECT last(v) FROM m GROUP BY host");
          EXPECT_TRUE(answer.ok());
        }
      });
    }
    int slot = round * 10'000;
    for (int i = 0; i < 300; ++i, ++slot) {
      const std::string host = "h" + std::to_string(i % kHosts);
      Write({"m,host=" + host + " v=" + std::to_string(i) + " " +
             std::to_string(kJan1 + slot * kSecond)});
      if (i % 7 == 3) {
        DeleteOk("DELETE FROM m WHERE host = '" + host +
                 "' AND time >= " + std::to_string(kJan1 + slot * kSecond));
      }
      if (i % 100 == 99) {
        EXPECT_TRUE(engine_->Flush().ok());
      }
    }
    done = true;
    for (std::thread& t : readers) t.join();
    ExpectCacheMatchesScan("SELECT last(v) FROM m GROUP BY host",
                           "round " + std::to_string(round));
  }
}

TEST_F(LastValueTest, ExplainSaysWhetherTheCacheOrAScanAnswered) {
  Write({"cpu,host=a v=1 " + std::to_string(kJan1), "cpu,host=b v=2 " + std::to_string(kJan1)});
  const std::string query = "SELECT last(v) FROM cpu GROUP BY host";
  auto plan_line = [&](const std::string& text) {
    auto statement = ParseSelect("EXPLAIN " + text, engine_->NowNanos());
    EXPECT_TRUE(statement.ok());
    TableSink sink;
    EXPECT_TRUE(ExecuteExplain(*engine_, *statement, sink).ok());
    for (const auto& row : sink.rows()) {
      if (row[0].rfind("last-value cache:", 0) == 0) return row[0];
    }
    return std::string("<none>");
  };
  EXPECT_EQ(plan_line(query), "last-value cache: 0 hits, 2 filled by a scan");
  EXPECT_EQ(plan_line(query), "last-value cache: 2 hits, 0 filled by a scan");
  // A newer point is applied to the entry; no scan needed.
  Write({"cpu,host=a v=3 " + std::to_string(kJan1 + kSecond)});
  EXPECT_EQ(plan_line(query), "last-value cache: 2 hits, 0 filled by a scan");
  EXPECT_EQ(QueryOk(query).rows(), (std::vector<std::vector<std::string>>{{"a", "3"}, {"b", "2"}}));
  // Deleting a's newest point leaves its entry to a scan.
  DeleteOk("DELETE FROM cpu WHERE host = 'a' AND time > " + std::to_string(kJan1));
  EXPECT_EQ(plan_line(query), "last-value cache: 1 hits, 1 filled by a scan");
  EXPECT_EQ(QueryOk(query).rows(), (std::vector<std::vector<std::string>>{{"a", "1"}, {"b", "2"}}));
  // AS OF and other aggregates never read it.
  EXPECT_EQ(plan_line(query + " AS OF " + std::to_string(engine_->LastVisibleTime().ns)),
            "<none>");
  EXPECT_EQ(plan_line("SELECT last(v), count(v) FROM cpu GROUP BY host"), "<none>");
}

}  // namespace
}  // namespace strata::query
