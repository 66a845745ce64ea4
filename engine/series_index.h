#pragma once

// SeriesIndex: canonical series key <-> SeriesId, and the series of each measurement with their
// tags (DESIGN §1, §5). In memory for now; the RocksDB catalog will persist it (issue 3).
// Ids are assigned in order of first appearance and never reused.
// Thread-safety: thread-safe. Returned SeriesInfo pointers stay valid for the index's life.

#include <deque>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/types.h"
#include "util/status.h"

namespace strata::engine {

struct SeriesInfo {
  SeriesId id;
  std::string key;  // canonical line-protocol form
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;  // sorted by key

  // The value of tag key, or "" if the series has no such tag.
  std::string_view TagValue(std::string_view tag_key) const;
};

class SeriesIndex {
 public:
  // The id of the series with this canonical key, creating it on first sight (the key is parsed
  // for its measurement and tags; Corruption if it does not parse).
  Result<const SeriesInfo*> GetOrCreate(std::string_view series_key);

  // Re-creates a series read from the catalog at start-up. Ids must come in order 1, 2, ...;
  // Corruption otherwise, or if the key does not parse.
  Status Restore(SeriesId id, std::string_view series_key);

  const SeriesInfo* Find(std::string_view series_key) const;
  const SeriesInfo* Get(SeriesId id) const;

  // Every series of the measurement, in id order.
  std::vector<const SeriesInfo*> SeriesOf(std::string_view measurement) const;
  // The series of the measurement whose tag key has this (non-empty) value, in id order: a
  // posting list, so a query naming one host among a million series reads one list.
  std::vector<const SeriesInfo*> SeriesWithTag(std::string_view measurement,
                                               std::string_view tag_key,
                                               std::string_view tag_value) const;
  std::vector<std::string> Measurements() const;
  size_t size() const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  mutable std::shared_mutex mu_;
  std::deque<SeriesInfo> series_;  // index = id - 1; deque keeps addresses stable
  // Keys view series_[i].key (the deque never moves an element): one copy of each key.
  std::unordered_map<std::string_view, SeriesId, StringHash, std::equal_to<>> by_key_;
  // key: measurement '\0' tag key '\0' tag value.
  std::unordered_map<std::string, std::vector<SeriesId>, StringHash, std::equal_to<>> by_tag_;
  std::unordered_map<std::string, std::vector<SeriesId>, StringHash, std::equal_to<>>
      by_measurement_;
};

}  // namespace strata::engine
