#pragma once

// Engine: the facade over one data directory (DESIGN §3). Writes are validated, encoded once
// into a WriteBatch, committed to the WAL (which assigns the system time) and applied to the
// active memtable once durable. A memtable past its budget or age is frozen and flushed into one
// chunk file per partition, recorded in the RocksDB catalog with the WAL checkpoint; covered WAL
// segments are then deleted. Reads merge chunk files and memtables with version resolution.
//
// Data directory layout: docs/format/data_dir.md. Source split by concern: engine.cc (open,
// close, stats), engine_recover.cc, engine_write.cc, engine_flush.cc, engine_scan.cc,
// engine_files.cc (file-set swaps for compaction), engine_retention.cc (dropping partitions),
// engine_rollup.cc (rollups).
// Thread-safety: all public methods are thread-safe. Close() once, after every caller is done.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/catalog.h"
#include "engine/chunk/chunk_reader.h"
#include "engine/field_scan.h"
#include "engine/file_set.h"
#include "engine/last_value_cache.h"
#include "engine/line_protocol.h"
#include "engine/memtable.h"
#include "engine/partition.h"
#include "engine/rollup.h"
#include "engine/rollup_cache.h"
#include "engine/schema.h"
#include "engine/series_index.h"
#include "engine/types.h"
#include "engine/write_batch.h"
#include "util/env.h"
#include "util/mutex.h"
#include "util/status.h"
#include "wal/group_commit.h"

namespace strata::engine {

struct EngineOptions {
  std::string data_dir;
  Env* env = Env::Default();  // must outlive the engine
  wal::FsyncPolicy fsync = wal::FsyncPolicy::kAlways;
  std::chrono::milliseconds fsync_interval{1000};
  uint64_t wal_segment_bytes = 64ull << 20;
  uint64_t wal_max_queued_bytes = 64ull << 20;
  // Memory for memtables: the active one is frozen and flushed at a third of it, and writes
  // wait while a frozen one is still flushing and the active one is full again. Columns grow by
  // half when full, so each memtable overshoots its third by at most half: the frozen one and
  // its successor together stay within the budget. 64 MiB because more bought no ingest rate:
  // on the TSBS-like workload 96 and 256 MiB loaded at the same points/s with more peak RSS.
  // At most MemTable::kMaxBudgetBytes (16 GiB): Open refuses more.
  uint64_t memtable_budget_bytes = 64ull << 20;
  // A memtable older than this is flushed even if small (0: never by age).
  std::chrono::milliseconds flush_age{std::chrono::minutes(10)};
  // Tag whose value is a series' region; fixed when the data directory is created (empty: the
  // existing one, or "region" for a new directory).
  std::string partition_tag;
  // Test hook: called at named steps of a flush ("after_write", "after_rename",
  // "after_catalog"); an error return aborts the flush there, as a crash would.
  std::function<Status(std::string_view step)> flush_hook;
  // Retention (DESIGN §8): a partition is kept while its day ends after now - retention (0:
  // keep forever). Points before the first kept day are invisible to reads, rejected by AddLine
  // and dropped by flushes at once; their chunk files go when ApplyRetention drops the
  // partition. Known at Open, so a WAL replay never brings expired points back.
  std::chrono::nanoseconds retention{0};
};

// What a scan reads: taken under the engine's lock in one step, so it is consistent (a file-set
// swap and the retention bound it raises are seen together). Engine-internal; immutable once
// taken, shared by the scans of a statement (ScanContext::view).
struct ReadView {
  std::vector<std::shared_ptr<MemTable>> memtables;
  std::shared_ptr<const FileSet> files;
  // Reads clamp their range to it (retention).
  int64_t oldest_kept_ns = INT64_MIN;
  // Rollup reads only (Engine::BeginRollupRead): the catalog as of the view, so rollup rows and
  // files agree (a flush commits its rollup rows with its files), and the rollups it holds.
  std::shared_ptr<const CatalogSnapshot> catalog;
  std::vector<RollupDef> rollups;
  // The newest visible commit when the view was taken: every commit up to it is in the view.
  int64_t visible_ns = 0;
  // Which RollupCache entries the view may use (engine/rollup_cache.h).
  uint64_t rollup_epoch = 0;
};

// What one ApplyRetention / DropPartitionsBefore call removed.
struct RetentionResult {
  int64_t first_day_kept = 0;  // days since the epoch; partitions before it are gone
  std::vector<PartitionKey> partitions;  // dropped, in (region, day) order
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t versions = 0;
};

struct EngineStats {
  uint64_t series = 0;
  uint64_t memtable_points = 0;
  uint64_t memtable_bytes = 0;
  uint64_t immutable_memtables = 0;
  uint64_t commits = 0;
  int64_t last_system_time_ns = 0;
  uint64_t recovered_records = 0;
  uint64_t recovered_truncated_bytes = 0;
  uint64_t flushes = 0;
  // Commits that waited for memtable space (a flush behind the writes), and for how long in
  // total, since Open: a write stall in RocksDB's terms.
  uint64_t write_stalls = 0;
  uint64_t write_stall_ns = 0;
  uint64_t partitions = 0;
  uint64_t chunk_files = 0;
  uint64_t chunk_bytes = 0;
  uint64_t chunk_versions = 0;  // versions (rows) stored in chunk files
  uint64_t max_files_per_partition = 0;
  int64_t checkpoint_ns = 0;
  // Retention: the period (0: keep forever), the first valid time kept now (INT64_MIN when
  // keeping forever), and what drops removed since Open.
  int64_t retention_ns = 0;
  int64_t oldest_kept_ns = INT64_MIN;
  uint64_t partitions_dropped = 0;
  uint64_t files_dropped = 0;
  uint64_t bytes_dropped = 0;
  // Rollups: how many, and the system time their rows reflect (the checkpoint: newer commits
  // are still in memtables, from which queries read the buckets they touch).
  uint64_t rollups = 0;
  int64_t rollup_system_time_ns = 0;
};

class Engine {
 public:
  // Creates the data directory if needed, locks it (Unavailable if another process holds it),
  // opens the catalog and chunk files, removes files the catalog does not name, replays the WAL
  // after the checkpoint, and starts the WAL writer and the flush thread.
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Checks the line's field types against the schema (registering new fields) and appends it to
  // batch with its timestamp, or default_time_ns when it has none. InvalidArgument on a type
  // conflict, or when the point is older than the retention period (its time is before
  // OldestKeptNs()); the batch is then unchanged. memo (optional, the writer's own) skips the
  // schema lookups of a line with the same measurement and fields as the last one it checked.
  Status AddLine(const ParsedLine& line, int64_t default_time_ns, WriteBatch* batch,
                 SchemaMemo* memo = nullptr);

