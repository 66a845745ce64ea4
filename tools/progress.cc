#include "tools/progress.h"

#include <unistd.h>

#include <cstdio>

namespace strata::tools {

std::string FormatBytes(uint64_t bytes) {
  char buf[32];
  if (bytes < 1000) {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
  } else if (bytes < 1000 * 1000) {
    std::snprintf(buf, sizeof(buf), "%.1f kB", bytes / 1e3);
  } else if (bytes < 1000ull * 1000 * 1000) {
    std::snprintf(buf, sizeof(buf), "%.1f MB", bytes / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f GB", bytes / 1e9);
  }
  return buf;
}

ProgressLine::ProgressLine(std::string verb, bool enabled)
    : verb_(std::move(verb)),
      shown_(enabled && ::isatty(STDOUT_FILENO)),
      started_(std::chrono::steady_clock::now()) {}

ProgressLine::~ProgressLine() { Clear(); }

void ProgressLine::Clear() {
  if (!drawn_) return;
  std::printf("\r\033[K");
  std::fflush(stdout);
  drawn_ = false;
}

void ProgressLine::Update(uint64_t bytes_done, uint64_t bytes_total, uint64_t files_done,
                          uint64_t files_total) {
  if (!shown_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - started_).count();
  const double rate = secs > 0 ? bytes_done / secs : 0;
  std::string eta = "?";
  if (rate > 0 && bytes_total >= bytes_done) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.0f s", (bytes_total - bytes_done) / rate);
    eta = buf;
  }
  std::printf("\r\033[K%s: %s / %s (%.0f%%), %llu / %llu files, %s/s, ETA %s", verb_.c_str(),
              FormatBytes(bytes_done).c_str(), FormatBytes(bytes_total).c_str(),
              bytes_total ? 100.0 * bytes_done / bytes_total : 100.0,
              static_cast<unsigned long long>(files_done),
              static_cast<unsigned long long>(files_total),
              FormatBytes(static_cast<uint64_t>(rate)).c_str(), eta.c_str());
  std::fflush(stdout);
  drawn_ = true;
}

}  // namespace strata::tools
