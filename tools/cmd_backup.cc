// strata backup: online through the server's BACKUP command, --offline on a stopped data
// directory, --list and --prune on a backup directory (DESIGN §9, engine/backup.h). Restores
// are tools/cmd_restore.cc.

#include <cinttypes>
#include <cstdio>
#include <string>

#include "engine/backup.h"
#include "engine/engine.h"
#include "query/result_format.h"
#include "tools/commands.h"
#include "tools/json.h"
#include "tools/line_client.h"
#include "tools/progress.h"

namespace strata::tools {
namespace {

struct Summary {
  std::string id;
  int64_t system_time_ns = 0;
  uint64_t files = 0, bytes = 0, new_files = 0, new_bytes = 0, linked = 0, copied = 0;
  double seconds = 0;
  engine::PruneResult pruned;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void PrintSummary(const Summary& s, bool json) {
  const double rate = s.seconds > 0 ? s.bytes / s.seconds / 1e6 : 0;
  if (json) {
    std::printf("{\"id\": %s, \"system_time\": %" PRId64 ", \"files\": %" PRIu64
                ", \"bytes\": %" PRIu64 ", \"new_files\": %" PRIu64 ", \"new_bytes\": %" PRIu64
                ", \"linked\": %" PRIu64 ", \"copied\": %" PRIu64
                ", \"seconds\": %.3f, \"mb_per_s\": %.1f, \"pruned_backups\": %" PRIu64
                ", \"pruned_objects\": %" PRIu64 ", \"pruned_bytes\": %" PRIu64 "}\n",
                JsonString(s.id).c_str(), s.system_time_ns, s.files, s.bytes, s.new_files,
                s.new_bytes, s.linked, s.copied, s.seconds, rate, s.pruned.backups_removed,
                s.pruned.objects_removed, s.pruned.bytes_removed);
    return;
  }
  std::printf("backup %s at system time %" PRId64 ": %" PRIu64 " files, %s; new: %" PRIu64
              " files, %s (%" PRIu64 " linked, %" PRIu64 " copied); %.2f s, %.1f MB/s\n",
              s.id.c_str(), s.system_time_ns, s.files, FormatBytes(s.bytes).c_str(), s.new_files,
              FormatBytes(s.new_bytes).c_str(), s.linked, s.copied, s.seconds, rate);
  if (s.pruned.backups_removed > 0 || s.pruned.objects_removed > 0) {
    std::printf("pruned %" PRIu64 " backups: %" PRIu64 " objects, %s\n", s.pruned.backups_removed,
                s.pruned.objects_removed, FormatBytes(s.pruned.bytes_removed).c_str());
  }
}

int BackupOnline(const ServerAddress& server, const BackupCmdOptions& options) {
  if (options.dir.find('\'') != std::string::npos) {
    std::fprintf(stderr, "strata backup: the directory name may not contain a quote (')\n");
    return 2;
  }
  auto client = LineClient::Connect(server.host, server.port);
  if (!client.ok()) {
    std::fprintf(stderr, "strata backup: %s\n", client.status().message().c_str());
    return 1;
  }
  std::string command = "BACKUP '" + options.dir + "'";
  if (options.copy) command += " COPY";
  if (options.keep > 0) command += " KEEP " + std::to_string(options.keep);
  ProgressLine progress("backing up", options.progress && !options.json);
  if (progress.shown()) command += " PROGRESS";  // the server then reports as it copies
  const auto started = std::chrono::steady_clock::now();
  std::string reply;
  Status sent = (*client)->Send(command + "\n");
  while (sent.ok()) {
    auto line = (*client)->ReadLine();
    if (!line.ok()) {
      sent = line.status();
      break;
    }
    uint64_t bytes_done = 0, bytes_total = 0, files_done = 0, files_total = 0;
    if (std::sscanf(line->c_str(), "PROGRESS %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                    &bytes_done, &bytes_total, &files_done, &files_total) == 4) {
      progress.Update(bytes_done, bytes_total, files_done, files_total);
      continue;
    }
    reply = *line;
    break;
  }
  progress.Clear();
  if (!sent.ok()) {
    std::fprintf(stderr, "strata backup: %s\n", sent.message().c_str());
    return 1;
  }
  Summary s;
  char id[64];
  if (std::sscanf(reply.c_str(),
                  "OK %63s %" SCNd64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                  " %" SCNu64,
                  id, &s.system_time_ns, &s.files, &s.bytes, &s.new_files, &s.new_bytes, &s.linked,
                  &s.copied) != 8) {
    std::fprintf(stderr, "strata backup: %s\n", reply.c_str());
    return 1;
  }
  s.id = id;
  s.seconds = SecondsSince(started);
  PrintSummary(s, options.json);
  return 0;
}

int BackupOffline(const BackupCmdOptions& options) {
  engine::EngineOptions engine_options;
  engine_options.data_dir = options.offline_data_dir;
  engine_options.flush_age = std::chrono::milliseconds(0);  // leave the WAL's data where it is
  if (!Env::Default()->FileExists(JoinPath(options.offline_data_dir, "catalog"))) {
    std::fprintf(stderr, "strata backup: %s is not a Strata data directory (no catalog/)\n",
                 options.offline_data_dir.c_str());
    return 2;
  }
  auto engine = engine::Engine::Open(engine_options);
  if (!engine.ok()) {
    std::fprintf(stderr, "strata backup: %s\n", engine.status().ToString().c_str());
    if (engine.status().code() == StatusCode::kUnavailable) {
      std::fprintf(stderr, "strata backup: a server holds %s; run `strata backup <dir>` against "
                           "it instead of --offline\n", options.offline_data_dir.c_str());
    }
    return 1;
  }
  ProgressLine progress("backing up", options.progress && !options.json);
  engine::BackupOptions backup_options;
  backup_options.force_copy = options.copy;
  backup_options.keep = options.keep;
  backup_options.progress = [&](const engine::BackupProgress& p) {
    progress.Update(p.bytes_done, p.bytes_total, p.files_done, p.files_total);
  };
  const auto started = std::chrono::steady_clock::now();
  auto made = engine::CreateBackup(**engine, options.dir, backup_options);
  progress.Clear();
  Status closed = (*engine)->Close();
  if (!made.ok()) {
    std::fprintf(stderr, "strata backup: %s\n", made.status().ToString().c_str());
    return 1;
  }
  if (!closed.ok()) {
    std::fprintf(stderr, "strata backup: %s\n", closed.ToString().c_str());
    return 1;
  }
  const engine::BackupManifest& m = made->manifest;
  Summary s{m.id, m.system_time_ns, m.files.size(), m.bytes(), m.new_files, m.new_bytes,
            made->linked_files, made->copied_files, SecondsSince(started), made->pruned};
  PrintSummary(s, options.json);
  return 0;
}

int ListBackups(const BackupCmdOptions& options) {
  auto backups = engine::ListBackups(*Env::Default(), options.dir);
  if (!backups.ok()) {
    std::fprintf(stderr, "strata backup: %s\n", backups.status().message().c_str());
    return backups.status().IsNotFound() ? 2 : 1;
  }
  if (options.json) {
    std::printf("[");
    for (size_t i = 0; i < backups->size(); ++i) {
      const engine::BackupManifest& m = (*backups)[i];
      std::printf("%s{\"id\": %s, \"system_time\": %" PRId64 ", \"created\": %s, \"files\": %zu"
                  ", \"bytes\": %" PRIu64 ", \"new_bytes\": %" PRIu64 "}",
                  i ? ", " : "", JsonString(m.id).c_str(), m.system_time_ns,
                  JsonString(query::FormatTime(m.created_ns)).c_str(), m.files.size(), m.bytes(),
                  m.new_bytes);
    }
    std::printf("]\n");
    return 0;
  }
  std::printf("id\tsystem_time\tcreated\tfiles\tbytes\tnew_bytes\n");
  for (const engine::BackupManifest& m : *backups) {
    std::printf("%s\t%" PRId64 "\t%s\t%zu\t%" PRIu64 "\t%" PRIu64 "\n", m.id.c_str(),
                m.system_time_ns, query::FormatTime(m.created_ns).c_str(), m.files.size(), m.bytes(),
                m.new_bytes);
  }
  return 0;
}

int Prune(const BackupCmdOptions& options) {
  auto pruned = engine::PruneBackups(*Env::Default(), options.dir, options.keep);
  if (!pruned.ok()) {
    std::fprintf(stderr, "strata backup: %s\n", pruned.status().message().c_str());
    return pruned.status().IsNotFound() ? 2 : 1;
  }
  if (options.json) {
    std::printf("{\"pruned_backups\": %" PRIu64 ", \"pruned_objects\": %" PRIu64
                ", \"pruned_bytes\": %" PRIu64 "}\n",
                pruned->backups_removed, pruned->objects_removed, pruned->bytes_removed);
  } else {
    std::printf("pruned %" PRIu64 " backups: %" PRIu64 " objects, %s\n", pruned->backups_removed,
                pruned->objects_removed, FormatBytes(pruned->bytes_removed).c_str());
  }
  return 0;
}

}  // namespace

int RunBackup(const ServerAddress& server, const BackupCmdOptions& options) {
  if (options.dir.empty()) {
    std::fprintf(stderr, "strata backup: no backup directory given\n");
    return 2;
  }
  if (options.list) return ListBackups(options);
  if (options.prune) {
    if (options.keep == 0) {
      std::fprintf(stderr, "strata backup: --prune needs --keep <n> (n >= 1)\n");
      return 2;
    }
    return Prune(options);
  }
  if (!options.offline_data_dir.empty()) return BackupOffline(options);
  return BackupOnline(server, options);
}

}  // namespace strata::tools