  // Commits batch as one WAL record and empties it. Returns the commit's system time at once;
  // the points become visible when the record is durable (see WaitForCommit). Blocks while the
  // WAL queue or the memtable budget is full (backpressure). Fails with the stored error after
  // a WAL failure.
  Result<SystemTime> Commit(WriteBatch* batch);

  // Blocks until every commit up to t is durable (per the fsync policy) and visible.
  Status WaitForCommit(SystemTime t);

  // The newest system time whose commit is visible: AS OF it sees everything acknowledged.
  SystemTime LastVisibleTime() const;

  // Freezes the active memtable and returns once its chunk files are in the catalog.
  Status Flush();

  // Resolved points of one field of one series with valid time in [min_ns, max_ns) (max_ns ==
  // kNoEndNs: unbounded), as known at as_of, from chunk files and memtables. Corruption names
  // the file and block.
  Status ScanField(SeriesId series, std::string_view field, int64_t min_ns, int64_t max_ns,
                   SystemTime as_of, const PointVisitor& visit) const;

  // The same points as ScanField, in batches, with clean chunk blocks offered as statistics
  // first (engine/field_scan.h). counters (optional) accumulates what was read, for EXPLAIN,
  // and carries the statement's view: the first scan sets it, later ones read it.
  Status ScanFieldBatches(SeriesId series, std::string_view field, int64_t min_ns, int64_t max_ns,
                          SystemTime as_of, FieldScanConsumer& consumer,
                          ScanContext* counters = nullptr) const;

  // Every version (DESIGN §7 VERSIONS) of one field of one series with valid time in
  // [min_ns, max_ns) and system time <= as_of, in (valid time, system time) order.
  Status ScanFieldVersions(SeriesId series, std::string_view field, int64_t min_ns,
                           int64_t max_ns, SystemTime as_of,
                           const std::function<void(const VersionView&)>& visit) const;

