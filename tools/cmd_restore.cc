// strata restore <backup-dir> [--at <id>] <data-dir>: copies a backup into a new data directory,
// checking every object's checksum (engine/backup.h RestoreBackup), with a progress line on a
// terminal.

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "engine/backup.h"
#include "tools/commands.h"
#include "tools/json.h"
#include "tools/progress.h"

namespace strata::tools {

int RunRestore(const RestoreCmdOptions& options) {
  ProgressLine progress("restoring", options.progress && !options.json);
  engine::RestoreOptions restore;
  restore.backup_id = options.at;
  restore.force = options.force;
  restore.progress = [&](const engine::BackupProgress& p) {
    progress.Update(p.bytes_done, p.bytes_total, p.files_done, p.files_total);
  };
  const auto started = std::chrono::steady_clock::now();
  if (!engine::IsBackupDir(*Env::Default(), options.backup_dir)) {
    std::fprintf(stderr, "strata restore: %s is not a Strata backup directory\n",
                 options.backup_dir.c_str());
    return 2;
  }
  auto restored =
      engine::RestoreBackup(*Env::Default(), options.backup_dir, options.data_dir, restore);
  progress.Clear();
  if (!restored.ok()) {
    std::fprintf(stderr, "strata restore: %s\n", restored.status().message().c_str());
    return restored.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (options.json) {
    std::printf("{\"id\": %s, \"system_time\": %" PRId64 ", \"files\": %zu, \"bytes\": %" PRIu64
                ", \"seconds\": %.3f}\n",
                JsonString(restored->id).c_str(), restored->system_time_ns,
                restored->files.size(), restored->bytes(), secs);
  } else {
    std::printf("restored backup %s (system time %" PRId64 ") into %s: %zu files, %s, checksums "
                "ok; %.2f s\n",
                restored->id.c_str(), restored->system_time_ns, options.data_dir.c_str(),
                restored->files.size(), FormatBytes(restored->bytes()).c_str(), secs);
  }
  return 0;
}

}  // namespace strata::tools
