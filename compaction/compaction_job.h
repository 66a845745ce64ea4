#pragma once

// CompactionJob: merges every chunk file of one partition into one new file (or a few, each
// closed at a series boundary once past a target size), DESIGN §8. For each (series, field) the
// rows of all input files are collapsed to their versions (compaction/version_collapse.h),
// dropping history older than the horizon, and written in blocks like a flush, compressed with
// Zstandard. The outputs are written under temporary names, fsynced and renamed, then one
// catalog batch swaps them for the inputs (Engine::ReplaceFiles): a crash at any step leaves
// either the inputs or the outputs in the catalog, and the other side becomes orphans that the
// next start removes.
//
// Why all of a partition's files: the files of a partition, in flush order, hold ascending,
// disjoint system-time ranges, so the set present when the job starts holds every point's whole
// history up to then. Collapsing a point's history (dropping a tombstone of nothing, or a
// current tombstone past the horizon) is only right with its whole history in hand. Files a
// flush adds while the job runs hold newer versions only and are kept as they are.
//
// Thread-safety: CompactPartition may run concurrently with writes, flushes and queries; two
// jobs on the same partition must not run at once (Compactor serializes them; a second one
// would fail with InvalidArgument at the swap, changing nothing).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "compaction/throttle.h"
#include "compaction/version_collapse.h"
#include "engine/engine.h"
#include "engine/partition.h"
#include "util/status.h"

namespace strata::compaction {

struct CompactionJobOptions {
  // Versions superseded before now - history_retention are dropped (0: keep all history).
  std::chrono::nanoseconds history_retention{0};
  // "now" for the horizon; 0: the engine's clock. Tests pin it.
  int64_t now_ns = 0;
  // An output file is closed at the next series boundary once it holds this many bytes.
  uint64_t target_file_bytes = 512ull << 20;
  // A column is merged in pieces of about this many input rows, cut only where no later block
  // overlaps the rows read so far: a job's memory does not grow with a series' rate.
  size_t piece_rows = 64 * 1024;
  // Zstandard level of the blocks (3: about LZ4's decode speed at a clearly better ratio).
  int zstd_level = 3;
  // I/O and CPU budgets (optional; must outlive the job). Cancelling it stops the job
  // (Unavailable).
  Throttle* throttle = nullptr;
  // Test hook, called at named steps ("after_write": outputs fsynced under temporary names;
  // "after_rename": outputs in place, not yet in the catalog; "after_commit": the catalog
  // names the outputs). An error return aborts the job there, as a crash would.
  std::function<Status(std::string_view step)> hook;
};

struct CompactionResult {
  engine::PartitionKey partition;
  uint64_t files_in = 0, files_out = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t versions_in = 0, versions_out = 0;
  CollapseCounts dropped;
  std::chrono::nanoseconds elapsed{0};
  bool skipped = false;  // nothing to do (fewer than two files and no history to drop)
};

// What a set of jobs did, summed over those not skipped (COMPACT's answer, strata compact's
// summary).
struct CompactionTotals {
  uint64_t partitions = 0;
  uint64_t files_in = 0, files_out = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
};
CompactionTotals SumResults(const std::vector<CompactionResult>& results);

// Compacts `partition` of engine as described above. On failure nothing changed in the catalog
// (or, after the commit, the failure is reported but the compaction stands).
Result<CompactionResult> CompactPartition(engine::Engine& engine,
                                          const engine::PartitionKey& partition,
                                          const CompactionJobOptions& options);

}  // namespace strata::compaction
