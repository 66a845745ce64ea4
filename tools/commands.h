#pragma once

// The `strata` subcommands. Each returns the process exit code: 0 ok, 1 failure, 2 usage.
// Thread-safety: each runs on the main thread of the tool.

#include <cstdint>
#include <string>

namespace strata::tools {

struct ServerAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 7070;
};

// Sends one query or command and prints the answer; exit 1 if the server answered ERR.
int RunQuery(const ServerAddress& server, const std::string& text);

struct LoadOptions {
  std::string path;  // "-" is standard input
  bool progress = true;  // only shown when stderr is a terminal
};

// Streams a line-protocol file to the server, SYNCs at the end and prints lines, points and
// rates. Every rejected line is reported with its line number; exit 1 if any was rejected.
int RunLoad(const ServerAddress& server, const LoadOptions& options);

struct CompactOptions {
  std::string partition;          // "<region>/<yyyy-mm-dd>", or empty for every partition
  std::string offline_data_dir;   // set: open this data directory directly (no server may hold it)
  std::string history_retention;  // --offline only: drop history older than this (default: keep)
};

// Online: sends COMPACT [<partition>] and prints what was merged once the server is done.
// Offline: opens the data directory (exit 1 if a server holds its lock) and compacts every
// partition. Exit 1 on failure, 2 on usage errors.
int RunCompact(const ServerAddress& server, const CompactOptions& options);

// Prints a chunk file's partition, series, fields, blocks (codec, sizes, statistics) and the
// checksum status of every block; exit 1 if any block is bad or the file does not open.
int RunInspect(const std::string& path);

struct VerifyOptions {
  std::string path;  // a stopped data directory
  bool json = false;
};

// Checks every checksum of a data directory, the catalog against the files and the WAL
// (engine/data_dir_check.h); prints each problem and a summary. Exit 1 if there is a problem or
// a stratad holds the directory, 2 if it is not a data directory.
int RunVerify(const VerifyOptions& options);

}  // namespace strata::tools
