#pragma once

// LineClient: a blocking TCP client for stratad's line protocol (DESIGN §6), used by the
// `strata` tool and by the integration tests.
// Thread-safety: one thread may Send while another ReadLine()s; otherwise single-threaded.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace strata::tools {

class LineClient {
 public:
  // Connects to host:port. Unavailable if nothing listens there.
  static Result<std::unique_ptr<LineClient>> Connect(const std::string& host, uint16_t port);
  ~LineClient();
  LineClient(const LineClient&) = delete;
  LineClient& operator=(const LineClient&) = delete;

  // Sends bytes as they are (the caller adds '\n').
  Status Send(std::string_view bytes);
  // Reads one reply line without its '\n'. Unavailable at end of stream.
  Result<std::string> ReadLine();
  // Half-closes the sending side: the server sees end of stream.
  void CloseSend();

  // Sends one command line and reads replies up to and including the line that ends its answer:
  // "END ..." or "ERR ..." for queries, the single reply line otherwise.
  Result<std::vector<std::string>> Command(std::string_view line);

 private:
  LineClient();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::tools
