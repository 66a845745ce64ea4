#pragma once

// Which partitions the background scheduler compacts (DESIGN §8), cf. a tsdb's Plan step.
// Thread-safety: pure functions over an immutable file set, thread-safe.

#include <chrono>
#include <cstdint>
#include <vector>

#include "engine/file_set.h"
#include "engine/partition.h"

namespace strata::compaction {

struct PickerOptions {
  // A partition is due once it holds this many files (0: never).
  size_t min_files = 4;
  // A partition that got a file within this time is still being written: compacting it now
  // would be redone after the next few flushes. It waits until it settles, unless it holds
  // twice min_files files (then queries would pay more than the rewrite costs).
  std::chrono::nanoseconds settle_time = std::chrono::seconds(30);
};

// Partitions holding at least min_files files: the compaction backlog.
uint64_t CountBacklog(const engine::FileSet& files, size_t min_files);

// Due partitions, most files first (ties: older partitions first).
std::vector<engine::PartitionKey> PickPartitions(const engine::FileSet& files,
                                                 const PickerOptions& options, int64_t now_ns);

}  // namespace strata::compaction
