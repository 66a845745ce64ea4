// The backup directory's objects and manifests (docs/format/backup.md v1): naming, the manifest
// text, hashing and copying files, listing and pruning backups.

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>

#include "engine/backup.h"
#include "engine/backup_internal.h"
#include "util/checksum.h"
#include "util/logging.h"

namespace strata::engine {
namespace backup_internal {
namespace {

constexpr size_t kIoBytes = 1 << 20;
constexpr std::string_view kManifestHeader = "strata-backup-manifest 1";

std::string Hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

bool ParseHex16(std::string_view text, uint64_t* v) {
  if (text.size() != 16) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *v, 16);
  return ec == std::errc() && end == text.data() + text.size();
}

template <typename T>
bool ParseDecimal(std::string_view text, T* v) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
  return ec == std::errc() && end == text.data() + text.size();
}

// Splits off the first space-separated word of *rest.
std::string_view Word(std::string_view* rest) {
  const size_t space = rest->find(' ');
  std::string_view word = rest->substr(0, space);
  rest->remove_prefix(space == std::string_view::npos ? rest->size() : space + 1);
  return word;
}

}  // namespace

std::string ObjectName(uint64_t checksum, uint64_t size) {
  return Hex16(checksum) + "-" + std::to_string(size);
}

bool ParseObjectName(std::string_view name, uint64_t* checksum, uint64_t* size) {
  const size_t dash = name.find('-');
  return dash == 16 && ParseHex16(name.substr(0, 16), checksum) &&
         ParseDecimal(name.substr(17), size);
}

std::string EncodeManifest(const BackupManifest& m) {
  std::string out(kManifestHeader);
  out += "\nid " + m.id;
  out += "\nsystem_time " + std::to_string(m.system_time_ns);
  out += "\ncreated " + std::to_string(m.created_ns);
  out += "\nnew_files " + std::to_string(m.new_files);
  out += "\nnew_bytes " + std::to_string(m.new_bytes);
  out += "\nfiles " + std::to_string(m.files.size());
  out += '\n';
  for (const BackupFile& f : m.files) {
    out += "file " + std::to_string(f.size) + " " + Hex16(f.checksum) + " " + f.path + "\n";
  }
  // Over every byte above: a torn or edited manifest is found, not half believed.
  out += "checksum " + Hex16(Checksum64(out)) + "\n";
  return out;
}

Result<BackupManifest> DecodeManifest(std::string_view text, const std::string& where) {
  auto bad = [&](const std::string& what) {
    return Status::Corruption(where + ": " + what);
  };
  const size_t last = text.rfind("checksum ");
  if (last == std::string_view::npos || (last > 0 && text[last - 1] != '\n')) {
    return bad("no checksum line (a torn or foreign file)");
  }
  uint64_t stored = 0;
  std::string_view tail = text.substr(last + 9);
  if (!tail.empty() && tail.back() == '\n') tail.remove_suffix(1);
  if (!ParseHex16(tail, &stored)) return bad("bad checksum line");
  const std::string_view body = text.substr(0, last);
  if (Checksum64(body) != stored) return bad("checksum mismatch (the manifest was damaged)");

  BackupManifest m;
  bool header = false;
  uint64_t declared_files = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t nl = body.find('\n', pos);
    std::string_view line = body.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? body.size() : nl + 1;
    if (!header) {
      if (line != kManifestHeader) return bad("not a format 1 manifest");
      header = true;
      continue;
    }
    std::string_view rest = line;
    const std::string_view key = Word(&rest);
    bool ok = true;
    if (key == "id") {
      m.id = std::string(rest);
    } else if (key == "system_time") {
      ok = ParseDecimal(rest, &m.system_time_ns);
    } else if (key == "created") {
      ok = ParseDecimal(rest, &m.created_ns);
    } else if (key == "new_files") {
      ok = ParseDecimal(rest, &m.new_files);
    } else if (key == "new_bytes") {
      ok = ParseDecimal(rest, &m.new_bytes);
    } else if (key == "files") {
      ok = ParseDecimal(rest, &declared_files);
    } else if (key == "file") {
      BackupFile f;
      ok = ParseDecimal(Word(&rest), &f.size) && ParseHex16(Word(&rest), &f.checksum) &&
           !rest.empty() && rest.find("..") == std::string_view::npos && rest.front() != '/';
      f.path = std::string(rest);
      m.files.push_back(std::move(f));
    }  // unknown keys: a later minor addition, ignored
    if (!ok) return bad("bad line '" + std::string(line) + "'");
  }
  if (!header || m.id.empty()) return bad("no header or id");
  if (declared_files != m.files.size()) return bad("file count does not match its file lines");
  return m;
}

