#include "engine/partition.h"

#include <gtest/gtest.h>

#include <ctime>
#include <random>
#include <set>
#include <string>

namespace strata::engine {
namespace {

TEST(PartitionTest, DayOfFloorsForNegativeTimes) {
  EXPECT_EQ(DayOf(0), 0);
  EXPECT_EQ(DayOf(kNanosPerDay - 1), 0);
  EXPECT_EQ(DayOf(kNanosPerDay), 1);
  EXPECT_EQ(DayOf(-1), -1);
  EXPECT_EQ(DayOf(-kNanosPerDay), -1);
  EXPECT_EQ(DayOf(-kNanosPerDay - 1), -2);
}

TEST(PartitionTest, FormatDayAgreesWithGmtimeAndParsesBack) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; ++i) {
    const int64_t day = static_cast<int64_t>(rng() % 200000) - 100000;  // ~1696..2243
    time_t t = static_cast<time_t>(day * 86400);
    struct tm tm;
    ASSERT_NE(gmtime_r(&t, &tm), nullptr);
    char expected[48];
    std::snprintf(expected, sizeof(expected), "%04d-%02d-%02d", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday);
    EXPECT_EQ(FormatDay(day), expected);
    int64_t back = 0;
    ASSERT_TRUE(ParseDay(expected, &back)) << expected;
    EXPECT_EQ(back, day);
  }
}

TEST(PartitionTest, ParseDayRejectsDatesThatDoNotExist) {
  int64_t day;
  for (const char* bad : {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-1-01",
                          "20260101", "2026-01-0x", ""}) {
    EXPECT_FALSE(ParseDay(bad, &day)) << bad;
  }
  EXPECT_TRUE(ParseDay("2024-02-29", &day));
}

TEST(PartitionTest, RegionDirNamesAreSafeAndDistinct) {
  EXPECT_EQ(RegionDirName("eu-west-1"), "eu-west-1");
  EXPECT_EQ(RegionDirName("_"), "_");
  EXPECT_EQ(RegionDirName(".."), "%2E.");
  EXPECT_EQ(RegionDirName("a/b"), "a%2Fb");
  EXPECT_EQ(RegionDirName("a b"), "a%20b");
  std::mt19937_64 rng(11);
  std::set<std::string> names, dirs;
  const std::string alphabet = "ab./% _-\\\xc3\xa9";
  for (int i = 0; i < 20000; ++i) {
    std::string name;
    for (size_t n = 1 + rng() % 4; n > 0; --n) name.push_back(alphabet[rng() % alphabet.size()]);
    if (!names.insert(name).second) continue;
    const std::string dir = RegionDirName(name);
    EXPECT_EQ(dir.find('/'), std::string::npos) << name;
    EXPECT_NE(dir, ".");
    EXPECT_NE(dir, "..");
    EXPECT_NE(dir[0], '.');
    EXPECT_TRUE(dirs.insert(dir).second) << "two regions share directory " << dir;
  }
}

}  // namespace
}  // namespace strata::engine
