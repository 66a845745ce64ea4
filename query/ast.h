#pragma once

// Parsed form of a statement (DESIGN §7): SELECT (aggregates, or VERSIONS of one field) and
// DELETE. Times are already resolved to nanoseconds (now() is fixed when the statement is
// parsed). Value types; single-threaded.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace strata::query {

// InvalidArgument "<line>:<column> <what>" pointing at a node of the statement (a condition, a
// select item: anything with 1-based line and column).
template <typename Node>
Status ErrorAt(const Node& node, const std::string& what) {
  return Status::InvalidArgument(std::to_string(node.line) + ":" + std::to_string(node.column) +
                                 " " + what);
}

struct Literal {
  // kDuration: a duration argument such as rolling_median(f, 1h); integer holds nanoseconds.
  enum class Kind { kString, kInteger, kNumber, kTime, kRegex, kBool, kDuration };
  Kind kind = Kind::kInteger;
  std::string text;     // kString, kRegex: contents; others: as written
  int64_t integer = 0;  // kInteger, kTime (nanoseconds), kBool (0/1)
  double number = 0;    // kNumber (also set for kInteger)
};

struct Condition {
  enum class Op { kAnd, kOr, kCompare };
  Op op = Op::kCompare;
  std::unique_ptr<Condition> left, right;  // kAnd, kOr
  std::string name;                        // kCompare: "time", a tag key or a field key
  std::string comparator;                  // kCompare: = != < <= > >= =~ !~
  Literal value;                           // kCompare
  uint32_t line = 1, column = 1;           // where the comparison starts, for errors
};

struct SelectItem {
  std::string function;       // lower case; empty for a raw field
  std::string field;          // "*" for all fields
  std::vector<Literal> args;  // extra arguments, e.g. percentile's p
  std::string column_name;    // alias, or the item as written without spaces
  uint32_t line = 1, column = 1;
};

// GROUP BY time(<interval>[, <offset>]) [, <tag> ...] | GROUP BY <tag> [, ...]
struct GroupBy {
  int64_t interval_ns = 0;        // 0: no time buckets
  int64_t offset_ns = 0;          // bucket starts are multiples of interval_ns plus this
  std::vector<std::string> tags;  // in the order written
  bool all_tags = false;          // GROUP BY *
};

struct Fill {
  enum class Mode { kNull, kNone, kPrevious, kLinear, kValue };
  Mode mode = Mode::kNull;  // InfluxDB's default
  double value = 0;         // kValue
  std::string text;         // kValue: as written, so integer fields fill with an integer
};

struct SelectStatement {
  // EXPLAIN SELECT ...: answer with the plan instead of the rows (DESIGN §7).
  bool explain = false;
  // SELECT VERSIONS <field>: list every version of the one raw field in items[0] instead of
  // resolving points.
  bool versions = false;
  std::vector<SelectItem> items;
  std::string measurement;
  std::unique_ptr<Condition> where;
  GroupBy group_by;
  Fill fill;
  std::optional<int64_t> as_of_ns;
  bool descending = false;        // ORDER BY time DESC
  std::optional<uint64_t> limit;  // LIMIT n: at most n rows per group, as in InfluxDB
};

// DELETE FROM <measurement> [WHERE ...]: tombstones every currently visible point it matches.
struct DeleteStatement {
  std::string measurement;
  std::unique_ptr<Condition> where;  // tag conditions and top-level ANDed time conditions
};

// CREATE ROLLUP <name> ON <measurement> EVERY <duration> | DROP ROLLUP <name> (DESIGN §8).
struct RollupStatement {
  bool create = true;  // false: DROP
  std::string name;
  std::string measurement;  // CREATE only
  int64_t interval_ns = 0;  // CREATE only
};

// SHOW MEASUREMENTS | SHOW SERIES [FROM m] | SHOW TAG KEYS [FROM m]
// | SHOW TAG VALUES [FROM m] WITH KEY = k | SHOW FIELD KEYS [FROM m] | SHOW PARTITIONS
// | SHOW ROLLUPS
struct ShowStatement {
  enum class What {
    kMeasurements,
    kSeries,
    kTagKeys,
    kTagValues,
    kFieldKeys,
    kPartitions,
    kRollups
  };
  What what = What::kMeasurements;
  std::string measurement;           // FROM m; empty: every measurement
  std::string tag_key;               // kTagValues: WITH KEY = k
  std::unique_ptr<Condition> where;  // SHOW SERIES/TAG VALUES ... WHERE <tag conditions>
};

}  // namespace strata::query
