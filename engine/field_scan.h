#pragma once

// The batch interface of a scan over one (series, field): resolved points arrive in valid-time
// order as parallel arrays, and a chunk block whose points no other version can shadow is first
// offered as its statistics, so aggregates can skip decoding it (DESIGN §4, issue 4 item 5).
// Thread-safety: a consumer is used by one scan at a time, on the scanning thread.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/chunk/chunk_format.h"
#include "engine/types.h"
#include "util/status.h"

namespace strata::engine {

// Resolved points; the arrays are valid only during TakePoints.
struct PointBatch {
  FieldType type = FieldType::kFloat;
  const int64_t* valid_ns = nullptr;
  const uint64_t* bits = nullptr;        // value bits by type, as VersionColumn::bits
  const std::string* strings = nullptr;  // kString only
  size_t size = 0;
};

class FieldScanConsumer {
 public:
  virtual ~FieldScanConsumer() = default;

  // Offered for a block lying wholly inside the scan's range whose rows are exactly its visible
  // points as of the scan: one version per valid time, no tombstone, every system time <= AS OF,
  // and no row of any other block or memtable within its valid-time range. Return true when the
  // statistics suffice; the block is then not read.
  virtual bool TakeBlockStats(FieldType /*type*/, const chunk::BlockStats& /*stats*/) {
    return false;
  }

  virtual void TakePoints(const PointBatch& batch) = 0;
};

// What one statement reads: the file set, the memtables and the oldest time kept, taken
// together (engine.h; opaque outside the engine).
struct ReadView;
class RollupRowCursor;  // engine/catalog.h

// The earliest or latest point of one scan. Clean blocks offer their stored first and last
// values (chunk format v2), so finding the edge decodes nothing but unclean blocks.
class EdgePointConsumer : public FieldScanConsumer {
 public:
  explicit EdgePointConsumer(bool latest) : latest_(latest) {}
  bool TakeBlockStats(FieldType block_type, const chunk::BlockStats& stats) override {
    if (block_type == FieldType::kString || (stats.flags & chunk::BlockStats::kFirstLast) == 0) {
      return false;
    }
    type = block_type;
    Offer(latest_ ? stats.max_valid_ns : stats.min_valid_ns,
          latest_ ? stats.last_bits : stats.first_bits, nullptr);
    return true;
  }
  void TakePoints(const PointBatch& batch) override {
    if (batch.size == 0) return;
    type = batch.type;
    const size_t i = latest_ ? batch.size - 1 : 0;
    Offer(batch.valid_ns[i], batch.bits[i], batch.strings ? &batch.strings[i] : nullptr);
  }
  // Takes (t, b, s) if it lies beyond the edge found so far.
  void Offer(int64_t t, uint64_t b, const std::string* s) {
    if (found && (latest_ ? t <= time : t >= time)) return;
    found = true;
    time = t;
    bits = b;
    if (s != nullptr) text = *s;
  }

  bool found = false;
  FieldType type = FieldType::kFloat;  // of the points seen
  int64_t time = 0;
  uint64_t bits = 0;    // as PointBatch::bits
  std::string text;     // kString

 private:
  const bool latest_;
};

// What the scans of one statement share: the view they all read, counters of what they read (for EXPLAIN) and the
// statement's limits. Counters are summed over the (series, field) scans of a query, so a
// partition or file that several series share counts once per scan that opened (or pruned) it;
// blocks and memtable rows belong to one (series, field) and count once.
// Thread-safety: used by one statement on one thread.
struct ScanContext {
  uint64_t scans = 0;              // (series, field) scans that consulted the file set
  uint64_t partitions_read = 0;    // of the series' region, on a day the range touches
  uint64_t partitions_pruned = 0;  // the rest of the file set: another region or day
  uint64_t files_read = 0;         // in a read partition, holding the (series, field)
  uint64_t files_pruned = 0;       // outside the time range or newer than AS OF
  uint64_t blocks_skipped = 0;     // outside the time range or newer than AS OF
  uint64_t blocks_decoded = 0;
  uint64_t blocks_from_stats = 0;
  uint64_t memtable_rows = 0;
  uint64_t last_value_hits = 0;   // (series, field) answered by the last-value cache
  uint64_t last_value_fills = 0;  // cache misses: scanned once for the newest point
  uint64_t rollup_buckets = 0;     // (series, field, bucket) answered by a rollup row
  uint64_t rollup_raw_scans = 0;   // scans of a rollup read's raw parts (ends, memtable buckets)
  uint64_t rollup_cache_hits = 0;  // (series, field) whose rollup rows came from RollupCache
  // The rollup the statement reads (empty: none), and the cursor its reads share (made by the
  // first). Not summed by +=.
  std::string rollup;
  std::shared_ptr<RollupRowCursor> rollup_cursor;

  // Taken by the statement's first ScanFieldBatches and read by all the others, so every
  // (series, field) of one statement sees the same files and the same retention bound: a
  // partition dropped meanwhile is seen by all of them or by none. Holding it pins its files
  // and memtables until the statement ends. Not summed by +=.
  std::shared_ptr<const ReadView> view;

  // Limits. A scan past the deadline stops with ResourceExhausted "query timed out".
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Bytes the statement holds beyond its scans' own buffers (values kept for medians, window
  // streams, buckets): executors Charge what they keep; past memory_limit_bytes (0: none) the
  // statement fails with ResourceExhausted.
  uint64_t memory_limit_bytes = 0;
  uint64_t memory_bytes = 0;

  // Counts bytes the statement now holds; false once they pass the limit.
  bool Charge(uint64_t bytes) {
    memory_bytes += bytes;
    return memory_limit_bytes == 0 || memory_bytes <= memory_limit_bytes;
  }
  // Bytes the statement no longer holds.
  void Release(uint64_t bytes) { memory_bytes -= std::min(bytes, memory_bytes); }
  bool OverMemory() const { return memory_limit_bytes != 0 && memory_bytes > memory_limit_bytes; }

  ScanContext& operator+=(const ScanContext& o) {
    scans += o.scans;
    partitions_read += o.partitions_read;
    partitions_pruned += o.partitions_pruned;
    files_read += o.files_read;
    files_pruned += o.files_pruned;
    blocks_skipped += o.blocks_skipped;
    blocks_decoded += o.blocks_decoded;
    blocks_from_stats += o.blocks_from_stats;
    memtable_rows += o.memtable_rows;
    last_value_hits += o.last_value_hits;
    last_value_fills += o.last_value_fills;
    rollup_buckets += o.rollup_buckets;
    rollup_raw_scans += o.rollup_raw_scans;
    rollup_cache_hits += o.rollup_cache_hits;
    return *this;
  }
};

// ResourceExhausted "query memory limit exceeded: it holds <n> MiB, the limit is <m> MiB
// (stratad --query-memory)".
Status MemoryExceeded(const ScanContext& context);

}  // namespace strata::engine
