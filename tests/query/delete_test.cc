// DELETE FROM <measurement> [WHERE ...] (DESIGN §7): tombstones for the points visible now,
// bitemporally — AS OF before the delete still sees the data, VERSIONS shows the tombstones with
// the acknowledged system times, and a later write makes a new live version.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/query/engine_fixture.h"

namespace strata::query {
namespace {

using Rows = std::vector<std::vector<std::string>>;

std::string T(int64_t ns) { return FormatTime(ns); }
std::string Sys(engine::SystemTime t) { return FormatTime(t.ns); }
std::string Sys(int64_t ns) { return FormatTime(ns); }

class DeleteTest : public EngineFixture {
 protected:
  // count and sum of field f over the whole measurement, or {} when no point is visible.
  std::vector<std::string> CountSum(const std::string& measurement, const std::string& f,
                                    const std::string& suffix = "") {
    TableSink got = QueryOk("SELECT count(" + f + "), sum(" + f + ") FROM " + measurement + suffix);
    if (got.rows().empty()) return {};
    return got.rows()[0];
  }
};

TEST_F(DeleteTest, DeletedPointsAreGoneNowButVisibleAsOfBefore) {
  const engine::SystemTime written = Write({
      "cpu,host=a v=1,n=10i 100",
      "cpu,host=a v=2 200",
      "cpu,host=b v=3,n=30i 100",
      "cpu,host=b v=4 300",
      "mem,host=a v=9 100",
  });
  const DeleteResult deleted = DeleteOk("DELETE FROM cpu WHERE host = 'a'");
  EXPECT_EQ(deleted.tombstones, 3u);  // v@100, n@100, v@200
  EXPECT_GT(deleted.system_time_ns, written.ns);
  EXPECT_EQ(deleted.system_time_ns, engine_->LastVisibleTime().ns);

  EXPECT_EQ(CountSum("cpu", "v"), (std::vector<std::string>{"2", FormatFloat(3.0 + 4.0)}));
  EXPECT_EQ(CountSum("cpu", "n"), (std::vector<std::string>{"1", "30"}));
  EXPECT_EQ(CountSum("mem", "v"), (std::vector<std::string>{"1", FormatFloat(9.0)}));

  // Bitemporal: the delete is a version, so AS OF before it sees the points.
  const std::string before = " AS OF " + std::to_string(deleted.system_time_ns - 1);
  EXPECT_EQ(CountSum("cpu", "v", before),
            (std::vector<std::string>{"4", FormatFloat(1.0 + 2.0 + 3.0 + 4.0)}));
  EXPECT_EQ(CountSum("cpu", "n", before), (std::vector<std::string>{"2", "40"}));
  const std::string at = " AS OF " + std::to_string(deleted.system_time_ns);
  EXPECT_EQ(CountSum("cpu", "v", at), (std::vector<std::string>{"2", FormatFloat(3.0 + 4.0)}));
}

TEST_F(DeleteTest, VersionsShowTheTombstonesAtTheAcknowledgedSystemTime) {
  const engine::SystemTime s1 =
      Write({"cpu,host=a v=1 100", "cpu,host=a v=2 200", "cpu,host=b v=3 100"});
  const DeleteResult deleted = DeleteOk("DELETE FROM cpu WHERE host = 'a' AND time < 150");
  ASSERT_EQ(deleted.tombstones, 1u);
  const std::string d = Sys(deleted.system_time_ns);
  TableSink got = QueryOk("SELECT VERSIONS v FROM cpu");
  EXPECT_EQ(got.columns(), (std::vector<std::string>{"time", "host", "v", "system_from",
                                                     "system_to", "tombstone"}));
  EXPECT_EQ(got.rows(), (Rows{
                            {T(100), "a", "1", Sys(s1), d, "false"},
                            {T(100), "a", "", d, "", "true"},
                            {T(200), "a", "2", Sys(s1), "", "false"},
                            {T(100), "b", "3", Sys(s1), "", "false"},
                        }));
  // AS OF before the delete, the first version is still current and there is no tombstone.
  got = QueryOk("SELECT VERSIONS v FROM cpu WHERE host = 'a' AS OF " +
                std::to_string(deleted.system_time_ns - 1));
  EXPECT_EQ(got.rows(), (Rows{{T(100), "a", "1", Sys(s1), "", "false"},
                              {T(200), "a", "2", Sys(s1), "", "false"}}));
}

TEST_F(DeleteTest, ALaterWriteMakesANewLiveVersion) {
  const engine::SystemTime s1 = Write({"cpu v=1 100"});
  const DeleteResult deleted = DeleteOk("DELETE FROM cpu");
  ASSERT_EQ(deleted.tombstones, 1u);
  EXPECT_TRUE(CountSum("cpu", "v").empty());
  // The same value as before the delete: still a change, since the point was deleted.
  const engine::SystemTime s3 = Write({"cpu v=1 100"});
  EXPECT_EQ(CountSum("cpu", "v"), (std::vector<std::string>{"1", "1"}));
  const std::string d = Sys(deleted.system_time_ns);
  EXPECT_EQ(QueryOk("SELECT VERSIONS v FROM cpu").rows(),
            (Rows{{T(100), "1", Sys(s1), d, "false"},
                  {T(100), "", d, Sys(s3), "true"},
                  {T(100), "1", Sys(s3), "", "false"}}));
  // AS OF the delete: gone; AS OF the rewrite: back.
  EXPECT_TRUE(CountSum("cpu", "v", " AS OF " + std::to_string(deleted.system_time_ns)).empty());
  EXPECT_EQ(CountSum("cpu", "v", " AS OF " + std::to_string(s3.ns)),
            (std::vector<std::string>{"1", "1"}));
}

TEST_F(DeleteTest, DeleteOfNothingCommitsNothing) {
  Write({"cpu,host=a v=1 100"});
  const uint64_t commits = engine_->Stats().commits;
  const int64_t visible = engine_->LastVisibleTime().ns;
  for (const char* statement : {
           "DELETE FROM cpu WHERE host = 'zzz'",
           "DELETE FROM nosuch",
           "DELETE FROM cpu WHERE time > 100",
           "DELETE FROM cpu WHERE time >= 200 AND time < 100",
       }) {
    const DeleteResult deleted = DeleteOk(statement);
    EXPECT_EQ(deleted.tombstones, 0u) << statement;
    EXPECT_EQ(deleted.system_time_ns, visible) << statement;
  }
  EXPECT_EQ(engine_->Stats().commits, commits);
  EXPECT_EQ(CountSum("cpu", "v"), (std::vector<std::string>{"1", "1"}));

  // Deleting what is already deleted finds nothing visible.
  ASSERT_EQ(DeleteOk("DELETE FROM cpu").tombstones, 1u);
  const uint64_t after_first = engine_->Stats().commits;
  const DeleteResult again = DeleteOk("DELETE FROM cpu");
  EXPECT_EQ(again.tombstones, 0u);
  EXPECT_EQ(again.system_time_ns, engine_->LastVisibleTime().ns);
  EXPECT_EQ(engine_->Stats().commits, after_first);
}

TEST_F(DeleteTest, TagsAndTimeRangeSelectExactlyThePointsDeleted) {
  // Points at times 0..9 in four series, every field type.
  std::vector<std::string> lines;
  const std::vector<std::string> series = {"cpu,host=a,dc=x", "cpu,host=b,dc=x", "cpu,host=c",
                                           "cpu,dc=y"};
  for (const std::string& s : series) {
    for (int t = 0; t < 10; ++t) {
      lines.push_back(s + " f=1.5,i=2i,u=3u,b=true,s=\"x\" " + std::to_string(t));
    }
  }
  Write(lines);
  // host != 'b' keeps a, c and the series without host; dc = 'x' OR dc = '' leaves a and c.
  const DeleteResult deleted = DeleteOk(
      "DELETE FROM cpu WHERE host != 'b' AND (dc = 'x' OR dc = '') AND time >= 3 AND "
      "time < 7");
  EXPECT_EQ(deleted.tombstones, 2u * 4u * 5u);  // 2 series x 4 times x 5 fields
  for (const char* f : {"f", "i", "u", "b", "s"}) {
    EXPECT_EQ(QueryOk(std::string("SELECT count(") + f + ") FROM cpu").rows(),
              (Rows{{std::to_string(4 * 10 - 2 * 4)}}))
        << f;
    EXPECT_EQ(QueryOk(std::string("SELECT count(") + f +
                      ") FROM cpu WHERE host =~ /^(a|c)$/ AND time >= 3 AND time < 7")
                  .rows(),
              Rows{})
        << f;
  }
}

TEST_F(DeleteTest, LargeDeleteIsCommittedInSlicesAndNamesTheLast) {
  std::vector<std::string> lines;
  for (int t = 0; t < 300; ++t) {
    const std::string time = std::to_string(t);
    lines.push_back("cpu,host=h" + std::to_string(t % 3) + " v=" + time + " " + time);
  }
  const engine::SystemTime written = Write(lines);
  const uint64_t commits = engine_->Stats().commits;
  // Slices of about 1 KiB: a few dozen tombstones each.
  const DeleteResult deleted = DeleteOk("DELETE FROM cpu", /*max_batch_bytes=*/1024);
  EXPECT_EQ(deleted.tombstones, 300u);
  const uint64_t slices = engine_->Stats().commits - commits;
  EXPECT_GT(slices, 5u);
  EXPECT_EQ(deleted.system_time_ns, engine_->LastVisibleTime().ns);
  EXPECT_TRUE(CountSum("cpu", "v").empty());
  EXPECT_EQ(CountSum("cpu", "v", " AS OF " + std::to_string(written.ns))[0], "300");
  // Every tombstone shows in VERSIONS, each at one of the slices' system times.
  TableSink versions = QueryOk("SELECT VERSIONS v FROM cpu");
  std::map<std::string, int> tombstones_per_time;
  for (const auto& row : versions.rows()) {
    if (row.back() == "true") ++tombstones_per_time[row[3]];
  }
  EXPECT_EQ(tombstones_per_time.size(), slices);
  int total = 0;
  for (const auto& [time, n] : tombstones_per_time) total += n;
  EXPECT_EQ(total, 300);
  EXPECT_EQ(tombstones_per_time.rbegin()->first, Sys(deleted.system_time_ns));
}

TEST_F(DeleteTest, DeleteReachesFlushedDataAndSurvivesFlushAndRestart) {
  const engine::SystemTime s1 =
      Write({"cpu,host=a v=1 100", "cpu,host=a v=2 200", "cpu,host=b v=3 100"});
  ASSERT_TRUE(engine_->Flush().ok());  // the points now live in chunk files
  const DeleteResult deleted = DeleteOk("DELETE FROM cpu WHERE host = 'a'");
  EXPECT_EQ(deleted.tombstones, 2u);
  const std::string d = Sys(deleted.system_time_ns);
  const Rows want = {
      {T(100), "a", "1", Sys(s1), d, "false"},  {T(100), "a", "", d, "", "true"},
      {T(200), "a", "2", Sys(s1), d, "false"},  {T(200), "a", "", d, "", "true"},
      {T(100), "b", "3", Sys(s1), "", "false"},
  };
  EXPECT_EQ(QueryOk("SELECT VERSIONS v FROM cpu").rows(), want);
  EXPECT_EQ(CountSum("cpu", "v"), (std::vector<std::string>{"1", "3"}));

  ASSERT_TRUE(engine_->Flush().ok());  // the tombstones too
  EXPECT_EQ(QueryOk("SELECT VERSIONS v FROM cpu").rows(), want) << "after flushing tombstones";
  EXPECT_EQ(CountSum("cpu", "v"), (std::vector<std::string>{"1", "3"}));

  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(QueryOk("SELECT VERSIONS v FROM cpu").rows(), want) << "after restart";
  EXPECT_EQ(CountSum("cpu", "v"), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(CountSum("cpu", "v", " AS OF " + std::to_string(deleted.system_time_ns - 1)),
            (std::vector<std::string>{"3", "6"}));
}

// Flush drops identical rewrites; a rewrite of the deleted value after a tombstone is not one,
// wherever the earlier versions live (memtable or chunk files).
TEST_F(DeleteTest, RewriteOfTheDeletedValueSurvivesFlushes) {
  for (int flush_mask = 0; flush_mask < 8; ++flush_mask) {
    SCOPED_TRACE("flush mask " + std::to_string(flush_mask));
    const std::string m = "m" + std::to_string(flush_mask);
    auto maybe_flush = [&](int step) {
      if (flush_mask & (1 << step)) {
        ASSERT_TRUE(engine_->Flush().ok());
      }
    };
    const engine::SystemTime s1 = Write({m + " v=1 100"});
    maybe_flush(0);
    const DeleteResult deleted = DeleteOk("DELETE FROM " + m);
    ASSERT_EQ(deleted.tombstones, 1u);
    maybe_flush(1);
    const engine::SystemTime s3 = Write({m + " v=1 100"});
    maybe_flush(2);
    const std::string d = Sys(deleted.system_time_ns);
    const Rows want = {{T(100), "1", Sys(s1), d, "false"},
                       {T(100), "", d, Sys(s3), "true"},
                       {T(100), "1", Sys(s3), "", "false"}};
    EXPECT_EQ(QueryOk("SELECT VERSIONS v FROM " + m).rows(), want);
    EXPECT_EQ(CountSum(m, "v"), (std::vector<std::string>{"1", "1"}));
    ASSERT_TRUE(engine_->Flush().ok());
    EXPECT_EQ(QueryOk("SELECT VERSIONS v FROM " + m).rows(), want) << "after a final flush";
  }
}

TEST_F(DeleteTest, TombstonesInTheWalAreReplayedAfterARestart) {
  Write({"cpu,host=a v=1 100", "cpu,host=b v=3 100"});
  const DeleteResult deleted = DeleteOk("DELETE FROM cpu WHERE host = 'b'");
  ASSERT_EQ(deleted.tombstones, 1u);
  ASSERT_NO_FATAL_FAILURE(Reopen());  // nothing flushed: recovery replays the WAL
  EXPECT_EQ(CountSum("cpu", "v"), (std::vector<std::string>{"1", "1"}));
  EXPECT_EQ(CountSum("cpu", "v", " AS OF " + std::to_string(deleted.system_time_ns - 1)),
            (std::vector<std::string>{"2", "4"}));
}

TEST_F(DeleteTest, UnsupportedConditionsAreErrorsWithPositionsAndDeleteNothing) {
  Write({"cpu,host=a v=1 100"});
  struct Case {
    std::string statement;
    std::string needle;
    std::string message;
  };
  const Case cases[] = {
      {"DELETE FROM cpu WHERE v > 'x'", "v >",
       "field 'v' is float; compare it with a number using =, !=, <, <=, > or >="},
      {"DELETE FROM cpu WHERE v > 0 OR host = 'a'", "OR",
       "a condition mixing fields with tags or time under OR is not supported yet"},
      {"DELETE FROM cpu WHERE host = 'a' OR time > 5", "OR",
       "OR with a time condition is not supported yet"},
      {"DELETE FROM cpu WHERE\n  host < 'b'", "host",
       "tag 'host' cannot be compared with '<'; tags take =, !=, =~ or !~"},
  };
  for (const Case& c : cases) {
    auto result = Delete(c.statement);
    ASSERT_FALSE(result.ok()) << c.statement;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(result.status().message(), PositionOf(c.statement, c.needle) + c.message);
  }
  EXPECT_EQ(CountSum("cpu", "v"), (std::vector<std::string>{"1", "1"}));
}

}  // namespace
}  // namespace strata::query
