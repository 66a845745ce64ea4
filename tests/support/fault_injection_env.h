#pragma once

// FaultInjectionEnv: an Env over a base Env (normally Env::Default()) for crash and failure
// tests (STYLE §7, after leveldb db/fault_injection_test.cc and rocksdb FaultInjectionTestFS).
//
// Contract:
// - Every file opened for writing through it is tracked by path: its current size and its size
//   at the last successful Sync. Files it never opened for writing are not tracked.
// - DropUnsyncedData() simulates a power loss: every tracked file is truncated back to its last
//   synced size. SimulateCrash() additionally deactivates the file system first, so that every
//   later mutating call (append, sync, create, rename, truncate, remove, dir sync) fails with
//   IOError and nothing more reaches the disk, until Reactivate(). A Sync that was in flight at
//   the crash reports IOError, so no caller is told "durable" for data that was dropped.
// - Directory entries are not modelled: a file created but never dir-synced survives a crash
//   (with its synced size, possibly 0).
// - FailAfter(op, n): the first n further calls of op succeed, every call after that fails with
//   IOError (a dead disk stays dead), until ClearFaults(). FailOnce(op, n): only call n+1 fails.
// - SetShortWrite(n, bytes): Append number n+1 (counted from now) writes only its first `bytes`
//   bytes to the base file, then fails with IOError — a torn write. One-shot.
// - SetSyncHook(f): f(path) runs at the start of every file Sync, outside the Env's lock, so a
//   test can block a sync on a latch or count syncs per file.
// - SetNowNanos(t): NowNanos() returns t from then on (a wall clock that stopped or jumped);
//   ClearNowNanos() goes back to the base clock.
// - count(op) is the number of calls of op seen so far, failed ones included.
// Thread-safety: all methods are thread-safe; file objects, as always, are used by one thread at
// a time. The Env must outlive every file it opened.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "util/env.h"
#include "util/mutex.h"

namespace strata::testing {

class FaultInjectionEnv : public Env {
 public:
  enum class Op {
    kAppend,    // WritableFile::Append
    kSync,      // WritableFile::Sync
    kCreate,    // NewWritableFile, NewAppendableFile, CreateDirs
    kRename,    // RenameFile
    kTruncate,  // TruncateFile
    kRemove,    // RemoveFile
    kSyncDir,   // SyncDir
  };
  static constexpr int kNumOps = 7;

  explicit FaultInjectionEnv(Env* base = Env::Default());
  FaultInjectionEnv(const FaultInjectionEnv&) = delete;
  FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

  // Fault controls (see the contract above).
  void FailAfter(Op op, uint64_t ok_calls);
  void FailOnce(Op op, uint64_t ok_calls);
  void SetShortWrite(uint64_t ok_appends, size_t bytes);
  void ClearFaults();
  void SetSyncHook(std::function<void(const std::string& path)> hook);
  void SetNowNanos(int64_t now_ns);
  void ClearNowNanos();

  // Power loss. Returns the first error from the base Env, if any.
  Status DropUnsyncedData();
  Status SimulateCrash();
  void Reactivate();

  uint64_t count(Op op) const;
  // Bytes of path appended since its last successful Sync (0 for an untracked file).
  uint64_t UnsyncedBytes(const std::string& path) const;

  // Env.
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  // Forwarded without faults (no test injects them yet); LinkFile stays NotSupported, so
  // code under test takes its copy path.
  Status RemoveDir(const std::string& dir) override { return base_->RemoveDir(dir); }
  Result<uint64_t> GetFileSize(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  int64_t NowNanos() override;

 private:
  class File;
  friend class File;

  struct FileState {
    uint64_t size = 0;
    uint64_t synced_size = 0;
  };
  struct Fault {
    uint64_t ok_calls = 0;  // calls still allowed to succeed
    bool sticky = false;    // keep failing after the first failure
  };

  // Counts a call of op and decides whether it fails; returns the injected error or OK.
  Status Check(Op op, const std::string& what) EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Result<std::unique_ptr<WritableFile>> Track(const std::string& path,
                                              Result<std::unique_ptr<WritableFile>> base_file);

  // Called by File.
  Status FileAppend(const std::string& path, WritableFile& base, std::string_view data);
  Status FileSync(const std::string& path, WritableFile& base);

  Env* const base_;

  mutable Mutex mu_;
  std::map<std::string, FileState> files_ GUARDED_BY(mu_);
  uint64_t counts_[kNumOps] GUARDED_BY(mu_) = {};
  std::optional<Fault> faults_[kNumOps] GUARDED_BY(mu_);
  std::optional<uint64_t> short_write_after_ GUARDED_BY(mu_);
  size_t short_write_bytes_ GUARDED_BY(mu_) = 0;
  bool active_ GUARDED_BY(mu_) = true;
  uint64_t crashes_ GUARDED_BY(mu_) = 0;  // lets a Sync notice a crash that happened during it
  std::function<void(const std::string&)> sync_hook_ GUARDED_BY(mu_);
  std::optional<int64_t> now_ns_ GUARDED_BY(mu_);
};

}  // namespace strata::testing
