// Randomized check of bitemporal versions (issue 4) against a small in-memory model: thousands
// of interleaved writes, corrections, identical retries and deletes of overlapping points, with
// flushes and restarts at random moments. At random AS OF times every aggregate and every
// VERSIONS listing must match the model exactly.

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/engine.h"
#include "engine/line_protocol.h"
#include "engine/write_batch.h"
#include "query/executor.h"
#include "query/parser.h"
#include "query/result_format.h"
#include "tests/support/test_util.h"

namespace strata::query {
namespace {

// 2026-01-01T23:59:40Z: the valid times straddle midnight, so points span two partitions.
constexpr int64_t kBaseNs = 1767311980LL * 1000000000LL;
constexpr int kValidSlots = 40;  // valid times kBaseNs + slot seconds
const std::vector<std::string> kHosts = {"a", "b", "c"};
const std::vector<std::string> kRegions = {"eu", "us", ""};  // "" = series without the tag
const std::vector<double> kValues = {0.0, -0.0, 1.5, 2.25, -3.0, 1e10, 7.125};

struct SeriesRef {
  std::string host, region;
  std::string Key() const {
    return region.empty() ? "m,host=" + host : "m,host=" + host + ",region=" + region;
  }
  auto operator<=>(const SeriesRef&) const = default;
};

struct ModelVersion {
  int64_t system;
  bool tombstone;
  double value;
};

// The model: for each (series, valid time), its versions in system-time order, built by the
// rules of DESIGN §1 directly (no redundant version is ever recorded).
class Model {
 public:
  // A batch's writes at one system time; a later write of the same point in the batch wins.
  void Write(int64_t system, const std::vector<std::tuple<SeriesRef, int64_t, double>>& writes) {
    std::map<std::pair<SeriesRef, int64_t>, double> last;
    for (const auto& [series, valid, value] : writes) {
      last[{series, valid}] = value;
      series_.insert(series);
    }
    for (const auto& [point, value] : last) {
      auto& versions = points_[point];
      if (!versions.empty() && !versions.back().tombstone &&
          std::bit_cast<uint64_t>(versions.back().value) == std::bit_cast<uint64_t>(value)) {
        continue;  // identical to the visible value: no version
      }
      versions.push_back({system, false, value});
    }
  }

  // Tombstones every visible point matching; returns how many.
  uint64_t Delete(int64_t system, const std::optional<std::string>& host, int64_t lo, int64_t hi) {
    uint64_t n = 0;
    for (auto& [point, versions] : points_) {
      if (host && point.first.host != *host) continue;
      if (point.second < lo || point.second >= hi) continue;
      if (versions.back().tombstone) continue;
      versions.push_back({system, true, 0});
      ++n;
    }
    return n;
  }

  // count, sum, min, max over the visible values as of t (nullopt: no points).
  struct Aggregates {
    uint64_t count = 0;
    double sum = 0, min = 0, max = 0;
  };
  std::optional<Aggregates> Aggregate(int64_t as_of, const std::optional<std::string>& host,
                                      int64_t lo, int64_t hi) const {
    Aggregates a;
    for (const auto& [point, versions] : points_) {
      if (host && point.first.host != *host) continue;
      if (point.second < lo || point.second >= hi) continue;
      const ModelVersion* visible = nullptr;
      for (const ModelVersion& v : versions) {
        if (v.system <= as_of) visible = &v;
      }
      if (visible == nullptr || visible->tombstone) continue;
      const double x = visible->value;
      if (a.count == 0) {
        a.min = a.max = x;
      } else {
        if (x < a.min || (x == a.min && std::signbit(x))) a.min = x;
        if (x > a.max || (x == a.max && !std::signbit(x))) a.max = x;
      }
      a.sum += x;  // the values are exact in binary: any summation order gives the same sum
      ++a.count;
    }
    if (a.count == 0) return std::nullopt;
    return a;
  }

  // The VERSIONS answer rows for host (or all), as the wire formats them.
  std::vector<std::vector<std::string>> Versions(int64_t as_of,
                                                 const std::optional<std::string>& host) const {
    std::vector<std::vector<std::string>> rows;
    const bool with_region = VersionColumns(host).size() == 7;
    // Series order: by tag values in column order (host, region), a missing tag as "".
    for (const auto& [point, versions] : points_) {
      if (host && point.first.host != *host) continue;
      std::vector<const ModelVersion*> known;
      for (const ModelVersion& v : versions) {
        if (v.system <= as_of) known.push_back(&v);
      }
      for (size_t k = 0; k < known.size(); ++k) {
        const ModelVersion& v = *known[k];
        std::vector<std::string> row = {FormatTime(point.second), point.first.host};
        if (with_region) row.push_back(point.first.region);
        for (std::string cell :
             {v.tombstone ? std::string() : FormatFloat(v.value), FormatTime(v.system),
              k + 1 < known.size() ? FormatTime(known[k + 1]->system) : std::string(),
              std::string(v.tombstone ? "true" : "false")}) {
          row.push_back(std::move(cell));
        }
        rows.push_back(std::move(row));
      }
    }
    return rows;
  }

