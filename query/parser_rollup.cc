// ParseRollup: CREATE ROLLUP and DROP ROLLUP (grammar in parser.h).

#include <string>
#include <utility>
#include <vector>

#include "query/lexer.h"
#include "query/parser.h"
#include "query/parser_internal.h"

namespace strata::query {
namespace {

constexpr int64_t kMinRollupIntervalNs = 1'000'000'000;

class RollupParser : public parser_internal::StatementParser {
 public:
  explicit RollupParser(std::vector<Token> tokens) : StatementParser(std::move(tokens), 0) {}

  Result<RollupStatement> Parse() {
    RollupStatement stmt;
    if (AcceptKeyword("create")) {
      stmt.create = true;
    } else if (AcceptKeyword("drop")) {
      stmt.create = false;
    } else {
      return Expected("CREATE or DROP");
    }
    if (!AcceptKeyword("rollup")) return Expected("ROLLUP");
    if (!AtName()) return Expected("a rollup name");
    stmt.name = Next().text;
    if (stmt.create) {
      if (!AcceptKeyword("on")) return Expected("ON <measurement> after the rollup name");
      if (!AtName()) return Expected("a measurement name after ON");
      stmt.measurement = Next().text;
      if (!AcceptKeyword("every")) return Expected("EVERY <duration> after the measurement");
      const Token& interval = Peek();
      if (interval.kind != TokenKind::kDuration) return Expected("a duration such as 1m or 1h");
      STRATA_ASSIGN_OR_RETURN(stmt.interval_ns, DurationAt(Next()));
      if (stmt.interval_ns < kMinRollupIntervalNs) {
        return ErrorAt(interval, "a rollup's interval is at least 1s");
      }
    }
    STRATA_RETURN_IF_ERROR(End());
    return stmt;
  }
};

}  // namespace

Result<RollupStatement> ParseRollup(std::string_view text) {
  STRATA_ASSIGN_OR_RETURN(auto tokens, Tokenize(text));
  return RollupParser(std::move(tokens)).Parse();
}

}  // namespace strata::query
