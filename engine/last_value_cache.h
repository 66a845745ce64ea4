#pragma once

// LastValueCache: the newest visible point of (series, field) "as of now", so the dashboard
// query `SELECT last(*) FROM cpu GROUP BY hostname` is answered without a scan (DESIGN §7).
//
// Entries are filled on demand (the first query that asks scans once) and then kept current by
// every commit, which the memtable reports through an Applier while it applies a batch:
//   - a live write at or after the cached valid time replaces the entry (a correction of the
//     cached point included; within one batch the later write wins, as version resolution does);
//   - a tombstone of the cached point drops the entry (the new last point needs a scan);
//   - anything older than the cached point changes nothing.
// A fill races with commits: it scans as of the newest system time the cache has seen applied,
// and is installed only if no commit touched the series while it ran (otherwise the next query
// tries again). Only the series that queries asked for are tracked, so writes to other series
// cost one hash lookup per line while any entry exists, and nothing otherwise.
// At most max_entries (series, field) entries are kept; past that, fills are not installed and
// those queries scan (the cache never answers wrongly, it only stops helping).
// Thread-safety: thread-safe; one internal mutex, held by an Applier for a whole batch.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/types.h"

namespace strata::engine {

// One cached point. bits as VersionColumn::bits; str for kString.
struct LastPoint {
  int64_t valid_ns = 0;
  FieldType type = FieldType::kFloat;
  uint64_t bits = 0;
  std::string str;
};

// The fields of one series the cache holds (few: a linear search beats a map).
struct SeriesEntries {
  struct Entry {
    std::string field;
    std::optional<LastPoint> point;
  };
  std::vector<Entry> fields;
};

class LastValueCache {
 public:
  explicit LastValueCache(size_t max_entries = size_t{1} << 22) : max_entries_(max_entries) {}
  LastValueCache(const LastValueCache&) = delete;
  LastValueCache& operator=(const LastValueCache&) = delete;

  // Before any commit is applied: the newest system time the data directory holds on start.
  void StartAt(int64_t system_time_ns);

  // What the cache knows of (series, field): nullopt when it has no entry (a miss); otherwise
  // the entry, whose inner nullopt means "the field has no visible point in this series".
  std::optional<std::optional<LastPoint>> Get(SeriesId series, std::string_view field) const;

  // A fill of one series' entries: Begin before scanning, scan as of system_time_ns, then
  // Install each field's newest point. Install does nothing if a commit touched the series
  // since Begin. Every Begin must be matched by one End.
  struct FillTicket {
    SeriesId series;
    uint64_t writes_seen = 0;
    int64_t system_time_ns = 0;  // scan as of this: the newest commit applied so far
  };
  FillTicket BeginFill(SeriesId series);
  void Install(const FillTicket& ticket, std::string_view field,
               const std::optional<LastPoint>& point);
  void EndFill(const FillTicket& ticket);

  // Reports one applied batch: Line once per line in order, Field for each of its fields.
  // Holds the cache's mutex for its life.
  class Applier {
   public:
    Applier(LastValueCache* cache, int64_t system_time_ns);  // cache may be null: no-op
    ~Applier();
    Applier(const Applier&) = delete;
    Applier& operator=(const Applier&) = delete;
    void Line(SeriesId series);
    void Field(std::string_view field, int64_t valid_ns, const FieldValue& value, bool tombstone) {
      if (current_ != nullptr) Update(field, valid_ns, value, tombstone);  // inline: per point
    }

   private:
    void Update(std::string_view field, int64_t valid_ns, const FieldValue& value, bool tombstone);

    LastValueCache* cache_;
    std::unique_lock<std::mutex> lock_;
    int64_t system_time_ns_;
    bool tracking_ = false;  // any entry or fill exists
    SeriesEntries* current_ = nullptr;
    size_t next_field_ = 0;  // where the search for the next field of the line starts
  };

  size_t entries() const;

 private:
  struct Pending {
    uint32_t fills = 0;
    uint64_t writes = 0;
  };

  const size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, SeriesEntries> series_;  // by SeriesId value
  std::unordered_map<uint64_t, Pending> pending_;
  size_t entries_ = 0;
  int64_t applied_system_ns_ = 0;
};

}  // namespace strata::engine