  // VERSIONS columns: the tag keys of the selected series (those written, matching host).
  std::vector<std::string> VersionColumns(const std::optional<std::string>& host) const {
    bool any_region = false;
    for (const SeriesRef& s : series_) {
      if ((!host || s.host == *host) && !s.region.empty()) any_region = true;
    }
    std::vector<std::string> columns = {"time", "host"};
    if (any_region) columns.push_back("region");
    for (const char* c : {"v", "system_from", "system_to", "tombstone"}) columns.push_back(c);
    return columns;
  }

 private:
  std::set<SeriesRef> series_;
  // Ordered by (series, valid): series by (host, region), as VERSIONS orders its rows.
  std::map<std::pair<SeriesRef, int64_t>, std::vector<ModelVersion>> points_;
};

class BitemporalModelTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    if (engine_) {
      EXPECT_TRUE(engine_->Close().ok());
    }
  }

  void Open() {
    engine::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.fsync = wal::FsyncPolicy::kOff;
    options.flush_age = std::chrono::milliseconds(0);
    auto opened = engine::Engine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine_ = std::move(opened).value();
  }

  void Restart() {
    ASSERT_TRUE(engine_->Close().ok());
    engine_.reset();
    Open();
  }

  int64_t Write(const std::vector<std::tuple<SeriesRef, int64_t, double>>& writes) {
    engine::WriteBatch batch;
    engine::LineParser parser;
    engine::ParsedLine parsed;
    for (const auto& [series, valid, value] : writes) {
      const std::string line =
          series.Key() + " v=" + FormatFloat(value) + " " + std::to_string(valid);
      EXPECT_TRUE(parser.Parse(line, &parsed).ok()) << line;
      EXPECT_TRUE(engine_->AddLine(parsed, 0, &batch).ok()) << line;
    }
    auto committed = engine_->Commit(&batch);
    EXPECT_TRUE(committed.ok()) << committed.status().ToString();
    EXPECT_TRUE(engine_->WaitForCommit(*committed).ok());
    return committed->ns;
  }

  static std::string WhereClause(const std::optional<std::string>& host, int64_t lo, int64_t hi) {
    std::string where = " WHERE time >= " + std::to_string(lo) + " AND time < " +
                        std::to_string(hi);
    if (host) where += " AND host = '" + *host + "'";
    return where;
  }

  TableSink Select(const std::string& text) {
    auto statement = ParseSelect(text, engine_->NowNanos());
    EXPECT_TRUE(statement.ok()) << text << ": " << statement.status().ToString();
    TableSink sink;
    if (!statement.ok()) return sink;
    Status s = ExecuteSelect(*engine_, *statement, sink);
    EXPECT_TRUE(s.ok()) << text << ": " << s.ToString();
    return sink;
  }

