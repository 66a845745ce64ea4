#include "query/executor.h"

#include <string>
#include <vector>

#include "query/aggregate.h"
#include "query/executor_internal.h"
#include "query/series_filter.h"

namespace strata::query {
namespace {

Status ItemError(const SelectItem& item, const std::string& what) {
  return Status::InvalidArgument(std::to_string(item.line) + ":" + std::to_string(item.column) +
                                 " " + what);
}

}  // namespace

Status ExecuteSelect(const engine::Engine& engine, const SelectStatement& statement,
                     ResultSink& sink) {
  if (statement.versions) return ExecuteSelectVersions(engine, statement, sink);
  STRATA_ASSIGN_OR_RETURN(
      const WhereClause where,
      SplitWhere(statement.where.get(), statement.measurement, engine.schema()));
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

  const auto series = where.series.Select(engine.series_index(), statement.measurement);
  for (size_t i = 0; i < statement.items.size(); ++i) {
    Aggregator& agg = aggregators[i];
    for (const engine::SeriesInfo* s : series) {
      STRATA_RETURN_IF_ERROR(
          engine.ScanField(s->id, statement.items[i].field, where.time.min_ns, where.time.max_ns,
                           as_of, [&agg](int64_t, const engine::FieldValue& v) { agg.Add(v); }));
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
