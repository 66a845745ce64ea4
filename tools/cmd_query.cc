#include <cstdio>

#include "tools/commands.h"
#include "tools/line_client.h"

namespace strata::tools {

int RunQuery(const ServerAddress& server, const std::string& text) {
  auto client = LineClient::Connect(server.host, server.port);
  if (!client.ok()) {
    std::fprintf(stderr, "strata: %s\n", client.status().message().c_str());
    return 1;
  }
  auto lines = (*client)->Command(text);
  if (!lines.ok()) {
    std::fprintf(stderr, "strata: %s\n", lines.status().message().c_str());
    return 1;
  }
  bool failed = false;
  for (const std::string& line : *lines) {
    if (line.rfind("ERR", 0) == 0) {
      failed = true;
      std::fprintf(stderr, "%s\n", line.c_str());
    } else {
      std::printf("%s\n", line.c_str());
    }
  }
  return failed ? 1 : 0;
}

}  // namespace strata::tools
