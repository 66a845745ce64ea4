#pragma once

// Backups (DESIGN §9, issue 7): a backup directory holds content-addressed objects and one
// manifest per backup; format docs/format/backup.md v1.
//
//   <backup-dir>/STRATA-BACKUP            marker: "strata backup directory, format 1"
//   <backup-dir>/LOCK                     flock(2)-held while a backup or a prune writes
//   <backup-dir>/objects/<xxh3hex>-<size> one file's bytes, named by their checksum and size
//   <backup-dir>/backups/<id>/manifest    what one backup holds (written last, atomically)
//   <backup-dir>/tmp/                     objects being copied; cleared by the next writer
//
// A backup is the data directory as of one system time: the catalog (a RocksDB checkpoint),
// every chunk file it names, and the WAL cut after the last record at or before that time.
// Objects a backup directory already holds are not copied again (incremental); files on the
// same file system as the data directory are hard-linked rather than copied.
// Thread-safety: free functions, safe to call concurrently; writers of one backup directory are
// serialized by its LOCK (a second one fails with Unavailable).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/data_dir_check.h"
#include "util/env.h"
#include "util/status.h"

namespace strata::engine {

class Engine;

inline constexpr int kBackupFormatVersion = 1;

// One file of a backup: its path relative to the data directory, size and xxh3-64.
struct BackupFile {
  std::string path;
  uint64_t size = 0;
  uint64_t checksum = 0;
  // "objects/<16 hex digits>-<size>", relative to the backup directory.
  std::string ObjectPath() const;
};

struct BackupManifest {
  std::string id;               // creation time, UTC: yyyymmddThhmmss.mmmZ; sorts by age
  int64_t system_time_ns = 0;   // the backup holds exactly the data AS OF this time
  int64_t created_ns = 0;       // wall clock when it was taken
  uint64_t new_files = 0;       // objects this backup added to the directory
  uint64_t new_bytes = 0;       // and their bytes
  std::vector<BackupFile> files;  // sorted by path
  uint64_t bytes() const;
};

// Called now and then during long operations (and once at the end).
struct BackupProgress {
  uint64_t files_done = 0, files_total = 0;
  uint64_t bytes_done = 0, bytes_total = 0;
};
using BackupProgressFn = std::function<void(const BackupProgress&)>;

struct BackupOptions {
  bool force_copy = false;  // copy even where a hard link is possible (benchmarks, paranoia)
  size_t keep = 0;          // > 0: afterwards, prune to the newest `keep` backups
  BackupProgressFn progress;
};

struct PruneResult {
  uint64_t backups_removed = 0;
  uint64_t objects_removed = 0;
  uint64_t bytes_removed = 0;
};

struct BackupResult {
  BackupManifest manifest;
  uint64_t linked_files = 0;  // new objects made by hard links
  uint64_t copied_files = 0;  // new objects made by copying
  PruneResult pruned;
};

// Takes a backup of the engine's data directory into backup_dir (created if missing) without
// pausing writes (Engine::StageBackup). The manifest is written last; a failure or crash
// before leaves no backup listed (and objects a later prune removes).
Result<BackupResult> CreateBackup(Engine& engine, const std::string& backup_dir,
                                  const BackupOptions& options);

// Whether dir is a backup directory (has the marker file).
bool IsBackupDir(Env& env, const std::string& dir);

// The complete backups of backup_dir, oldest first. NotFound if it is not a backup directory;
// Corruption names a manifest that does not parse or fails its checksum.
Result<std::vector<BackupManifest>> ListBackups(Env& env, const std::string& backup_dir);

// Keeps the newest `keep` (>= 1) backups: removes the others' manifests, unfinished backups, and
// every object no remaining manifest names. The remaining backups stay whole.
Result<PruneResult> PruneBackups(Env& env, const std::string& backup_dir, size_t keep);

struct RestoreOptions {
  std::string backup_id;  // empty: the newest
  bool force = false;     // replace a non-empty data_dir (refused while a stratad holds it)
  BackupProgressFn progress;
};

// Copies a backup into data_dir, checking every object's size and checksum on the way. The
// copy is built beside data_dir (<data_dir>.restoring) and renamed into place only when whole,
// so a failure leaves no half data directory. InvalidArgument if data_dir is not empty and not
// forced; NotFound for an unknown backup id; Corruption naming the object that is damaged or
// missing.
Result<BackupManifest> RestoreBackup(Env& env, const std::string& backup_dir,
                                     const std::string& data_dir, const RestoreOptions& options);

struct BackupDirReport {
  std::vector<std::string> problems;  // each names the object, manifest or restored file
  uint64_t backups = 0;
  uint64_t objects = 0;
  uint64_t object_bytes = 0;
  uint64_t unreferenced_objects = 0;  // left by an unfinished backup: not a problem
  std::vector<std::string> restored;  // ids restored and checked with VerifyDataDir
  bool ok() const { return problems.empty(); }
};

// Checks every object's size and checksum against its name, that every manifest parses and
// names only objects that exist, then restores the newest backup (every one with all_backups)
// into a temporary directory under scratch_dir and runs VerifyDataDir on it (catalog against
// chunk files, block checksums, WAL). NotFound if backup_dir is not a backup directory.
Result<BackupDirReport> VerifyBackupDir(Env& env, const std::string& backup_dir,
                                        const std::string& scratch_dir, bool all_backups,
                                        const BackupProgressFn& progress);

}  // namespace strata::engine
