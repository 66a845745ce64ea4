#include "wal/segment.h"

#include <fmt/core.h>

#include <algorithm>
#include <string_view>

#include "wal/log_format.h"

namespace strata::wal {
namespace {

// Fixed width keeps lexicographic and numeric order identical (ls shows segments in order).
constexpr size_t kNumberDigits = 20;

}  // namespace

std::string SegmentPath(const std::string& dir, uint64_t number) {
  return JoinPath(dir, fmt::format("{:020}{}", number, kSegmentSuffix));
}

bool ParseSegmentName(const std::string& name, uint64_t* number) {
  const std::string_view suffix(kSegmentSuffix);
  if (name.size() != kNumberDigits + suffix.size()) return false;
  if (std::string_view(name).substr(kNumberDigits) != suffix) return false;
  uint64_t value = 0;
  for (size_t i = 0; i < kNumberDigits; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<uint64_t>(c - '0');
    // 20 digits can exceed 2^64 - 1; such a name is not one we wrote.
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *number = value;
  return true;
}

Result<std::vector<uint64_t>> ListSegments(Env& env, const std::string& dir) {
  std::vector<uint64_t> numbers;
  if (!env.FileExists(dir)) return numbers;
  auto children = env.GetChildren(dir);
  if (!children.ok()) {
    // Removed between the two calls: still "no WAL yet".
    if (children.status().IsNotFound()) return numbers;
    return children.status();
  }
  for (const std::string& name : *children) {
    uint64_t number = 0;
    if (ParseSegmentName(name, &number)) numbers.push_back(number);
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

}  // namespace strata::wal
