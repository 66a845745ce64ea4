#pragma once

// SELECT of the window functions rolling_median(f, <dur> | <n>) and moving_average(f, n)
// (DESIGN §7). Thread-safety: a pure function of the engine's snapshot; concurrent calls are fine.
//
// The stream. The points of the selected series (WHERE tags) with valid time in the WHERE range,
// as of as_of, are pooled into one time-ordered stream per tag group (GROUP BY <tag>... or *;
// without it, one stream of every selected series). Groups come in the order of their tag
// values, as for aggregates. Points at the same time in several series are ordered by the
// series' canonical key (SeriesInfo::key, i.e. by its tag values), never by series id, so the
// answer does not depend on the order in which series were created. Int and uint fields are
// converted to double.
//
// Per point (no GROUP BY time): one row per point of the stream, columns time, the GROUP BY
// tags, then one column per item.
//   rolling_median(f, w) with a duration: the median of the stream's points with time in
//     (t - w, t]; that is every point at time t, also those after this one in the stream, so
//     the rows of points sharing a time carry the same value.
//   rolling_median(f, n): the median of the last n points of the stream up to and including
//     this one (in the stream order above, so ties are broken by series key).
//   moving_average(f, n): the mean of those last n points; its cell is null (empty) while
//     fewer than n points have been seen. A row is still emitted for every point, because other
//     items of the statement may have a value there; a statement whose only item is
//     moving_average(f, n) therefore starts with n - 1 rows of null cells (InfluxDB omits them).
//
// Per step (GROUP BY time(s[, offset])): rows are labelled like aggregate buckets (the multiples
// of s plus offset inside the WHERE time range; with an open end of the range, from the step of
// the first point to the step of the last one over all groups; at most kMaxBucketsPerGroup). The
// row labelled t holds, like a Prometheus range query with step s:
//   rolling_median(f, w): the median of the points with time in (t - w, t];
//   rolling_median(f, n): the median of the last n points with time <= t;
//   moving_average(f, n): the mean of the last n points with time <= t.
// A cell whose window has no value (no point in it; for moving_average fewer than n points seen)
// is null, and FILL fills such cells, each item's column on its own (previous and linear look at
// the same column in the neighbouring rows). FILL(none) drops the rows where every cell is null.
// A group without any point in the range has no rows, as for aggregates.
//
// Both modes: ORDER BY time DESC reverses the rows within each group; LIMIT n keeps the first n
// rows of each group (after DESC and FILL(none)).
//
// Values: NaN propagates while a window holds one (RollingMedian); floats are formatted with
// FormatFloat. moving_average keeps a compensated (Neumaier) running sum of the finite values,
// adding the newest and subtracting the oldest, and recomputes it from the window every n
// points so rounding cannot accumulate; NaN and infinities are counted apart, so the mean is NaN
// while the window holds a NaN or both infinities, else +/-inf while it holds one, as IEEE
// summation would give, and exact again once they leave. A finite sum that overflows is
// recomputed from the window (scaled by 1/n) at the steps where it does.
//
// Cost: a step (or point) costs O(log w) amortized for a window of w points, never a re-sort.
// Memory: the windows hold only their points (a time window is emptied of points at or before
// t - w before it takes the next ones). The stream itself is a k-way merge over per-series
// vectors of the group's points, read whole before the group is evaluated; groups are read one
// at a time, except that GROUP BY time without both ends of the WHERE time range reads every
// group first, because the step labels depend on the first and last point of all of them.
//
// Not supported yet, each an InvalidArgument "<line>:<column> ..." at the item:
//   - window functions mixed with aggregates (the parser allows it with GROUP BY time): "mixing
//     aggregates and window functions is not supported yet", at the first window item;
//   - window items over different fields (their rows would not line up): "window functions over
//     different fields cannot share a statement", at the first item whose field differs.
// A bool or string field is "<fn>() needs a numeric field, '<f>' is <type>"; a field the
// measurement does not have gives the header and no rows.

#include "engine/engine.h"
#include "engine/field_scan.h"
#include "query/ast.h"
#include "query/result_format.h"
#include "query/series_filter.h"
#include "util/status.h"

namespace strata::query {

// Whether any item is rolling_median or moving_average (such a SELECT runs here).
bool HasWindowFunction(const SelectStatement& statement);

// counters (optional) accumulates what the scans read, for EXPLAIN.
Status ExecuteWindowFunctions(const engine::Engine& engine, const SelectStatement& statement,
                              const WhereClause& where, engine::SystemTime as_of, ResultSink& sink,
                              engine::ScanContext* counters = nullptr);

}  // namespace strata::query
