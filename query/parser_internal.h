#pragma once

// What the statement parsers (parser.cc: DELETE, parser_select.cc: SELECT, parser_show.cc: SHOW)
// share: a cursor over the tokens, errors positioned at a token, WHERE conditions and time
// expressions. Only query/ includes this header.
// Thread-safety: single-threaded; one parser object parses one statement.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "query/ast.h"
#include "query/lexer.h"
#include "util/status.h"

namespace strata::query::parser_internal {

// A query line may be 1 MiB (DESIGN §6.1), and conditions are parsed, destroyed and evaluated
// recursively, so these bound the recursion that hostile input can cause.
inline constexpr int kMaxParenthesisDepth = 100;
inline constexpr size_t kMaxComparisons = 1000;

std::string Lower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view lower_b);

// Text for an error message, cut at 60 bytes (on a UTF-8 boundary) so that a long string literal
// cannot flood the answer line; Quote adds single quotes.
std::string Shorten(std::string_view text);
std::string Quote(std::string_view text);
// A token as an error message names it: 'text', /regex/ or "end of query".
std::string Describe(const Token& t);

class StatementParser {
 public:
  StatementParser(std::vector<Token> tokens, int64_t now_ns);

 protected:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Previous() const { return tokens_[pos_ == 0 ? 0 : pos_ - 1]; }
  // The current token, then moves on; stays on the final kEnd token.
  const Token& Next();
  bool Accept(TokenKind kind);
  // True if the token `ahead` is the unquoted identifier `keyword` (lower case), in any case.
  bool AtKeyword(std::string_view keyword, size_t ahead = 0) const;
  bool AcceptKeyword(std::string_view keyword);
  bool AcceptOperator(std::string_view op);
  // Words that end a list or start a clause; a name spelled like one must be double-quoted.
  static bool IsReserved(const Token& t);
  // True if the current token can be a measurement, field, tag or alias name.
  bool AtName() const { return Peek().kind == TokenKind::kIdentifier && !IsReserved(Peek()); }

  static Status ErrorAt(uint32_t line, uint32_t column, const std::string& message);
  static Status ErrorAt(const Token& t, const std::string& message);
  // "<pos of current token> expected <what>, found <current token>".
  Status Expected(const std::string& what) const;
  Status Unexpected() const;

  // An optional ';', then the end of the text.
  Status End();
  Result<std::string> MeasurementName();
  // An integer or number token as a Literal; InvalidArgument if it does not fit.
  Result<Literal> NumberLiteral(const Token& t) const;
  // Nanoseconds of a duration token; an error at the token if it does not fit.
  Result<int64_t> DurationAt(const Token& t) const;
  // now() [(+|-) duration], 'rfc3339' [(+|-) duration], or integer nanoseconds.
  Result<int64_t> TimeExpression();
  // A WHERE condition tree: comparisons combined with AND, OR and parentheses.
  Result<std::unique_ptr<Condition>> Where();
  // Restricts Where() to tag comparisons (SHOW ... WHERE): =, != with a 'string', =~, !~.
  void set_tags_only(bool tags_only) { tags_only_ = tags_only; }

 private:
  Result<std::unique_ptr<Condition>> Or();
  Result<std::unique_ptr<Condition>> And();
  Result<std::unique_ptr<Condition>> Chain(
      std::string_view keyword, Condition::Op op,
      Result<std::unique_ptr<Condition>> (StatementParser::*operand)());
  Result<std::unique_ptr<Condition>> Primary();
  Status ComparisonValue(Condition* cond);

  std::vector<Token> tokens_;  // never empty: ends with kEnd
  size_t pos_ = 0;
  int64_t now_ns_;
  int parenthesis_depth_ = 0;
  size_t comparisons_ = 0;
  bool tags_only_ = false;
};

}  // namespace strata::query::parser_internal
