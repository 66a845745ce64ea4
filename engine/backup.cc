// CreateBackup (engine/backup.h): stage a consistent image of the data directory
// (Engine::StageBackup, which holds the engine's commit lock for a moment only), then, with ingest
// running on, turn every staged file into an object of the backup directory — hashed, and linked
// or copied only if the directory does not hold it yet — and write the manifest last.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <set>
#include <vector>

#include "engine/backup.h"
#include "engine/backup_internal.h"
#include "engine/engine.h"
#include "util/logging.h"
#include "wal/log_reader.h"

namespace strata::engine {
namespace {

using namespace backup_internal;

std::string BackupIdAt(int64_t ns) {
  const time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((ns / 1'000'000) % 1000));
  return buf;
}

// Bytes of the staged WAL segment that hold whole records with system time <= t: the backup's
// cut. The newest segment was still being written when it was staged, so it may go on past t
// (or end in a record half written); nothing after the cut is read.
Result<uint64_t> WalPrefixUpTo(Env& env, const std::string& path, int64_t t) {
  STRATA_ASSIGN_OR_RETURN(auto file, env.NewRandomAccessFile(path));
  wal::LogReader reader(*file, /*reporter=*/nullptr);
  wal::Record record;
  uint64_t end = 0;
  while (reader.ReadRecord(&record)) {
    if (record.system_time_ns > t) break;
    end = reader.valid_end();
  }
  STRATA_RETURN_IF_ERROR(reader.status());
  return end;
}

}  // namespace

