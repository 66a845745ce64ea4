#pragma once

// Rollup buckets and segments (DESIGN §8): the statistics of one (series, field, bucket) — count, sum, min,
// max, first and last of its resolved points — in the same shape as a chunk block's statistics,
// so a query folds a rollup bucket exactly as it folds a clean block (FieldScanConsumer::
// TakeBlockStats). Buckets are [k * interval, (k + 1) * interval) since the Unix epoch.
// The catalog stores a rollup's buckets in segments of kBucketsPerSegment consecutive buckets, one
// row each, so a query reads a day of hourly buckets in one row rather than 24.
// Encoding of a segment (the value of a catalog rollup row): docs/format/catalog.md.
// Thread-safety: pure functions.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "engine/chunk/chunk_format.h"
#include "engine/types.h"
#include "engine/version_column.h"

namespace strata::engine {

// The start of the bucket holding t (floor; INT64_MIN when that is below int64's range).
int64_t RollupBucketStart(int64_t t, int64_t interval_ns);
// The end (exclusive) of the bucket starting at `start`; kNoEndNs past int64's range.
int64_t RollupBucketEnd(int64_t start, int64_t interval_ns);

// Rollups keep the numeric fields (float, integer, unsigned); others are always read raw.
inline bool RollupKeeps(FieldType type) {
  return type == FieldType::kFloat || type == FieldType::kInt || type == FieldType::kUint;
}

struct RollupBucket {
  FieldType type = FieldType::kFloat;
  // False when the bucket holds more points than statistics count (2^32 - 1): queries then
  // read its points. A missing row means the bucket has no point.
  bool usable = true;
  chunk::BlockStats stats;  // system-time bounds are not kept
};

inline constexpr int64_t kBucketsPerSegment = 64;
// The longest interval: kBucketsPerSegment of them must fit in int64 nanoseconds.
inline constexpr int64_t kMaxRollupIntervalNs = 366 * 86'400'000'000'000;

// The start of the segment holding t.
inline int64_t RollupSegmentStart(int64_t t, int64_t interval_ns) {
  return RollupBucketStart(t, interval_ns * kBucketsPerSegment);
}

// A segment's buckets by start; a bucket without points is absent.
using RollupSegment = std::map<int64_t, RollupBucket>;

std::string EncodeRollupSegment(const RollupSegment& segment);
// Calls visit for each bucket of an encoded segment, in start order. False if `in` is not an
// encoded segment.
bool ForEachBucketOfSegment(std::string_view in,
                            const std::function<void(int64_t start, const RollupBucket&)>& visit);

// Calls emit for each non-empty bucket of `points` (sorted by valid time, one version per
// point, no tombstone: a resolved column), in bucket order.
void ForEachRollupBucket(const VersionColumn& points, int64_t interval_ns,
                         const std::function<void(int64_t start, const RollupBucket&)>& emit);

}  // namespace strata::engine
