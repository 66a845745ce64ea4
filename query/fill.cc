#include "query/fill.h"

#include <cstdlib>
#include <optional>

#include "query/result_format.h"

namespace strata::query {

// Fills the cells of buckets without points (present[b] false) per the FILL mode.
void ApplyFill(const Fill& fill, const std::vector<int64_t>& starts,
               const std::vector<bool>& present, std::vector<std::vector<std::string>>* cells) {
  const size_t n = starts.size();
  if (n == 0 || fill.mode == Fill::Mode::kNull || fill.mode == Fill::Mode::kNone) return;
  const size_t columns = (*cells)[0].size();
  for (size_t c = 0; c < columns; ++c) {
    auto empty = [&](size_t b) { return !present[b] || (*cells)[b][c].empty(); };
    if (fill.mode == Fill::Mode::kValue) {
      for (size_t b = 0; b < n; ++b) {
        if (!present[b]) (*cells)[b][c] = fill.text;
      }
    } else if (fill.mode == Fill::Mode::kPrevious) {
      for (size_t b = 1; b < n; ++b) {
        if (!present[b]) (*cells)[b][c] = (*cells)[b - 1][c];
      }
    } else {  // linear, between the nearest buckets with a numeric value on both sides
      std::optional<size_t> previous;
      for (size_t b = 0; b < n; ++b) {
        if (!empty(b)) {
          previous = b;
          continue;
        }
        if (present[b] || !previous) continue;
        size_t next = b + 1;
        while (next < n && empty(next)) ++next;
        if (next == n) break;
        char* end = nullptr;
        const double y0 = std::strtod((*cells)[*previous][c].c_str(), &end);
        const double y1 = std::strtod((*cells)[next][c].c_str(), &end);
        const double x = static_cast<double>(starts[b] - starts[*previous]) /
                         static_cast<double>(starts[next] - starts[*previous]);
        (*cells)[b][c] = FormatFloat(y0 + (y1 - y0) * x);
      }
    }
  }
}

}  // namespace strata::query
