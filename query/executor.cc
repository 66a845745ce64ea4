#include "query/executor.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "query/aggregate.h"

namespace strata::query {
namespace {

struct TimeRange {
  int64_t min_ns = std::numeric_limits<int64_t>::min();  // inclusive
  int64_t max_ns = std::numeric_limits<int64_t>::max();  // exclusive
};

Status Unsupported(const Condition& c, const std::string& what) {
  return Status::InvalidArgument(std::to_string(c.line) + ":" + std::to_string(c.column) + " " +
                                 what + " is not supported yet");
}

// Narrows range by a WHERE clause made of time comparisons joined by AND.
Status CollectTimeRange(const Condition& c, TimeRange* range) {
  if (c.op == Condition::Op::kOr) return Unsupported(c, "OR in WHERE");
  if (c.op == Condition::Op::kAnd) {
    STRATA_RETURN_IF_ERROR(CollectTimeRange(*c.left, range));
    return CollectTimeRange(*c.right, range);
  }
  if (c.name != "time") return Unsupported(c, "a condition on '" + c.name + "'");
  const int64_t t = c.value.integer;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (c.comparator == ">=") {
    range->min_ns = std::max(range->min_ns, t);
  } else if (c.comparator == ">") {
    range->min_ns = std::max(range->min_ns, t == kMax ? kMax : t + 1);
  } else if (c.comparator == "<") {
    range->max_ns = std::min(range->max_ns, t);
  } else if (c.comparator == "<=") {
    // max_ns is exclusive; time <= max int64 cannot be expressed and is clamped (no point
    // carries that timestamp in practice).
    range->max_ns = std::min(range->max_ns, t == kMax ? kMax : t + 1);
  } else if (c.comparator == "=") {
    range->min_ns = std::max(range->min_ns, t);
    range->max_ns = std::min(range->max_ns, t == kMax ? kMax : t + 1);
  } else {
    return Unsupported(c, "time " + c.comparator);
  }
  return Status::OK();
}

Status ItemError(const SelectItem& item, const std::string& what) {
  return Status::InvalidArgument(std::to_string(item.line) + ":" + std::to_string(item.column) +
                                 " " + what);
}

}  // namespace

Status ExecuteSelect(const engine::Engine& engine, const SelectStatement& statement,
                     ResultSink& sink) {
  TimeRange range;
  if (statement.where) STRATA_RETURN_IF_ERROR(CollectTimeRange(*statement.where, &range));
  const engine::SystemTime as_of = statement.as_of_ns
                                       ? engine::SystemTime{*statement.as_of_ns}
                                       : engine.LastVisibleTime();

  std::vector<std::string> columns;
  std::vector<Aggregator> aggregators;
  for (const SelectItem& item : statement.items) {
    if (item.function.empty()) {
      return ItemError(item, "raw field selection is not supported yet; use an aggregate");
    }
    if (item.field == "*") return ItemError(item, item.function + "(*) is not supported yet");
    auto kind = ParseAggregateKind(item.function);
    if (!kind.ok()) return ItemError(item, kind.status().message());
    if (!item.args.empty()) {
      return ItemError(item, item.function + "() takes one argument, the field");
    }
    auto type = engine.schema().Lookup(statement.measurement, item.field);
    aggregators.emplace_back(*kind, type.ok() ? *type : engine::FieldType::kFloat);
    if (Status typed = aggregators.back().CheckType(item.field); !typed.ok()) {
      return ItemError(item, typed.message());
    }
    columns.push_back(item.column_name);
  }

  const auto series = engine.series_index().SeriesOf(statement.measurement);
  for (size_t i = 0; i < statement.items.size(); ++i) {
    Aggregator& agg = aggregators[i];
    for (const engine::SeriesInfo* s : series) {
      STRATA_RETURN_IF_ERROR(
          engine.ScanField(s->id, statement.items[i].field, range.min_ns, range.max_ns, as_of,
                           [&agg](int64_t, const engine::FieldValue& v) { agg.Add(v); }));
    }
  }

  STRATA_RETURN_IF_ERROR(sink.Header(columns));
  bool any = false;
  for (const Aggregator& agg : aggregators) any = any || agg.count() > 0;
  if (!any) return Status::OK();  // an aggregate over no points returns no row
  std::vector<std::string> row;
  for (const Aggregator& agg : aggregators) {
    STRATA_ASSIGN_OR_RETURN(std::string cell, agg.Finish());
    row.push_back(std::move(cell));
  }
  return sink.Row(row);
}

}  // namespace strata::query
