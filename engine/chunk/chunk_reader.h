#pragma once

// ChunkReader: an open chunk file (format: engine/chunk/chunk_format.h). Open() reads and
// verifies the footer and index; blocks are read on demand and verified against their checksum
// before they are decoded. Every corruption is an error naming the file and the block, never a
// wrong answer.
// Thread-safety: immutable after Open; all methods are const and thread-safe. Shared by
// snapshots through shared_ptr.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chunk/chunk_format.h"
#include "engine/partition.h"
#include "engine/types.h"
#include "engine/version_column.h"
#include "util/env.h"
#include "util/status.h"

namespace strata::engine::chunk {

struct FieldEntry {
  std::string name;
  FieldType type;
  std::vector<BlockRef> blocks;
};

struct SeriesEntry {
  SeriesId id;
  std::string key;
  std::vector<TimeBlockRef> time_blocks;  // times shared by its fields' blocks (version 3)
  std::vector<FieldEntry> fields;         // ascending name
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
  // Reads, checks and decompresses a stored block. Errors do not name the block.
  Status ReadStored(const StoredBlock& block, std::string* raw) const;
  Status BlockError(const SeriesEntry& series, const FieldEntry& field, size_t index,
                    const std::string& what) const;

  const std::string path_;
  const std::unique_ptr<RandomAccessFile> file_;
  const uint64_t size_;
  PartitionKey partition_;
  std::vector<SeriesEntry> series_;  // ascending id
};

}  // namespace strata::engine::chunk
