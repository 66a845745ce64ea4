#pragma once

// FILL(...) of a GROUP BY time() answer (DESIGN §7): what the cells of a bucket without points
// become. Shared by aggregates and by the per-step window functions. Pure function, thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "query/ast.h"

namespace strata::query {

// cells[b][c] is column c of bucket b (labelled starts[b]); present[b] says whether the bucket
// had points. Fills the cells of absent buckets: null and none leave them empty (none's rows are
// dropped by the caller), a value writes fill.text, previous copies the bucket before, linear
// interpolates between the nearest buckets with a value on both sides (none at the edges).
void ApplyFill(const Fill& fill, const std::vector<int64_t>& starts,
               const std::vector<bool>& present, std::vector<std::vector<std::string>>* cells);

}  // namespace strata::query
