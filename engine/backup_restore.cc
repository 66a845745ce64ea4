// Restoring a backup into a data directory, and verifying a backup directory (engine/backup.h).

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "engine/backup.h"
#include "engine/backup_internal.h"
#include "util/logging.h"

namespace strata::engine {
namespace {

using namespace backup_internal;

// Makes dir an empty directory we may fill, or says why not.
Status PrepareTarget(Env& env, const std::string& data_dir, bool force) {
  if (!env.FileExists(data_dir)) return Status::OK();
  auto children = env.GetChildren(data_dir);
  if (!children.ok()) return Status::InvalidArgument(data_dir + " is not a directory");
  if (children->empty()) return Status::OK();
  if (!force) {
    return Status::InvalidArgument(data_dir + " is not empty: restore into a new directory, or "
                                   "pass --force to replace what it holds");
  }
  {
    // A running stratad holds the lock: never pull a directory from under it.
    auto lock = env.LockFile(JoinPath(data_dir, "LOCK"));
    if (!lock.ok()) {
      if (lock.status().code() == StatusCode::kUnavailable) {
        return Status::Unavailable(data_dir + " is in use by a running stratad: stop it first");
      }
      return lock.status();
    }
    for (const std::string& name : *children) {
      if (name == "LOCK") continue;
      STRATA_RETURN_IF_ERROR(RemoveTree(env, JoinPath(data_dir, name)));
    }
  }
  return env.RemoveFile(JoinPath(data_dir, "LOCK"));
}

Result<BackupManifest> FindBackup(Env& env, const std::string& backup_dir, const std::string& id) {
  STRATA_ASSIGN_OR_RETURN(std::vector<BackupManifest> backups, ListBackups(env, backup_dir));
  if (backups.empty()) return Status::NotFound(backup_dir + " holds no backup");
  if (id.empty()) return backups.back();
  for (BackupManifest& m : backups) {
    if (m.id == id) return std::move(m);
  }
  return Status::NotFound("no backup " + id + " in " + backup_dir + " (strata backup --list)");
}

// Copies every file of the manifest from its object into root, checking each.
Status CopyBackupFiles(Env& env, const std::string& backup_dir, const BackupManifest& manifest,
                       const std::string& root, const BackupProgressFn& progress_fn) {
  BackupProgress progress;
  progress.files_total = manifest.files.size();
  progress.bytes_total = manifest.bytes();
  const BytesFn count = [&](uint64_t n) {
    progress.bytes_done += n;
    if (progress_fn) progress_fn(progress);
  };
  std::set<std::string> dirs{root};
  for (const BackupFile& f : manifest.files) {
    const std::string object = JoinPath(backup_dir, f.ObjectPath());
    const std::string target = JoinPath(root, f.path);
    if (!env.FileExists(object)) {
      return Status::Corruption(object + ": missing (backup " + manifest.id + " needs it for " +
                                f.path + ")");
    }
    STRATA_ASSIGN_OR_RETURN(uint64_t size, env.GetFileSize(object));
    if (size != f.size) {
      return Status::Corruption(object + ": " + std::to_string(size) + " bytes, expected " +
                                std::to_string(f.size) + " (for " + f.path + ")");
    }
    const std::string dir = DirName(target);
    if (dirs.insert(dir).second) STRATA_RETURN_IF_ERROR(env.CreateDirs(dir));
    STRATA_ASSIGN_OR_RETURN(uint64_t checksum, CopyFileHashed(env, object, target, f.size, count));
    if (checksum != f.checksum) {
      char got[17], want[17];
      std::snprintf(got, sizeof(got), "%016llx", static_cast<unsigned long long>(checksum));
      std::snprintf(want, sizeof(want), "%016llx", static_cast<unsigned long long>(f.checksum));
      return Status::Corruption(object + ": checksum mismatch (" + got + ", expected " + want +
                                ") for " + f.path);
    }
    ++progress.files_done;
    if (progress_fn) progress_fn(progress);
  }
  // The files were synced as they were written; their names now.
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) STRATA_RETURN_IF_ERROR(env.SyncDir(*it));
  return Status::OK();
}

}  // namespace

Result<BackupManifest> RestoreBackup(Env& env, const std::string& backup_dir,
                                     const std::string& data_dir, const RestoreOptions& options) {
  if (data_dir.empty()) return Status::InvalidArgument("no data directory given");
  STRATA_ASSIGN_OR_RETURN(BackupManifest manifest,
                          FindBackup(env, backup_dir, options.backup_id));
  STRATA_RETURN_IF_ERROR(PrepareTarget(env, data_dir, options.force));
  std::string clean = data_dir;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  // Built beside the target and renamed into place whole: a failure never leaves a data
  // directory that looks restored.
  const std::string building = clean + ".restoring";
  STRATA_RETURN_IF_ERROR(RemoveTree(env, building));
  Status copied = CopyBackupFiles(env, backup_dir, manifest, building, options.progress);
  if (!copied.ok()) {
    RemoveTree(env, building).IgnoreError();  // partial copy: worthless, and the error says why
    return copied;
  }
  if (env.FileExists(clean)) STRATA_RETURN_IF_ERROR(env.RemoveDir(clean));  // empty (checked)
  STRATA_RETURN_IF_ERROR(env.RenameFile(building, clean));
  STRATA_RETURN_IF_ERROR(env.SyncDir(DirName(clean)));
  return manifest;
}

