#pragma once

// Partitions (DESIGN §1): (region, UTC date of valid time). The region is the value of the data
// directory's partition tag, or "_" for series without it. Partitions are the unit of file
// layout, pruning and (later) retention. Pure functions, thread-safe.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::engine {

inline constexpr std::string_view kNoRegion = "_";
inline constexpr int64_t kNanosPerDay = 86'400'000'000'000;

struct PartitionKey {
  std::string region;
  int64_t day = 0;  // days since 1970-01-01 (UTC) of valid time

  auto operator<=>(const PartitionKey&) const = default;
  std::string Date() const;  // "yyyy-mm-dd"
  std::string ToString() const { return region + "/" + Date(); }
};

// Days since the epoch of the UTC date containing t (floor, so negative times work).
int64_t DayOf(int64_t valid_time_ns);
// "yyyy-mm-dd" of a day number, and back (false if text is not such a date).
std::string FormatDay(int64_t day);
bool ParseDay(std::string_view text, int64_t* day);

// A region value as one directory name: bytes outside [A-Za-z0-9_-] and a leading '.' are
// %XX-escaped, so any tag value ("..", "a/b", "") names a distinct, safe directory.
std::string RegionDirName(std::string_view region);

// Where a partition's chunk files live in a data directory, and one file's path
// (docs/format/data_dir.md): <data_dir>/chunks/<region-dir>/<yyyy-mm-dd>/<file-id>.chunk.
std::string ChunkDirOf(std::string_view data_dir, const PartitionKey& partition);
std::string ChunkPathOf(std::string_view data_dir, const PartitionKey& partition,
                        uint64_t file_id);

}  // namespace strata::engine
