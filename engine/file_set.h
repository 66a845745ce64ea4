#pragma once

// The file set: the chunk files of every partition as the catalog records them (DESIGN §4, §8).
// A FileSet is immutable once published; a flush or a compaction publishes a new one. Queries
// and compaction hold a snapshot (a shared_ptr<const FileSet>), which pins every file in it: a
// file that compaction replaced is deleted from disk only when the last snapshot naming it is
// released (ChunkFileHandle). Files left behind by a crash are removed at the next start.
// Thread-safety: FileSet and ChunkFile are immutable after publication and safe to share;
// ChunkFileHandle is thread-safe.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/catalog.h"
#include "engine/chunk/chunk_reader.h"
#include "engine/partition.h"
#include "util/env.h"

namespace strata::engine {

// Owns an open chunk file for as long as any snapshot uses it. Once marked obsolete (its
// catalog entry is gone), the file is removed from disk when the last reference is released.
class ChunkFileHandle {
 public:
  // env must outlive the handle.
  ChunkFileHandle(Env& env, std::shared_ptr<chunk::ChunkReader> reader);
  ~ChunkFileHandle();  // closes the file; removes it if obsolete (a failure is logged)
  ChunkFileHandle(const ChunkFileHandle&) = delete;
  ChunkFileHandle& operator=(const ChunkFileHandle&) = delete;

  // The catalog no longer names this file: delete it once unused. Call after the catalog commit.
  void MarkObsolete() { obsolete_.store(true, std::memory_order_release); }
  bool obsolete() const { return obsolete_.load(std::memory_order_acquire); }
  const std::shared_ptr<chunk::ChunkReader>& reader() const { return reader_; }

 private:
  Env& env_;
  std::shared_ptr<chunk::ChunkReader> reader_;
  std::atomic<bool> obsolete_{false};
};

// One chunk file in a file set. `reader` shares ownership with `handle` (aliasing shared_ptr),
// so whoever holds either keeps the file on disk.
struct ChunkFile {
  ChunkFileMeta meta;
  std::shared_ptr<chunk::ChunkReader> reader;
  std::shared_ptr<ChunkFileHandle> handle;

  // Wraps a freshly opened reader.
  static ChunkFile Make(Env& env, const ChunkFileMeta& meta,
                        std::shared_ptr<chunk::ChunkReader> reader);
};

// Immutable file set, replaced as a whole when a flush or compaction commits. Within a
// partition, files are in flush order: their system-time ranges ascend and do not overlap (a
// compaction output takes the place of the first file it replaced).
struct FileSet {
  std::map<PartitionKey, std::vector<ChunkFile>> partitions;
};

}  // namespace strata::engine
