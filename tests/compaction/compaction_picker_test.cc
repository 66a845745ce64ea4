#include "compaction/compaction_picker.h"

#include <gtest/gtest.h>

#include <vector>

namespace strata::compaction {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

// A partition of files with the given sizes, the newest written at newest_ns.
void AddPartition(engine::FileSet* files, const char* region, std::vector<uint64_t> sizes,
                  int64_t newest_ns) {
  auto& list = files->partitions[engine::PartitionKey{region, 20454}];
  for (size_t i = 0; i < sizes.size(); ++i) {
    engine::ChunkFile file;
    file.meta.region = region;
    file.meta.size_bytes = sizes[i];
    file.meta.max_system_ns = newest_ns - static_cast<int64_t>(sizes.size() - 1 - i);
    list.push_back(file);
  }
}

std::vector<std::string> Picked(const engine::FileSet& files, int64_t now_ns) {
  PickerOptions options;  // 4 files, settled after 30 s
  std::vector<std::string> out;
  for (const auto& key : PickPartitions(files, options, now_ns)) out.push_back(key.region);
  return out;
}

TEST(CompactionPickerTest, SettledPartitionsWithEnoughFilesAreDueMostFilesFirst) {
  engine::FileSet files;
  const int64_t now = 1000 * kSecond;
  AddPartition(&files, "three", {10, 10, 10}, now - 60 * kSecond);
  AddPartition(&files, "four", {10, 10, 10, 10}, now - 60 * kSecond);
  AddPartition(&files, "five", {500, 1, 1, 1, 1}, now - 31 * kSecond);
  EXPECT_EQ(Picked(files, now), (std::vector<std::string>{"five", "four"}));
  EXPECT_EQ(CountBacklog(files, 4), 2u);
}

// While ingest writes a partition (a file in the last 30 s), merging it would be redone after
// the next few flushes: it waits for twice min_files files.
TEST(CompactionPickerTest, APartitionBeingWrittenWaitsForTwiceTheFiles) {
  const int64_t now = 1000 * kSecond;
  engine::FileSet files;
  AddPartition(&files, "eight", {100, 10, 10, 10, 10, 10, 10, 10}, now);
  AddPartition(&files, "seven", {10, 10, 10, 10, 10, 10, 10}, now);
  AddPartition(&files, "nine", {10, 10, 10, 10, 10, 10, 10, 10, 10}, now - 29 * kSecond);
  EXPECT_EQ(Picked(files, now), (std::vector<std::string>{"nine", "eight"}));
  // The same partitions once settled: every one with min_files files or more.
  EXPECT_EQ(Picked(files, now + 30 * kSecond),
            (std::vector<std::string>{"nine", "eight", "seven"}));
}

}  // namespace
}  // namespace strata::compaction
