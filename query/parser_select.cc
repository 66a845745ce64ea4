// ParseSelect: the SELECT statement of DESIGN §7; the grammar and the checks are listed in
// parser.h.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "query/lexer.h"
#include "query/parser.h"
#include "query/parser_internal.h"

namespace strata::query {
namespace {

using parser_internal::Quote;

// What an item contributes to a row; items of different kinds cannot always share one.
enum class ItemKind {
  kRaw,        // a field or '*': a value per point of each series
  kAggregate,  // a value per group, or per group and GROUP BY time bucket
  kWindow,     // a value per point of the pooled stream, or per GROUP BY time step
};

// What the argument after the field means.
enum class ExtraArgument { kNone, kPercentile, kWindowDurationOrPoints, kWindowPoints };

struct FunctionSpec {
  std::string_view name;
  ItemKind kind;
  ExtraArgument extra;
  std::string_view extra_usage;  // how the extra argument is written in a usage hint
};

constexpr FunctionSpec kFunctions[] = {
    {"count", ItemKind::kAggregate, ExtraArgument::kNone, ""},
    {"sum", ItemKind::kAggregate, ExtraArgument::kNone, ""},
    {"mean", ItemKind::kAggregate, ExtraArgument::kNone, ""},
    {"min", ItemKind::kAggregate, ExtraArgument::kNone, ""},
    {"max", ItemKind::kAggregate, ExtraArgument::kNone, ""},
    {"first", ItemKind::kAggregate, ExtraArgument::kNone, ""},
    {"last", ItemKind::kAggregate, ExtraArgument::kNone, ""},
    {"median", ItemKind::kAggregate, ExtraArgument::kNone, ""},
    {"stddev", ItemKind::kAggregate, ExtraArgument::kNone, ""},
    {"spread", ItemKind::kAggregate, ExtraArgument::kNone, ""},
    {"percentile", ItemKind::kAggregate, ExtraArgument::kPercentile, "<p from 0 to 100>"},
    {"rolling_median", ItemKind::kWindow, ExtraArgument::kWindowDurationOrPoints,
     "<duration> | <points>"},
    {"moving_average", ItemKind::kWindow, ExtraArgument::kWindowPoints, "<points>"},
};

const FunctionSpec* FindFunction(std::string_view lower_name) {
  for (const FunctionSpec& spec : kFunctions) {
    if (spec.name == lower_name) return &spec;
  }
  return nullptr;
}

std::string SupportedFunctions() {
  std::string list;
  for (const FunctionSpec& spec : kFunctions) {
    if (!list.empty()) list += ", ";
    list += spec.name;
  }
  return list;
}

std::string Usage(const FunctionSpec& spec) {
  std::string usage = std::string(spec.name) + "(<field>";
  if (!spec.extra_usage.empty()) usage += ", " + std::string(spec.extra_usage);
  return usage + ")";
}

ItemKind KindOf(const SelectItem& item) {
  if (item.function.empty()) return ItemKind::kRaw;
  const FunctionSpec* spec = FindFunction(item.function);
  return spec != nullptr ? spec->kind : ItemKind::kAggregate;  // always found: checked in Call
}

// Why items of kinds a and b cannot share a statement; empty if they can.
std::string MixError(ItemKind a, ItemKind b, bool time_buckets) {
  auto is = [&](ItemKind x, ItemKind y) { return (a == x && b == y) || (a == y && b == x); };
  if (is(ItemKind::kRaw, ItemKind::kAggregate)) return "cannot mix aggregates and raw fields";
  if (is(ItemKind::kRaw, ItemKind::kWindow)) {
    return "cannot mix raw fields and window functions (rolling_median, moving_average)";
  }
  if (is(ItemKind::kAggregate, ItemKind::kWindow) && !time_buckets) {
    return "cannot mix aggregates and window functions (rolling_median, moving_average) "
           "without GROUP BY time(<interval>)";
  }
  return "";
}

// Clauses after FROM, in the order they must appear; AS OF may stand between any two.
enum class Clause { kWhere, kGroupBy, kFill, kOrderBy, kLimit };
constexpr std::string_view kClauseNames[] = {"WHERE", "GROUP BY", "FILL", "ORDER BY", "LIMIT"};

class SelectParser : public parser_internal::StatementParser {
 public:
  using StatementParser::StatementParser;

