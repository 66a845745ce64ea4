#pragma once

// Line-protocol inputs shared by the write-path benchmarks: a file read fully into memory and
// split into lines, or (under the bench-smoke ctest, STRATA_BENCH_SMOKE=1) lines of the same
// shape synthesized here, so the smoke test needs no data set.

#include <string>
#include <string_view>
#include <vector>

namespace strata::bench {

struct LineSet {
  std::string bytes;                    // owns the text the views point into
  std::vector<std::string_view> lines;  // without their '\n'
  std::string problem;                  // why the set is empty, for SkipWithError
};

// Whether the bench-smoke ctest runs this binary (STRATA_BENCH_SMOKE=1): then missing data
// sets are replaced by synthesized ones.
bool SmokeMode();
// The path of ../shared/data/<name> beside the source tree ($STRATA_SOURCE_DIR, else found
// from this file's own path).
std::string SharedDataPath(const std::string& name);

// TSBS cpu-only rows from $STRATA_TSBS_FILE (../shared/peers/gen_workload.py); in smoke mode
// without the variable, 2,000 synthesized rows of the same shape.
const LineSet& TsbsLines();
// ../shared/data/nab_dev/nab_dev.lp (short lines, 2 tags, 1 float); synthesized in smoke mode
// when missing.
const LineSet& NabDevLines();

}  // namespace strata::bench
