#include "query/executor.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "query/aggregate.h"
#include "query/executor_internal.h"
#include "query/grouped_aggregate.h"
#include "query/raw_select.h"
#include "query/series_filter.h"
#include "query/window_functions.h"

namespace strata::query {

namespace {

// A copy of the statement's shape with every '*' item expanded (the WHERE is already split, so
// the copy leaves it out): a raw '*' becomes the measurement's fields and the tag keys of the
// measurement's series not grouped by (whatever WHERE selects, so the columns do not depend
// on the filter), sorted by name as in InfluxDB; <agg>(*) becomes <agg>(f) for
// each field the aggregate suits, named <agg>_<f>.
SelectStatement ExpandStars(const engine::Engine& engine, const SelectStatement& statement) {
  SelectStatement expanded;
  expanded.measurement = statement.measurement;
  expanded.group_by = statement.group_by;
  expanded.fill = statement.fill;
  expanded.as_of_ns = statement.as_of_ns;
  expanded.descending = statement.descending;
  expanded.limit = statement.limit;
  const auto fields = engine.schema().Fields(statement.measurement);
  for (const SelectItem& item : statement.items) {
    if (item.field != "*") {
      expanded.items.push_back(item);
      continue;
    }
    if (item.function.empty()) {
      std::set<std::string> names;
      for (const auto& [field, type] : fields) names.insert(field);
      const auto& grouped = statement.group_by.tags;
      for (const engine::SeriesInfo* s : engine.series_index().SeriesOf(statement.measurement)) {
        for (const auto& [key, value] : s->tags) {
          if (!statement.group_by.all_tags &&
              std::find(grouped.begin(), grouped.end(), key) == grouped.end()) {
            names.insert(key);
          }
        }
      }
      for (const std::string& name : names) {
        SelectItem one = item;
        one.field = one.column_name = name;
        expanded.items.push_back(std::move(one));
      }
      continue;
    }
    auto kind = ParseAggregateKind(item.function);
    for (const auto& [field, type] : fields) {
      if (kind.ok() && !Aggregator(*kind, type).CheckType(field).ok()) continue;
      SelectItem one = item;
      one.field = field;
      one.column_name = item.function + "_" + field;
      expanded.items.push_back(std::move(one));
    }
  }
  return expanded;
}

bool HasStar(const SelectStatement& statement) {
  return std::any_of(statement.items.begin(), statement.items.end(),
                     [](const SelectItem& item) { return item.field == "*"; });
}

}  // namespace

Status ExecuteSelect(const engine::Engine& engine, const SelectStatement& statement,
                     ResultSink& sink, engine::ScanContext* context) {
  engine::ScanContext local;
  engine::ScanContext* counters = context != nullptr ? context : &local;
  if (statement.versions) return ExecuteSelectVersions(engine, statement, sink);
  STRATA_ASSIGN_OR_RETURN(
      const WhereClause where,
      SplitWhere(statement.where.get(), statement.measurement, engine.schema()));
  const engine::SystemTime as_of =
      statement.as_of_ns ? engine::SystemTime{*statement.as_of_ns} : engine.LastVisibleTime();
  const SelectStatement expanded =
      HasStar(statement) ? ExpandStars(engine, statement) : SelectStatement{};
  const SelectStatement& run = HasStar(statement) ? expanded : statement;
  if (HasWindowFunction(run)) {
    return ExecuteWindowFunctions(engine, run, where, as_of, sink, counters);
  }
  if (IsRawSelection(run)) return ExecuteRawSelect(engine, run, where, as_of, sink, counters);
  return ExecuteAggregates(engine, run, where, as_of, sink, counters);
}

}  // namespace strata::query