  Result<SelectStatement> Parse() {
    SelectStatement stmt;
    stmt.explain = AcceptKeyword("explain");
    if (!AcceptKeyword("select")) return Expected(stmt.explain ? "SELECT after EXPLAIN" : "SELECT");
    STRATA_RETURN_IF_ERROR(Items(&stmt));
    if (!AcceptKeyword("from")) {
      return Expected(stmt.versions
                          ? "FROM after the VERSIONS field (VERSIONS lists exactly one field)"
                          : "',' or FROM after " + Quote(Previous().text));
    }
    STRATA_ASSIGN_OR_RETURN(stmt.measurement, MeasurementName());
    STRATA_RETURN_IF_ERROR(Clauses(&stmt));
    STRATA_RETURN_IF_ERROR(End());
    // Syntax first, then whether the parts fit together.
    STRATA_RETURN_IF_ERROR(CheckItemMix(stmt));
    return stmt;
  }

 private:
  Status Items(SelectStatement* stmt) {
    if (AtVersions()) return Versions(stmt);
    do {
      if (AtVersions()) return ErrorAt(Peek(), "VERSIONS must be the only select item");
      SelectItem item;
      STRATA_RETURN_IF_ERROR(Item(&item));
      stmt->items.push_back(std::move(item));
    } while (Accept(TokenKind::kComma));
    return Status::OK();
  }

  // VERSIONS is a keyword only where a field could not stand: right before a name or '*'
  // ("SELECT versions FROM m" still selects a field called versions).
  bool AtVersions() const {
    if (!AtKeyword("versions")) return false;
    const Token& after = Peek(1);
    return (after.kind == TokenKind::kIdentifier && !IsReserved(after)) ||
           (after.kind == TokenKind::kOperator && after.text == "*");
  }

  // VERSIONS <field> [AS alias]: exactly one raw field.
  Status Versions(SelectStatement* stmt) {
    Next();  // VERSIONS
    stmt->versions = true;
    SelectItem item;
    STRATA_RETURN_IF_ERROR(Item(&item));
    if (!item.function.empty() || item.field == "*") {
      std::string written =
          item.function.empty() ? item.field : item.function + "(" + item.field + ")";
      return ErrorAt(item.line, item.column,
                     "VERSIONS takes one field name, not " + Quote(written));
    }
    stmt->items.push_back(std::move(item));
    return Status::OK();
  }

  Status Item(SelectItem* item) {
    const Token& first = Peek();
    item->line = first.line;
    item->column = first.column;
    if (AcceptOperator("*")) {
      // assign(1, '*') rather than = "*": GCC 12 reports a false -Wrestrict for the latter.
      item->field.assign(1, '*');
      item->column_name.assign(1, '*');
    } else if (AtName()) {
      const Token& name = Next();
      if (Peek().kind == TokenKind::kLParen) {
        STRATA_RETURN_IF_ERROR(Call(name, item));
      } else {
        item->field = name.text;
        item->column_name = name.text;
      }
    } else {
      return Expected("a field or function");
    }
    if (AtKeyword("as") && !AtKeyword("of", 1)) {
      Next();
      if (!AtName()) return Expected("an alias after AS");
      item->column_name = Next().text;
    }
    return Status::OK();
  }

  // <function>(<field> | * [, <argument>]), the current token being '('.
  Status Call(const Token& name, SelectItem* item) {
    item->function = parser_internal::Lower(name.text);
    const FunctionSpec* spec = FindFunction(item->function);
    if (spec == nullptr) {
      return ErrorAt(name, "unknown function " + Quote(name.text) +
                               " (supported: " + SupportedFunctions() + ")");
    }
    Next();  // (
    const Token& field = Peek();
    if (AcceptOperator("*")) {
      if (spec->kind == ItemKind::kWindow) {
        return ErrorAt(field, item->function + "() takes one field name, not '*'");
      }
      item->field.assign(1, '*');
    } else if (field.kind == TokenKind::kIdentifier) {
      Next();
      if (Peek().kind == TokenKind::kLParen) {
        return ErrorAt(field, "function calls cannot be nested: use " + Usage(*spec));
      }
      item->field = field.text;
    } else {
      return Expected("a field name after " + Quote(name.text + "("));
    }
    while (Accept(TokenKind::kComma)) {
      if (!item->args.empty() || spec->extra == ExtraArgument::kNone) {
        return ErrorAt(Peek(), "too many arguments: use " + Usage(*spec));
      }
      const Token& at = Peek();
      STRATA_ASSIGN_OR_RETURN(Literal arg, ArgumentLiteral());
      STRATA_RETURN_IF_ERROR(CheckArgument(*spec, arg, at));
      item->args.push_back(std::move(arg));
    }
    if (Peek().kind != TokenKind::kRParen) return Expected("')' after " + Quote(Previous().text));
    if (item->args.empty() && spec->extra != ExtraArgument::kNone) {
      return ErrorAt(Peek(), "missing argument: use " + Usage(*spec));
    }
    Next();  // )
    item->column_name = item->function + "(" + item->field;
    for (const Literal& arg : item->args) item->column_name += "," + arg.text;
    item->column_name += ")";
    return Status::OK();
  }

