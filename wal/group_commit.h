#pragma once

// The WAL writer thread: records from all connections are queued, written in order and made
// durable together with one fdatasync (group commit). Each record gets a system time, strictly
// increasing and never below the wall clock: max(now, previous + 1).
//
// A callback must not call Sync() or Close(), and must not Append() when the queue may be full:
// it runs on the writer thread, which would then wait for itself.
//
// A record's completion callback runs on the writer thread, in system-time order, once the
// record is durable as the policy defines it: kAlways after fdatasync, kInterval and kOff after
// write(2). With kInterval a timer also fsyncs at least every interval.
//
// After a write or sync failure the writer stops accepting records: every pending and later
// Append completes with that error (the stored background error, as leveldb's bg_error_).
// Thread-safety: Append and Sync are thread-safe; Close once, from the owner.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "util/env.h"
#include "util/mutex.h"
#include "util/status.h"
#include "wal/log_writer.h"

namespace strata::wal {

enum class FsyncPolicy { kAlways, kInterval, kOff };

struct WalOptions {
  Env* env = Env::Default();  // must outlive the writer
  std::string dir;
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  std::chrono::milliseconds fsync_interval{1000};  // kInterval only
  uint64_t segment_bytes = 64ull << 20;            // rotate after a segment grows past this
  uint64_t max_queued_bytes = 64ull << 20;         // Append blocks beyond this (backpressure)
};

// Called with OK and the record's system time once durable, or with the error that stopped it.
// payload is the record's payload, valid only during the call (so the caller need not keep a
// copy of what it appended).
using CommitCallback =
    std::function<void(const Status&, int64_t system_time_ns, std::string_view payload)>;

class WalWriter {
 public:
  // Opens a new segment numbered after every existing one and starts the writer thread.
  // last_system_time_ns: the greatest system time ever issued (from recovery); every new record
  // gets a greater one.
  static Result<std::unique_ptr<WalWriter>> Open(const WalOptions& options,
                                                 int64_t last_system_time_ns);
  ~WalWriter();  // Close()s if the owner did not
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Queues payload as one record and returns its system time, blocking while more than
  // max_queued_bytes wait. done runs later on the writer thread (see above). After a failure
  // or Close, returns the error and done is never called.
  Result<int64_t> Append(std::string payload, CommitCallback done);

  // Blocks until every record appended before the call is fdatasync'ed, whatever the policy.
  Status Sync();

  // Closes the current segment after every record appended before the call, and starts the
  // next one; returns once done. A flush uses it so its checkpoint can cover a whole segment.
  Status Rotate();

  // Writes and syncs everything queued, runs the callbacks, stops the thread. Idempotent.
  Status Close();

  // The segment records are being written to now.
  uint64_t current_segment() const;

  // A segment no longer written to, with the greatest system time it holds (0 if empty).
  struct ClosedSegment {
    uint64_t number;
    int64_t last_system_time_ns;
  };
  // Segments this writer rotated away from, plus those adopted from recovery; oldest first.
  std::vector<ClosedSegment> ClosedSegments() const;
  // Hands a segment found at recovery to the writer, so DeleteSegmentsCoveredBy can remove it.
  void AdoptClosedSegment(uint64_t number, int64_t last_system_time_ns);
  // Deletes the oldest closed segments whose records all have system time <= checkpoint_ns
  // (they are in chunk files), stopping at the first one still needed.
  Status DeleteSegmentsCoveredBy(int64_t checkpoint_ns);
  // The greatest system time handed out so far.
  int64_t last_system_time() const;

 private:
  friend class WalWriterTestPeer;  // tests/wal: observes blocked appenders (backpressure test)

  struct Pending {
    int64_t system_time_ns;
    std::string payload;
    CommitCallback done;
  };

  WalWriter(const WalOptions& options, int64_t last_system_time_ns);
  // Creates segment `number`, syncs the directory and makes it the current segment. Called by
  // Open before the thread starts and by the writer thread when rotating; does its I/O without
  // holding mu_ so appenders are not stalled by a rotation.
  Status OpenSegment(uint64_t number) LOCKS_EXCLUDED(mu_);
  void Run();
  // Closes the current (already synced) segment, records it as closed, opens the next.
  Status SwitchSegment(int64_t written_upto);
  // Writes one batch (outside mu_) and returns how many of its records may be acknowledged.
  size_t WriteBatch(const std::deque<Pending>& batch, bool sync, int64_t* written_upto,
                    int64_t* synced_upto, Status* status) LOCKS_EXCLUDED(mu_);
  void Fail(const Status& error) EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Immutable after construction.
  const WalOptions options_;

  mutable Mutex mu_;
  CondVar work_cv_{&mu_};    // writer thread waits for records
  CondVar space_cv_{&mu_};   // Append waits for queue space
  CondVar synced_cv_{&mu_};  // Sync waits for synced_upto_
  std::deque<Pending> queue_ GUARDED_BY(mu_);
  uint64_t queued_bytes_ GUARDED_BY(mu_) = 0;
  int64_t last_system_time_ GUARDED_BY(mu_);
  int64_t synced_upto_ GUARDED_BY(mu_) = 0;   // system time of the last fdatasync'ed record
  int64_t written_upto_ GUARDED_BY(mu_) = 0;  // system time of the last written record
  uint64_t sync_requests_ GUARDED_BY(mu_) = 0;
  uint64_t rotate_requests_ GUARDED_BY(mu_) = 0;
  uint64_t rotations_done_ GUARDED_BY(mu_) = 0;
  uint64_t blocked_appenders_ GUARDED_BY(mu_) = 0;  // Append calls waiting for queue space
  bool closing_ GUARDED_BY(mu_) = false;
  Status error_ GUARDED_BY(mu_);
  uint64_t segment_number_ GUARDED_BY(mu_) = 0;
  std::vector<ClosedSegment> closed_segments_ GUARDED_BY(mu_);
  // Used only by the writer thread once it runs (and by Open and Close outside its lifetime).
  std::unique_ptr<LogWriter> log_;
  std::chrono::steady_clock::time_point last_sync_;  // for kInterval
  std::thread thread_;
};

Result<FsyncPolicy> ParseFsyncPolicy(std::string_view text, std::chrono::milliseconds* interval);

}  // namespace strata::wal
