#pragma once

// Runs a parsed SELECT against an engine and streams the answer into a ResultSink.
// Supported so far: whole-range aggregates count, sum, mean, min, max of fields, with a WHERE
// made of time comparisons joined by AND, and AS OF. Anything else is a clear
// InvalidArgument that names the unsupported part (the rest of DESIGN §7 lands in issue 5).
// Thread-safety: thread-safe; concurrent queries share the engine.

#include "engine/engine.h"
#include "query/ast.h"
#include "query/result_format.h"
#include "util/status.h"

namespace strata::query {

Status ExecuteSelect(const engine::Engine& engine, const SelectStatement& statement,
                     ResultSink& sink);

}  // namespace strata::query
