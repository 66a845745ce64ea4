#pragma once

// Recursive-descent parser for the query language (DESIGN §7). Errors point at the offending
// token: InvalidArgument "<line>:<column> <what was expected>", e.g.
// "1:27 expected ')' after 'usage_user'".
// Thread-safety: pure function.

#include <cstdint>
#include <string_view>

#include "query/ast.h"
#include "util/status.h"

namespace strata::query {

// Parses one SELECT statement (aggregates, or SELECT VERSIONS <field>); now_ns is the value of
// now() in time expressions.
Result<SelectStatement> ParseSelect(std::string_view text, int64_t now_ns);

// Parses one DELETE FROM <measurement> [WHERE ...] statement. Which conditions a delete may use
// is checked when it runs (ExecuteDelete), as for SELECT.
Result<DeleteStatement> ParseDelete(std::string_view text, int64_t now_ns);

}  // namespace strata::query
