// LastValueCache on its own: the update rules a commit applies to an entry, and the fill
// protocol that keeps a scan racing with commits from installing a stale point. The query-level
// equivalence with scans is in tests/query/last_value_test.cc.

#include "engine/last_value_cache.h"

#include <gtest/gtest.h>

#include <bit>
#include <string>

namespace strata::engine {
namespace {

constexpr SeriesId kCpu{1}, kDisk{2};

LastPoint FloatAt(int64_t t, double v) {
  return LastPoint{t, FieldType::kFloat, std::bit_cast<uint64_t>(v), ""};
}

// Applies one batch of single-field points to series.
void Apply(LastValueCache& cache, int64_t system_ns, SeriesId series, std::string_view field,
           int64_t valid_ns, const FieldValue& value, bool tombstone = false) {
  LastValueCache::Applier applier(&cache, system_ns);
  applier.Line(series);
  applier.Field(field, valid_ns, value, tombstone);
}

void Fill(LastValueCache& cache, SeriesId series, std::string_view field,
          const std::optional<LastPoint>& point) {
  const auto ticket = cache.BeginFill(series);
  cache.Install(ticket, field, point);
  cache.EndFill(ticket);
}

std::optional<int64_t> CachedTime(const LastValueCache& cache, SeriesId series,
                                  std::string_view field) {
  auto entry = cache.Get(series, field);
  if (!entry) return std::nullopt;           // miss
  if (!*entry) return INT64_MIN;             // cached "no point"
  return (*entry)->valid_ns;
}

TEST(LastValueCacheTest, CommitsKeepAFilledEntryCurrent) {
  LastValueCache cache;
  EXPECT_FALSE(cache.Get(kCpu, "v").has_value());
  Fill(cache, kCpu, "v", FloatAt(100, 1.0));
  ASSERT_EQ(CachedTime(cache, kCpu, "v"), 100);

  Apply(cache, 10, kCpu, "v", 50, FieldValue::Float(9));  // older: no change
  EXPECT_EQ(std::bit_cast<double>((*cache.Get(kCpu, "v"))->bits), 1.0);
  Apply(cache, 11, kCpu, "v", 100, FieldValue::Float(2));  // correction of the cached point
  EXPECT_EQ(std::bit_cast<double>((*cache.Get(kCpu, "v"))->bits), 2.0);
  Apply(cache, 12, kCpu, "v", 200, FieldValue::Float(3));  // newer
  EXPECT_EQ(CachedTime(cache, kCpu, "v"), 200);
  Apply(cache, 13, kCpu, "v", 100, FieldValue::Float(0), /*tombstone=*/true);  // not the last
  EXPECT_EQ(CachedTime(cache, kCpu, "v"), 200);
  Apply(cache, 14, kCpu, "w", 300, FieldValue::Float(0));  // a field never asked for
  EXPECT_FALSE(cache.Get(kCpu, "w").has_value());
  Apply(cache, 15, kCpu, "v", 200, FieldValue::Float(0), /*tombstone=*/true);  // the last one
  EXPECT_FALSE(cache.Get(kCpu, "v").has_value()) << "only a scan knows the new last point";
  EXPECT_EQ(cache.entries(), 0u);
}

TEST(LastValueCacheTest, AFieldWithoutPointsIsCachedAndTheFirstWriteFillsIt) {
  LastValueCache cache;
  Fill(cache, kCpu, "s", std::nullopt);
  EXPECT_EQ(CachedTime(cache, kCpu, "s"), INT64_MIN);
  Apply(cache, 10, kCpu, "s", 5, FieldValue::Float(0), /*tombstone=*/true);  // nothing to delete
  EXPECT_EQ(CachedTime(cache, kCpu, "s"), INT64_MIN);
  std::string owned = "hello";
  Apply(cache, 11, kCpu, "s", 7, FieldValue::String(owned));
  owned = "XXXXX";  // the batch's bytes go away; the cache holds its own copy
  auto entry = cache.Get(kCpu, "s");
  ASSERT_TRUE(entry && *entry);
  EXPECT_EQ((*entry)->str, "hello");
  EXPECT_EQ((*entry)->type, FieldType::kString);
}

TEST(LastValueCacheTest, AFillIsNotInstalledWhenACommitTouchedItsSeriesMeanwhile) {
  LastValueCache cache;
  cache.StartAt(40);
  auto ticket = cache.BeginFill(kCpu);
  EXPECT_EQ(ticket.system_time_ns, 40) << "a fill scans as of the newest applied commit";
  Apply(cache, 41, kCpu, "v", 500, FieldValue::Float(1));  // the scan may not have seen it
  cache.Install(ticket, "v", FloatAt(100, 1.0));
  cache.EndFill(ticket);
  EXPECT_FALSE(cache.Get(kCpu, "v").has_value());

  // A commit to another series does not spoil the fill.
  ticket = cache.BeginFill(kCpu);
  EXPECT_EQ(ticket.system_time_ns, 41);
  Apply(cache, 42, kDisk, "v", 600, FieldValue::Float(1));
  cache.Install(ticket, "v", FloatAt(500, 1.0));
  cache.EndFill(ticket);
  EXPECT_EQ(CachedTime(cache, kCpu, "v"), 500);
}

TEST(LastValueCacheTest, PastTheEntryLimitFillsAreNotInstalled) {
  LastValueCache cache(/*max_entries=*/2);
  Fill(cache, kCpu, "a", FloatAt(1, 1));
  Fill(cache, kCpu, "b", FloatAt(1, 1));
  Fill(cache, kDisk, "a", FloatAt(1, 1));
  EXPECT_EQ(cache.entries(), 2u);
  EXPECT_FALSE(cache.Get(kDisk, "a").has_value());
  Fill(cache, kCpu, "a", FloatAt(2, 1));  // refreshing an existing entry is still allowed
  EXPECT_EQ(CachedTime(cache, kCpu, "a"), 2);
}

}  // namespace
}  // namespace strata::engine
