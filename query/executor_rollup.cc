// CREATE ROLLUP / DROP ROLLUP (DESIGN §8): the engine builds and keeps the rollup
// (engine.h "Rollups"); queries pick one in grouped_aggregate.cc.

#include "query/executor.h"

namespace strata::query {

Status ExecuteRollup(engine::Engine& engine, const RollupStatement& statement) {
  if (!statement.create) return engine.DropRollup(statement.name);
  auto created = engine.CreateRollup(statement.name, statement.measurement, statement.interval_ns);
  return created.status();
}

}  // namespace strata::query
