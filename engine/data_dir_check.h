#pragma once

// VerifyDataDir: proves a stopped data directory intact, or names every problem (DESIGN §9,
// `strata verify`). It checks, reading everything and writing nothing:
//   - the catalog: opens read-only, every RocksDB block checksum;
//   - every chunk file the catalog names: exists, has the recorded size, footer and index
//     checksums, the partition it says it belongs to, every block's checksum, and as many
//     points as the catalog records;
//   - no other file under chunks/ (an unreferenced file: an interrupted flush or compaction
//     left it, or it was copied in by hand);
//   - the WAL: every record of every segment has a good length and checksum, system times
//     increase, and records the checkpoint does not cover decode as write batches. A torn or
//     corrupt tail is a problem (the next start would cut it).
// Thread-safety: a pure function of the directory; the directory must not be open in a stratad
// (the LOCK file is taken for the duration, so a running server is reported, not raced).

#include <cstdint>
#include <string>
#include <vector>

#include "util/env.h"
#include "util/status.h"

namespace strata::engine {

struct DataDirReport {
  std::vector<std::string> problems;  // each names the file (and block, segment, offset)
  uint64_t series = 0;
  uint64_t catalog_files = 0;  // chunk files the catalog names
  uint64_t chunk_bytes = 0;    // bytes of those that were read
  uint64_t blocks = 0;         // blocks whose checksum was checked
  uint64_t points = 0;
  uint64_t wal_segments = 0;
  uint64_t wal_records = 0;
  uint64_t wal_bytes = 0;
  bool ok() const { return problems.empty(); }
};

// Problems with the directory's contents are in the report; the returned status fails only when
// the directory cannot be checked at all (not a data directory, locked by a running stratad).
Result<DataDirReport> VerifyDataDir(Env& env, const std::string& data_dir);

}  // namespace strata::engine
