#pragma once

// Helpers shared by engine/backup.cc (taking backups), engine/backup_format.cc (objects,
// manifests, listing, pruning) and engine/backup_restore.cc (restoring, verifying).
// Format: docs/format/backup.md v1. Thread-safety: pure functions over the Env.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/backup.h"
#include "util/env.h"
#include "util/status.h"

namespace strata::engine::backup_internal {

inline constexpr const char* kMarkerFile = "STRATA-BACKUP";
inline constexpr const char* kObjectsDir = "objects";
inline constexpr const char* kBackupsDir = "backups";
inline constexpr const char* kTmpDir = "tmp";
inline constexpr const char* kManifestFile = "manifest";

// "<16 lower-case hex digits>-<decimal size>".
std::string ObjectName(uint64_t checksum, uint64_t size);
bool ParseObjectName(std::string_view name, uint64_t* checksum, uint64_t* size);

std::string EncodeManifest(const BackupManifest& manifest);
// where names the file in errors.
Result<BackupManifest> DecodeManifest(std::string_view text, const std::string& where);

// Called with the bytes just processed (for progress).
using BytesFn = std::function<void(uint64_t bytes)>;

// xxh3-64 of the first `length` bytes of path; Corruption if the file is shorter.
Result<uint64_t> HashFile(Env& env, const std::string& path, uint64_t length,
                          const BytesFn& on_bytes);
// Copies the first `length` bytes of from into a new file `to` (fsynced unless sync is false),
// returning their xxh3-64; Corruption if from is shorter.
Result<uint64_t> CopyFileHashed(Env& env, const std::string& from, const std::string& to,
                                uint64_t length, const BytesFn& on_bytes, bool sync = true);
// fdatasyncs an existing file (written earlier without sync).
Status SyncFile(Env& env, const std::string& path);

// Takes the backup directory's LOCK; Unavailable (saying so) if another writer holds it.
Result<std::unique_ptr<FileLock>> LockBackupDir(Env& env, const std::string& backup_dir);

// Removes backups/<id>/ directories without a manifest (left by a backup that did not finish).
Status RemoveUnfinishedBackups(Env& env, const std::string& backup_dir);

}  // namespace strata::engine::backup_internal
