#pragma once

// Version collapse (DESIGN §1, §8): the merged history of one (series, field), reduced to its
// versions, minus what the history horizon lets compaction forget.
// Thread-safety: pure function, thread-safe.

#include <cstdint>
#include <limits>

#include "engine/version_column.h"

namespace strata::compaction {

// A horizon before every system time: keep all history.
inline constexpr int64_t kKeepAllHistory = std::numeric_limits<int64_t>::min();

struct CollapseCounts {
  uint64_t rows_in = 0;
  uint64_t redundant = 0;   // rows that were no version (same-batch duplicates, identical rewrites)
  uint64_t superseded = 0;  // versions replaced before the horizon
  uint64_t expired_tombstones = 0;  // current tombstones written before the horizon
};

// Writes to *out (replaced) the versions of `rows` — every row of one (series, field) from all
// of a partition's files, in any order — sorted by (valid time, system time), keeping:
//  - of rows with the same valid and system time only the last given, and no row equal to the
//    version before it (ForEachVersion's definition of a version, so answers are unchanged);
//  - no version whose successor was written before horizon_ns (system time < horizon_ns): no
//    AS OF at or after the horizon can see it;
//  - no current tombstone written before horizon_ns (everything before it is gone by the rule
//    above), so a point deleted long ago leaves nothing; nor a tombstone left first by the drop.
// Answers of ScanField and ScanFieldVersions AS OF any time >= horizon_ns are unchanged,
// provided `rows` holds the point's whole history (no older file left out of the merge).
// counts (optional) accumulates what was dropped.
void CollapseVersions(const engine::VersionColumn& rows, int64_t horizon_ns,
                      engine::VersionColumn* out, CollapseCounts* counts = nullptr);

}  // namespace strata::compaction
