// strata verify <datadir|backup-dir>: every checksum of a stopped data directory, the catalog
// against the files, and the WAL (engine/data_dir_check.h); or every object and manifest of a
// backup directory and a checked restore of its newest backup (engine/backup.h). Prints each
// problem and a summary; exit 1 when there is a problem or the directory is in use, 2 when it is
// neither kind of directory.

#include <cinttypes>
#include <cstdio>
#include <string>

#include <cstdlib>

#include "engine/backup.h"
#include "engine/data_dir_check.h"
#include "tools/commands.h"
#include "tools/json.h"
#include "tools/progress.h"

namespace strata::tools {
namespace {

void PrintJson(const std::string& dir, const engine::DataDirReport& r) {
  std::printf("{\"path\": %s, \"ok\": %s, \"problems\": [", JsonString(dir).c_str(),
              r.ok() ? "true" : "false");
  for (size_t i = 0; i < r.problems.size(); ++i) {
    std::printf("%s%s", i ? ", " : "", JsonString(r.problems[i]).c_str());
  }
  std::printf("], \"series\": %" PRIu64 ", \"chunk_files\": %" PRIu64 ", \"chunk_bytes\": %" PRIu64
              ", \"blocks\": %" PRIu64 ", \"points\": %" PRIu64 ", \"wal_segments\": %" PRIu64
              ", \"wal_records\": %" PRIu64 ", \"wal_bytes\": %" PRIu64 "}\n",
              r.series, r.catalog_files, r.chunk_bytes, r.blocks, r.points, r.wal_segments,
              r.wal_records, r.wal_bytes);
}

int VerifyBackup(const VerifyOptions& options) {
  const char* tmpdir = std::getenv("TMPDIR");
  ProgressLine progress("verifying", options.progress && !options.json);
  auto report = engine::VerifyBackupDir(
      *Env::Default(), options.path, tmpdir != nullptr && *tmpdir ? tmpdir : "/tmp",
      options.all_backups, [&](const engine::BackupProgress& p) {
        progress.Update(p.bytes_done, p.bytes_total, p.files_done, p.files_total);
      });
  progress.Clear();
  if (!report.ok()) {
    std::fprintf(stderr, "strata verify: %s\n", report.status().message().c_str());
    return report.status().IsNotFound() ? 2 : 1;
  }
  const engine::BackupDirReport& r = *report;
  std::string restored;
  for (const std::string& id : r.restored) restored += (restored.empty() ? "" : ", ") + id;
  if (options.json) {
    std::printf("{\"path\": %s, \"backup_dir\": true, \"ok\": %s, \"problems\": [",
                JsonString(options.path).c_str(), r.ok() ? "true" : "false");
    for (size_t i = 0; i < r.problems.size(); ++i) {
      std::printf("%s%s", i ? ", " : "", JsonString(r.problems[i]).c_str());
    }
    std::printf("], \"backups\": %" PRIu64 ", \"objects\": %" PRIu64 ", \"object_bytes\": %" PRIu64
                ", \"unreferenced_objects\": %" PRIu64 ", \"restored\": [",
                r.backups, r.objects, r.object_bytes, r.unreferenced_objects);
    for (size_t i = 0; i < r.restored.size(); ++i) {
      std::printf("%s%s", i ? ", " : "", JsonString(r.restored[i]).c_str());
    }
    std::printf("]}\n");
  } else {
    for (const std::string& problem : r.problems) std::printf("problem: %s\n", problem.c_str());
    std::printf("%s: backup directory of %" PRIu64 " backups, %" PRIu64 " objects (%" PRIu64
                " bytes, %" PRIu64 " unreferenced), restored and checked: %s: %s\n",
                options.path.c_str(), r.backups, r.objects, r.object_bytes,
                r.unreferenced_objects, restored.empty() ? "none" : restored.c_str(),
                r.ok() ? "ok" : (std::to_string(r.problems.size()) + " problems").c_str());
  }
  return r.ok() ? 0 : 1;
}

}  // namespace

int RunVerify(const VerifyOptions& options) {
  if (engine::IsBackupDir(*Env::Default(), options.path)) return VerifyBackup(options);
  auto report = engine::VerifyDataDir(*Env::Default(), options.path);
  if (!report.ok()) {
    std::fprintf(stderr, "strata verify: %s\n", report.status().message().c_str());
    // Not a data directory is a wrong argument (usage); a directory in use is a failure.
    return report.status().IsNotFound() ? 2 : 1;
  }
  const engine::DataDirReport& r = *report;
  if (options.json) {
    PrintJson(options.path, r);
  } else {
    for (const std::string& problem : r.problems) std::printf("problem: %s\n", problem.c_str());
    std::printf("%s: catalog of %" PRIu64 " series and %" PRIu64 " chunk files (%" PRIu64
                " bytes, %" PRIu64 " blocks, %" PRIu64 " points), WAL of %" PRIu64
                " segments (%" PRIu64 " records, %" PRIu64 " bytes): %s\n",
                options.path.c_str(), r.series, r.catalog_files, r.chunk_bytes, r.blocks,
                r.points, r.wal_segments, r.wal_records, r.wal_bytes,
                r.ok() ? "ok" : (std::to_string(r.problems.size()) + " problems").c_str());
  }
  return r.ok() ? 0 : 1;
}

}  // namespace strata::tools
