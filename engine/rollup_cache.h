#pragma once

// RollupCache: the decoded rollup buckets of recently read (rollup, series, field)s, shared by
// statements, so that a dashboard query reading a day of buckets per series is a hash lookup
// per series rather than a catalog seek and a decode.
//
// An entry copies one (rollup, series, field)'s rows as some statement's catalog snapshot had
// them, and is tagged with the epoch that statement's view was taken in. The engine starts a new
// epoch at every file-set swap of a flush (whose catalog batch rewrote rollup rows), and a
// statement uses only entries of its own epoch. Two views taken in one epoch can disagree only
// on the rows a flush committed but has not swapped in yet; both views still hold that flush's
// memtable, so the buckets it touched are read from raw data by both, and the buckets they do
// take from an entry are the same in both snapshots.
// Thread-safety: thread-safe. Entries are immutable once inserted.

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/rollup.h"
#include "engine/types.h"
#include "util/mutex.h"

namespace strata::engine {

class RollupCache {
 public:
  // A (rollup, series, field)'s buckets, by start. too_many: it has more than
  // kMaxBucketsPerEntry, and is read from the catalog each time (buckets is then empty).
  struct Rows {
    std::vector<std::pair<int64_t, RollupBucket>> buckets;
    bool too_many = false;
  };
  static constexpr size_t kMaxBucketsPerEntry = 4096;

  explicit RollupCache(size_t capacity_bytes) : capacity_bytes_(capacity_bytes) {}
  RollupCache(const RollupCache&) = delete;
  RollupCache& operator=(const RollupCache&) = delete;

  // The entry of the key read in `epoch`, or null.
  std::shared_ptr<const Rows> Find(uint64_t epoch, uint64_t rollup_id, SeriesId series,
                                   std::string_view field);
  // Keeps rows (read in `epoch`) for later statements of that epoch, evicting the least
  // recently used entries past the capacity.
  void Insert(uint64_t epoch, uint64_t rollup_id, SeriesId series, std::string_view field,
              std::shared_ptr<const Rows> rows);
  size_t bytes() const;

 private:
  struct Entry {
    uint64_t epoch = 0;
    std::shared_ptr<const Rows> rows;
    size_t bytes = 0;
    std::list<std::string>::iterator lru;  // position in lru_ (front: most recent)
  };
  static std::string Key(uint64_t rollup_id, SeriesId series, std::string_view field);

  const size_t capacity_bytes_;
  mutable Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ GUARDED_BY(mu_);
  std::list<std::string> lru_ GUARDED_BY(mu_);
  size_t bytes_ GUARDED_BY(mu_) = 0;
};

}  // namespace strata::engine
