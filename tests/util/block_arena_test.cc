#include "util/block_arena.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <utility>
#include <vector>

namespace strata {
namespace {

// Every allocation is aligned, inside memory nobody else was given, and keeps what was written
// to it while the arena lives: filled with its own byte and checked at the end.
TEST(BlockArenaTest, AllocationsAreAlignedDisjointAndKeepTheirBytes) {
  BlockArena arena;
  std::mt19937_64 rng(1);
  std::vector<std::pair<unsigned char*, size_t>> given;
  std::map<uintptr_t, size_t> ranges;
  size_t total = 0;
  for (int i = 0; i < 20000; ++i) {
    // Mostly segment-sized requests, some odd sizes, and a few above a quarter block.
    size_t bytes = rng() % 10 == 0 ? 1 + rng() % 64 : 24 + 24 * (rng() % 4096);
    if (i % 997 == 0) bytes = BlockPool::kBlockBytes / 4 + 1 + rng() % BlockPool::kBlockBytes;
    auto* p = static_cast<unsigned char*>(arena.Allocate(bytes));
    ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << bytes;
    std::memset(p, static_cast<int>(i & 0xff), bytes);
    given.emplace_back(p, bytes);
    const auto at = reinterpret_cast<uintptr_t>(p);
    auto next = ranges.lower_bound(at);
    if (next != ranges.end()) {
      ASSERT_LE(at + bytes, next->first) << "overlaps the next";
    }
    if (next != ranges.begin()) {
      auto prev = std::prev(next);
      ASSERT_LE(prev->first + prev->second, at) << "overlaps the previous";
    }
    ranges.emplace(at, bytes);
    total += bytes;
  }
  for (size_t i = 0; i < given.size(); ++i) {
    const auto [p, bytes] = given[i];
    for (size_t k = 0; k < bytes; k += 61) {
      ASSERT_EQ(p[k], static_cast<unsigned char>(i & 0xff)) << "allocation " << i;
    }
    ASSERT_EQ(p[bytes - 1], static_cast<unsigned char>(i & 0xff)) << "allocation " << i;
  }
  EXPECT_GE(arena.HeldBytes(), total);
  EXPECT_LE(arena.HeldBytes(), total + total / 8 + BlockPool::kBlockBytes)
      << "little is lost at block ends";
}

TEST(BlockArenaTest, ThePoolKeepsReturnedBlocksUpToItsLimitAndHandsThemOutAgain) {
  auto pool = std::make_shared<BlockPool>(3 * BlockPool::kBlockBytes);
  constexpr size_t kQuarter = BlockPool::kBlockBytes / 4;  // four fill a block exactly
  {
    BlockArena arena(pool);
    for (int i = 0; i < 5 * 4; ++i) std::memset(arena.Allocate(kQuarter), 7, kQuarter);
    EXPECT_EQ(arena.HeldBytes(), 5 * BlockPool::kBlockBytes);
    EXPECT_EQ(pool->free_blocks(), 0u);
  }
  EXPECT_EQ(pool->free_blocks(), 3u) << "five returned, kept up to the limit, the rest unmapped";
  BlockArena again(pool);
  void* reused = again.Allocate(64);
  EXPECT_EQ(pool->free_blocks(), 2u) << "a kept block is handed out before a new one is mapped";
  EXPECT_EQ(reinterpret_cast<uintptr_t>(reused) % BlockPool::kBlockBytes, 0u)
      << "a block starts 2 MiB aligned";
  EXPECT_EQ(again.HeldBytes(), BlockPool::kBlockBytes);
}

TEST(BlockArenaTest, PrefaultFillsTheFreeListUpToAheadAndNeverPastTheLimit) {
  auto pool = std::make_shared<BlockPool>(3 * BlockPool::kBlockBytes);
  EXPECT_TRUE(pool->Prefault(2));
  EXPECT_TRUE(pool->Prefault(2));
  EXPECT_FALSE(pool->Prefault(2)) << "two blocks are ahead already";
  EXPECT_EQ(pool->free_blocks(), 2u);
  EXPECT_TRUE(pool->Prefault(10));
  EXPECT_FALSE(pool->Prefault(10)) << "the pool keeps at most 3 free blocks";
  EXPECT_EQ(pool->free_blocks(), 3u);
  {
    BlockArena arena(pool);
    auto* bytes = static_cast<unsigned char*>(arena.Allocate(BlockPool::kBlockBytes / 4));
    EXPECT_EQ(pool->free_blocks(), 2u) << "a prefaulted block is handed out first";
    EXPECT_EQ(reinterpret_cast<uintptr_t>(bytes) % BlockPool::kBlockBytes, 0u);
    // A fresh mapping reads as zeros; the writes must not have left anything else.
    EXPECT_EQ(std::count(bytes, bytes + BlockPool::kBlockBytes / 4, 0), BlockPool::kBlockBytes / 4);
  }
  EXPECT_EQ(pool->free_blocks(), 3u);
  EXPECT_FALSE(std::make_shared<BlockPool>(0)->Prefault(8)) << "a pool that keeps nothing";
}

}  // namespace
}  // namespace strata
