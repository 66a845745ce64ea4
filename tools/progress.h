#pragma once

// A progress line for long operator tools (DESIGN §9): on a terminal, one line redrawn in place
// with bytes, files, rate and ETA; otherwise nothing (the tool prints a one-line summary when it
// is done). Thread-safety: single-threaded.

#include <chrono>
#include <cstdint>
#include <string>

namespace strata::tools {

class ProgressLine {
 public:
  // verb: what is being done ("backing up", "restoring"). Shown only if enabled and stdout is a
  // terminal.
  ProgressLine(std::string verb, bool enabled);
  ~ProgressLine();  // clears the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Redraws at most every 200 ms.
  void Update(uint64_t bytes_done, uint64_t bytes_total, uint64_t files_done,
              uint64_t files_total);
  void Clear();
  // Whether the line is drawn at all (enabled, and stdout is a terminal).
  bool shown() const { return shown_; }

 private:
  const std::string verb_;
  const bool shown_;
  bool drawn_ = false;
  const std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_{};
};

// "12.3 MB" style (decimal units, as rates are quoted).
std::string FormatBytes(uint64_t bytes);

}  // namespace strata::tools
