#pragma once

// Catalog: the data directory's metadata in RocksDB (DESIGN §5) — series ids, the tag inverted
// index, field types, the chunk files of every partition, the WAL checkpoint and the
// system-time high-water mark. Never a row per point. Every change to the file set is one
// atomic, synced write batch. These are the only files that include RocksDB headers.
// Format of keys and values: docs/format/catalog.md v1.
// Thread-safety: thread-safe (RocksDB is); a CatalogBatch is single-threaded.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/types.h"
#include "util/status.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace strata::engine {

// One chunk file as the catalog records it.
struct ChunkFileMeta {
  std::string region;
  std::string date;  // yyyy-mm-dd
  uint64_t file_id = 0;
  uint64_t size_bytes = 0;
  uint64_t points = 0;
  int64_t min_valid_ns = 0, max_valid_ns = 0;
  int64_t min_system_ns = 0, max_system_ns = 0;
};

// A rollup (DESIGN §8): count, sum, min, max, first and last of every numeric field of a
// measurement's series, per bucket of interval_ns aligned to the Unix epoch.
struct RollupDef {
  uint64_t id = 0;  // names its rows; never reused
  std::string name;
  std::string measurement;
  int64_t interval_ns = 0;
  int64_t created_system_ns = 0;  // the system time its rows were first built as of
};

struct SeriesRecord {
  SeriesId id;
  std::string key;
};

// Everything the catalog holds, as read at start-up.
struct CatalogState {
  std::string partition_tag;
  int64_t checkpoint_ns = 0;       // every WAL record with system time <= this is in chunk files
  int64_t high_water_ns = 0;       // greatest system time ever handed out, as of the last flush
  uint64_t next_file_id = 1;
  std::vector<SeriesRecord> series;  // ascending id
  std::vector<std::pair<std::string, std::pair<std::string, FieldType>>> fields;  // (m, (f, t))
  std::vector<ChunkFileMeta> files;
  std::vector<RollupDef> rollups;  // by name
  uint64_t next_rollup_id = 1;
};

// A consistent read point of the catalog (a RocksDB snapshot), for reading rollup rows as they
// were when a statement took its view. Released when the last holder lets go; the catalog must
// outlive it.
class CatalogSnapshot;

// An iterator over rollup rows as of a snapshot (Catalog::NewRollupCursor). Single-threaded.
class RollupRowCursor;

class CatalogBatch;

