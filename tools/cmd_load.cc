#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tools/commands.h"
#include "tools/line_client.h"

namespace strata::tools {
namespace {

// Points (fields) on one line-protocol line, found by a light scan: the field set starts after
// the first unescaped space and its fields are separated by commas outside quoted strings.
uint32_t CountPoints(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i == line.size() || line[i] == '#') return 0;
  for (; i < line.size() && line[i] != ' '; ++i) {
    if (line[i] == '\\') ++i;
  }
  while (i < line.size() && line[i] == ' ') ++i;
  if (i == line.size()) return 0;
  uint32_t fields = 1;
  bool quoted = false;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == ',') {
      ++fields;
    } else if (!quoted && c == ' ') {
      break;
    }
  }
  return fields;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

int RunLoad(const ServerAddress& server, const LoadOptions& options) {
  FILE* in = options.path == "-" ? stdin : std::fopen(options.path.c_str(), "rb");
  if (in == nullptr) {
    std::fprintf(stderr, "strata load: cannot open %s: %s\n", options.path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  uint64_t total_bytes = 0;
  if (in != stdin) {
    std::fseek(in, 0, SEEK_END);
    total_bytes = static_cast<uint64_t>(std::ftell(in));
    std::fseek(in, 0, SEEK_SET);
  }
  auto client = LineClient::Connect(server.host, server.port);
  if (!client.ok()) {
    std::fprintf(stderr, "strata load: %s\n", client.status().message().c_str());
    if (in != stdin) std::fclose(in);
    return 1;
  }
  LineClient& conn = **client;

  // Points per line, so rejected lines can be subtracted when their ERR arrives.
  std::vector<uint16_t> points_per_line;
  std::atomic<uint64_t> lines_sent{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::vector<uint64_t> rejected_lines;  // written by the reader thread until it is joined
  std::string sync_reply;
  std::string reader_error;
  const bool show_progress = options.progress && ::isatty(STDERR_FILENO);

  // Replies arrive while we send (ERR lines); read them on their own thread so the server is
  // never blocked writing to us.
  std::thread reader([&] {
    while (true) {
      auto line = conn.ReadLine();
      if (!line.ok()) {
        reader_error = line.status().message();
        return;
      }
      if (line->rfind("ERR ", 0) == 0) {
        uint64_t line_no = 0;
        std::from_chars(line->data() + 4, line->data() + line->size(), line_no);
        std::fprintf(stderr, "%s%s: line %s\n", show_progress ? "\r\033[K" : "",
                     options.path.c_str(), line->c_str() + 4);
        rejected_lines.push_back(line_no);
      } else if (line->rfind("OK ", 0) == 0) {
        sync_reply = *line;
        return;
      }
    }
  });

  const auto started = std::chrono::steady_clock::now();
  auto last_progress = started;
  std::vector<char> buffer(1 << 20);
  std::string carry;  // an incomplete last line of the previous read
  uint64_t points_sent = 0;
  bool send_failed = false;
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), in)) {
    std::string_view chunk(buffer.data(), n);
    size_t last_nl = chunk.rfind('\n');
    std::string_view whole = last_nl == std::string_view::npos ? std::string_view()
                                                                 : chunk.substr(0, last_nl + 1);
    // Count lines and points of everything complete in this read.
    std::string joined;
    std::string_view text = whole;
    if (!carry.empty() && !whole.empty()) {
      joined = carry + std::string(whole);
      text = joined;
      carry.clear();
    }
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      uint32_t points = CountPoints(text.substr(start, nl - start));
      points_per_line.push_back(static_cast<uint16_t>(std::min<uint32_t>(points, 65535)));
      points_sent += points;
      start = nl + 1;
    }
    if (last_nl == std::string_view::npos) {
      carry.append(chunk);
    } else {
      carry.append(chunk.substr(last_nl + 1));
    }
    if (!text.empty() && !conn.Send(text).ok()) {
      send_failed = true;
      break;
    }
    lines_sent = points_per_line.size();
    bytes_sent += text.size();
    auto now = std::chrono::steady_clock::now();
    if (show_progress && now - last_progress > std::chrono::milliseconds(500)) {
      last_progress = now;
      double secs = Seconds(now - started);
      std::fprintf(stderr, "\r\033[K%.1f MB", bytes_sent.load() / 1e6);
      if (total_bytes) std::fprintf(stderr, " (%.0f%%)", 100.0 * bytes_sent.load() / total_bytes);
      std::fprintf(stderr, "  %.2f M points/s", points_sent / secs / 1e6);
    }
  }
  if (in != stdin) std::fclose(in);
  if (!send_failed && !carry.empty()) {
    uint32_t points = CountPoints(carry);
    points_per_line.push_back(static_cast<uint16_t>(std::min<uint32_t>(points, 65535)));
    points_sent += points;
    carry.push_back('\n');
    send_failed = !conn.Send(carry).ok();
  }
  if (!send_failed) send_failed = !conn.Send("SYNC\n").ok();
  reader.join();
  const double secs = Seconds(std::chrono::steady_clock::now() - started);
  if (show_progress) std::fprintf(stderr, "\r\033[K");

  if (sync_reply.empty()) {
    std::fprintf(stderr, "strata load: connection lost before SYNC was answered: %s\n",
                 reader_error.c_str());
    return 1;
  }
  unsigned long long accepted = 0, rejected = 0;
  long long system_time = 0;
  std::sscanf(sync_reply.c_str(), "OK %llu %llu %lld", &accepted, &rejected, &system_time);
  uint64_t accepted_points = points_sent;
  for (uint64_t line_no : rejected_lines) {
    if (line_no >= 1 && line_no <= points_per_line.size()) {
      accepted_points -= points_per_line[line_no - 1];
    }
  }
  std::printf("loaded %llu lines (%llu points) in %.2f s: %.0f points/s, %.0f lines/s; "
              "rejected %llu lines; system time %lld\n",
              accepted, static_cast<unsigned long long>(accepted_points), secs,
              accepted_points / secs, accepted / secs, rejected, system_time);
  return rejected == 0 ? 0 : 1;
}

}  // namespace strata::tools
