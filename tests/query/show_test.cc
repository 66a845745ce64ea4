// SHOW (DESIGN §7): every form's columns, rows and order, FROM, WHERE on tags, and partitions.

#include <cstdint>
#include <string>
#include <vector>

#include "tests/query/engine_fixture.h"

namespace strata::query {
namespace {

using Rows = std::vector<std::vector<std::string>>;
using Columns = std::vector<std::string>;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kDay = 86'400 * kSecond;
constexpr int64_t kJan1 = 1'767'225'600 * kSecond;  // 2026-01-01T00:00:00Z

std::string At(int64_t ns) { return " " + std::to_string(ns); }

class ShowTest : public EngineFixture {
 protected:
  // Three measurements, series with and without the partition tag, every field type, a name
  // that needs escaping, and points on two dates.
  void WriteSchema() {
    Write({
        "cpu,region=us,host=b usage=2,cores=8i" + At(kJan1),
        "cpu,host=a,region=eu usage=1.5,cores=4i" + At(kJan1),
        "cpu,host=c usage=3" + At(kJan1 + kDay),
        "cpu,host=a,region=eu usage=1.25" + At(kJan1 + kDay),
        "mem,host=a,region=eu free=10u,ok=true,note=\"x y\"" + At(kJan1),
        "disk\\ io,z\\=k=v\\,w,path=/a\\ b used=1" + At(kJan1),
    });
  }

  Result<TableSink> Show(const std::string& text) {
    auto statement = ParseShow(text);
    if (!statement.ok()) return statement.status();
    TableSink sink;
    STRATA_RETURN_IF_ERROR(ExecuteShow(*engine_, *statement, sink));
    return sink;
  }