class Catalog {
 public:
  // Opens (creating if missing) the catalog in dir. partition_tag is recorded on creation; an
  // existing catalog keeps its own, and a different non-empty request is InvalidArgument.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& dir,
                                               const std::string& partition_tag);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Opens an existing catalog without writing to it (strata verify, backups): Commit fails.
  // NotFound if dir holds no catalog.
  static Result<std::unique_ptr<Catalog>> OpenReadOnly(const std::string& dir);

  Result<CatalogState> Load() const;

  // Reads every block of the catalog's RocksDB files and checks its checksum.
  Status VerifyChecksums() const;

  // Writes a consistent copy of the catalog as it is now into dir (which must not exist), as a
  // RocksDB checkpoint: SST files hard-linked when on the same file system, the rest copied.
  // dir then opens as a catalog of its own (backups, engine/backup.h).
  Status Checkpoint(const std::string& dir) const;

  // Applies the batch atomically and durably (synced write).
  Status Commit(CatalogBatch& batch);

  // Rollup rows (DESIGN §8) are the one part of the catalog that grows with time; Load skips them.
  std::shared_ptr<const CatalogSnapshot> NewSnapshot() const;
  // A rollup row is keyed by (rollup, series, field, start) and holds one segment of buckets
  // (engine/rollup.h); the catalog does not look inside.
  // Visits the rows of (rollup, series, field) with start in [from, to), in start order, as of
  // the snapshot (null: the latest state). value is valid during the call. A visit error stops
  // the walk and is returned.
  Status ForEachRollupRow(const CatalogSnapshot* snapshot, uint64_t rollup_id, SeriesId series,
                          std::string_view field, int64_t from, int64_t to,
                          const std::function<Status(int64_t start, std::string_view value)>&
                              visit) const;
  // The same walk through a cursor that a statement reuses for all its (series, field) reads, so
  // it pays for opening an iterator once. The cursor holds the snapshot; the catalog must outlive
  // it. Single-threaded.
  std::shared_ptr<RollupRowCursor> NewRollupCursor(
      std::shared_ptr<const CatalogSnapshot> snapshot) const;
  static Status ForEachRollupRow(RollupRowCursor& cursor, uint64_t rollup_id, SeriesId series,
                                 std::string_view field, int64_t from, int64_t to,
                                 const std::function<Status(int64_t start, std::string_view value)>&
                                     visit);
  // The latest value of one row; nullopt if there is none.
  Result<std::optional<std::string>> GetRollupRow(uint64_t rollup_id, SeriesId series,
                                                  std::string_view field, int64_t start) const;

  // Whether any row of the rollup id exists (a create that failed before its last commit leaves
  // some behind).
  Result<bool> HasRollupRows(uint64_t rollup_id) const;
  // Moves the rollup's rows into sorted, compacted files, so that reading them merges no
  // memtable or overlapping files: done once after a create wrote them all.
  Status CompactRollupRows(uint64_t rollup_id);

  // Series ids of the tag (measurement, key, value), ascending.
  Result<std::vector<SeriesId>> SeriesWithTag(std::string_view measurement, std::string_view key,
                                              std::string_view value) const;

 private:
  explicit Catalog(std::unique_ptr<rocksdb::DB> db);
  std::unique_ptr<rocksdb::DB> db_;
};

// A set of catalog changes committed together.
class CatalogBatch {
 public:
  CatalogBatch();
  ~CatalogBatch();
  CatalogBatch(const CatalogBatch&) = delete;
  CatalogBatch& operator=(const CatalogBatch&) = delete;

  // A series with its tags, for the key <-> id maps and the tag inverted index.
  void PutSeries(SeriesId id, std::string_view key, std::string_view measurement,
                 const std::vector<std::pair<std::string, std::string>>& tags);
  void PutField(std::string_view measurement, std::string_view field, FieldType type);
  void AddFile(const ChunkFileMeta& file);
  void RemoveFile(const ChunkFileMeta& file);
  void SetCheckpoint(int64_t checkpoint_ns);
  void SetHighWater(int64_t high_water_ns);
  void SetNextFileId(uint64_t next_file_id);
  // Rollups: the definition (which also marks the catalog as format version 2, so older
  // binaries, which would not maintain the rows, refuse it), and its rows.
  void PutRollup(const RollupDef& rollup);
  void SetNextRollupId(uint64_t next_rollup_id);
  // Removes the definition and every row of the rollup.
  void DeleteRollup(const RollupDef& rollup);
  // Every row of a rollup id, defined or not (left over by a create that did not finish).
  void DeleteRollupRows(uint64_t rollup_id);
  void PutRollupRow(uint64_t rollup_id, SeriesId series, std::string_view field, int64_t start,
                    std::string_view value);
  void DeleteRollupRow(uint64_t rollup_id, SeriesId series, std::string_view field,
                       int64_t start);
  // The rows of (rollup, series, field) with start before `start` (retention).
  void DeleteRollupRowsBefore(uint64_t rollup_id, SeriesId series, std::string_view field,
                              int64_t start);
  size_t count() const;
  bool empty() const;

 private:
  friend class Catalog;
  // Moves series_entries_ into batch_, sorted by key.
  void AppendSeriesEntries();

  std::unique_ptr<rocksdb::WriteBatch> batch_;
  // PutSeries's entries enter the batch sorted, at commit: RocksDB's memtable inserts keys in
  // order from a cached position, while a flush's new series in id order land in three key
  // ranges (tags in every order); unsorted, 100,000 new series cost a flush a third of its time.
  std::vector<std::pair<std::string, std::string>> series_entries_;
};

}  // namespace strata::engine