  // The newest visible point of one field of one series, as of now (nullopt: none), from the
  // last-value cache (engine/last_value_cache.h); a miss scans once and fills the cache.
  // context (optional) counts cache hits and fills, for EXPLAIN, and bounds the scan.
  Result<std::optional<LastPoint>> LastPointOf(SeriesId series, std::string_view field,
                                               ScanContext* context = nullptr) const;

  const SeriesIndex& series_index() const { return series_; }
  const Schema& schema() const { return schema_; }
  const std::string& partition_tag() const { return partition_tag_; }
  // The region of a series: its partition-tag value, or "_".
  std::string_view RegionOf(const SeriesInfo& series) const;
  EngineStats Stats() const;
  // The chunk files of the current file set (what the catalog records), by partition in
  // (region, day) order, then in flush order. Data still in memtables is in none of them.
  std::vector<ChunkFileMeta> ChunkFiles() const;
  int64_t NowNanos() const { return options_.env->NowNanos(); }
  // The file-system interface the engine uses (outlives the engine).
  Env& env() const { return *options_.env; }

  // ---- Retention (engine_retention.cc, DESIGN §8) ----
  // A partition (region, day) expires once its whole day is older than the retention period:
  // day end <= now - retention. So the first valid time kept is the start of the day holding
  // now - retention. Reads clamp their range to it, so an expired day is invisible at once, whole
  // — also the part still in a memtable — even before ApplyRetention removes its files.

  // The first valid time kept: the later of the start of DayOf(now - retention) and the start of
  // the first day kept by the last drop; INT64_MIN when nothing was ever dropped and retention
  // is 0. Never decreases while the engine is open (a wall clock stepping back does not bring
  // expired data back).
  int64_t OldestKeptNs() const;
  std::chrono::nanoseconds retention() const { return options_.retention; }

  // Drops every partition whose day is before `day`: one catalog batch removes all their files,
  // then the in-memory file set is swapped under the engine's lock, together with raising the
  // oldest time kept to the start of `day` (so a reader sees either all of a partition or none,
  // and memtable rows of the dropped days are hidden from then on and never flushed). The files
  // are deleted from disk once no snapshot (FileSetSnapshot, a running query) holds them.
  // Serialized with flushes and ReplaceFiles; thread-safe. A failure before the catalog commit
  // changes nothing on disk (the rows stay hidden; a later call retries).
  Result<RetentionResult> DropPartitionsBefore(int64_t day);
  // DropPartitionsBefore(DayOf(now_ns - retention)); nothing when retention is 0.
  Result<RetentionResult> ApplyRetention(int64_t now_ns);

  // ---- Rollups (engine_rollup.cc, DESIGN §8) ----
  // A rollup keeps, per (series, numeric field, bucket of interval_ns), the statistics of the
  // bucket's points (engine/rollup.h) in the catalog. Its rows reflect the chunk files: built
  // from them when created, and rewritten for every bucket a flush touches, in the flush's own
  // catalog batch — so a late write, a correction or a delete updates its buckets when its
  // memtable is flushed. Until then the buckets it touches are read from raw data.

  // Builds the rollup from the chunk files and records it. Flushes wait meanwhile (writes go on
  // into the memtable until its budget is full). InvalidArgument for an empty name or a
  // non-positive interval or a name already taken.
  Result<RollupDef> CreateRollup(std::string_view name, std::string_view measurement,
                                 int64_t interval_ns);
  // Removes the rollup and its rows. NotFound if there is none by that name.
  Status DropRollup(std::string_view name);
  // Every rollup, by name.
  std::vector<RollupDef> Rollups() const;
  // For a statement that may read rollups, before any of its scans: takes its view
  // (ScanContext::view) together with a snapshot of the rollup rows and returns the rollups of
  // `measurement` it can read, and the system time the statement must read as of (the view's
  // newest visible commit: rollup rows and raw parts then agree). Returns no rollup and takes
  // nothing when the statement already has a view or the measurement has no rollup.
  struct RollupRead {
    std::vector<RollupDef> rollups;
    SystemTime as_of;
  };
  RollupRead BeginRollupRead(std::string_view measurement, ScanContext* context) const;
  // The same points as ScanFieldBatches(series, field, min_ns, max_ns, as_of), where each bucket
  // of `rollup` lying wholly in the range and untouched by the view's memtables comes as its
  // statistics (TakeBlockStats) instead; the rest — partial buckets at the ends, buckets with
  // memtable rows, buckets the consumer refuses as statistics — is scanned. as_of must be the
  // view's latest visible time or later (rollups know no history). Needs BeginRollupRead's view
  // with this rollup in it (InvalidArgument otherwise).
  Status ScanFieldRollup(const RollupDef& rollup, SeriesId series, std::string_view field,
                         int64_t min_ns, int64_t max_ns, SystemTime as_of,
                         FieldScanConsumer& consumer, ScanContext* context) const;

