// ParseShow: the SHOW statements of DESIGN §7 (grammar in parser.h).

#include <string>
#include <utility>
#include <vector>

#include "query/lexer.h"
#include "query/parser.h"
#include "query/parser_internal.h"

namespace strata::query {
namespace {

constexpr const char* kShowTargets =
    "MEASUREMENTS, SERIES, TAG KEYS, TAG VALUES, FIELD KEYS, PARTITIONS or ROLLUPS after SHOW";

class ShowParser : public parser_internal::StatementParser {
 public:
  // SHOW has no time conditions, so now() never matters.
  explicit ShowParser(std::vector<Token> tokens) : StatementParser(std::move(tokens), 0) {
    set_tags_only(true);
  }

  Result<ShowStatement> Parse() {
    ShowStatement stmt;
    if (!AcceptKeyword("show")) return Expected("SHOW");
    using What = ShowStatement::What;
    if (AcceptKeyword("measurements")) {
      stmt.what = What::kMeasurements;
    } else if (AcceptKeyword("series")) {
      stmt.what = What::kSeries;
      STRATA_RETURN_IF_ERROR(OptionalFrom(&stmt));
      STRATA_RETURN_IF_ERROR(OptionalWhere(&stmt));
    } else if (AcceptKeyword("tag")) {
      if (AcceptKeyword("keys")) {
        stmt.what = What::kTagKeys;
        STRATA_RETURN_IF_ERROR(OptionalFrom(&stmt));
      } else if (AcceptKeyword("values")) {
        stmt.what = What::kTagValues;
        STRATA_RETURN_IF_ERROR(OptionalFrom(&stmt));
        STRATA_RETURN_IF_ERROR(WithKey(&stmt));
        STRATA_RETURN_IF_ERROR(OptionalWhere(&stmt));
      } else {
        return Expected("KEYS or VALUES after SHOW TAG");
      }
    } else if (AcceptKeyword("field")) {
      if (!AcceptKeyword("keys")) return Expected("KEYS after SHOW FIELD");
      stmt.what = What::kFieldKeys;
      STRATA_RETURN_IF_ERROR(OptionalFrom(&stmt));
    } else if (AcceptKeyword("partitions")) {
      stmt.what = What::kPartitions;
    } else if (AcceptKeyword("rollups")) {
      stmt.what = What::kRollups;
    } else {
      return Expected(kShowTargets);
    }
    STRATA_RETURN_IF_ERROR(End());
    return stmt;
  }

 private:
  Status OptionalFrom(ShowStatement* stmt) {
    if (!AcceptKeyword("from")) return Status::OK();
    // WITH is not reserved elsewhere (a field may be called with), but here it starts a clause.
    if (AtKeyword("with")) return Expected("a measurement name after FROM");
    STRATA_ASSIGN_OR_RETURN(stmt->measurement, MeasurementName());
    return Status::OK();
  }

  Status OptionalWhere(ShowStatement* stmt) {
    if (!AcceptKeyword("where")) return Status::OK();
    STRATA_ASSIGN_OR_RETURN(stmt->where, Where());
    return Status::OK();
  }

  // WITH KEY = <tag key>
  Status WithKey(ShowStatement* stmt) {
    if (!AcceptKeyword("with")) return Expected("WITH KEY = <tag key> after SHOW TAG VALUES");
    if (!AcceptKeyword("key")) return Expected("KEY after WITH");
    if (!AcceptOperator("=")) return Expected("'=' after KEY");
    if (!AtName()) return Expected("a tag key after '='");
    stmt->tag_key = Next().text;
    return Status::OK();
  }
};

}  // namespace

Result<ShowStatement> ParseShow(std::string_view text) {
  STRATA_ASSIGN_OR_RETURN(auto tokens, Tokenize(text));
  return ShowParser(std::move(tokens)).Parse();
}

}  // namespace strata::query
