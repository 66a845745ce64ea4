#include "compaction/compaction_picker.h"

#include <algorithm>
#include <utility>

namespace strata::compaction {

uint64_t CountBacklog(const engine::FileSet& files, size_t min_files) {
  if (min_files == 0) return 0;
  uint64_t due = 0;
  for (const auto& [key, list] : files.partitions) due += list.size() >= min_files ? 1 : 0;
  return due;
}

std::vector<engine::PartitionKey> PickPartitions(const engine::FileSet& files,
                                                 const PickerOptions& options, int64_t now_ns) {
  std::vector<std::pair<size_t, engine::PartitionKey>> due;
  if (options.min_files == 0) return {};
  for (const auto& [key, list] : files.partitions) {
    if (list.size() < options.min_files) continue;
    int64_t newest_ns = 0;
    for (const engine::ChunkFile& f : list) newest_ns = std::max(newest_ns, f.meta.max_system_ns);
    // System times are nanoseconds of the engine's clock (never behind it).
    const bool settled = now_ns - newest_ns >= options.settle_time.count();
    if (!settled && list.size() < 2 * options.min_files) continue;
    due.emplace_back(list.size(), key);
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<engine::PartitionKey> out;
  for (auto& [count, key] : due) out.push_back(std::move(key));
  return out;
}

}  // namespace strata::compaction
