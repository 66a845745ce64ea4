#pragma once

// Server limits and options (DESIGN §6). Every limit is a flag of stratad and ends in a clear
// error, never a crash or a silent drop. Plain value type.

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
  // socket has nothing more to read, so memory per connection stays bounded.
  size_t max_batch_bytes = 4 << 20;
  engine::Precision precision = engine::Precision::kNanoseconds;
};

}  // namespace strata::server
