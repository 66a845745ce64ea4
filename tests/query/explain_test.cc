// EXPLAIN SELECT (DESIGN §6.1, §7): the plan's counters are measured, so each one is checked
// against what the data implies: which partitions a range touches, which files and blocks lie
// outside it, which blocks statistics can answer, what is still in the memtable.

#include <cstdint>
#include <string>
#include <vector>

#include "query/explain.h"
#include "tests/query/engine_fixture.h"

namespace strata::query {
namespace {

using Lines = std::vector<std::string>;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kDay = 86'400 * kSecond;
constexpr int64_t kJan1 = 1'767'225'600 * kSecond;  // 2026-01-01T00:00:00Z
constexpr int kPointsPerDay = 10;                     // per series, one a minute from midnight

std::string Day(int d) { return "'2026-01-0" + std::to_string(1 + d) + "T00:00:00Z'"; }

class ExplainTest : public EngineFixture {
 protected:
  // cpu: h1, h2 in region eu and h3 in us, 10 points a day on Jan 1-3, flushed: six partitions
  // (eu and us x three dates), one file each, one block per (series, file). Then h1 has 5
  // points on Jan 4 still in the memtable. disk (eu) has 5000 points a second apart on Jan 1,
  // so its column in eu/2026-01-01 is two blocks: [0 s, 4095 s] and [4096 s, 4999 s].
  void SetUp() override {
    EngineFixture::SetUp();
    std::vector<std::string> lines;
    for (int d = 0; d < 3; ++d) {
      for (const char* series : {"cpu,host=h1,region=eu", "cpu,host=h2,region=eu",
                                 "cpu,host=h3,region=us"}) {
        for (int i = 0; i < kPointsPerDay; ++i) {
          lines.push_back(std::string(series) + " v=" + std::to_string(i) + " " +
                          std::to_string(kJan1 + d * kDay + i * kMinute));
        }
      }
    }
    for (int i = 0; i < 5000; ++i) {
      lines.push_back("disk,region=eu used=" + std::to_string(i) + "i " +
                      std::to_string(kJan1 + i * kSecond));
    }
    first_write_ = Write(lines);
    ASSERT_TRUE(engine_->Flush().ok());
    lines.clear();
    for (int i = 0; i < 5; ++i) {
      lines.push_back("cpu,host=h1,region=eu v=" + std::to_string(100 + i) + " " +
                      std::to_string(kJan1 + 3 * kDay + i * kMinute));
    }
    Write(lines);
    ASSERT_EQ(engine_->Stats().partitions, 6u);
  }

  Result<Lines> Explain(const std::string& text) {
    STRATA_ASSIGN_OR_RETURN(SelectStatement statement, ParseSelect(text, engine_->NowNanos()));
    EXPECT_TRUE(statement.explain) << text;
    TableSink sink;
    STRATA_RETURN_IF_ERROR(ExecuteExplain(*engine_, statement, sink));
    EXPECT_EQ(sink.columns(), Lines{"plan"});
    Lines plan;
    for (const auto& row : sink.rows()) {
      EXPECT_EQ(row.size(), 1u);
      plan.push_back(row.empty() ? "" : row[0]);
    }
    return plan;
  }

  Lines ExplainOk(const std::string& text) {
    auto plan = Explain(text);
    EXPECT_TRUE(plan.ok()) << text << "\n" << plan.status().ToString();
    return plan.ok() ? *plan : Lines{};
  }

