// strata: the command-line client and operator tool (DESIGN §9). Flag parsing only.

#include <CLI/CLI.hpp>
#include <string>

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
  verify->add_option("datadir", verify_options.path, "a data directory (stratad not running)")
      ->required();
  verify->add_flag("--json", verify_options.json, "one JSON object instead of text");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;  // DESIGN §9: usage errors exit 2
  }
  if (*query) return RunQuery(server, query_text);
  if (*inspect) return RunInspect(inspect_path);
  if (*compact) return RunCompact(server, compact_options);
  if (*verify) return RunVerify(verify_options);
  load_options.progress = !quiet;
  return RunLoad(server, load_options);
}
