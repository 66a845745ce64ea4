#pragma once

// Engine: the facade over one data directory (DESIGN §3). Writes are validated, encoded once
// into a WriteBatch, committed to the WAL (which assigns the system time) and applied to the
// memtable once durable; reads scan the memtable with version resolution. On Open the memtable
// is rebuilt by replaying the WAL.
//
// Data directory layout (docs/format/data_dir.md): LOCK, wal/.
// Thread-safety: all public methods are thread-safe. Close() once, after every caller is done.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/line_protocol.h"
#include "engine/memtable.h"
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
};

struct EngineStats {
  uint64_t series = 0;
  uint64_t memtable_points = 0;
  uint64_t memtable_bytes = 0;
  uint64_t commits = 0;
  int64_t last_system_time_ns = 0;
  uint64_t recovered_records = 0;
  uint64_t recovered_truncated_bytes = 0;
};

class Engine {
 public:
  // Creates the data directory if needed, locks it (Unavailable if another process holds it),
  // replays the WAL and starts the WAL writer.
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Checks the line's field types against the schema (registering new fields) and appends it to
  // batch with its timestamp, or default_time_ns when it has none. InvalidArgument on a type
  // conflict; the batch is then unchanged.
  Status AddLine(const ParsedLine& line, int64_t default_time_ns, WriteBatch* batch);

  // Commits batch as one WAL record and empties it. Returns the commit's system time at once;
  // the points become visible when the record is durable (see WaitForCommit). Blocks while the
  // WAL queue is full (backpressure). Fails with the stored error after a WAL failure.
  Result<SystemTime> Commit(WriteBatch* batch);

  // Blocks until every commit up to t is durable (per the fsync policy) and visible.
  Status WaitForCommit(SystemTime t);

  // The newest system time whose commit is visible: AS OF it sees everything acknowledged.
  SystemTime LastVisibleTime() const;

  // Resolved points of one field of one series with valid time in [min_ns, max_ns), as known
  // at as_of (see MemTable::ScanField).
  void ScanField(SeriesId series, std::string_view field, int64_t min_ns, int64_t max_ns,
                 SystemTime as_of, const PointVisitor& visit) const;

  const SeriesIndex& series_index() const { return series_; }
  const Schema& schema() const { return schema_; }
  EngineStats Stats() const;
  int64_t NowNanos() const { return options_.env->NowNanos(); }

  // Syncs and closes the WAL; later writes fail with Unavailable. Idempotent.
  Status Close();

 private:
  explicit Engine(const EngineOptions& options);
  Status Recover(int64_t* last_system_time_ns);
  void OnCommitted(const Status& status, int64_t system_time_ns, std::string_view payload);

  // Immutable after Open.
  const EngineOptions options_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<wal::WalWriter> wal_;

  // Internally synchronized.
  SeriesIndex series_;
  Schema schema_;
  MemTable memtable_;

  mutable Mutex mu_;
  CondVar visible_cv_{&mu_};
  int64_t visible_upto_ns_ GUARDED_BY(mu_) = 0;
  Status bg_error_ GUARDED_BY(mu_);
  uint64_t commits_ GUARDED_BY(mu_) = 0;
  uint64_t recovered_records_ GUARDED_BY(mu_) = 0;
  uint64_t recovered_truncated_bytes_ GUARDED_BY(mu_) = 0;
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace strata::engine
