#pragma once

// SELECT of raw points (DESIGN §7, §6.1): `SELECT usage_user, usage_system FROM cpu ...` or
// `SELECT * ...`. One row per series and timestamp at which at least one selected field has a
// value (and, with field conditions in WHERE, the row matches them): columns `time`, the GROUP BY
// tag columns, then one column per item; a field without a value there is an empty cell. An item
// naming a tag of the measurement (not a field) gives the series' tag value, as in InfluxDB.
// Rows are ordered by tag group, then time (ORDER BY time DESC reverses it), ties between
// series by series key; LIMIT caps the rows of each group.
//
// Streaming: the answer is produced in time slices whose width adapts so a slice holds about
// kRawSliceTargetPoints points, so memory stays bounded however large the answer is.
// Thread-safety: a pure function of the engine's snapshot; concurrent calls are fine.

#include <cstddef>

#include "engine/engine.h"
#include "engine/field_scan.h"
#include "query/ast.h"
#include "query/result_format.h"
#include "query/series_filter.h"
#include "util/status.h"

namespace strata::query {

inline constexpr size_t kRawSliceTargetPoints = size_t{1} << 20;

// True when the statement selects raw fields (no function items).
bool IsRawSelection(const SelectStatement& statement);

// statement's items are already expanded (no '*'). counters (optional) accumulates what the
// scans read, for EXPLAIN.
Status ExecuteRawSelect(const engine::Engine& engine, const SelectStatement& statement,
                        const WhereClause& where, engine::SystemTime as_of, ResultSink& sink,
                        engine::ScanContext* counters = nullptr);

}  // namespace strata::query