  // [-] integer | number | duration.
  Result<Literal> ArgumentLiteral() {
    const TokenKind after_minus = Peek(1).kind;
    const bool negative =
        Peek().kind == TokenKind::kOperator && Peek().text == "-" &&
        (after_minus == TokenKind::kInteger || after_minus == TokenKind::kNumber ||
         after_minus == TokenKind::kDuration);
    if (negative) Next();
    const Token& t = Peek();
    Literal lit;
    if (t.kind == TokenKind::kInteger || t.kind == TokenKind::kNumber) {
      STRATA_ASSIGN_OR_RETURN(lit, NumberLiteral(Next()));
    } else if (t.kind == TokenKind::kDuration) {
      STRATA_ASSIGN_OR_RETURN(lit.integer, DurationAt(Next()));
      lit.kind = Literal::Kind::kDuration;
      lit.text = t.text;
    } else {
      return Expected("a number or a duration");
    }
    if (negative) {
      lit.integer = -lit.integer;  // >= 0 before: cannot overflow
      lit.number = -lit.number;
      lit.text.insert(0, 1, '-');
    }
    return lit;
  }

  static Status CheckArgument(const FunctionSpec& spec, const Literal& arg, const Token& at) {
    const std::string found = ", found " + Quote(arg.text);
    switch (spec.extra) {
      case ExtraArgument::kNone:
        break;
      case ExtraArgument::kPercentile:
        if (arg.kind == Literal::Kind::kDuration || !(arg.number >= 0 && arg.number <= 100)) {
          return ErrorAt(at, "percentile must be a number from 0 to 100" + found);
        }
        break;
      case ExtraArgument::kWindowDurationOrPoints:
        if (arg.kind == Literal::Kind::kNumber) {
          return ErrorAt(at, std::string(spec.name) +
                                 " window must be a duration or a whole number of points" + found);
        }
        if (arg.integer <= 0) {
          return ErrorAt(at, std::string(spec.name) + " window must be greater than zero" + found);
        }
        break;
      case ExtraArgument::kWindowPoints:
        if (arg.kind != Literal::Kind::kInteger || arg.integer < 1) {
          return ErrorAt(at, std::string(spec.name) +
                                 " window must be a whole number of points, at least 1" + found);
        }
        break;
    }
    return Status::OK();
  }

  std::optional<Clause> ClauseAt() const {
    if (AtKeyword("where")) return Clause::kWhere;
    if (AtKeyword("group")) return Clause::kGroupBy;
    if (AtKeyword("fill")) return Clause::kFill;
    if (AtKeyword("order")) return Clause::kOrderBy;
    if (AtKeyword("limit")) return Clause::kLimit;
    return std::nullopt;
  }