Result<BackupDirReport> VerifyBackupDir(Env& env, const std::string& backup_dir,
                                        const std::string& scratch_dir, bool all_backups,
                                        const BackupProgressFn& progress_fn) {
  if (!IsBackupDir(env, backup_dir)) {
    return Status::NotFound(backup_dir + " is not a Strata backup directory");
  }
  BackupDirReport report;
  // Objects: each one's bytes against the checksum and size in its name.
  const std::string objects = JoinPath(backup_dir, kObjectsDir);
  std::vector<std::string> names;
  if (env.FileExists(objects)) {
    STRATA_ASSIGN_OR_RETURN(names, env.GetChildren(objects));
  }
  std::sort(names.begin(), names.end());
  BackupProgress progress;
  std::map<std::string, uint64_t> sizes;
  for (const std::string& name : names) {
    uint64_t checksum = 0, size = 0;
    if (ParseObjectName(name, &checksum, &size)) {
      progress.bytes_total += size;
      ++progress.files_total;
    }
  }
  const BytesFn count = [&](uint64_t n) {
    progress.bytes_done += n;
    if (progress_fn) progress_fn(progress);
  };
  std::set<std::string> good;
  for (const std::string& name : names) {
    const std::string path = JoinPath(objects, name);
    uint64_t checksum = 0, size = 0;
    if (!ParseObjectName(name, &checksum, &size)) {
      report.problems.push_back(path + ": not an object name (<xxh3 hex>-<size>)");
      continue;
    }
    ++report.objects;
    auto actual_size = env.GetFileSize(path);
    if (!actual_size.ok()) {
      report.problems.push_back(path + ": " + actual_size.status().message());
      continue;
    }
    report.object_bytes += *actual_size;
    if (*actual_size != size) {
      report.problems.push_back(path + ": " + std::to_string(*actual_size) +
                                " bytes, its name says " + std::to_string(size));
      progress.bytes_done += size;
      continue;
    }
    auto actual = HashFile(env, path, size, count);
    if (!actual.ok()) {
      report.problems.push_back(path + ": " + actual.status().message());
    } else if (*actual != checksum) {
      report.problems.push_back(path + ": checksum mismatch (its bytes do not match its name)");
    } else {
      good.insert(name);
    }
    ++progress.files_done;
  }

  // Manifests: each parses and names only objects that exist.
  auto backups = ListBackups(env, backup_dir);
  if (!backups.ok()) {
    report.problems.push_back(backups.status().message());
    return report;
  }
  report.backups = backups->size();
  std::set<std::string> referenced;
  std::set<std::string> whole;  // ids whose every object is present and good
  for (const BackupManifest& m : *backups) {
    bool complete = true;
    for (const BackupFile& f : m.files) {
      const std::string name = ObjectName(f.checksum, f.size);
      referenced.insert(name);
      if (!std::binary_search(names.begin(), names.end(), name)) {
        report.problems.push_back("backups/" + m.id + "/manifest: " + f.path + " needs " +
                                  f.ObjectPath() + ", which is missing");
        complete = false;
      } else if (!good.count(name)) {
        complete = false;  // its damage is reported above
      }
    }
    if (complete) whole.insert(m.id);
  }
  for (const std::string& name : good) {
    if (!referenced.count(name)) ++report.unreferenced_objects;
  }

  // Restore and check what the manifests describe: catalog against chunk files, the WAL.
  for (size_t i = 0; i < backups->size(); ++i) {
    const BackupManifest& m = (*backups)[i];
    if (!all_backups && i + 1 != backups->size()) continue;
    if (!whole.count(m.id)) continue;  // cannot restore; already reported
    const std::string scratch = JoinPath(
        scratch_dir, "strata-verify-" + std::to_string(::getpid()) + "-" + m.id);
    RestoreOptions restore;
    restore.backup_id = m.id;
    auto restored = RestoreBackup(env, backup_dir, scratch, restore);
    if (!restored.ok()) {
      report.problems.push_back("backup " + m.id + ": restore failed: " +
                                restored.status().message());
      continue;
    }
    auto checked = VerifyDataDir(env, scratch);
    if (!checked.ok()) {
      report.problems.push_back("backup " + m.id + ": " + checked.status().message());
    } else {
      for (std::string problem : checked->problems) {
        if (problem.starts_with(scratch)) problem = problem.substr(scratch.size() + 1);
        report.problems.push_back("backup " + m.id + ": restored " + problem);
      }
    }
    report.restored.push_back(m.id);
    if (Status removed = RemoveTree(env, scratch); !removed.ok()) {
      STRATA_LOG(kWarn, "could not remove {}: {}", scratch, removed.ToString());
    }
  }
  return report;
}

}  // namespace strata::engine