  // ---- File-set access for compaction (compaction/, DESIGN §8) ----
  // The engine never blocks writes, flushes or queries for a merge: a compaction reads from a
  // snapshot, writes its files on its own, and only ReplaceFiles takes the engine's lock, for
  // the short swap of the in-memory file set.

  // The current file set. Holding it pins its files: they stay open and on disk (even once a
  // compaction replaced them) until the last holder releases them. Readers are thread-safe.
  std::shared_ptr<const FileSet> FileSetSnapshot() const;

  // Where a new chunk file of `partition` goes: a fresh file id (never handed out twice for one
  // data directory), the final path, and the temporary path to write and fsync it under before
  // renaming it to `path`. Creates the partition directory. IOError if that fails.
  struct NewChunkFile {
    uint64_t file_id = 0;
    std::string path;
    std::string tmp_path;
  };
  Result<NewChunkFile> ReserveChunkFile(const PartitionKey& partition);

  // Atomically replaces the files `replaced_file_ids` of `partition` by `added` (files already
  // renamed into place and synced, metadata as the catalog records it; may be empty): one
  // catalog batch removes the old and records the new, then the in-memory file set is rebuilt
  // from the current one (files a flush added meanwhile are kept) and swapped under the
  // engine's lock. The replaced files are deleted once no snapshot uses them. InvalidArgument
  // if a replaced file is not in the current file set (nothing changes then); a failure before
  // the catalog commit leaves the old files in place, and `added` files become orphans that the
  // next start removes. Serialized with other replacements; thread-safe.
  Status ReplaceFiles(const PartitionKey& partition, const std::vector<uint64_t>& replaced_file_ids,
                      const std::vector<ChunkFileMeta>& added);

  // ---- Backups (engine_backup.cc; the backup directory itself is engine/backup.h) ----

  // A consistent image of the data directory, taken without pausing writes. Under the lock that
  // serializes catalog commits (so no flush, compaction or partition drop commits meanwhile, and
  // no WAL segment the catalog still needs is deleted), it records the newest visible system
  // time, checkpoints the catalog into staging_dir/catalog, and hard-links (or, across file
  // systems, copies) every chunk file the catalog names and every WAL segment into
  // staging_dir/chunks and staging_dir/wal under their data-directory names. Once staged, the
  // files cannot change or vanish with the live directory. The staged WAL's newest segment may
  // hold records after system_time_ns (it was still growing): the backup keeps whole records up
  // to it only. staging_dir must not exist and should be under BackupStagingRoot() (same file
  // system, cleared at Open). Thread-safe.
  struct BackupImage {
    int64_t system_time_ns = 0;
    int64_t checkpoint_ns = 0;        // the catalog's: WAL records after it are not in chunks
    std::vector<std::string> files;   // paths relative to staging_dir, sorted
  };
  Result<BackupImage> StageBackup(const std::string& staging_dir);
  // <data_dir>/backup-staging: removed with everything in it when the engine opens.
  std::string BackupStagingRoot() const;

  // Stops the flush thread, syncs and closes the WAL; later writes fail with Unavailable.
  // Data still in memtables stays in the WAL for the next start. Idempotent.
  Status Close();

 private:
  using Snapshot = ReadView;