Result<uint64_t> HashFile(Env& env, const std::string& path, uint64_t length,
                          const BytesFn& on_bytes) {
  STRATA_ASSIGN_OR_RETURN(auto file, env.NewRandomAccessFile(path));
  Checksum64Stream hash;
  std::string buffer;
  for (uint64_t offset = 0; offset < length;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kIoBytes, length - offset));
    STRATA_RETURN_IF_ERROR(file->Read(offset, n, &buffer));
    if (buffer.size() != n) {
      return Status::Corruption(path + ": " + std::to_string(offset + buffer.size()) +
                                " bytes, expected " + std::to_string(length));
    }
    hash.Update(buffer);
    offset += n;
    if (on_bytes) on_bytes(n);
  }
  return hash.Digest();
}

Result<uint64_t> CopyFileHashed(Env& env, const std::string& from, const std::string& to,
                                uint64_t length, const BytesFn& on_bytes, bool sync) {
  STRATA_ASSIGN_OR_RETURN(auto in, env.NewRandomAccessFile(from));
  STRATA_ASSIGN_OR_RETURN(auto out, env.NewWritableFile(to));
  Checksum64Stream hash;
  std::string buffer;
  for (uint64_t offset = 0; offset < length;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kIoBytes, length - offset));
    STRATA_RETURN_IF_ERROR(in->Read(offset, n, &buffer));
    if (buffer.size() != n) {
      return Status::Corruption(from + ": " + std::to_string(offset + buffer.size()) +
                                " bytes, expected " + std::to_string(length));
    }
    hash.Update(buffer);
    STRATA_RETURN_IF_ERROR(out->Append(buffer));
    offset += n;
    if (on_bytes) on_bytes(n);
  }
  if (sync) STRATA_RETURN_IF_ERROR(out->Sync());
  STRATA_RETURN_IF_ERROR(out->Close());
  return hash.Digest();
}

Status SyncFile(Env& env, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(auto file, env.NewAppendableFile(path));
  STRATA_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

Result<std::unique_ptr<FileLock>> LockBackupDir(Env& env, const std::string& backup_dir) {
  auto lock = env.LockFile(JoinPath(backup_dir, "LOCK"));
  if (!lock.ok() && lock.status().code() == StatusCode::kUnavailable) {
    return Status::Unavailable("backup directory " + backup_dir +
                               " is in use by another backup or prune");
  }
  return lock;
}

Status RemoveUnfinishedBackups(Env& env, const std::string& backup_dir) {
  const std::string backups = JoinPath(backup_dir, kBackupsDir);
  if (!env.FileExists(backups)) return Status::OK();
  STRATA_ASSIGN_OR_RETURN(auto ids, env.GetChildren(backups));
  for (const std::string& id : ids) {
    const std::string dir = JoinPath(backups, id);
    if (env.FileExists(JoinPath(dir, kManifestFile))) continue;
    STRATA_LOG(kInfo, "removing unfinished backup {}", dir);
    STRATA_RETURN_IF_ERROR(RemoveTree(env, dir));
  }
  return Status::OK();
}

}  // namespace backup_internal

using namespace backup_internal;

std::string BackupFile::ObjectPath() const {
  return std::string(kObjectsDir) + "/" + ObjectName(checksum, size);
}

