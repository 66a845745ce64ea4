#pragma once

// SELECT of aggregates (DESIGN §7): whole-range or in epoch-aligned time buckets
// (GROUP BY time(d[, offset])), per tag group (GROUP BY <tag>... or *), with FILL, ORDER BY time
// and LIMIT (rows per group). Blocks that lie within one bucket and that no other version can
// shadow are answered from their statistics when every aggregate of the field allows it.
// Thread-safety: a pure function of the engine's snapshot; concurrent calls are fine.

#include <map>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/field_scan.h"
#include "query/ast.h"
#include "query/result_format.h"
#include "query/series_filter.h"
#include "util/status.h"

namespace strata::query {

// At most this many buckets per group: a guard against GROUP BY time(1ns) over years.
inline constexpr int64_t kMaxBucketsPerGroup = 10'000'000;

// The series of a statement split into tag groups (GROUP BY <tag>... or *): tag_keys are the
// group columns in order (GROUP BY * : every tag key of the series, sorted); groups are keyed and
// ordered by their tag values (a missing tag is ""), each holding its series in key order.
struct SeriesGroups {
  std::vector<std::string> tag_keys;
  std::map<std::vector<std::string>, std::vector<const engine::SeriesInfo*>> groups;
};
SeriesGroups GroupSeriesByTags(std::vector<const engine::SeriesInfo*> series,
                               const GroupBy& group_by);

// counters (optional) accumulates what the scans read, for EXPLAIN.
Status ExecuteAggregates(const engine::Engine& engine, const SelectStatement& statement,
                         const WhereClause& where, engine::SystemTime as_of, ResultSink& sink,
                         engine::ScanContext* counters = nullptr);

// The labels of GROUP BY time buckets to answer: [*first, *last] come in as the first and last
// non-empty bucket; each end the WHERE range bounds becomes that range's bucket instead.
// InvalidArgument if that makes more than kMaxBucketsPerGroup buckets.
Status BucketRange(const TimeRange& range, int64_t interval_ns, int64_t offset_ns, int64_t* first,
                   int64_t* last);

// The start of the bucket holding t: the greatest offset + k * interval <= t.
int64_t BucketStart(int64_t t, int64_t interval_ns, int64_t offset_ns);

}  // namespace strata::query
