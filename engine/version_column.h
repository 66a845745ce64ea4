#pragma once

// VersionColumn: versions of one (series, field) as parallel arrays — the unit the memtable
// flushes, a chunk block stores and a scan merges. Rows are kept in the order they were given;
// ResolveVersions picks, per valid time, the visible version.
// Thread-safety: value type, single-threaded.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/types.h"

namespace strata::engine {

struct VersionColumn {
  FieldType type = FieldType::kFloat;
  std::vector<int64_t> valid_ns;
  std::vector<int64_t> system_ns;
  std::vector<uint64_t> bits;         // float bit pattern, int, uint or bool (0/1); 0 for strings
  std::vector<std::string> strings;   // kString only: one per row
  std::vector<uint8_t> tombstone;     // 1: this version deletes the point

  size_t size() const { return valid_ns.size(); }
  bool empty() const { return valid_ns.empty(); }
  void Clear();
  void Reserve(size_t n);
  // Appends one version (the memtable keeps rows of its own; this builds columns elsewhere).
  void Append(int64_t valid, int64_t system, const FieldValue& value, bool is_tombstone = false);
  // Appends row i of other (same type).
  void AppendRow(const VersionColumn& other, size_t i);
  // Appends rows [begin, end) of other (same type).
  void AppendRows(const VersionColumn& other, size_t begin, size_t end);
  // The value of row i; strings borrow this column.
  FieldValue ValueAt(size_t i) const;
};

// Visits, for each valid time in [min_ns, max_ns), the version with the greatest system time
// <= as_of_ns (ties: the later row), skipping points whose visible version is a tombstone.
// Calls visit in valid-time order. Rows may come in any order.
void ResolveVersions(const VersionColumn& column, int64_t min_ns, int64_t max_ns,
                     int64_t as_of_ns,
                     const std::function<void(int64_t valid_ns, const FieldValue& value)>& visit);

// Like ResolveVersions, but visits the visible rows as spans [begin, end) of consecutive row
// indices, in valid-time order: a scan can hand the column's own arrays on without copying.
void ResolveVersionSpans(const VersionColumn& column, int64_t min_ns, int64_t max_ns,
                         int64_t as_of_ns, const std::function<void(size_t begin, size_t end)>& visit);

// One version of a point as VERSIONS lists it (DESIGN §7). system_to_ns is the system time of
// the next version of the same point, or kOpenSystemTo while it is still current (as of the
// scan's as_of).
inline constexpr int64_t kOpenSystemTo = -1;
struct VersionView {
  int64_t valid_ns = 0;
  FieldValue value;  // borrows the column; meaningless for tombstones
  bool tombstone = false;
  int64_t system_from_ns = 0;
  int64_t system_to_ns = kOpenSystemTo;
};

// Visits every version with valid time in [min_ns, max_ns) and system time <= as_of_ns, in
// (valid time, system time) order, as DESIGN §1 defines versions: of rows with the same valid and
// system time (one batch) only the last given counts; a row equal to the version it follows
// (bit-identical value, or a tombstone after a tombstone or after nothing) is no version.
void ForEachVersion(const VersionColumn& column, int64_t min_ns, int64_t max_ns,
                    int64_t as_of_ns, const std::function<void(const VersionView&)>& visit);

// Removes from `fresh` every row that is no version given the older history `base` (see
// ForEachVersion): same-batch duplicates, identical rewrites and tombstones of absent points.
// Every row of base must be older (smaller system time) than every row of fresh. Leaves fresh
// sorted by (valid time, system time). Used by flush so retries cost no space on disk.
void DropRedundantVersions(const VersionColumn& base, VersionColumn* fresh);

// True when rows i and j (possibly of different columns of the same type) hold the same
// version content: both tombstones, or both live with bit-identical values.
bool SameVersionContent(const VersionColumn& a, size_t i, const VersionColumn& b, size_t j);

// Sorts rows by (valid time, system time), keeping the given order among equal keys.
void SortVersions(VersionColumn* column);

// True when every row is a distinct point in valid-time order and none is a tombstone: the rows
// are then sorted, and with no older history every row is a version (what an append-only writer
// produces, so flush can write the column as it is).
bool IsPlainAppend(const VersionColumn& column);

}  // namespace strata::engine