  Status Clauses(SelectStatement* stmt) {
    bool seen[std::size(kClauseNames)] = {};
    std::optional<Clause> latest;
    while (true) {
      const Token& start = Peek();
      if (AtKeyword("as")) {
        if (stmt->as_of_ns) return ErrorAt(start, "duplicate AS OF clause");
        STRATA_RETURN_IF_ERROR(AsOf(stmt));
        continue;
      }
      const std::optional<Clause> clause = ClauseAt();
      if (!clause) return Status::OK();
      const size_t index = static_cast<size_t>(*clause);
      const std::string name(kClauseNames[index]);
      if (seen[index]) return ErrorAt(start, "duplicate " + name + " clause");
      if (latest && *clause < *latest) {
        return ErrorAt(start, name + " must come before " +
                                  std::string(kClauseNames[static_cast<size_t>(*latest)]));
      }
      if (stmt->versions && *clause != Clause::kWhere) {
        return ErrorAt(start, "SELECT VERSIONS takes no " + name + " (only WHERE and AS OF)");
      }
      seen[index] = true;
      latest = clause;
      switch (*clause) {
        case Clause::kWhere: {
          Next();
          STRATA_ASSIGN_OR_RETURN(stmt->where, Where());
          break;
        }
        case Clause::kGroupBy:
          STRATA_RETURN_IF_ERROR(GroupByClause(&stmt->group_by));
          break;
        case Clause::kFill:
          STRATA_RETURN_IF_ERROR(FillClause(stmt));
          break;
        case Clause::kOrderBy:
          STRATA_RETURN_IF_ERROR(OrderByClause(stmt));
          break;
        case Clause::kLimit:
          STRATA_RETURN_IF_ERROR(LimitClause(stmt));
          break;
      }
    }
  }

  Status AsOf(SelectStatement* stmt) {
    Next();  // AS
    if (!AcceptKeyword("of")) return Expected("OF after AS");
    STRATA_ASSIGN_OR_RETURN(int64_t t, TimeExpression());
    stmt->as_of_ns = t;
    return Status::OK();
  }

  Status GroupByClause(GroupBy* group_by) {
    Next();  // GROUP
    if (!AcceptKeyword("by")) return Expected("BY after GROUP");
    std::unordered_set<std::string> tags_seen;  // a list may be long: no quadratic check
    do {
      const Token& dimension = Peek();
      if (AtKeyword("time")) {
        if (group_by_time_ != nullptr) return ErrorAt(dimension, "duplicate time() in GROUP BY");
        group_by_time_ = &dimension;
        STRATA_RETURN_IF_ERROR(TimeBuckets(group_by));
      } else if (AcceptOperator("*")) {
        if (group_by->all_tags) return ErrorAt(dimension, "duplicate '*' in GROUP BY");
        if (!group_by->tags.empty()) return ErrorAt(dimension, kStarWithTags);
        group_by->all_tags = true;
      } else if (AtName()) {
        if (group_by->all_tags) return ErrorAt(dimension, kStarWithTags);
        if (!tags_seen.insert(dimension.text).second) {
          return ErrorAt(dimension, "duplicate tag " + Quote(dimension.text) + " in GROUP BY");
        }
        group_by->tags.push_back(Next().text);
      } else {
        return Expected("a tag, time(<interval>) or '*' in GROUP BY");
      }
    } while (Accept(TokenKind::kComma));
    return Status::OK();
  }

  static constexpr const char* kStarWithTags =
      "GROUP BY * already groups by every tag; list tags or use '*', not both";

  // time(<interval>[, [-]<offset>]), the current token being time.
  Status TimeBuckets(GroupBy* group_by) {
    Next();  // time
    if (!Accept(TokenKind::kLParen)) return Expected("'(' after time in GROUP BY");
    const Token& interval_at = Peek();
    STRATA_ASSIGN_OR_RETURN(Literal interval, SignedDuration("an interval such as 1m in time()"));
    if (interval.integer <= 0) {
      return ErrorAt(interval_at, "GROUP BY time interval must be greater than zero, found " +
                                      Quote(interval.text));
    }
    group_by->interval_ns = interval.integer;
    if (Accept(TokenKind::kComma)) {
      STRATA_ASSIGN_OR_RETURN(Literal offset, SignedDuration("an offset duration after ','"));
      group_by->offset_ns = offset.integer;
    }
    if (!Accept(TokenKind::kRParen)) return Expected("')' after " + Quote(Previous().text));
    return Status::OK();
  }

  // [-] duration, as a kDuration literal; otherwise "expected <what>".
  Result<Literal> SignedDuration(const std::string& what) {
    const bool negative = Peek().kind == TokenKind::kOperator && Peek().text == "-" &&
                          Peek(1).kind == TokenKind::kDuration;
    if (negative) Next();
    if (Peek().kind != TokenKind::kDuration) return Expected(what);
    Literal lit;
    lit.kind = Literal::Kind::kDuration;
    lit.text = Peek().text;
    STRATA_ASSIGN_OR_RETURN(lit.integer, DurationAt(Next()));
    if (negative) {
      lit.integer = -lit.integer;  // >= 0 before: cannot overflow
      lit.text.insert(0, 1, '-');
    }
    return lit;
  }

