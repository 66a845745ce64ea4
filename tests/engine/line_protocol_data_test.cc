// The line-protocol parser over the real data sets in ../shared/data (skipped where missing).

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/line_protocol.h"
#include "tests/support/test_util.h"

namespace strata::engine {
namespace {

using TagPairs = std::vector<std::pair<std::string, std::string>>;

class LineProtocolDataTest : public ::testing::TestWithParam<const char*> {};

TEST_P(LineProtocolDataTest, EveryLineOfTheSharedDataParses) {
  const std::string path = strata::testing::SharedDataPath(GetParam());
  std::ifstream in(path, std::ios::binary);
  if (!in) GTEST_SKIP() << "data file not found: " << path;
  LineParser parser;
  ParsedLine out;
  std::string line;
  size_t line_number = 0;
  size_t parsed = 0;
  std::string measurement;
  TagPairs tags;
  while (std::getline(in, line)) {
    ++line_number;
    if (IsBlankOrComment(line)) continue;
    Status s = parser.Parse(line, &out);
    ASSERT_TRUE(s.ok()) << path << ":" << line_number << ": " << s.ToString();
    ASSERT_FALSE(out.fields.empty());
    ASSERT_TRUE(out.timestamp_ns.has_value());
    ASSERT_TRUE(ParseSeriesKey(out.series_key, &measurement, &tags).ok()) << out.series_key;
    ASSERT_EQ(measurement, out.measurement);
    ASSERT_EQ(tags.size(), out.tags.size());
    for (size_t i = 0; i < tags.size(); ++i) {
      ASSERT_EQ(tags[i].first, out.tags[i].key);
      ASSERT_EQ(tags[i].second, out.tags[i].value);
    }
    ++parsed;
  }
  EXPECT_GT(parsed, 1000u) << path;
}

INSTANTIATE_TEST_SUITE_P(SharedData, LineProtocolDataTest,
                         ::testing::Values("nab_dev/nab_dev.lp", "melbourne_temp/melbourne_temp.lp",
                                           "vega_weather/vega_weather.lp"));

TEST(LineProtocolDataSpotTest, EscapedSpaceInVegaTagValueIsUnescaped) {
  const std::string path = strata::testing::SharedDataPath("vega_weather/vega_weather.lp");
  std::ifstream in(path, std::ios::binary);
  if (!in) GTEST_SKIP() << "data file not found: " << path;
  LineParser parser;
  ParsedLine out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("New\\ York") == std::string::npos) continue;
    ASSERT_TRUE(parser.Parse(line, &out).ok());
    ASSERT_EQ(out.tags.size(), 1u);
    EXPECT_EQ(out.tags[0].value, "New York");
    EXPECT_EQ(out.series_key, "weather,region=New\\ York");
    return;
  }
  FAIL() << "no New York line in " << path;
}

}  // namespace
}  // namespace strata::engine