  engine::SystemTime first_write_;
};

TEST_F(ExplainTest, OneDateOfOneRegionPrunesTheOtherPartitionsAndUsesBlockStatistics) {
  const Lines plan =
      ExplainOk("EXPLAIN SELECT count(v) FROM cpu WHERE region = 'eu' AND time >= " + Day(1) +
                " AND time < " + Day(2));
  EXPECT_EQ(plan, (Lines{
                      "SELECT count(v) FROM cpu WHERE ...",
                      "time: [2026-01-02T00:00:00.000000000Z, 2026-01-03T00:00:00.000000000Z)",
                      "as of: latest",
                      "series: 2 of 3 matched",
                      "scans: 2",
                      // Each scan opens eu/2026-01-02 and prunes the other five.
                      "partitions: read 2, pruned 10 (summed over scans)",
                      "files: read 2, pruned 0 (summed over scans)",
                      "blocks: decoded 0, answered from statistics 2, skipped 0",
                      "memtable rows: 0",
                      "rows: 1",
                      "rollups: none",
                  }));
  // The real answer: 2 series x 10 points.
  EXPECT_EQ(QueryOk("SELECT count(v) FROM cpu WHERE region = 'eu' AND time >= " + Day(1) +
                    " AND time < " + Day(2))
                .rows(),
            (std::vector<Lines>{{"20"}}));
}

TEST_F(ExplainTest, WholeRangeCountAnswersEveryFlushedBlockFromStatistics) {
  const Lines plan = ExplainOk("EXPLAIN SELECT count(v) FROM cpu");
  EXPECT_EQ(plan, (Lines{
                      "SELECT count(v) FROM cpu",
                      "time: [-inf, +inf)",
                      "as of: latest",
                      "series: 3 of 3 matched",
                      "scans: 3",
                      // Each scan reads the three partitions of its region.
                      "partitions: read 9, pruned 9 (summed over scans)",
                      "files: read 9, pruned 0 (summed over scans)",
                      "blocks: decoded 0, answered from statistics 9, skipped 0",
                      "memtable rows: 5",
                      "rows: 1",
                      "rollups: none",
                  }));
  EXPECT_EQ(QueryOk("SELECT count(v) FROM cpu").rows(),
            (std::vector<Lines>{{std::to_string(3 * 3 * kPointsPerDay + 5)}}));
}

TEST_F(ExplainTest, MedianDecodesEveryBlockItReads) {
  const Lines plan = ExplainOk("EXPLAIN SELECT median(v) FROM cpu WHERE time >= " + Day(0) +
                               " AND time < " + Day(1));
  ASSERT_EQ(plan.size(), 11u);
  EXPECT_EQ(plan[4], "scans: 3");
  EXPECT_EQ(plan[5], "partitions: read 3, pruned 15 (summed over scans)");
  EXPECT_EQ(plan[6], "files: read 3, pruned 0 (summed over scans)");
  EXPECT_EQ(plan[7], "blocks: decoded 3, answered from statistics 0, skipped 0");
  EXPECT_EQ(plan[8], "memtable rows: 0");
  EXPECT_EQ(plan[9], "rows: 1");
}

TEST_F(ExplainTest, RangeInsideAPartitionButOutsideItsFilesPrunesTheFiles) {
  const Lines plan = ExplainOk(
      "EXPLAIN SELECT count(v) FROM cpu WHERE time >= '2026-01-02T12:00:00Z' AND time < "
      "'2026-01-02T13:00:00Z'");
  ASSERT_EQ(plan.size(), 11u);
  EXPECT_EQ(plan[5], "partitions: read 3, pruned 15 (summed over scans)");
  EXPECT_EQ(plan[6], "files: read 0, pruned 3 (summed over scans)");
  EXPECT_EQ(plan[7], "blocks: decoded 0, answered from statistics 0, skipped 0");
  EXPECT_EQ(plan[9], "rows: 0");  // an aggregate over no points has no row
}

TEST_F(ExplainTest, AsOfBeforeTheFirstWritePrunesEveryFile) {
  const int64_t before = first_write_.ns - 1;
  const Lines plan =
      ExplainOk("EXPLAIN SELECT count(v) FROM cpu AS OF " + std::to_string(before));
  ASSERT_EQ(plan.size(), 11u);
  EXPECT_EQ(plan[2], "as of: " + FormatTime(before));
  EXPECT_EQ(plan[5], "partitions: read 9, pruned 9 (summed over scans)");
  EXPECT_EQ(plan[6], "files: read 0, pruned 9 (summed over scans)");
  EXPECT_EQ(plan[7], "blocks: decoded 0, answered from statistics 0, skipped 0");
  // The memtable rows are collected, then hidden by AS OF in version resolution.
  EXPECT_EQ(plan[8], "memtable rows: 5");
  EXPECT_EQ(plan[9], "rows: 0");
}

TEST_F(ExplainTest, BlockOutsideTheRangeIsSkippedAndAPartialOneDecoded) {
  const std::string query = "SELECT count(used) FROM disk WHERE time >= '2026-01-01T01:10:00Z' "
                            "AND time < '2026-01-01T01:11:40Z'";  // [4200 s, 4300 s)
  const Lines plan = ExplainOk("EXPLAIN " + query);
  ASSERT_EQ(plan.size(), 11u);
  EXPECT_EQ(plan[3], "series: 1 of 1 matched");
  EXPECT_EQ(plan[5], "partitions: read 1, pruned 5 (summed over scans)");
  EXPECT_EQ(plan[6], "files: read 1, pruned 0 (summed over scans)");
  EXPECT_EQ(plan[7], "blocks: decoded 1, answered from statistics 0, skipped 1");
  EXPECT_EQ(plan[9], "rows: 1");
  EXPECT_EQ(QueryOk(query).rows(), (std::vector<Lines>{{"100"}}));
}

TEST_F(ExplainTest, RowsAreTheRealAnswersRowsAndTheStatementIsReprinted) {
  const std::string query = "SELECT max(v) AS top, percentile(v, 90) FROM cpu WHERE time >= " +
                            Day(0) + " AND time < " + Day(1) +
                            " GROUP BY time(5m), host FILL(none) ORDER BY time DESC LIMIT 7";
  const Lines plan = ExplainOk("explain " + query);
  ASSERT_EQ(plan.size(), 11u);
  EXPECT_EQ(plan[0],
            "SELECT max(v) AS top, percentile(v,90) FROM cpu WHERE ... GROUP BY time(5m), host "
            "FILL(none) ORDER BY time DESC LIMIT 7");
  // Each day's block spans minutes 0-9, two 5m buckets: statistics cannot answer it.
  EXPECT_EQ(plan[7], "blocks: decoded 3, answered from statistics 0, skipped 0");
  const size_t rows = QueryOk(query).rows().size();
  EXPECT_EQ(rows, 6u);  // 3 hosts x 2 non-empty buckets
  EXPECT_EQ(plan[9], "rows: " + std::to_string(rows));
}

TEST_F(ExplainTest, VersionsSaysItsCountersAreNotCollected) {
  const Lines plan = ExplainOk("EXPLAIN SELECT VERSIONS v FROM cpu WHERE host = 'h1'");
  const size_t rows = QueryOk("SELECT VERSIONS v FROM cpu WHERE host = 'h1'").rows().size();
  EXPECT_EQ(rows, 3u * kPointsPerDay + 5);
  EXPECT_EQ(plan, (Lines{
                      "SELECT VERSIONS v FROM cpu WHERE ...",
                      "time: [-inf, +inf)",
                      "as of: latest",
                      "series: 1 of 3 matched",
                      "scan counters: not collected for SELECT VERSIONS",
                      "rows: " + std::to_string(rows),
                      "rollups: none",
                  }));
}

TEST_F(ExplainTest, AStatementThatFailsFailsTheSameWayUnderExplain) {
  const std::string query = "SELECT count(v) FROM cpu WHERE time > 1 OR host = 'h1'";
  const std::string select_error = QueryError(query);
  auto plan = Explain("EXPLAIN " + query);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  // The same "<line>:<column> <what>", the column shifted by "EXPLAIN ".
  const std::string& explain_error = plan.status().message();
  const size_t colon = select_error.find(':'), space = select_error.find(' ');
  ASSERT_NE(space, std::string::npos) << select_error;
  const int column = std::stoi(select_error.substr(colon + 1, space - colon - 1));
  EXPECT_EQ(explain_error, select_error.substr(0, colon + 1) + std::to_string(column + 8) +
                               select_error.substr(space));
}

}  // namespace
}  // namespace strata::query
