// SELECT VERSIONS <field> (DESIGN §7, §6.1): columns, row order, cell forms, AS OF and WHERE.

#include <cstdint>
#include <string>
#include <vector>

#include "tests/query/engine_fixture.h"

namespace strata::query {
namespace {

using Rows = std::vector<std::vector<std::string>>;

std::string T(int64_t ns) { return FormatTime(ns); }
std::string Sys(engine::SystemTime t) { return FormatTime(t.ns); }

class VersionsTest : public EngineFixture {};

TEST_F(VersionsTest, RowsAreOrderedByTagGroupThenValidTimeThenSystemTime) {
  const engine::SystemTime s1 = Write({
      "cpu,host=b,region=eu v=1 20",
      "cpu,host=a v=2 10",
      "cpu,region=us v=3 30",
      "cpu,host=a,region=us v=4 10",
  });
  const engine::SystemTime s2 = Write({
      "cpu,host=a v=5 10",            // a correction: a second version of (host=a, 10)
      "cpu,host=a v=6 5",             // an earlier point, written later
      "cpu,host=b,region=eu v=1 20",  // an identical rewrite: no version
  });
  ASSERT_GT(s2, s1);
  TableSink got = QueryOk("SELECT VERSIONS v FROM cpu");
  EXPECT_EQ(got.columns(), (std::vector<std::string>{"time", "host", "region", "v", "system_from",
                                                     "system_to", "tombstone"}));
  // Series by (host, region), a missing tag sorting as "".
  const Rows want = {
      {T(30), "", "us", "3", Sys(s1), "", "false"},
      {T(5), "a", "", "6", Sys(s2), "", "false"},
      {T(10), "a", "", "2", Sys(s1), Sys(s2), "false"},
      {T(10), "a", "", "5", Sys(s2), "", "false"},
      {T(10), "a", "us", "4", Sys(s1), "", "false"},
      {T(20), "b", "eu", "1", Sys(s1), "", "false"},
  };
  EXPECT_EQ(got.rows(), want);

  // AS OF the first commit: its versions only, all still current then.
  got = QueryOk("SELECT VERSIONS v FROM cpu AS OF " + std::to_string(s1.ns));
  const Rows then = {
      {T(30), "", "us", "3", Sys(s1), "", "false"},
      {T(10), "a", "", "2", Sys(s1), "", "false"},
      {T(10), "a", "us", "4", Sys(s1), "", "false"},
      {T(20), "b", "eu", "1", Sys(s1), "", "false"},
  };
  EXPECT_EQ(got.rows(), then);
  got = QueryOk("SELECT VERSIONS v FROM cpu AS OF " + std::to_string(s1.ns - 1));
  EXPECT_TRUE(got.rows().empty());
}

TEST_F(VersionsTest, WhereSelectsSeriesAndValidTimesAndTheTagColumnsFollow) {
  const engine::SystemTime s1 = Write({
      "cpu,host=a v=1 10",
      "cpu,host=a v=2 20",
      "cpu,host=a,region=us v=3 10",
      "cpu,host=b,region=eu v=4 10",
      "cpu,region=us v=5 10",
  });
  TableSink got = QueryOk("SELECT VERSIONS v FROM cpu WHERE host = 'a' AND time >= 15");
  EXPECT_EQ(got.columns(), (std::vector<std::string>{"time", "host", "region", "v", "system_from",
                                                     "system_to", "tombstone"}));
  EXPECT_EQ(got.rows(), (Rows{{T(20), "a", "", "2", Sys(s1), "", "false"}}));

  // Only the selected series contribute tag columns.
  got = QueryOk("SELECT VERSIONS v FROM cpu WHERE host = ''");
  EXPECT_EQ(got.columns(), (std::vector<std::string>{"time", "region", "v", "system_from",
                                                     "system_to", "tombstone"}));
  EXPECT_EQ(got.rows(), (Rows{{T(10), "us", "5", Sys(s1), "", "false"}}));

  got = QueryOk("SELECT VERSIONS v AS value FROM cpu WHERE region =~ /^e/ OR host = 'a'");
  EXPECT_EQ(got.columns(), (std::vector<std::string>{"time", "host", "region", "value",
                                                     "system_from", "system_to", "tombstone"}));
  EXPECT_EQ(got.rows(), (Rows{{T(10), "a", "", "1", Sys(s1), "", "false"},
                              {T(20), "a", "", "2", Sys(s1), "", "false"},
                              {T(10), "a", "us", "3", Sys(s1), "", "false"},
                              {T(10), "b", "eu", "4", Sys(s1), "", "false"}}));

  const std::string q = "SELECT VERSIONS v FROM cpu WHERE region =~ /^e/ OR time < 0";
  EXPECT_EQ(QueryError(q), PositionOf(q, "OR") + "OR with a time condition is not supported yet");
}

TEST_F(VersionsTest, CellsShowEachValueTypeAndTheAlias) {
  const engine::SystemTime s1 = Write({
      "t,k=x f=0.1,i=-5i,u=18446744073709551615u,b=true,s=\"a \\\"quoted\\\" word\" 1",
      "t,k=x f=1e21,i=7i,u=0u,b=false,s=\"\" 2",
      "t,k=x f=0 3",
  });
  const engine::SystemTime s2 = Write({"t,k=x f=-0.0 3"});  // bit-different from 0: a version
  struct Case {
    std::string field;
    Rows want;
  };
  const Case cases[] = {
      {"f",
       {{T(1), "x", "0.1", Sys(s1), "", "false"},
        {T(2), "x", "1e+21", Sys(s1), "", "false"},
        {T(3), "x", "0", Sys(s1), Sys(s2), "false"},
        {T(3), "x", "-0", Sys(s2), "", "false"}}},
      {"i", {{T(1), "x", "-5", Sys(s1), "", "false"}, {T(2), "x", "7", Sys(s1), "", "false"}}},
      {"u",
       {{T(1), "x", "18446744073709551615", Sys(s1), "", "false"},
        {T(2), "x", "0", Sys(s1), "", "false"}}},
      {"b",
       {{T(1), "x", "true", Sys(s1), "", "false"}, {T(2), "x", "false", Sys(s1), "", "false"}}},
      {"s",
       {{T(1), "x", "a \"quoted\" word", Sys(s1), "", "false"},
        {T(2), "x", "", Sys(s1), "", "false"}}},
  };
  for (const Case& c : cases) {
    TableSink got = QueryOk("SELECT VERSIONS " + c.field + " AS value FROM t");
    EXPECT_EQ(got.columns(), (std::vector<std::string>{"time", "k", "value", "system_from",
                                                       "system_to", "tombstone"}))
        << c.field;
    EXPECT_EQ(got.rows(), c.want) << c.field;
  }
}

TEST_F(VersionsTest, TwoWritesOfAPointInOneBatchLeaveOneVersion) {
  const engine::SystemTime s1 = Write({"cpu v=1 10", "cpu v=2 10", "cpu v=3 10"});
  TableSink got = QueryOk("SELECT VERSIONS v FROM cpu");
  EXPECT_EQ(got.rows(), (Rows{{T(10), "3", Sys(s1), "", "false"}}));
}

TEST_F(VersionsTest, UnknownMeasurementOrFieldIsTheHeaderAlone) {
  Write({"cpu,host=a v=1 10"});
  TableSink got = QueryOk("SELECT VERSIONS v FROM nosuch");
  EXPECT_EQ(got.columns(),
            (std::vector<std::string>{"time", "v", "system_from", "system_to", "tombstone"}));
  EXPECT_TRUE(got.rows().empty());
  got = QueryOk("SELECT VERSIONS nosuch FROM cpu");
  EXPECT_EQ(got.columns(), (std::vector<std::string>{"time", "host", "nosuch", "system_from",
                                                     "system_to", "tombstone"}));
  EXPECT_TRUE(got.rows().empty());
  got = QueryOk("SELECT VERSIONS v FROM cpu WHERE time > 10 AND time < 5");
  EXPECT_TRUE(got.rows().empty());
}

// A sink that fails on its n-th row, like a connection that went away.
class FailingSink final : public ResultSink {
 public:
  explicit FailingSink(int fail_at) : fail_at_(fail_at) {}
  Status Header(const std::vector<std::string>&) override { return Status::OK(); }
  Status Row(const std::vector<std::string>&) override {
    ++rows_;
    return rows_ == fail_at_ ? Status::Unavailable("client gone") : Status::OK();
  }
  int rows() const { return rows_; }

 private:
  int fail_at_;
  int rows_ = 0;
};

TEST_F(VersionsTest, SinkFailureStopsTheAnswerAndIsReturned) {
  Write({"cpu,host=a v=1 1", "cpu,host=a v=2 2", "cpu,host=a v=3 3", "cpu,host=b v=4 1"});
  auto statement = ParseSelect("SELECT VERSIONS v FROM cpu", 0);
  ASSERT_TRUE(statement.ok());
  FailingSink sink(2);
  Status s = ExecuteSelect(*engine_, *statement, sink);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(sink.rows(), 2);
}

}  // namespace
}  // namespace strata::query
