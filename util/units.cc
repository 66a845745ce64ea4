#include "util/units.h"

#include <charconv>
#include <string>

namespace strata {
namespace {

// Splits "123abc" into 123 and "abc"; false if there is no leading number or it overflows.
bool SplitNumber(std::string_view text, uint64_t* number, std::string_view* unit) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *number);
  if (ec != std::errc() || ptr == text.data()) return false;
  *unit = text.substr(static_cast<size_t>(ptr - text.data()));
  return true;
}

}  // namespace

Result<uint64_t> ParseByteSize(std::string_view text) {
  uint64_t n;
  std::string_view unit;
  auto bad = [&] {
    return Status::InvalidArgument("invalid size '" + std::string(text) +
                                   "' (examples: 268435456, 256MiB, 64M, 1GiB)");
  };
  if (!SplitNumber(text, &n, &unit)) return bad();
  uint64_t scale;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "K" || unit == "KiB") {
    scale = 1ull << 10;
  } else if (unit == "M" || unit == "MiB") {
    scale = 1ull << 20;
  } else if (unit == "G" || unit == "GiB") {
    scale = 1ull << 30;
  } else if (unit == "KB") {
    scale = 1'000;
  } else if (unit == "MB") {
    scale = 1'000'000;
  } else if (unit == "GB") {
    scale = 1'000'000'000;
  } else {
    return bad();
  }
  uint64_t bytes;
  if (__builtin_mul_overflow(n, scale, &bytes)) return bad();
  return bytes;
}

Result<std::chrono::milliseconds> ParseMilliseconds(std::string_view text) {
  uint64_t n;
  std::string_view unit;
  if (!SplitNumber(text, &n, &unit) || n > (1ull << 40)) {
    return Status::InvalidArgument("invalid duration '" + std::string(text) +
                                   "' (examples: 0, 250ms, 10s, 5m, 1h, 7d)");
  }
  if (unit.empty() && n == 0) return std::chrono::milliseconds(0);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s") return std::chrono::milliseconds(n * 1000);
  if (unit == "m") return std::chrono::milliseconds(n * 60'000);
  if (unit == "h") return std::chrono::milliseconds(n * 3'600'000);
  if (unit == "d") return std::chrono::milliseconds(n * 86'400'000);  // --history-retention 7d
  return Status::InvalidArgument("invalid duration '" + std::string(text) +
                                 "' (examples: 0, 250ms, 10s, 5m, 1h, 7d)");
}

}  // namespace strata
