#pragma once

// Runs parsed statements against an engine (DESIGN §7).
// Supported so far:
//   SELECT <agg>(<field>), ... FROM m   whole-range aggregates count, sum, mean, min, max;
//   SELECT rolling_median(f, <dur> | <n>), moving_average(f, n), ... FROM m
//                                       window functions over one field, per point of the pooled
//                                       stream or per GROUP BY time step, with GROUP BY tags,
//                                       FILL, ORDER BY time and LIMIT (window_functions.h);
//   SELECT VERSIONS <field> FROM m      every version of one field with its system-time interval;
//   DELETE FROM m                       one tombstone per currently visible point it matches.
// Each takes a WHERE of tag conditions (=, !=, =~, !~ combined with AND, OR and parentheses) and
// time comparisons ANDed at its top level (see series_filter.h); a SELECT takes AS OF. Anything
// else is a clear InvalidArgument that names the unsupported part and its position (the rest of
// DESIGN §7 lands in issue 5).
// Source split by statement: executor.cc (aggregates), executor_versions.cc, executor_delete.cc,
// executor_show.cc; EXPLAIN is in explain.h.
// Thread-safety: thread-safe; concurrent statements share the engine.

#include <cstddef>
#include <cstdint>

#include "engine/engine.h"
#include "engine/field_scan.h"
#include "query/ast.h"
#include "query/result_format.h"
#include "util/status.h"

namespace strata::query {

// Streams the answer into sink: the header, then rows as they are produced. A VERSIONS answer
// has the columns time, <tag keys of the selected series, sorted>, <field>, system_from,
// system_to, tombstone, one row per version ordered by series (their tag values in column
// order, a missing tag sorting as ""), valid time, then system time.
// counters (optional) accumulates what the scans read, for EXPLAIN.
Status ExecuteSelect(const engine::Engine& engine, const SelectStatement& statement,
                     ResultSink& sink, engine::ScanContext* counters = nullptr);

struct DeleteResult {
  uint64_t tombstones = 0;     // tombstone versions written
  int64_t system_time_ns = 0;  // the last commit; the visible time scanned if nothing matched
};

// A delete larger than this is committed in several batches (so several system times).
inline constexpr size_t kMaxDeleteBatchBytes = size_t{64} << 20;

// Writes one tombstone version per point of the measurement (every field) visible now, in the
// matching series and time range, and returns once they are visible. AS OF a time before the
// result's system time still sees the points (DESIGN §7). A concurrent write to a matched point
// between the scan and the commit is deleted too: the tombstone names the point, not a value.
// Deletes bigger than max_batch_bytes commit in slices; if a later slice fails, the earlier ones
// stay applied and repeating the statement finishes the job.
Result<DeleteResult> ExecuteDelete(engine::Engine& engine, const DeleteStatement& statement,
                                   size_t max_batch_bytes = kMaxDeleteBatchBytes);

// Answers a SHOW statement as a table (executor_show.cc), rows sorted, no duplicates:
//   SHOW MEASUREMENTS                     name
//   SHOW SERIES [FROM m] [WHERE ...]      key (the canonical, escaped line-protocol series key)
//   SHOW TAG KEYS [FROM m]                measurement, tagKey
//   SHOW TAG VALUES [FROM m] WITH KEY = k [WHERE ...]
//                                         measurement, key, value (series without tag k: none)
//   SHOW FIELD KEYS [FROM m]              measurement, fieldKey, fieldType (float, integer,
//                                         unsigned, boolean, string)
//   SHOW PARTITIONS                       region, date, files, bytes, versions, min_time,
//                                         max_time: the chunk files of each partition (flushed
//                                         data only; memtable rows belong to no partition yet)
//   SHOW ROLLUPS                          name, measurement, interval (e.g. 1h), aggregates,
//                                         system_time (what the rows reflect: the checkpoint)
// FROM an unknown measurement answers the header alone. WHERE compares tags only (ParseShow)
// and matches as in SELECT (series_filter.h).
Status ExecuteShow(const engine::Engine& engine, const ShowStatement& statement, ResultSink& sink);

// CREATE ROLLUP builds the rollup from the flushed data (Engine::CreateRollup; rows still in
// memtables join it at their flush) and records it; DROP ROLLUP removes it. InvalidArgument for
// a taken name, NotFound for an unknown one.
Status ExecuteRollup(engine::Engine& engine, const RollupStatement& statement);

}  // namespace strata::query
