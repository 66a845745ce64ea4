#pragma once

// Parsed form of a statement (DESIGN §7): SELECT (aggregates, or VERSIONS of one field) and
// DELETE. Times are already resolved to nanoseconds (now() is fixed when the statement is
// parsed). Value types; single-threaded.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata::query {

struct Literal {
  enum class Kind { kString, kInteger, kNumber, kTime, kRegex, kBool };
  Kind kind = Kind::kInteger;
  std::string text;  // kString, kRegex: contents; others: as written
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
  std::string function;  // lower case; empty for a raw field
  std::string field;     // "*" for all fields
  std::vector<Literal> args;  // extra arguments, e.g. percentile's p
  std::string column_name;    // alias, or the item as written without spaces
  uint32_t line = 1, column = 1;
};

struct SelectStatement {
  // SELECT VERSIONS <field>: list every version of the one raw field in items[0] instead of
  // resolving points.
  bool versions = false;
  std::vector<SelectItem> items;
  std::string measurement;
  std::unique_ptr<Condition> where;
  std::optional<int64_t> as_of_ns;
};

// DELETE FROM <measurement> [WHERE ...]: tombstones every currently visible point it matches.
struct DeleteStatement {
  std::string measurement;
  std::unique_ptr<Condition> where;  // tag conditions and top-level ANDed time conditions
};

}  // namespace strata::query
