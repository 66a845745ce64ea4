#pragma once

// ChunkReader: an open chunk file (format: engine/chunk/chunk_format.h). Open() reads and
// verifies the footer and index; blocks are read on demand and verified against their checksum
// before they are decoded. Every corruption is an error naming the file and the block, never a
// wrong answer.
// Thread-safety: immutable after Open; all methods are const and thread-safe. Shared by
// snapshots through shared_ptr.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/chunk/chunk_format.h"
#include "engine/partition.h"
#include "engine/types.h"
#include "engine/version_column.h"
#include "util/env.h"
#include "util/status.h"

namespace strata::engine::chunk {

// The entries view arrays the reader owns (one per file, not one per series or field: an open
// file's index stays in memory, and a flush of many series opens thousands of small ones).
struct FieldEntry {
  std::string_view name;  // one copy per distinct name in the file
  FieldType type;
  std::span<const BlockRef> blocks;
};

struct SeriesEntry {
  SeriesId id;
  std::string key;
  std::span<const TimeBlockRef> time_blocks;  // times shared by its fields' blocks (version 3)
  std::span<const FieldEntry> fields;         // ascending name
};

class ChunkReader {
 public:
  // env must outlive the reader.
  static Result<std::shared_ptr<ChunkReader>> Open(Env& env, const std::string& path);

  const std::string& path() const { return path_; }
  const PartitionKey& partition() const { return partition_; }
  uint64_t size_bytes() const { return size_; }
  const std::vector<SeriesEntry>& series() const { return series_; }
  const SeriesEntry* FindSeries(SeriesId series) const;
  const FieldEntry* Find(SeriesId series, std::string_view field) const;

  // Appends the rows of block `index` of field to *out (whose type must match the field's),
  // reading the series' time block too when the block shares its times.
  Status ReadBlock(const SeriesEntry& series, const FieldEntry& field, size_t index,
                   VersionColumn* out) const;

  // Reads and checks every block; returns the first error (file and block named).
  Status VerifyAllBlocks() const;

 private:
  ChunkReader(std::string path, std::unique_ptr<RandomAccessFile> file, uint64_t size);
  Status ParseIndex(std::string_view index, uint32_t version);
  std::string_view InternName(std::string_view name);
  // Reads, checks and decompresses a stored block. Errors do not name the block.
  Status ReadStored(const StoredBlock& block, std::string* raw) const;
  Status BlockError(const SeriesEntry& series, const FieldEntry& field, size_t index,
                    const std::string& what) const;

  const std::string path_;
  const std::unique_ptr<RandomAccessFile> file_;
  const uint64_t size_;
  PartitionKey partition_;
  std::vector<SeriesEntry> series_;  // ascending id
  std::vector<FieldEntry> fields_;   // every series' fields, series after series
  std::vector<BlockRef> blocks_;     // every field's blocks, field after field
  std::vector<TimeBlockRef> time_blocks_;
  // Distinct field names, looked up by string_view.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_set<std::string, NameHash, std::equal_to<>> names_;
};

}  // namespace strata::engine::chunk
