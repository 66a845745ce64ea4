#pragma once

// Recursive-descent parser for the query language (DESIGN §7). Errors point at the offending
// token: InvalidArgument "<line>:<column> <what was expected>", e.g.
// "1:27 expected ')' after 'usage_user', found 'FROM'". Keywords and function names are
// case-insensitive; names keep their case, and a "double quoted" name is never a keyword.
// Thread-safety: pure functions.

#include <cstdint>
#include <string_view>

#include "query/ast.h"
#include "util/status.h"

namespace strata::query {

// Parses one SELECT statement; now_ns is the value of now() in time expressions.
//
//   [EXPLAIN] SELECT <item> [, <item> ...] FROM <measurement>
//     [WHERE <cond>]
//     [GROUP BY <dimension> [, <dimension> ...]]   -- time(<interval>[, [-]<offset>]), <tag>, *
//     [FILL(none | null | previous | linear | [-]<number>)]
//     [ORDER BY time [ASC | DESC]]
//     [LIMIT <n>]
//     [AS OF <time>]                   -- once; may also stand right after FROM or between
//                                          -- any two clauses (after WHERE, after FILL, ...)
//   [EXPLAIN] SELECT VERSIONS <field> [AS <alias>] FROM <measurement> [WHERE ...] [AS OF ...]
//
//   <item> := <field> | * | <agg>(<field> | *) | percentile(<field> | *, <p>)
//           | rolling_median(<field>, <duration> | <n>) | moving_average(<field>, <n>)
//           followed by an optional AS <alias>
//   <agg>  := count | sum | mean | min | max | first | last | median | stddev | spread
//
// Clauses must come in the order shown, each at most once. What is checked here, each an error
// at the offending token:
//   - function names and argument counts; percentile's p is a number in [0, 100];
//     rolling_median's window a duration > 0 or an integer > 0 (Literal::Kind::kDuration holds
//     nanoseconds, kInteger a count of points); moving_average's n an integer >= 1. The window
//     functions take one named field, not '*'.
//   - GROUP BY: the time() interval is a duration > 0; the offset any duration, negative with
//     '-' (only offset modulo interval matters); time() at most once anywhere in the list; no
//     tag twice; '*' (every tag) not together with named tags.
//   - FILL only with GROUP BY time(); LIMIT a non-negative integer (LIMIT 0 returns no rows);
//     ORDER BY only by time.
//   - Which items may share a statement. Every row of an answer has one shape, so:
//       raw fields (and '*') with aggregates:  "cannot mix aggregates and raw fields";
//       raw fields with rolling_median/moving_average: the window functions pool the selected
//         series into one stream (DESIGN §7), raw fields do not, so their rows do not line up;
//       aggregates with rolling_median/moving_average: only with GROUP BY time(), where both
//         give one row per bucket (the window functions are evaluated once per step);
//       raw fields with GROUP BY time(): there is nothing to bucket (GROUP BY <tag> is fine).
//     The error points at the first item of the second kind (or at GROUP BY's time).
//   - SELECT VERSIONS takes only WHERE and AS OF.
//   - WHERE nests at most 100 parentheses deep and holds at most 1000 comparisons, so that a
//     1 MiB query line cannot exhaust the stack of the recursive parse, evaluation or
//     destruction of the condition tree (the same holds for DELETE and SHOW).
// Times (WHERE time ..., AS OF) are 'RFC 3339', integer nanoseconds or now(), each optionally
// followed by + or - durations.
// Whether fields, tags and measurements exist, and which aggregates suit a field's type, is
// checked by the executor.
Result<SelectStatement> ParseSelect(std::string_view text, int64_t now_ns);

// Parses one DELETE FROM <measurement> [WHERE ...] statement. Which conditions a delete may use
// is checked when it runs (ExecuteDelete), as for SELECT.
Result<DeleteStatement> ParseDelete(std::string_view text, int64_t now_ns);

// Parses one SHOW statement:
//   SHOW MEASUREMENTS | SHOW SERIES [FROM m] [WHERE ...] | SHOW TAG KEYS [FROM m]
//   | SHOW TAG VALUES [FROM m] WITH KEY = <key> [WHERE ...] | SHOW FIELD KEYS [FROM m]
//   | SHOW PARTITIONS | SHOW ROLLUPS
// WHERE here compares tags only: = and != with a 'string', =~ and !~ with a /regex/, combined
// with AND, OR and parentheses; a time condition is an error.
Result<ShowStatement> ParseShow(std::string_view text);

// Parses CREATE ROLLUP <name> ON <measurement> EVERY <duration> or DROP ROLLUP <name>. The
// duration is at least 1s (finer buckets would hold about one point each and save nothing).
Result<RollupStatement> ParseRollup(std::string_view text);

}  // namespace strata::query
