#pragma once

// EXPLAIN SELECT ... (DESIGN §6.1, §7): runs the statement for real, discards its rows, and
// answers with what it did, measured rather than estimated (like EXPLAIN ANALYZE). The answer
// is a table with the one column `plan`, one row per line:
//
//   SELECT max(usage_user) FROM cpu GROUP BY time(1m), host      the statement, re-printed
//   time: [2026-01-01T00:00:00.000000000Z, +inf)                  the range WHERE allows
//   as of: latest                                                 or the AS OF time
//   series: 3 of 100 matched                                      by the tag conditions
//   scans: 3                                                      one per (series, field)
//   partitions: read 2, pruned 6 (summed over scans)
//   files: read 4, pruned 1 (summed over scans)
//   blocks: decoded 10, answered from statistics 50, skipped 7
//   memtable rows: 1234
//   rows: 60                                                      what the SELECT answers
//   rollups: none
//
// Partitions and files are counted per (series, field) scan and summed (engine::ScanContext):
// a partition that three matched series share and read counts 3. Blocks and memtable rows
// belong to one (series, field) and count once. SELECT VERSIONS does not go through the batch
// scan, so its plan says the counters are not collected instead of printing zeros.
// Thread-safety: thread-safe; like ExecuteSelect it only reads the engine.

#include "engine/engine.h"
#include "engine/field_scan.h"
#include "query/ast.h"
#include "query/result_format.h"
#include "util/status.h"

namespace strata::query {

// Runs statement (its explain flag is ignored) and streams the plan into sink. A statement that
// fails fails the same way here, before anything reaches the sink. limits carries the
// statement's deadline (its counters are ignored).
Status ExecuteExplain(const engine::Engine& engine, const SelectStatement& statement,
                      ResultSink& sink, const engine::ScanContext& limits = {});

}  // namespace strata::query
