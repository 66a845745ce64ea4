#pragma once

// Rollup buckets (DESIGN §8): the statistics of one (series, field, bucket) — count, sum, min,
// max, first and last of its resolved points — in the same shape as a chunk block's statistics,
// so a query folds a rollup bucket exactly as it folds a clean block (FieldScanConsumer::
// TakeBlockStats). Buckets are [k * interval, (k + 1) * interval) since the Unix epoch.
// Encoding of a bucket (the value of a catalog rollup row): docs/format/catalog.md.
// Thread-safety: pure functions.

#include <cstdint>
#include <functional>
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

std::string EncodeRollupBucket(const RollupBucket& bucket);
// False if `in` is not an encoded bucket.
bool DecodeRollupBucket(std::string_view in, RollupBucket* bucket);

// Calls emit for each non-empty bucket of `points` (sorted by valid time, one version per
// point, no tombstone: a resolved column), in bucket order.
void ForEachRollupBucket(const VersionColumn& points, int64_t interval_ns,
                         const std::function<void(int64_t start, const RollupBucket&)>& emit);

}  // namespace strata::engine