  TableSink ShowOk(const std::string& text) {
    auto result = Show(text);
    EXPECT_TRUE(result.ok()) << text << "\n" << result.status().ToString();
    return result.ok() ? *result : TableSink{};
  }
};

TEST_F(ShowTest, MeasurementsAreSortedNames) {
  WriteSchema();
  const TableSink got = ShowOk("SHOW MEASUREMENTS");
  EXPECT_EQ(got.columns(), Columns{"name"});
  // Names unescaped, in byte order.
  EXPECT_EQ(got.rows(), (Rows{{"cpu"}, {"disk io"}, {"mem"}}));
}

TEST_F(ShowTest, EmptyEngineAnswersHeadersOnly) {
  for (const char* text : {"SHOW MEASUREMENTS", "SHOW SERIES", "SHOW TAG KEYS",
                           "SHOW TAG VALUES WITH KEY = host", "SHOW FIELD KEYS",
                           "SHOW PARTITIONS", "SHOW ROLLUPS"}) {
    const TableSink got = ShowOk(text);
    EXPECT_FALSE(got.columns().empty()) << text;
    EXPECT_TRUE(got.rows().empty()) << text;
  }
}

TEST_F(ShowTest, SeriesAreLineProtocolKeysWithSortedEscapedTags) {
  WriteSchema();
  TableSink got = ShowOk("SHOW SERIES");
  EXPECT_EQ(got.columns(), Columns{"key"});
  EXPECT_EQ(got.rows(), (Rows{{"cpu,host=a,region=eu"},
                              {"cpu,host=b,region=us"},
                              {"cpu,host=c"},
                              {"disk\\ io,path=/a\\ b,z\\=k=v\\,w"},
                              {"mem,host=a,region=eu"}}));
  got = ShowOk("SHOW SERIES FROM cpu");
  EXPECT_EQ(got.rows(),
            (Rows{{"cpu,host=a,region=eu"}, {"cpu,host=b,region=us"}, {"cpu,host=c"}}));
  got = ShowOk("SHOW SERIES FROM \"disk io\"");
  EXPECT_EQ(got.rows(), (Rows{{"disk\\ io,path=/a\\ b,z\\=k=v\\,w"}}));
}

TEST_F(ShowTest, SeriesWhereFiltersByTagsAsSelectDoes) {
  WriteSchema();
  EXPECT_EQ(ShowOk("SHOW SERIES WHERE host = 'a'").rows(),
            (Rows{{"cpu,host=a,region=eu"}, {"mem,host=a,region=eu"}}));
  // A series without the tag has the value '' for it (series_filter.h).
  EXPECT_EQ(ShowOk("SHOW SERIES FROM cpu WHERE region != 'eu'").rows(),
            (Rows{{"cpu,host=b,region=us"}, {"cpu,host=c"}}));
  EXPECT_EQ(ShowOk("SHOW SERIES FROM cpu WHERE region = ''").rows(), (Rows{{"cpu,host=c"}}));
  EXPECT_EQ(ShowOk("SHOW SERIES FROM cpu WHERE host =~ /^[bc]$/ AND region !~ /u/").rows(),
            (Rows{{"cpu,host=c"}}));
  EXPECT_EQ(ShowOk("SHOW SERIES WHERE (host = 'b' OR path = '/a b') AND host != 'x'").rows(),
            (Rows{{"cpu,host=b,region=us"}, {"disk\\ io,path=/a\\ b,z\\=k=v\\,w"}}));
  // SHOW compares tags only: a name that is a field of the measurement is still a tag here,
  // one that no series has, so nothing matches (SELECT would take it as the field).
  EXPECT_EQ(ShowOk("SHOW SERIES FROM cpu WHERE usage = '2'").rows(), Rows{});
  EXPECT_EQ(ShowOk("SHOW SERIES FROM cpu WHERE usage = ''").rows().size(), 3u);
}

TEST_F(ShowTest, WhereErrorsCarryThePosition) {
  WriteSchema();
  const std::string text = "SHOW SERIES WHERE host =~ /(/";
  auto got = Show(text);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message().rfind(PositionOf(text, "host") + "invalid regular", 0), 0u)
      << got.status().message();
}

TEST_F(ShowTest, TagKeysPerMeasurementSorted) {
  WriteSchema();
  TableSink got = ShowOk("SHOW TAG KEYS");
  EXPECT_EQ(got.columns(), (Columns{"measurement", "tagKey"}));
  EXPECT_EQ(got.rows(), (Rows{{"cpu", "host"},
                              {"cpu", "region"},
                              {"disk io", "path"},
                              {"disk io", "z=k"},
                              {"mem", "host"},
                              {"mem", "region"}}));
  got = ShowOk("SHOW TAG KEYS FROM mem");
  EXPECT_EQ(got.rows(), (Rows{{"mem", "host"}, {"mem", "region"}}));
}

TEST_F(ShowTest, TagValuesAreDistinctSortedAndOnlyOfSeriesWithTheKey) {
  WriteSchema();
  TableSink got = ShowOk("SHOW TAG VALUES WITH KEY = region");
  EXPECT_EQ(got.columns(), (Columns{"measurement", "key", "value"}));
  // cpu,host=c has no region: it lists no value (not ""); eu appears once per measurement.
  EXPECT_EQ(got.rows(), (Rows{{"cpu", "region", "eu"},
                              {"cpu", "region", "us"},
                              {"mem", "region", "eu"}}));
  got = ShowOk("SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = 'eu' OR region = ''");
  EXPECT_EQ(got.rows(), (Rows{{"cpu", "host", "a"}, {"cpu", "host", "c"}}));
  got = ShowOk("SHOW TAG VALUES FROM \"disk io\" WITH KEY = \"z=k\"");
  EXPECT_EQ(got.rows(), (Rows{{"disk io", "z=k", "v,w"}}));
  got = ShowOk("SHOW TAG VALUES WITH KEY = nope");
  EXPECT_EQ(got.rows(), Rows{});
}

TEST_F(ShowTest, FieldKeysWithInfluxTypeNames) {
  WriteSchema();
  TableSink got = ShowOk("SHOW FIELD KEYS");
  EXPECT_EQ(got.columns(), (Columns{"measurement", "fieldKey", "fieldType"}));
  EXPECT_EQ(got.rows(), (Rows{{"cpu", "cores", "integer"},
                              {"cpu", "usage", "float"},
                              {"disk io", "used", "float"},
                              {"mem", "free", "unsigned"},
                              {"mem", "note", "string"},
                              {"mem", "ok", "boolean"}}));
  got = ShowOk("SHOW FIELD KEYS FROM cpu");
  EXPECT_EQ(got.rows(), (Rows{{"cpu", "cores", "integer"}, {"cpu", "usage", "float"}}));
}

TEST_F(ShowTest, FromAnUnknownMeasurementIsAnEmptyTable) {
  WriteSchema();
  const std::pair<const char*, Columns> cases[] = {
      {"SHOW SERIES FROM nope", {"key"}},
      {"SHOW SERIES FROM nope WHERE host = 'a'", {"key"}},
      {"SHOW TAG KEYS FROM nope", {"measurement", "tagKey"}},
      {"SHOW TAG VALUES FROM nope WITH KEY = host", {"measurement", "key", "value"}},
      {"SHOW FIELD KEYS FROM nope", {"measurement", "fieldKey", "fieldType"}},
  };
  for (const auto& [text, columns] : cases) {
    const TableSink got = ShowOk(text);
    EXPECT_EQ(got.columns(), columns) << text;
    EXPECT_EQ(got.rows(), Rows{}) << text;
  }
}

TEST_F(ShowTest, PartitionsListFlushedChunkFilesPerRegionAndDate) {
  WriteSchema();
  // Memtable rows belong to no partition yet.
  EXPECT_EQ(ShowOk("SHOW PARTITIONS").rows(), Rows{});
  ASSERT_TRUE(engine_->Flush().ok());
  // A second flush adds a second file to eu/2026-01-01 and a new partition eu/2026-01-03.
  Write({"cpu,host=a,region=eu usage=9" + At(kJan1 + 3600 * kSecond),
         "cpu,host=a,region=eu usage=9" + At(kJan1 + 2 * kDay + 5)});
  ASSERT_TRUE(engine_->Flush().ok());

  const TableSink got = ShowOk("SHOW PARTITIONS");
  EXPECT_EQ(got.columns(), (Columns{"region", "date", "files", "bytes", "versions", "min_time",
                                    "max_time"}));
  ASSERT_EQ(got.rows().size(), 6u);
  // Everything but bytes is known exactly; bytes must add up to what STATS reports.
  Rows without_bytes;
  uint64_t bytes = 0;
  for (std::vector<std::string> row : got.rows()) {
    bytes += std::stoull(row[3]);
    EXPECT_GT(std::stoull(row[3]), 0u) << row[0] << " " << row[1];
    row.erase(row.begin() + 3);
    without_bytes.push_back(row);
  }
  EXPECT_EQ(bytes, engine_->Stats().chunk_bytes);
  const std::string d1 = FormatTime(kJan1), d2 = FormatTime(kJan1 + kDay);
  // Versions count every stored field value: cpu,host=a on Jan 1 has usage and cores (2), mem
  // has 3 fields, disk io 1. Region "_" is the series without the partition tag.
  EXPECT_EQ(without_bytes,
            (Rows{{"_", "2026-01-01", "1", "1", d1, d1},  // disk io: no region tag
                  {"_", "2026-01-02", "1", "1", d2, d2},  // cpu,host=c
                  {"eu", "2026-01-01", "2", "6", d1, FormatTime(kJan1 + 3600 * kSecond)},
                  {"eu", "2026-01-02", "1", "1", d2, d2},
                  {"eu", "2026-01-03", "1", "1", FormatTime(kJan1 + 2 * kDay + 5),
                   FormatTime(kJan1 + 2 * kDay + 5)},
                  {"us", "2026-01-01", "1", "2", d1, d1}}));
}

TEST_F(ShowTest, RollupsListNameMeasurementIntervalAndTheSystemTimeTheyReflect) {
  WriteSchema();
  const Columns columns{"name", "measurement", "interval", "aggregates", "system_time"};
  EXPECT_EQ(ShowOk("SHOW ROLLUPS").columns(), columns);
  EXPECT_EQ(ShowOk("SHOW ROLLUPS").rows(), Rows{});
  ASSERT_TRUE(engine_->Flush().ok());
  ASSERT_TRUE(engine_->CreateRollup("cpu_1h", "cpu", 3'600'000'000'000).ok());
  ASSERT_TRUE(engine_->CreateRollup("cpu_90s", "cpu", 90'000'000'000).ok());
  ASSERT_TRUE(engine_->CreateRollup("a_day", "mem", 86'400'000'000'000).ok());
  const std::string reflects = std::to_string(engine_->Stats().rollup_system_time_ns);
  const std::string aggregates = "count,sum,mean,min,max,first,last,spread";
  const TableSink got = ShowOk("SHOW ROLLUPS");
  EXPECT_EQ(got.columns(), columns);
  EXPECT_EQ(got.rows(), (Rows{{"a_day", "mem", "1d", aggregates, reflects},
                              {"cpu_1h", "cpu", "1h", aggregates, reflects},
                              {"cpu_90s", "cpu", "90s", aggregates, reflects}}));
}

}  // namespace
}  // namespace strata::query
