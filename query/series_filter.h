#pragma once

// The WHERE clause of a SELECT or DELETE, split for execution (DESIGN §7): the time range that
// the comparisons on `time` ANDed at its top level allow, a predicate over tags that picks
// the series to read, and the conditions on field values (field_filter.h) that pick rows.
//
// Tags compare as strings with = and !=, or match a regular expression with =~ and !~
// (ECMAScript; a match anywhere in the value counts, as in InfluxDB: /^a$/ anchors). A series
// without the tag has the value "" for it, so `host != 'a'` keeps series that have no host and
// `host = ''` selects them. AND, OR and parentheses combine tag conditions freely.
//
// Not supported yet, each an InvalidArgument "<line>:<column> ... is not supported yet" that
// points at the culprit: a time condition inside an OR (its time range could not be one
// interval), and an OR that mixes field conditions with tag or time conditions (field
// conditions ANDed at the top level, or ORed among themselves, are fine). A name that is both a
// tag and a field is taken as the field.
// Thread-safety: immutable once built; const methods are thread-safe.

#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#include "engine/schema.h"
#include "engine/series_index.h"
#include "query/ast.h"
#include "query/field_filter.h"
#include "util/status.h"

namespace strata::query {

// Valid times [min_ns, max_ns).
struct TimeRange {
  int64_t min_ns = std::numeric_limits<int64_t>::min();
  int64_t max_ns = std::numeric_limits<int64_t>::max();
};

struct WhereClause;

// A predicate over a series' tags.
class SeriesFilter {
 public:
  SeriesFilter();  // matches every series
  ~SeriesFilter();
  SeriesFilter(SeriesFilter&&) noexcept;
  SeriesFilter& operator=(SeriesFilter&&) noexcept;
  SeriesFilter(const SeriesFilter&) = delete;
  SeriesFilter& operator=(const SeriesFilter&) = delete;

  bool Matches(const engine::SeriesInfo& series) const;

  // The series of the measurement that match, in id order.
  std::vector<const engine::SeriesInfo*> Select(const engine::SeriesIndex& index,
                                                std::string_view measurement) const;

  // Tree of the tag conditions; defined in series_filter.cc.
  struct Node;

 private:
  friend Result<WhereClause> SplitWhere(const Condition* where, std::string_view measurement,
                                        const engine::Schema& schema);
  std::unique_ptr<const Node> root_;  // null: every series
};

struct WhereClause {
  TimeRange time;
  SeriesFilter series;
  FieldFilter fields;  // conditions on field values, per row (field_filter.h)
};

// Splits where (null: no WHERE) of a statement on measurement; schema tells fields from tags.
// InvalidArgument with the condition's position for what is not supported (see above), for a
// tag compared with anything but a 'string' (or a /regex/), with an ordering operator, and for a
// regular expression that does not compile.
Result<WhereClause> SplitWhere(const Condition* where, std::string_view measurement,
                               const engine::Schema& schema);

}  // namespace strata::query