  explicit Engine(const EngineOptions& options);
  // engine_recover.cc
  Status Recover();
  Status LoadCatalog(int64_t* checkpoint_ns, int64_t* high_water_ns);
  Status RemoveOrphanFiles(const FileSet& files);
  Status ReplayWal(int64_t checkpoint_ns, int64_t* last_system_time_ns);
  // engine_write.cc
  void OnCommitted(const Status& status, int64_t system_time_ns, std::string_view payload,
                   std::span<const SeriesId> series_by_number);
  // engine_flush.cc
  void FlushLoop();
  // Writes the frozen memtable's chunk files and commits them; *committed tells whether the
  // catalog commit happened (after it, a failure must not lead to a second flush of the data).
  Status FlushMemTable(const MemTable& frozen, int64_t checkpoint_ns, bool* committed);
  // The share of one flush worker: the chunk files of some regions' partitions (defined in
  // engine_flush.cc).
  struct FlushPart;
  // What every part of one flush reads.
  struct FlushInputs {
    const MemTable* frozen;
    const Snapshot* on_disk;
    const std::vector<RollupDef>* rollups;
    int64_t oldest_kept_ns;
    CatalogBatch* batch;  // for rollup rows: a flush with rollups has a single part
  };
  // Splits the frozen memtable's regions over at most two parts of about equal points.
  std::vector<FlushPart> SplitFlush(const FlushInputs& in) const;
  // Writes the part's chunk files and syncs them, under temporary names; sets part->status.
  void WriteFlushPart(const FlushInputs& in, FlushPart* part);
  std::string ChunkDir(const PartitionKey& partition) const;
  // engine_retention.cc
  void RaiseOldestKept(int64_t ns) const;
  // The rollup rows of the days before `day` (called with drop_mu_ held, after the swap).
  void DropExpiredRollupRows(int64_t day);
  // engine_rollup.cc
  struct RollupScratch {
    VersionColumn rows, points;
    // Buckets computed and not yet written; nullopt: the bucket has no point (any more).
    std::map<int64_t, std::optional<RollupBucket>> changes;
  };
  // Adds to scratch->changes the buckets in [lo, hi) (bucket-aligned) of (series, field) as the
  // files of `on_disk` plus `fresh` (rows sorted by valid time, may be null) resolve them; with
  // record_empty, also the buckets left without points.
  Status ComputeRollupBuckets(const RollupDef& rollup, const Snapshot& on_disk,
                              const SeriesInfo& info, const std::string& field,
                              const VersionColumn* fresh, int64_t lo, int64_t hi,
                              bool record_empty, RollupScratch* scratch) const;
  // Writes the segments of scratch->changes that start before `before` into batch and drops
  // those changes; with merge, over the segments' stored buckets.
  Status WriteRollupSegments(const RollupDef& rollup, const SeriesInfo& info,
                             const std::string& field, int64_t before, bool merge,
                             RollupScratch* scratch, CatalogBatch* batch) const;
  // Flush: the rollup buckets the frozen column `sorted` touches.
  Status PutFlushedRollupBuckets(const std::vector<RollupDef>& rollups, const Snapshot& on_disk,
                                 const SeriesInfo& info, const std::string& field,
                                 const VersionColumn& sorted, RollupScratch* scratch,
                                 CatalogBatch* batch) const;
  // The rollup rows of (rollup, series, field) from the cache, read through the statement's
  // cursor on a miss; null when there are too many to cache (read them by range then).
  Result<std::shared_ptr<const RollupCache::Rows>> CachedRollupRows(const RollupDef& rollup,
                                                                    const SeriesInfo& info,
                                                                    std::string_view field,
                                                                    const ReadView& view,
                                                                    ScanContext* context) const;
  // Fills the view's memtables, files and retention bound (under mu_).
  void FillView(ReadView* view) const EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static Status RetentionRejection(int64_t time_ns, int64_t oldest_kept_ns,
                                   std::chrono::nanoseconds retention);
  std::string ChunkPath(const PartitionKey& partition, uint64_t file_id) const;
  // engine_scan.cc
  Snapshot GetSnapshot() const;
  // Collects every version row of (series, field) in [min_ns, max_ns) known at as_of_ns from
  // the snapshot's files and memtables into *out (sorted runs, one per source).
  Status CollectVersions(const Snapshot& snapshot, const SeriesInfo& info,
                         std::string_view field, int64_t min_ns, int64_t max_ns,
                         int64_t as_of_ns, VersionColumn* out) const;

  // Immutable after Open.
  const EngineOptions options_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<wal::WalWriter> wal_;
  std::string partition_tag_;

