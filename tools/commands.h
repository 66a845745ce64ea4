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
  // Connections to send on (the server parses each on its own thread); a series' lines always
  // share one, so they keep the file's order.
  int connections = 1;
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
  std::string path;  // a stopped data directory, or a backup directory
  bool json = false;
  bool all_backups = false;  // backup directory: restore and check every backup, not the newest
  bool progress = true;      // backup directory: a progress line on a terminal
};

// A data directory: checks every checksum, the catalog against the files and the WAL
// (engine/data_dir_check.h). A backup directory: every object's checksum, every manifest, and
// a restore of the newest backup checked the same way (engine/backup.h). Prints each problem
// and a summary. Exit 1 if there is a problem or a stratad holds the directory, 2 if it is
// neither kind of directory.
int RunVerify(const VerifyOptions& options);

struct BackupCmdOptions {
  std::string dir;               // the backup directory
  std::string offline_data_dir;  // set: back up this stopped data directory directly
  bool list = false;             // list the backups of dir
  bool prune = false;            // only prune dir to the newest `keep`
  size_t keep = 0;               // > 0: prune to the newest `keep` after backing up
  bool copy = false;             // copy files even where hard links are possible
  bool json = false;
  bool progress = true;
};

// Online: sends BACKUP to the server (the directory is on the server's file system) and prints
// the backup's id, system time and sizes. --offline: opens the data directory itself (exit 1 if
// a stratad holds it). --list, --prune: work on the backup directory locally.
int RunBackup(const ServerAddress& server, const BackupCmdOptions& options);

struct RestoreCmdOptions {
  std::string backup_dir;
  std::string data_dir;
  std::string at;  // backup id; empty: the newest
  bool force = false;
  bool json = false;
  bool progress = true;
};

// Restores a backup into a data directory (engine/backup.h RestoreBackup). Exit 1 on failure
// (naming a damaged object), 2 on usage errors.
int RunRestore(const RestoreCmdOptions& options);

}  // namespace strata::tools