Result<BackupResult> CreateBackup(Engine& engine, const std::string& backup_dir,
                                  const BackupOptions& options) {
  Env& env = engine.env();
  if (backup_dir.empty()) return Status::InvalidArgument("no backup directory given");
  // Someone else's directory is refused before anything is written into it. A backup starting
  // concurrently may have put its LOCK (and its marker's temporary) there: that one is checked
  // again under the lock below, where it reads "in use".
  const auto foreign = [&](const std::vector<std::string>& children) {
    for (const std::string& name : children) {
      if (name != "LOCK" && name != std::string(kMarkerFile) + ".tmp") return true;
    }
    return false;
  };
  if (env.FileExists(backup_dir) && !IsBackupDir(env, backup_dir)) {
    auto children = env.GetChildren(backup_dir);
    if (!children.ok() || foreign(*children)) {
      return Status::InvalidArgument(backup_dir +
                                     " exists and is not a backup directory (nor empty)");
    }
  }
  const std::string objects = JoinPath(backup_dir, kObjectsDir);
  const std::string tmp = JoinPath(backup_dir, kTmpDir);
  STRATA_RETURN_IF_ERROR(env.CreateDirs(backup_dir));
  STRATA_ASSIGN_OR_RETURN(auto lock, LockBackupDir(env, backup_dir));
  if (!IsBackupDir(env, backup_dir)) {
    // Checked under the lock: a backup starting concurrently has its LOCK here, nothing else.
    STRATA_ASSIGN_OR_RETURN(auto children, env.GetChildren(backup_dir));
    if (foreign(children)) {
      return Status::InvalidArgument(backup_dir +
                                     " exists and is not a backup directory (nor empty)");
    }
    STRATA_RETURN_IF_ERROR(WriteFileAtomically(
        env, JoinPath(backup_dir, kMarkerFile),
        "strata backup directory, format " + std::to_string(kBackupFormatVersion) + "\n"));
  }
  STRATA_RETURN_IF_ERROR(env.CreateDirs(objects));
  STRATA_RETURN_IF_ERROR(env.CreateDirs(JoinPath(backup_dir, kBackupsDir)));
  STRATA_RETURN_IF_ERROR(RemoveTree(env, tmp));  // copies a crashed backup left half done
  STRATA_RETURN_IF_ERROR(env.CreateDirs(tmp));
  STRATA_RETURN_IF_ERROR(RemoveUnfinishedBackups(env, backup_dir));
  STRATA_ASSIGN_OR_RETURN(auto names, env.GetChildren(objects));
  std::set<std::string> held(names.begin(), names.end());

  BackupResult result;
  BackupManifest& manifest = result.manifest;
  manifest.created_ns = env.NowNanos();
  for (int64_t ns = manifest.created_ns;; ns += 1'000'000) {
    manifest.id = BackupIdAt(ns);
    if (!env.FileExists(JoinPath(JoinPath(backup_dir, kBackupsDir), manifest.id))) break;
  }

  // Unique within the process: two backups into different directories may start in the same
  // millisecond (the same id), and each must own its staging directory.
  static std::atomic<uint64_t> staging_counter{0};
  const std::string staging = JoinPath(
      engine.BackupStagingRoot(), manifest.id + "." + std::to_string(staging_counter.fetch_add(1)));
  auto image = engine.StageBackup(staging);
  if (!image.ok()) {
    RemoveTree(env, staging).IgnoreError();  // links only; the next Open clears it anyway
    return image.status();
  }
  manifest.system_time_ns = image->system_time_ns;

  auto build = [&]() -> Status {
    // Sizes first, for progress: a WAL segment counts up to the backup's cut.
    std::vector<uint64_t> lengths;
    BackupProgress progress;
    for (const std::string& rel : image->files) {
      const std::string path = JoinPath(staging, rel);
      uint64_t length = 0;
      if (rel.starts_with("wal/")) {
        STRATA_ASSIGN_OR_RETURN(length, WalPrefixUpTo(env, path, image->system_time_ns));
      } else {
        STRATA_ASSIGN_OR_RETURN(length, env.GetFileSize(path));
      }
      lengths.push_back(length);
      progress.bytes_total += length;
    }
    progress.files_total = image->files.size();
    const BytesFn count = [&](uint64_t n) {
      progress.bytes_done += n;
      if (options.progress) options.progress(progress);
    };
    // The newest staged segment is the one that was being written: never linked.
    std::string newest_wal;
    for (const std::string& rel : image->files) {
      if (rel.starts_with("wal/")) newest_wal = std::max(newest_wal, rel);
    }
    for (size_t i = 0; i < image->files.size(); ++i) {
      const std::string& rel = image->files[i];
      const std::string path = JoinPath(staging, rel);
      BackupFile file{rel, lengths[i], 0};
      // Chunk files, catalog files and closed WAL segments wholly before the cut are immutable:
      // hashed first, and linked (or copied) only when the directory lacks them. A cut segment
      // is copied while hashed in one pass: its bytes almost never repeat between backups.
      bool immutable = !rel.starts_with("wal/");
      if (!immutable && rel != newest_wal) {
        STRATA_ASSIGN_OR_RETURN(uint64_t size, env.GetFileSize(path));
        immutable = size == file.size;
      }
      bool is_new = false;
      if (immutable) {
        STRATA_ASSIGN_OR_RETURN(file.checksum, HashFile(env, path, file.size, count));
        const std::string name = ObjectName(file.checksum, file.size);
        if (!held.count(name)) {
          is_new = true;
          const std::string object = JoinPath(objects, name);
          Status linked = options.force_copy ? Status::NotSupported("copy requested")
                                             : env.LinkFile(path, object);
          if (linked.ok()) {
            ++result.linked_files;
          } else if (linked.code() == StatusCode::kNotSupported) {
            const std::string tmp_object = JoinPath(tmp, name);
            STRATA_ASSIGN_OR_RETURN(uint64_t copied,
                                    CopyFileHashed(env, path, tmp_object, file.size, nullptr));
            if (copied != file.checksum) {
              return Status::Internal(path + " changed while it was backed up");
            }
            STRATA_RETURN_IF_ERROR(env.RenameFile(tmp_object, object));
            ++result.copied_files;
          } else {
            return linked;
          }
        }
      } else {
        const std::string tmp_object = JoinPath(tmp, "wal-cut");
        STRATA_ASSIGN_OR_RETURN(
            file.checksum, CopyFileHashed(env, path, tmp_object, file.size, count, /*sync=*/false));
        const std::string name = ObjectName(file.checksum, file.size);
        if (held.count(name)) {
          STRATA_RETURN_IF_ERROR(env.RemoveFile(tmp_object));
        } else {
          is_new = true;
          STRATA_RETURN_IF_ERROR(SyncFile(env, tmp_object));
          STRATA_RETURN_IF_ERROR(env.RenameFile(tmp_object, JoinPath(objects, name)));
          ++result.copied_files;
        }
      }
      if (is_new) {
        held.insert(ObjectName(file.checksum, file.size));
        ++manifest.new_files;
        manifest.new_bytes += file.size;
      }
      manifest.files.push_back(std::move(file));
      ++progress.files_done;
      if (options.progress) options.progress(progress);
    }
    // Every object durable before the manifest that names it.
    STRATA_RETURN_IF_ERROR(env.SyncDir(objects));
    const std::string dir = JoinPath(JoinPath(backup_dir, kBackupsDir), manifest.id);
    STRATA_RETURN_IF_ERROR(env.CreateDirs(dir));
    STRATA_RETURN_IF_ERROR(
        WriteFileAtomically(env, JoinPath(dir, kManifestFile), EncodeManifest(manifest)));
    return env.SyncDir(JoinPath(backup_dir, kBackupsDir));
  };
  Status built = build();
  if (Status removed = RemoveTree(env, staging); !removed.ok()) {
    // Links only: the next engine start removes the staging directory.
    STRATA_LOG(kWarn, "could not remove backup staging {}: {}", staging, removed.ToString());
  }
  // Fails (not empty) while another backup stages there: then that one removes it.
  env.RemoveDir(engine.BackupStagingRoot()).IgnoreError();
  STRATA_RETURN_IF_ERROR(built);
  STRATA_LOG(kInfo, "backup {} of system time {}: {} files, {} bytes ({} new files, {} new bytes)",
             manifest.id, manifest.system_time_ns, manifest.files.size(), manifest.bytes(),
             manifest.new_files, manifest.new_bytes);
  lock.reset();  // PruneBackups takes it itself
  if (options.keep > 0) {
    STRATA_ASSIGN_OR_RETURN(result.pruned, PruneBackups(env, backup_dir, options.keep));
  }
  return result;
}

}  // namespace strata::engine