  // Internally synchronized.
  SeriesIndex series_;
  Schema schema_;
  mutable LastValueCache last_values_;
  mutable RollupCache rollup_cache_{64ull << 20};

  // Held by the WAL thread while it applies a commit, and by a flush while it swaps memtables,
  // so every commit lands wholly in the memtable whose checkpoint covers it.
  Mutex apply_mu_ ACQUIRED_BEFORE(mu_);

  mutable Mutex mu_;
  CondVar visible_cv_{&mu_};  // visible_upto_ns_ advanced or bg_error_ set
  CondVar flush_cv_{&mu_};    // flush requested, finished, or stopping; memtable space freed
  // The blocks memtables allocate rows from: a flushed memtable's blocks go back here (up to the
  // memtable budget) for the next one.
  const std::shared_ptr<BlockPool> row_blocks_ =
      std::make_shared<BlockPool>(options_.memtable_budget_bytes);
  std::shared_ptr<MemTable> active_ GUARDED_BY(mu_);
  // Frozen memtables being flushed (at most one: a failed flush is retried before the next
  // freeze), and the checkpoint the frozen one's flush records.
  std::vector<std::shared_ptr<MemTable>> immutables_ GUARDED_BY(mu_);
  int64_t frozen_checkpoint_ns_ GUARDED_BY(mu_) = 0;
  std::shared_ptr<const FileSet> files_ GUARDED_BY(mu_);
  // Rollup definitions; changed under drop_mu_ too, so a flush sees one set throughout.
  std::shared_ptr<const std::vector<RollupDef>> rollups_ GUARDED_BY(mu_);
  // Advanced with every flush's file-set swap: RollupCache entries of older epochs are stale.
  uint64_t rollup_epoch_ GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::time_point active_since_ GUARDED_BY(mu_);
  int64_t visible_upto_ns_ GUARDED_BY(mu_) = 0;
  int64_t checkpoint_ns_ GUARDED_BY(mu_) = 0;
  Status bg_error_ GUARDED_BY(mu_);
  Status flush_error_ GUARDED_BY(mu_);  // last flush failure, reported to Flush() callers
  uint64_t flush_requested_ GUARDED_BY(mu_) = 0;  // generation asked for
  uint64_t flush_completed_ GUARDED_BY(mu_) = 0;  // generation done
  uint64_t flushes_ GUARDED_BY(mu_) = 0;
  uint64_t write_stalls_ GUARDED_BY(mu_) = 0;
  uint64_t write_stall_ns_ GUARDED_BY(mu_) = 0;
  uint64_t commits_ GUARDED_BY(mu_) = 0;
  uint64_t recovered_records_ GUARDED_BY(mu_) = 0;
  uint64_t recovered_truncated_bytes_ GUARDED_BY(mu_) = 0;
  uint64_t partitions_dropped_ GUARDED_BY(mu_) = 0;
  uint64_t files_dropped_ GUARDED_BY(mu_) = 0;
  uint64_t bytes_dropped_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool closed_ GUARDED_BY(mu_) = false;

  // Held by a flush from reading the oldest time kept to publishing its files, and by a
  // partition drop: so no flush records a file of a day a drop just removed.
  Mutex drop_mu_ ACQUIRED_BEFORE(replace_mu_);
  // Serializes ReplaceFiles calls (held across the check, the catalog commit and the swap).
  Mutex replace_mu_ ACQUIRED_BEFORE(mu_);
  // Serializes catalog commits that record next_file_id_, so the value stored last is the
  // largest handed out before it (flush and compaction reserve ids concurrently).
  Mutex catalog_commit_mu_;
  std::atomic<uint64_t> next_file_id_{1};
  uint64_t next_rollup_id_ GUARDED_BY(drop_mu_) = 1;
  // Start of the first day kept: raised by a drop (under mu_, with its file-set swap) and by
  // the clock passing a day boundary (OldestKeptNs, anywhere); never lowered. Atomic so AddLine
  // checks each line without the engine's lock.
  mutable std::atomic<int64_t> oldest_kept_floor_ns_{INT64_MIN};

  // Used by the flush thread only (and by Open before it starts).
  uint64_t persisted_series_ = 0;  // series ids 1..this are in the catalog
  std::thread flush_thread_;
};

}  // namespace strata::engine
