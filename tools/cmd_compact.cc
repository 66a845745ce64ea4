// strata compact: online through the server's COMPACT command, or --offline on a data directory
// no server holds (DESIGN §9).

#include <cinttypes>
#include <cstdio>
#include <string>

#include "compaction/compactor.h"
#include "engine/engine.h"
#include "tools/commands.h"
#include "tools/line_client.h"
#include "util/units.h"

namespace strata::tools {
namespace {

void PrintSummary(uint64_t partitions, uint64_t files_in, uint64_t files_out, uint64_t bytes_in,
                  uint64_t bytes_out) {
  std::printf("compacted %" PRIu64 " partitions: %" PRIu64 " files (%" PRIu64 " bytes) into %" PRIu64
              " files (%" PRIu64 " bytes)\n",
              partitions, files_in, bytes_in, files_out, bytes_out);
}

int CompactOnline(const ServerAddress& server, const CompactOptions& options) {
  auto client = LineClient::Connect(server.host, server.port);
  if (!client.ok()) {
    std::fprintf(stderr, "strata: %s\n", client.status().message().c_str());
    return 1;
  }
  const std::string command =
      options.partition.empty() ? "COMPACT" : "COMPACT " + options.partition;
  auto lines = (*client)->Command(command);
  if (!lines.ok()) {
    std::fprintf(stderr, "strata: %s\n", lines.status().message().c_str());
    return 1;
  }
  const std::string& reply = lines->back();
  uint64_t partitions, files_in, files_out, bytes_in, bytes_out;
  if (std::sscanf(reply.c_str(), "OK %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                  &partitions, &files_in, &files_out, &bytes_in, &bytes_out) != 5) {
    std::fprintf(stderr, "%s\n", reply.c_str());
    return 1;
  }
  PrintSummary(partitions, files_in, files_out, bytes_in, bytes_out);
  return 0;
}

int CompactOffline(const CompactOptions& options) {
  compaction::CompactorOptions compactor_options;
  compactor_options.min_files = 0;              // no background thread: we run the jobs
  compactor_options.rate_bytes_per_second = 0;  // nothing else uses the disk
  if (!options.history_retention.empty()) {
    auto retention = ParseMilliseconds(options.history_retention);
    if (!retention.ok()) {
      std::fprintf(stderr, "strata: --history-retention: %s\n",
                   retention.status().message().c_str());
      return 2;
    }
    compactor_options.history_retention = *retention;
  }
  engine::EngineOptions engine_options;
  engine_options.data_dir = options.offline_data_dir;
  engine_options.flush_age = std::chrono::milliseconds(0);  // leave the WAL's data where it is
  auto engine = engine::Engine::Open(engine_options);
  if (!engine.ok()) {
    if (engine.status().code() == StatusCode::kUnavailable) {
      std::fprintf(stderr,
                   "strata: %s\nstrata: a server holds %s; run `strata compact` against it "
                   "instead of --offline\n",
                   engine.status().ToString().c_str(), options.offline_data_dir.c_str());
    } else {
      std::fprintf(stderr, "strata: %s\n", engine.status().ToString().c_str());
    }
    return 1;
  }
  int exit_code = 0;
  {
    compaction::Compactor compactor(**engine, compactor_options);
    auto results = compactor.CompactAll();
    if (!results.ok()) {
      std::fprintf(stderr, "strata: compaction failed: %s\n", results.status().ToString().c_str());
      exit_code = 1;
    } else {
      const compaction::CompactionTotals t = compaction::SumResults(*results);
      PrintSummary(t.partitions, t.files_in, t.files_out, t.bytes_in, t.bytes_out);
    }
  }
  if (Status closed = (*engine)->Close(); !closed.ok()) {
    std::fprintf(stderr, "strata: %s\n", closed.ToString().c_str());
    exit_code = 1;
  }
  return exit_code;
}

}  // namespace

int RunCompact(const ServerAddress& server, const CompactOptions& options) {
  if (!options.offline_data_dir.empty()) {
    if (!options.partition.empty()) {
      std::fprintf(stderr, "strata: --offline compacts every partition; drop <region>/<date>\n");
      return 2;
    }
    return CompactOffline(options);
  }
  if (!options.history_retention.empty()) {
    std::fprintf(stderr, "strata: --history-retention goes with --offline (a server uses its own "
                         "stratad --history-retention)\n");
    return 2;
  }
  return CompactOnline(server, options);
}

}  // namespace strata::tools