uint64_t BackupManifest::bytes() const {
  uint64_t total = 0;
  for (const BackupFile& f : files) total += f.size;
  return total;
}

bool IsBackupDir(Env& env, const std::string& dir) {
  return env.FileExists(JoinPath(dir, kMarkerFile));
}

Result<std::vector<BackupManifest>> ListBackups(Env& env, const std::string& backup_dir) {
  if (!IsBackupDir(env, backup_dir)) {
    return Status::NotFound(backup_dir + " is not a Strata backup directory (no " +
                            std::string(kMarkerFile) + ")");
  }
  std::vector<BackupManifest> out;
  const std::string backups = JoinPath(backup_dir, kBackupsDir);
  if (!env.FileExists(backups)) return out;
  STRATA_ASSIGN_OR_RETURN(auto ids, env.GetChildren(backups));
  for (const std::string& id : ids) {
    const std::string path = JoinPath(JoinPath(backups, id), kManifestFile);
    if (!env.FileExists(path)) continue;  // unfinished: never listed
    STRATA_ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, path));
    STRATA_ASSIGN_OR_RETURN(BackupManifest manifest, DecodeManifest(text, path));
    if (manifest.id != id) {
      return Status::Corruption(path + ": holds backup id " + manifest.id + ", not " + id);
    }
    out.push_back(std::move(manifest));
  }
  // Ids are creation times, so name order is age order.
  std::sort(out.begin(), out.end(),
            [](const BackupManifest& a, const BackupManifest& b) { return a.id < b.id; });
  return out;
}

Result<PruneResult> PruneBackups(Env& env, const std::string& backup_dir, size_t keep) {
  if (keep == 0) return Status::InvalidArgument("--keep must be at least 1");
  STRATA_ASSIGN_OR_RETURN(auto lock, LockBackupDir(env, backup_dir));
  STRATA_ASSIGN_OR_RETURN(std::vector<BackupManifest> backups, ListBackups(env, backup_dir));
  PruneResult result;
  const size_t drop = backups.size() > keep ? backups.size() - keep : 0;
  const std::string backups_dir = JoinPath(backup_dir, kBackupsDir);
  for (size_t i = 0; i < drop; ++i) {
    // The manifest goes first: once it is gone the backup is no longer listed, so a crash in the
    // middle leaves an unfinished backup (removed later), never a listed backup with holes.
    const std::string dir = JoinPath(backups_dir, backups[i].id);
    STRATA_RETURN_IF_ERROR(env.RemoveFile(JoinPath(dir, kManifestFile)));
    STRATA_RETURN_IF_ERROR(env.SyncDir(dir));
    STRATA_RETURN_IF_ERROR(RemoveTree(env, dir));
    ++result.backups_removed;
  }
  STRATA_RETURN_IF_ERROR(RemoveUnfinishedBackups(env, backup_dir));
  if (env.FileExists(backups_dir)) STRATA_RETURN_IF_ERROR(env.SyncDir(backups_dir));
  // Objects only after the manifests are durably gone: a remaining manifest never names a
  // removed object.
  std::set<std::string> referenced;
  for (size_t i = drop; i < backups.size(); ++i) {
    for (const BackupFile& f : backups[i].files) referenced.insert(ObjectName(f.checksum, f.size));
  }
  const std::string objects = JoinPath(backup_dir, kObjectsDir);
  if (env.FileExists(objects)) {
    STRATA_ASSIGN_OR_RETURN(auto names, env.GetChildren(objects));
    for (const std::string& name : names) {
      if (referenced.count(name)) continue;
      uint64_t checksum = 0, size = 0;
      if (!ParseObjectName(name, &checksum, &size)) continue;  // not ours: left alone
      STRATA_RETURN_IF_ERROR(env.RemoveFile(JoinPath(objects, name)));
      ++result.objects_removed;
      result.bytes_removed += size;
    }
    STRATA_RETURN_IF_ERROR(env.SyncDir(objects));
  }
  return result;
}

}  // namespace strata::engine
