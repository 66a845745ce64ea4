#pragma once

// The field predicates of a WHERE (DESIGN §7: `usage_user > 90`): conditions on field values,
// evaluated per row, where a row is one series at one timestamp. They filter points before
// aggregation; with raw selection they keep whole rows.
//
// Comparisons, each an InvalidArgument at the condition when the types do not fit:
//   float, integer, unsigned fields: =, !=, <, <=, >, >= with a number (integers compare exactly
//     with integer literals; a float field or a fractional literal compares as double, so NaN
//     satisfies only !=);
//   boolean fields: = and != with true or false;
//   string fields: = and != with a 'string', =~ and !~ with a /regex/ (a match anywhere counts).
// A field without a value at the row's timestamp fails every comparison on it, as in InfluxDB.
// AND, OR and parentheses combine field conditions; a condition mixing fields with tags or time
// inside one OR is not supported (split by SplitWhere).
// Thread-safety: immutable once built; const methods are thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "engine/field_scan.h"
#include "engine/schema.h"
#include "query/ast.h"
#include "util/status.h"

namespace strata::query {

class FieldFilter {
 public:
  FieldFilter();  // no condition: every row matches
  ~FieldFilter();
  FieldFilter(FieldFilter&&) noexcept;
  FieldFilter& operator=(FieldFilter&&) noexcept;
  FieldFilter(const FieldFilter&) = delete;
  FieldFilter& operator=(const FieldFilter&) = delete;

  // The filter of one condition tree made only of field comparisons on measurement.
  static Result<FieldFilter> Build(const Condition& condition, std::string_view measurement,
                                   const engine::Schema& schema);
  // This filter AND other.
  void And(FieldFilter other);

  bool empty() const { return root_ == nullptr; }
  // "<line>:<column>" of the first condition, for errors about the filter as a whole.
  const std::string& position() const { return position_; }

  // The timestamps in [min_ns, max_ns) at which the series' row matches, as of as_of, ascending.
  Result<std::vector<int64_t>> MatchingTimes(const engine::Engine& engine, engine::SeriesId series,
                                             int64_t min_ns, int64_t max_ns,
                                             engine::SystemTime as_of,
                                             engine::ScanContext* counters) const;

  struct Node;

 private:
  std::unique_ptr<Node> root_;
  std::vector<std::string> fields_;  // the fields compared, distinct; Node::field indexes it
  std::string position_;
};

// Passes on only the points whose time is in `times` (ascending), never block statistics: a
// block's statistics cover points the filter may drop. Wraps another consumer.
class TimeFilteringConsumer : public engine::FieldScanConsumer {
 public:
  TimeFilteringConsumer(const std::vector<int64_t>& times, engine::FieldScanConsumer& downstream)
      : times_(times), downstream_(downstream) {}

  void TakePoints(const engine::PointBatch& batch) override;

 private:
  const std::vector<int64_t>& times_;
  engine::FieldScanConsumer& downstream_;
  size_t next_ = 0;  // batches arrive in time order: times_ before next_ are behind us
  std::vector<int64_t> valid_ns_;
  std::vector<uint64_t> bits_;
  std::vector<std::string> strings_;
};

// Collects every point of a scan as parallel arrays (block statistics are declined: each point
// is needed). bits as engine::PointBatch; strings only for string fields.
class PointColumn : public engine::FieldScanConsumer {
 public:
  void TakePoints(const engine::PointBatch& batch) override;
  void Clear();

  std::vector<int64_t> times;
  std::vector<uint64_t> bits;
  std::vector<std::string> strings;
};

}  // namespace strata::query
