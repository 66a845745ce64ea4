#pragma once

// Server limits and options (DESIGN §6). Every limit is a flag of stratad and ends in a clear
// error, never a crash or a silent drop. Plain value type.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/line_protocol.h"

namespace strata::server {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 7070;  // 0 picks a free port (see port_file)
  // When set, the bound port is written here once the server listens (tests use port 0).
  std::string port_file;
  size_t max_connections = 1024;
  size_t max_line_bytes = 1 << 20;
  // A connection's pending writes are committed when they pass this size, and whenever the
  // socket has nothing more to read, so memory per connection stays bounded. 256 KiB loaded
  // the TSBS day faster than 64 KiB, 1 MiB or 4 MiB, with less CPU and a lower peak RSS: the
  // WAL thread starts on a commit sooner, and the payload is still in cache when it is written
  // and applied (BENCHMARKS.md).
  size_t max_batch_bytes = 256 << 10;
  engine::Precision precision = engine::Precision::kNanoseconds;
  // A statement still scanning after this long fails with "ERR query timed out after <t>";
  // 0: no limit.
  std::chrono::milliseconds query_timeout{60'000};
  // A statement holding more than this (values kept for medians, window streams, buckets)
  // fails with "ERR query memory limit exceeded ..."; 0: no limit.
  uint64_t query_memory_bytes = uint64_t{1} << 30;
  // A query answer is written to the socket whenever this much of it is waiting, so a large
  // answer never sits whole in memory.
  size_t answer_chunk_bytes = 256 << 10;
};

}  // namespace strata::server
