#include "server/line_splitter.h"

#include <cstring>

namespace strata::server {

void LineSplitter::Feed(std::string_view bytes, const LineHandler& handle) {
  while (!bytes.empty()) {
    const char* nl = static_cast<const char*>(std::memchr(bytes.data(), '\n', bytes.size()));
    size_t piece = nl ? static_cast<size_t>(nl - bytes.data()) : bytes.size();
    if (discarding_) {
      if (nl) {
        discarding_ = false;
        handle({}, true);
      }
    } else if (partial_.size() + piece > max_line_bytes_) {
      partial_.clear();
      if (nl) {
        handle({}, true);
      } else {
        discarding_ = true;
      }
    } else if (nl && partial_.empty()) {
      handle(bytes.substr(0, piece), false);  // whole line inside this read: no copy
    } else {
      partial_.append(bytes.data(), piece);
      if (nl) {
        handle(partial_, false);
        partial_.clear();
      }
    }
    if (!nl) return;
    bytes.remove_prefix(piece + 1);
  }
}

void LineSplitter::Finish(const LineHandler& handle) {
  if (discarding_) {
    discarding_ = false;
    handle({}, true);
  } else if (!partial_.empty()) {
    handle(partial_, false);
    partial_.clear();
  }
}

}  // namespace strata::server
