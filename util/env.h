#pragma once

// Env: every file-system call and the wall clock go through this interface, so tests can inject
// faults (tests/support/fault_injection_env.h) and nothing else touches POSIX directly
// (STYLE §0.5, after leveldb's Env).
// Thread-safety: Env::Default() and its methods are thread-safe. A file object is used by one
// thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace strata {

// A file opened for appending. Not thread-safe.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Bytes in the file: its size when opened plus everything appended since.
  virtual uint64_t Size() const = 0;
};

// A file read at arbitrary offsets. Const methods are thread-safe.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into *out (replacing its contents); fewer at end of file.
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual uint64_t Size() const = 0;
};

// An exclusive advisory lock on a file; released when destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment. Never null; lives forever.
  static Env* Default();

  // Creates (or truncates) the file for writing.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens the file for appending at its end, creating it if missing.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, without "." and "..".
  virtual Result<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  // Creates dir and any missing parents; OK if it exists.
  virtual Status CreateDirs(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (rename(2)).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // Creates `to` as a hard link to `from` (link(2)): same bytes, no copy. NotSupported when the
  // two are on different file systems (EXDEV) or the file system has no hard links; callers
  // then copy. The default (Envs without links) is always NotSupported.
  virtual Status LinkFile(const std::string& from, const std::string& to);
  // Removes an empty directory (rmdir(2)). The default is NotSupported.
  virtual Status RemoveDir(const std::string& dir);
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  // fsyncs a directory so that creations, renames and removals in it are durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive lock on path (creating it); fails if another process holds it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Wall-clock time in nanoseconds since the Unix epoch. May jump backwards.
  virtual int64_t NowNanos() = 0;
};

// Reads a whole file.
Result<std::string> ReadFileToString(Env& env, const std::string& path);
// Writes data to path through a temp file, fsync and rename, then syncs the directory.
Status WriteFileAtomically(Env& env, const std::string& path, std::string_view data);
// Removes path and, if it is a directory, everything under it. OK if it does not exist.
Status RemoveTree(Env& env, const std::string& path);
// "a/b" joined with "c" -> "a/b/c".
std::string JoinPath(std::string_view dir, std::string_view name);
// The directory part of a path ("a/b/c" -> "a/b", "c" -> ".").
std::string DirName(std::string_view path);

}  // namespace strata
