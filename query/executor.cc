#include "query/executor.h"

#include <string>
#include <vector>

#include "query/executor_internal.h"
#include "query/grouped_aggregate.h"
#include "query/series_filter.h"

namespace strata::query {

Status ExecuteSelect(const engine::Engine& engine, const SelectStatement& statement,
                     ResultSink& sink) {
  if (statement.versions) return ExecuteSelectVersions(engine, statement, sink);
  STRATA_ASSIGN_OR_RETURN(
      const WhereClause where,
      SplitWhere(statement.where.get(), statement.measurement, engine.schema()));
  const engine::SystemTime as_of = statement.as_of_ns
                                       ? engine::SystemTime{*statement.as_of_ns}
                                       : engine.LastVisibleTime();
  return ExecuteAggregates(engine, statement, where, as_of, sink);
}

}  // namespace strata::query
