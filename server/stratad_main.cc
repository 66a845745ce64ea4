// stratad: the Strata server. Flag parsing and process lifecycle only (STYLE §1).

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "compaction/compactor.h"
#include "engine/engine.h"
#include "server/server.h"
#include "util/logging.h"
#include "util/units.h"
#include "wal/group_commit.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "stratad: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace strata;
  // Write batches, WAL records, memtable columns and decoded query blocks are allocated and
  // freed by the hundred thousand, many above glibc's initial 128 KiB mmap threshold: served by
  // mmap, or trimmed off the heap as soon as they are freed, each one costs page faults and
  // zeroing of fresh pages on its next use. Fixed thresholds keep them in the heap (setting one
  // turns off glibc's own adjustment of both, so both are set). A trim threshold of 4 MiB kept
  // peak RSS where it was (16 and 64 MiB raised it by 10-15 %) at the same ingest rate.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 4 << 20);
  CLI::App app{"stratad: bitemporal time-series storage server"};
  server::ServerOptions options;
  std::string data_dir = "./data";
  std::string fsync = "always";
  std::string precision = "ns";
  std::string log_level = "info";
  std::string memtable_budget = "64MiB";
  std::string flush_age = "10m";
  std::string query_timeout = "60s";
  std::string query_memory = "1GiB";
  std::string partition_tag;
  std::string history_retention = "0";
  std::string partition_retention = "0";
  std::string compaction_rate = "64MiB";
  int compaction_cpu_percent = 100;
  int compaction_nice = 10;
  size_t compact_min_files = 4;
  app.add_option("--data-dir", data_dir, "data directory (created if missing)")
      ->capture_default_str();
  app.add_option("--address", options.address, "address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "TCP port (0 picks a free one)")->capture_default_str();
  app.add_option("--port-file", options.port_file, "write the bound port to this file");
  app.add_option("--fsync", fsync, "WAL fsync policy: always | off | <interval> such as 100ms")
      ->capture_default_str();
  app.add_option("--precision", precision, "timestamp precision of written lines: ns|us|ms|s")
      ->capture_default_str();
  app.add_option("--max-connections", options.max_connections, "maximum open connections")
      ->capture_default_str();
  app.add_option("--max-line-bytes", options.max_line_bytes, "maximum length of one line")
      ->capture_default_str();
  app.add_option("--memtable-budget", memtable_budget,
                 "memory for memtables; a flush starts at half of it")
      ->capture_default_str();
  app.add_option("--flush-age", flush_age, "flush a memtable older than this (0: never)")
      ->capture_default_str();
  app.add_option("--query-timeout", query_timeout,
                 "a query still running after this fails with an error (0: no limit)")
      ->capture_default_str();
  app.add_option("--query-memory", query_memory,
                 "memory one query may hold (values for medians, windows, buckets; 0: no limit)")
      ->capture_default_str();
  app.add_option("--partition-tag", partition_tag,
                 "tag that names a series' region; fixed when the data directory is created "
                 "(default region)");
  app.add_option("--history-retention", history_retention,
                 "compaction drops versions superseded longer ago than this (0: keep all)")
      ->capture_default_str();
  app.add_option("--retention", partition_retention,
                 "drop partitions whose whole day is older than this (30d, 720h; 0: keep forever)")
      ->capture_default_str();
  app.add_option("--compact-min-files", compact_min_files,
                 "background compaction of a partition holding this many chunk files (0: off)")
      ->capture_default_str();
  app.add_option("--compaction-rate", compaction_rate,
                 "compaction I/O budget in bytes per second (0: unthrottled)")
      ->capture_default_str();
  app.add_option("--compaction-cpu", compaction_cpu_percent,
                 "compaction CPU budget: percent of one core a job may use (1-100; 100: no limit)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--compaction-nice", compaction_nice,
                 "CPU priority of background compaction: nice value of its thread (0-19; 0: the server's)")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  app.add_option("--log-level", log_level, "debug | info | warn | error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (log_level == "debug") {
    SetLogLevel(LogLevel::kDebug);
  } else if (log_level == "warn") {
    SetLogLevel(LogLevel::kWarn);
  } else if (log_level == "error") {
    SetLogLevel(LogLevel::kError);
  } else if (log_level != "info") {
    return Fail("--log-level must be debug, info, warn or error");
  }

  engine::EngineOptions engine_options;
  engine_options.data_dir = data_dir;
  auto policy = wal::ParseFsyncPolicy(fsync, &engine_options.fsync_interval);
  if (!policy.ok()) return Fail(policy.status().message());
  engine_options.fsync = *policy;
  auto budget = ParseByteSize(memtable_budget);
  if (!budget.ok()) return Fail("--memtable-budget: " + budget.status().message());
  engine_options.memtable_budget_bytes = *budget;
  auto age = ParseMilliseconds(flush_age);
  if (!age.ok()) return Fail("--flush-age: " + age.status().message());
  engine_options.flush_age = *age;
  engine_options.partition_tag = partition_tag;
  auto retention_period = ParseMilliseconds(partition_retention);
  if (!retention_period.ok()) return Fail("--retention: " + retention_period.status().message());
  engine_options.retention = *retention_period;
  auto timeout = ParseMilliseconds(query_timeout);
  if (!timeout.ok()) return Fail("--query-timeout: " + timeout.status().message());
  options.query_timeout = *timeout;
  auto query_bytes = ParseByteSize(query_memory);
  if (!query_bytes.ok()) return Fail("--query-memory: " + query_bytes.status().message());
  options.query_memory_bytes = *query_bytes;
  compaction::CompactorOptions compactor_options;
  auto retention = ParseMilliseconds(history_retention);
  if (!retention.ok()) return Fail("--history-retention: " + retention.status().message());
  compactor_options.history_retention = *retention;
  auto rate = ParseByteSize(compaction_rate);
  if (!rate.ok()) return Fail("--compaction-rate: " + rate.status().message());
  compactor_options.rate_bytes_per_second = *rate;
  compactor_options.cpu_share = compaction_cpu_percent / 100.0;
  compactor_options.background_nice = compaction_nice;
  compactor_options.min_files = compact_min_files;
  // Crash tests only: the process kills itself (SIGKILL, as kill -9 would) when a compaction
  // reaches the named step ("after_write", "after_rename", "after_commit").
  if (const char* step = std::getenv("STRATA_TEST_COMPACTION_KILL_AT"); step && *step) {
    compactor_options.hook = [kill_at = std::string(step)](std::string_view at) {
      if (at == kill_at) ::kill(::getpid(), SIGKILL);
      return Status::OK();
    };
  }
  auto parsed_precision = engine::ParsePrecision(precision);
  if (!parsed_precision.ok()) return Fail(parsed_precision.status().message());
  options.precision = *parsed_precision;

  // Block the stop signals in every thread; main waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that vanishes mid-reply is an error code, not a death

  auto engine = engine::Engine::Open(engine_options);
  if (!engine.ok()) return Fail(engine.status().ToString());
  compaction::Compactor compactor(**engine, compactor_options);
  server::Server server(**engine, options, &compactor);
  if (Status started = server.Start(); !started.ok()) return Fail(started.ToString());
  compactor.Start();

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  STRATA_LOG(kInfo, "signal {}: stopping", signal_number);
  server.Stop();
  compactor.Stop();  // a merge in progress is abandoned; its inputs stay
  if (Status closed = (*engine)->Close(); !closed.ok()) return Fail(closed.ToString());
  STRATA_LOG(kInfo, "stopped cleanly");
  return 0;
}
