#pragma once

// Splits a byte stream into lines at '\n', holding back an incomplete last line until more bytes
// arrive. A line longer than max_line_bytes is reported once as too long and its bytes are
// discarded up to its newline, so a runaway client costs at most max_line_bytes of memory.
// Thread-safety: single-threaded.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace strata::server {

class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // Called for each complete line (without '\n'); too_long is true for a discarded line, whose
  // text is then empty. The view is valid only during the call.
  using LineHandler = std::function<void(std::string_view line, bool too_long)>;

  void Feed(std::string_view bytes, const LineHandler& handle);
  // At end of stream: delivers an unterminated last line, if any.
  void Finish(const LineHandler& handle);

  size_t buffered_bytes() const { return partial_.size(); }

 private:
  const size_t max_line_bytes_;
  std::string partial_;      // the start of a line whose '\n' has not arrived yet
  bool discarding_ = false;  // inside an over-long line: drop bytes until '\n'
};

}  // namespace strata::server
