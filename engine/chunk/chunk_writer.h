#pragma once

// ChunkWriter: writes one immutable chunk file of one partition (DESIGN §4) to a temporary
// path; Finish() fsyncs it. The caller renames it into place and records it in the catalog.
// Columns must come in ascending series id, then ascending field name, each sorted by
// (valid time, system time) as SortVersions leaves them. The first field of a series writes its
// valid and system times as the series' time blocks; a later field's block whose times equal
// the time block at the same position refers to it instead of storing them again.
// Thread-safety: single-threaded.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/chunk/chunk_format.h"
#include "engine/codec/block_compressor.h"
#include "engine/codec/codec.h"
#include "engine/partition.h"
#include "engine/types.h"
#include "engine/version_column.h"
#include "util/env.h"
#include "util/status.h"

namespace strata::engine::chunk {

struct ChunkSummary {
  uint64_t size_bytes = 0;
  uint64_t points = 0;  // versions written
  uint64_t blocks = 0;
  int64_t min_valid_ns = 0, max_valid_ns = 0;
  int64_t min_system_ns = 0, max_system_ns = 0;
};

// The statistics of rows [begin, end) of a column sorted by valid time, as a block stores them
// (count, sum, min, max, first, last and the flags saying which are exact). Rollup buckets are
// computed the same way, so the query engine treats both alike.
BlockStats ComputeBlockStats(const VersionColumn& column, size_t begin, size_t end);

class ChunkWriter {
 public:
  // A series' first field keeps at most this many rows of times for later fields to compare
  // against (4 MiB); a longer column's later blocks store their own times.
  static constexpr size_t kMaxAnchorRows = size_t{1} << 18;

  // env must outlive the writer. Blocks are compressed with `compression`: LZ4 for flushes
  // (fast), Zstandard at zstd_level for compaction outputs (small); DESIGN §4. The column
  // encoders follow: EncodeEffort::kSmall with Zstandard, kFast otherwise.
  // format_version is kFormatVersion, or 2 (no time blocks: what older builds read; tests).
  static Result<std::unique_ptr<ChunkWriter>> Create(Env& env, const std::string& path,
                                                     PartitionKey partition,
                                                     codec::Compression compression,
                                                     int zstd_level = 3,
                                                     uint32_t format_version = kFormatVersion);
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  // Appends one (series, field) column, split into blocks of at most kMaxBlockPoints. A column
  // may come in pieces (consecutive calls for the same series and field, each starting after
  // the valid times of the one before), so a merge need not hold a whole column in memory;
  // blocks never span pieces. InvalidArgument if columns or pieces come out of order.
  Status AddColumn(SeriesId series, std::string_view series_key, std::string_view field,
                   const VersionColumn& column);

  // Bytes written to the file so far (blocks; the index and footer come at Finish).
  uint64_t bytes_written() const { return file_->Size(); }

  // Writes the index and footer, syncs and closes the file.
  Result<ChunkSummary> Finish();

 private:
  struct FieldIndex {
    std::string name;
    FieldType type;
    std::vector<BlockRef> blocks;
  };
  struct SeriesIndex {
    SeriesId id;
    std::string key;
    std::vector<TimeBlockRef> time_blocks;
    std::vector<FieldIndex> fields;
  };
  // The current series' time blocks: where each one's rows are in anchor_valid_/anchor_system_.
  struct AnchorRange {
    size_t begin, count;
  };

  ChunkWriter(std::unique_ptr<WritableFile> file, PartitionKey partition,
              codec::Compression compression, int zstd_level, uint32_t format_version);
  // Writes rows [begin, end) of column as block number `ordinal` of its field.
  Status WriteBlock(const VersionColumn& column, size_t begin, size_t end, size_t ordinal,
                    BlockRef* ref);
  // The 1-based time block whose times equal rows [begin, end), or 0.
  uint32_t MatchTimeBlock(const VersionColumn& column, size_t begin, size_t end,
                          size_t ordinal) const;
  // Compresses raw_ (falling back to no compression), appends it and fills *where.
  Status StoreRaw(codec::Compression compression, StoredBlock* where);
  // Appends through pending_: one write(2) per block cost a flush of a million three-point
  // blocks a fifth of its time in system calls.
  Status Write(std::string_view bytes);
  static constexpr size_t kWriteBufferBytes = 1 << 20;

  std::unique_ptr<WritableFile> file_;
  const PartitionKey partition_;
  const codec::Compression compression_;
  const int zstd_level_;
  const codec::EncodeEffort effort_;
  const uint32_t format_version_;
  std::vector<SeriesIndex> index_;
  std::vector<int64_t> anchor_valid_, anchor_system_;  // the current series' time blocks' rows
  std::vector<AnchorRange> anchor_ranges_;
  ChunkSummary summary_;
  std::string raw_, stored_, scratch_, times_;  // reused per block
  std::string pending_;                 // written bytes not yet appended to file_
};

}  // namespace strata::engine::chunk
