// strata verify <datadir>: every checksum of a stopped data directory, the catalog against the
// files, and the WAL (engine/data_dir_check.h). Prints each problem and a summary; exit 1 when
// there is a problem or the directory is in use, 2 when it is not a data directory.

#include <cinttypes>
#include <cstdio>
#include <string>

#include "engine/data_dir_check.h"
#include "tools/commands.h"

namespace strata::tools {
namespace {

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

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

}  // namespace

int RunVerify(const VerifyOptions& options) {
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
