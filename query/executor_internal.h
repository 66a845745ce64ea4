#pragma once

// Shared by the executor's source files (executor.h); not part of the query module's surface.

#include "engine/engine.h"
#include "query/ast.h"
#include "query/result_format.h"
#include "util/status.h"

namespace strata::query {

// ExecuteSelect for statement.versions (executor_versions.cc).
Status ExecuteSelectVersions(const engine::Engine& engine, const SelectStatement& statement,
                             ResultSink& sink);

}  // namespace strata::query
