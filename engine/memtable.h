#pragma once

// MemTable: every point written since the last flush, per series and field, in append-only
// column buffers (DESIGN §3 step 3). Out-of-order and duplicate valid times are accepted; every
// write is kept as a version with its system time, and reads resolve them.
// Thread-safety: thread-safe. Apply takes an exclusive lock, scans a shared one.

#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/series_index.h"
#include "engine/types.h"
#include "util/status.h"

namespace strata::engine {

// Called for each resolved point in valid-time order. String values borrow memtable memory and
// are valid only during the call.
using PointVisitor = std::function<void(int64_t valid_time_ns, const FieldValue& value)>;

class MemTable {
 public:
  MemTable() = default;
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Applies one committed write batch (a WAL payload) with its system time. Series are resolved
  // (and created) through index. Corruption if the payload does not decode; then nothing of it
  // is applied.
  Status Apply(int64_t system_time_ns, std::string_view payload, SeriesIndex& index);

  // Visits the points of (series, field) with valid time in [min_ns, max_ns): for each valid
  // time the version with the greatest system time <= as_of_ns (on a tie, the later write).
  void ScanField(SeriesId series, std::string_view field, int64_t min_ns, int64_t max_ns,
                 int64_t as_of_ns, const PointVisitor& visit) const;

  uint64_t points() const;
  uint64_t ApproximateBytes() const;

 private:
  struct Column {
    std::string field;
    FieldType type;
    std::vector<int64_t> valid_ns;
    std::vector<int64_t> system_ns;
    std::vector<uint64_t> bits;        // float bit pattern, int, uint or bool; string: index
    std::vector<std::string> strings;  // kString values
    // True while every append had a valid time greater than the previous one: then the column
    // is sorted, holds one version per point, and scans need no sort.
    bool strictly_increasing = true;

    void Append(int64_t valid, int64_t system, const FieldValue& value);
    FieldValue ValueAt(size_t i) const;
  };
  struct SeriesColumns {
    std::vector<Column> columns;
    Column* Find(std::string_view field);
  };

  mutable std::shared_mutex mu_;
  std::unordered_map<uint64_t, SeriesColumns> series_;  // by SeriesId value
  uint64_t points_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace strata::engine