  strata::testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(BitemporalModelTest, RandomHistoryMatchesTheModelAtEveryAsOf) {
  std::mt19937_64 rng(0x5eed2026);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  Model model;
  std::vector<std::vector<std::tuple<SeriesRef, int64_t, double>>> sent;  // for retries
  std::vector<int64_t> acknowledged = {0};
  uint64_t queries = 0, deletes = 0, tombstones = 0, flushes = 0, restarts = 0;

  auto random_series = [&] { return SeriesRef{kHosts[pick(3)], kRegions[pick(3)]}; };
  auto random_valid = [&] { return kBaseNs + int64_t{pick(kValidSlots)} * 1000000000LL; };

  for (int op = 0; op < 3000; ++op) {
    const int kind = pick(100);
    if (kind < 55) {  // a new batch: writes and corrections of overlapping points
      std::vector<std::tuple<SeriesRef, int64_t, double>> writes;
      const int lines = 1 + pick(5);
      for (int i = 0; i < lines; ++i) {
        writes.emplace_back(random_series(), random_valid(), kValues[pick(7)]);
      }
      if (pick(10) == 0) {  // the same point twice in one batch: the later line wins
        auto again = writes.front();
        std::get<2>(again) = kValues[pick(7)];
        writes.push_back(again);
      }
      const int64_t t = Write(writes);
      model.Write(t, writes);
      sent.push_back(writes);
      acknowledged.push_back(t);
    } else if (kind < 75 && !sent.empty()) {  // an identical retry of an earlier batch
      const auto& writes = pick(2) == 0 ? sent.back() : sent[pick(static_cast<int>(sent.size()))];
      const int64_t t = Write(writes);
      model.Write(t, writes);
      acknowledged.push_back(t);
    } else if (kind < 83) {  // DELETE, by host and/or time range
      std::optional<std::string> host;
      if (pick(3) != 0) host = kHosts[pick(3)];
      int64_t lo = INT64_MIN, hi = INT64_MAX;
      std::string text = "DELETE FROM m";
      if (pick(2) == 0) {
        lo = random_valid();
        hi = lo + int64_t{1 + pick(10)} * 1000000000LL;
        text += WhereClause(host, lo, hi);
      } else if (host) {
        text += " WHERE host = '" + *host + "'";
      }
      auto statement = ParseDelete(text, engine_->NowNanos());
      ASSERT_TRUE(statement.ok()) << text << ": " << statement.status().ToString();
      auto deleted = ExecuteDelete(*engine_, *statement);
      ASSERT_TRUE(deleted.ok()) << text << ": " << deleted.status().ToString();
      const uint64_t expected = model.Delete(deleted->system_time_ns, host, lo, hi);
      ASSERT_EQ(deleted->tombstones, expected) << text;
      ++deletes;
      tombstones += expected;
      if (expected > 0) acknowledged.push_back(deleted->system_time_ns);
    } else if (kind < 88) {
      ASSERT_TRUE(engine_->Flush().ok());
      ++flushes;
    } else if (kind < 90) {
      Restart();
      ++restarts;
    }

    if (op % 25 != 24) continue;
    for (int q = 0; q < 4; ++q) {
      ++queries;
      const int64_t as_of = acknowledged[pick(static_cast<int>(acknowledged.size()))];
      std::optional<std::string> host;
      if (pick(2) == 0) host = kHosts[pick(3)];
      const int64_t lo = random_valid();
      const int64_t hi = lo + int64_t{1 + pick(kValidSlots)} * 1000000000LL;
      const std::string as_of_text = " AS OF " + std::to_string(as_of);

      const TableSink agg = Select("SELECT count(v), sum(v), min(v), max(v) FROM m" +
                                   WhereClause(host, lo, hi) + as_of_text);
      const auto expected = model.Aggregate(as_of, host, lo, hi);
      if (!expected) {
        EXPECT_TRUE(agg.rows().empty()) << "op " << op << " as of " << as_of;
      } else {
        ASSERT_EQ(agg.rows().size(), 1u) << "op " << op;
        const auto& row = agg.rows()[0];
        EXPECT_EQ(row[0], std::to_string(expected->count)) << "op " << op << " as of " << as_of;
        EXPECT_EQ(row[1], FormatFloat(expected->sum)) << "op " << op;
        EXPECT_EQ(row[2], FormatFloat(expected->min)) << "op " << op;
        EXPECT_EQ(row[3], FormatFloat(expected->max)) << "op " << op;
      }

      const TableSink versions =
          Select("SELECT VERSIONS v FROM m" + (host ? " WHERE host = '" + *host + "'" : "") +
                 as_of_text);
      EXPECT_EQ(versions.columns(), model.VersionColumns(host)) << "op " << op;
      EXPECT_EQ(versions.rows(), model.Versions(as_of, host)) << "op " << op << " as of "
                                                               << as_of;
      if (::testing::Test::HasFailure()) return;
    }
  }
  // The run must have exercised what it claims to.
  EXPECT_GT(deletes, 50u);
  EXPECT_GT(tombstones, 100u);
  EXPECT_GT(flushes, 50u);
  EXPECT_GT(restarts, 20u);
  EXPECT_GT(queries, 400u);
  std::printf("ops 3000: %zu acknowledged commits, %llu deletes (%llu tombstones), %llu flushes, "
              "%llu restarts, %llu query pairs checked\n",
              acknowledged.size() - 1, static_cast<unsigned long long>(deletes),
              static_cast<unsigned long long>(tombstones), static_cast<unsigned long long>(flushes),
              static_cast<unsigned long long>(restarts), static_cast<unsigned long long>(queries));
}

}  // namespace
}  // namespace strata::query