  Status FillClause(SelectStatement* stmt) {
    const Token& fill = Next();
    if (stmt->group_by.interval_ns == 0) {
      // Without time buckets there are no empty buckets to fill.
      return ErrorAt(fill, "FILL needs GROUP BY time(<interval>)");
    }
    if (!Accept(TokenKind::kLParen)) return Expected("'(' after FILL");
    static constexpr std::pair<std::string_view, Fill::Mode> kModes[] = {
        {"none", Fill::Mode::kNone},
        {"null", Fill::Mode::kNull},
        {"previous", Fill::Mode::kPrevious},
        {"linear", Fill::Mode::kLinear}};
    bool named = false;
    for (const auto& [word, mode] : kModes) {
      if (AcceptKeyword(word)) {
        stmt->fill.mode = mode;
        named = true;
        break;
      }
    }
    if (!named) {
      const TokenKind after_minus = Peek(1).kind;
      const bool negative =
          Peek().kind == TokenKind::kOperator && Peek().text == "-" &&
          (after_minus == TokenKind::kInteger || after_minus == TokenKind::kNumber);
      if (negative) Next();
      const Token& v = Peek();
      if (v.kind != TokenKind::kInteger && v.kind != TokenKind::kNumber) {
        return Expected("none, null, previous, linear or a number in FILL()");
      }
      STRATA_ASSIGN_OR_RETURN(Literal value, NumberLiteral(Next()));
      stmt->fill.mode = Fill::Mode::kValue;
      stmt->fill.value = negative ? -value.number : value.number;
      stmt->fill.text = negative ? "-" + value.text : value.text;
    }
    if (!Accept(TokenKind::kRParen)) return Expected("')' after " + Quote(Previous().text));
    return Status::OK();
  }

  Status OrderByClause(SelectStatement* stmt) {
    Next();  // ORDER
    if (!AcceptKeyword("by")) return Expected("BY after ORDER");
    if (!AcceptKeyword("time"))
      return Expected("time after ORDER BY (answers are ordered by time)");
    if (AcceptKeyword("desc")) {
      stmt->descending = true;
    } else if (AcceptKeyword("asc")) {
      stmt->descending = false;
    }
    return Status::OK();
  }

  Status LimitClause(SelectStatement* stmt) {
    Next();  // LIMIT
    const Token& n = Peek();
    if (n.kind != TokenKind::kInteger) return Expected("a non-negative integer after LIMIT");
    uint64_t limit = 0;
    auto [end, ec] = std::from_chars(n.text.data(), n.text.data() + n.text.size(), limit);
    if (ec != std::errc()) return ErrorAt(n, "LIMIT " + Quote(n.text) + " is out of range");
    Next();
    stmt->limit = limit;
    return Status::OK();
  }

  // The rules in parser.h: the error points at the first item whose kind cannot join the
  // kinds before it, or at GROUP BY's time for raw fields in time buckets.
  Status CheckItemMix(const SelectStatement& stmt) const {
    const bool time_buckets = stmt.group_by.interval_ns > 0;
    bool seen[3] = {};
    for (const SelectItem& item : stmt.items) {
      const ItemKind kind = KindOf(item);
      for (ItemKind earlier : {ItemKind::kRaw, ItemKind::kAggregate, ItemKind::kWindow}) {
        if (!seen[static_cast<size_t>(earlier)]) continue;
        std::string why = MixError(earlier, kind, time_buckets);
        if (!why.empty()) return ErrorAt(item.line, item.column, why);
      }
      seen[static_cast<size_t>(kind)] = true;
    }
    if (time_buckets && seen[static_cast<size_t>(ItemKind::kRaw)]) {
      return ErrorAt(*group_by_time_,
                     "GROUP BY time() needs aggregates or window functions, not raw fields");
    }
    return Status::OK();
  }

  const Token* group_by_time_ = nullptr;  // the time of GROUP BY time(...), if any
};

}  // namespace

Result<SelectStatement> ParseSelect(std::string_view text, int64_t now_ns) {
  STRATA_ASSIGN_OR_RETURN(auto tokens, Tokenize(text));
  return SelectParser(std::move(tokens), now_ns).Parse();
}

}  // namespace strata::query
