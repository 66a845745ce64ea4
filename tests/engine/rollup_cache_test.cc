// RollupCache (engine/rollup_cache.h): entries serve only their epoch, the least recently used
// go first past the capacity, and an older epoch's copy never replaces a newer one.

#include <gtest/gtest.h>

#include <memory>

#include "engine/rollup_cache.h"

namespace strata::engine {
namespace {

std::shared_ptr<const RollupCache::Rows> RowsOf(int buckets, int64_t first_start) {
  auto rows = std::make_shared<RollupCache::Rows>();
  for (int i = 0; i < buckets; ++i) {
    RollupBucket b;
    b.stats.count = static_cast<uint32_t>(i + 1);
    rows->buckets.emplace_back(first_start + i, b);
  }
  return rows;
}

TEST(RollupCacheTest, AnEntryServesOnlyTheEpochItWasReadIn) {
  RollupCache cache(1 << 20);
  const SeriesId s{7};
  EXPECT_EQ(cache.Find(3, 1, s, "v"), nullptr);
  cache.Insert(3, 1, s, "v", RowsOf(2, 100));
  auto hit = cache.Find(3, 1, s, "v");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->buckets.size(), 2u);
  EXPECT_EQ(hit->buckets[1].first, 101);
  EXPECT_EQ(cache.Find(4, 1, s, "v"), nullptr) << "a flush swapped since";
  EXPECT_EQ(cache.Find(2, 1, s, "v"), nullptr);
  // Other keys are other entries.
  EXPECT_EQ(cache.Find(3, 2, s, "v"), nullptr);
  EXPECT_EQ(cache.Find(3, 1, SeriesId{8}, "v"), nullptr);
  EXPECT_EQ(cache.Find(3, 1, s, "w"), nullptr);
  // A newer epoch's copy replaces it; an older one's does not replace the newer.
  cache.Insert(4, 1, s, "v", RowsOf(5, 0));
  EXPECT_EQ(cache.Find(3, 1, s, "v"), nullptr);
  ASSERT_NE(cache.Find(4, 1, s, "v"), nullptr);
  cache.Insert(3, 1, s, "v", RowsOf(1, 0));
  ASSERT_NE(cache.Find(4, 1, s, "v"), nullptr);
  EXPECT_EQ(cache.Find(4, 1, s, "v")->buckets.size(), 5u);
}

TEST(RollupCacheTest, TheLeastRecentlyUsedGoFirstAndTheBytesStayWithinTheCapacity) {
  const size_t per_entry = 128 + 16 + 1 + 10 * sizeof(std::pair<int64_t, RollupBucket>);
  RollupCache cache(per_entry * 3);
  for (uint64_t series = 1; series <= 3; ++series) {
    cache.Insert(1, 1, SeriesId{series}, "v", RowsOf(10, 0));
  }
  ASSERT_NE(cache.Find(1, 1, SeriesId{1}, "v"), nullptr);  // 1 is now the most recent
  cache.Insert(1, 1, SeriesId{4}, "v", RowsOf(10, 0));     // evicts 2
  EXPECT_NE(cache.Find(1, 1, SeriesId{1}, "v"), nullptr);
  EXPECT_EQ(cache.Find(1, 1, SeriesId{2}, "v"), nullptr);
  EXPECT_NE(cache.Find(1, 1, SeriesId{3}, "v"), nullptr);
  EXPECT_NE(cache.Find(1, 1, SeriesId{4}, "v"), nullptr);
  EXPECT_LE(cache.bytes(), per_entry * 3);
  // An entry larger than the whole cache is not kept, and evicts nothing.
  cache.Insert(1, 1, SeriesId{5}, "v", RowsOf(1000, 0));
  EXPECT_EQ(cache.Find(1, 1, SeriesId{5}, "v"), nullptr);
  EXPECT_NE(cache.Find(1, 1, SeriesId{4}, "v"), nullptr);
}

}  // namespace
}  // namespace strata::engine
