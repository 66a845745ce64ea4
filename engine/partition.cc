#include "engine/partition.h"

#include <cinttypes>
#include <cstdio>

#include "util/civil_time.h"
#include "util/env.h"

namespace strata::engine {

int64_t DayOf(int64_t t) {
  int64_t day = t / kNanosPerDay;
  if (t % kNanosPerDay < 0) --day;
  return day;
}

std::string FormatDay(int64_t day) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(day, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

bool ParseDay(std::string_view text, int64_t* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  auto digits = [&](size_t pos, size_t n, unsigned* out) {
    unsigned v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + static_cast<unsigned>(text[i] - '0');
    }
    *out = v;
    return true;
  };
  unsigned y, m, d;
  if (!digits(0, 4, &y) || !digits(5, 2, &m) || !digits(8, 2, &d) || m < 1 || m > 12 || d < 1 ||
      d > 31) {
    return false;
  }
  *day = DaysFromCivil(y, m, d);
  return FormatDay(*day) == text;  // rejects 2026-02-30 and friends
}

std::string PartitionKey::Date() const { return FormatDay(day); }

std::string RegionDirName(std::string_view region) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  if (region.empty()) return "%";  // distinct from every escaped non-empty name
  for (size_t i = 0; i < region.size(); ++i) {
    auto c = static_cast<unsigned char>(region[i]);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || (c == '.' && i > 0);
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string ChunkDirOf(std::string_view data_dir, const PartitionKey& partition) {
  return JoinPath(JoinPath(JoinPath(data_dir, "chunks"), RegionDirName(partition.region)),
                  partition.Date());
}

std::string ChunkPathOf(std::string_view data_dir, const PartitionKey& partition,
                        uint64_t file_id) {
  char name[40];
  std::snprintf(name, sizeof(name), "%016" PRIu64 ".chunk", file_id);
  return JoinPath(ChunkDirOf(data_dir, partition), name);
}

}  // namespace strata::engine
