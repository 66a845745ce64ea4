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

// TSBS cpu-only rows from $STRATA_TSBS_FILE (../shared/peers/gen_workload.py); in smoke mode
// without the variable, 2,000 synthesized rows of the same shape.
const LineSet& TsbsLines();
// ../shared/data/nab_dev/nab_dev.lp (short lines, 2 tags, 1 float); synthesized in smoke mode
// when missing.
const LineSet& NabDevLines();

}  // namespace strata::bench
