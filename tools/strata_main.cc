// strata: the command-line client and operator tool (DESIGN §9). Flag parsing only.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "tools/commands.h"

int main(int argc, char** argv) {
  using namespace strata::tools;
  CLI::App app{"strata: query, load and compact a Strata server"};
  app.require_subcommand(1);
  ServerAddress server;
  app.add_option("--host", server.host, "server address")->capture_default_str();
  app.add_option("--port", server.port, "server port")->capture_default_str();

  std::string query_text;
  CLI::App* query = app.add_subcommand("query", "run a query or command and print the answer");
  query->add_option("text", query_text, "the query, e.g. \"SELECT count(v) FROM m\"")->required();

  LoadOptions load_options;
  bool quiet = false;
  CLI::App* load = app.add_subcommand("load", "send a line-protocol file, then SYNC");
  load->add_option("file", load_options.path, "line-protocol file, or - for standard input")
      ->required();
  load->add_flag("--quiet", quiet, "no progress display");
  load->add_option("--connections", load_options.connections,
                   "send on this many connections, each series on one (parallel parsing)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();

  std::string inspect_path;
  CLI::App* inspect = app.add_subcommand("inspect", "describe a chunk file and check its blocks");
  inspect->add_option("file", inspect_path, "a .chunk file")->required();

  CompactOptions compact_options;
  CLI::App* compact = app.add_subcommand(
      "compact", "merge each partition's chunk files (online through the server, or --offline)");
  compact->add_option("partition", compact_options.partition,
                      "only this partition, as <region>/<yyyy-mm-dd>");
  compact->add_option("--offline", compact_options.offline_data_dir,
                      "compact this data directory directly (no server may be running on it)");
  compact->add_option("--history-retention", compact_options.history_retention,
                      "with --offline: drop versions superseded longer ago than this");

  VerifyOptions verify_options;
  CLI::App* verify = app.add_subcommand(
      "verify", "check every checksum of a stopped data directory, its catalog and its WAL");
  verify->add_option("path", verify_options.path,
                     "a data directory (stratad not running) or a backup directory")
      ->required();
  verify->add_flag("--json", verify_options.json, "one JSON object instead of text");
  verify->add_flag("--all", verify_options.all_backups,
                   "backup directory: restore and check every backup, not only the newest");
  bool verify_quiet = false;
  verify->add_flag("--quiet", verify_quiet, "no progress line");

  BackupCmdOptions backup_options;
  bool backup_quiet = false;
  CLI::App* backup = app.add_subcommand(
      "backup", "back up a running server (or --offline a stopped data directory) into a "
                "backup directory; --list, --prune manage one");
  backup->add_option("dir", backup_options.dir,
                     "the backup directory (for an online backup: on the server's file system)")
      ->required();
  backup->add_option("--offline", backup_options.offline_data_dir,
                     "back up this data directory directly (no server may be running on it)");
  backup->add_flag("--list", backup_options.list, "list the backups of the directory");
  backup->add_flag("--prune", backup_options.prune, "only prune to the newest --keep backups");
  backup->add_option("--keep", backup_options.keep,
                     "keep the newest N backups, removing older ones and unused objects");
  backup->add_flag("--copy", backup_options.copy, "copy files even where hard links work");
  backup->add_flag("--json", backup_options.json, "one JSON object instead of text");
  backup->add_flag("--quiet", backup_quiet, "no progress line");

  RestoreCmdOptions restore_options;
  bool restore_quiet = false;
  CLI::App* restore = app.add_subcommand(
      "restore", "restore a backup into a new data directory, checking every checksum");
  restore->add_option("backup-dir", restore_options.backup_dir, "the backup directory")
      ->required();
  restore->add_option("datadir", restore_options.data_dir, "the data directory to create")
      ->required();
  restore->add_option("--at", restore_options.at, "the backup id (default: the newest)");
  restore->add_flag("--force", restore_options.force,
                    "replace a non-empty data directory (no server may be running on it)");
  restore->add_flag("--json", restore_options.json, "one JSON object instead of text");
  restore->add_flag("--quiet", restore_quiet, "no progress line");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;  // DESIGN §9: usage errors exit 2
  }
  if (*query) return RunQuery(server, query_text);
  if (*inspect) return RunInspect(inspect_path);
  if (*compact) return RunCompact(server, compact_options);
  if (*verify) {
    verify_options.progress = !verify_quiet;
    return RunVerify(verify_options);
  }
  if (*backup) {
    backup_options.progress = !backup_quiet;
    return RunBackup(server, backup_options);
  }
  if (*restore) {
    restore_options.progress = !restore_quiet;
    return RunRestore(restore_options);
  }
  load_options.progress = !quiet;
  return RunLoad(server, load_options);
}
