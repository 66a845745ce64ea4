#include "query/parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>

#include "query/lexer.h"
#include "query/parser_internal.h"

namespace strata::query {
namespace parser_internal {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != lower_b[i]) return false;
  }
  return true;
}

std::string Shorten(std::string_view text) {
  constexpr size_t kMaxShownBytes = 60;
  if (text.size() <= kMaxShownBytes) return std::string(text);
  size_t cut = kMaxShownBytes;
  // Back off over UTF-8 continuation bytes (10xxxxxx) so the message stays valid UTF-8.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

std::string Quote(std::string_view text) { return "'" + Shorten(text) + "'"; }

std::string Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd:
      return "end of query";
    case TokenKind::kRegex:
      return "/" + Shorten(t.text) + "/";
    default:
      return Quote(t.text);
  }
}

StatementParser::StatementParser(std::vector<Token> tokens, int64_t now_ns)
    : tokens_(std::move(tokens)), now_ns_(now_ns) {}

const Token& StatementParser::Next() {
  const Token& t = tokens_[pos_];
  if (pos_ + 1 < tokens_.size()) ++pos_;
  return t;
}

bool StatementParser::Accept(TokenKind kind) {
  if (Peek().kind != kind) return false;
  Next();
  return true;
}

bool StatementParser::AtKeyword(std::string_view keyword, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == TokenKind::kIdentifier && !t.quoted && EqualsIgnoreCase(t.text, keyword);
}

bool StatementParser::AcceptKeyword(std::string_view keyword) {
  if (!AtKeyword(keyword)) return false;
  Next();
  return true;
}

bool StatementParser::AcceptOperator(std::string_view op) {
  if (Peek().kind != TokenKind::kOperator || Peek().text != op) return false;
  Next();
  return true;
}

bool StatementParser::IsReserved(const Token& t) {
  static constexpr std::string_view kReserved[] = {
      "select", "from", "where", "and", "or", "as", "of", "group", "by", "order", "limit", "fill"};
  if (t.kind != TokenKind::kIdentifier || t.quoted) return false;
  return std::any_of(std::begin(kReserved), std::end(kReserved),
                     [&](std::string_view word) { return EqualsIgnoreCase(t.text, word); });
}

Status StatementParser::ErrorAt(uint32_t line, uint32_t column, const std::string& message) {
  return Status::InvalidArgument(std::to_string(line) + ":" + std::to_string(column) + " " +
                                 message);
}

Status StatementParser::ErrorAt(const Token& t, const std::string& message) {
  return ErrorAt(t.line, t.column, message);
}

Status StatementParser::Expected(const std::string& what) const {
  return ErrorAt(Peek(), "expected " + what + ", found " + Describe(Peek()));
}

Status StatementParser::Unexpected() const {
  return ErrorAt(Peek(), "unexpected " + Describe(Peek()));
}

Status StatementParser::End() {
  Accept(TokenKind::kSemicolon);
  if (Peek().kind != TokenKind::kEnd) return Unexpected();
  return Status::OK();
}

Result<std::string> StatementParser::MeasurementName() {
  if (!AtName()) return Expected("a measurement name after FROM");
  return Next().text;
}

Result<Literal> StatementParser::NumberLiteral(const Token& t) const {
  Literal lit;
  lit.text = t.text;
  if (t.kind == TokenKind::kInteger) {
    lit.kind = Literal::Kind::kInteger;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), lit.integer);
    if (ec != std::errc()) return ErrorAt(t, "integer " + Quote(t.text) + " is out of range");
    lit.number = static_cast<double>(lit.integer);
  } else {
    lit.kind = Literal::Kind::kNumber;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), lit.number);
    if (ec != std::errc()) return ErrorAt(t, "number " + Quote(t.text) + " is out of range");
  }
  return lit;
}

Result<int64_t> StatementParser::DurationAt(const Token& t) const {
  auto ns = ParseDuration(t.text);
  // The lexer has checked every duration token already; this keeps the position if not.
  if (!ns.ok()) return ErrorAt(t, ns.status().message());
  return *ns;
}

Result<int64_t> StatementParser::TimeExpression() {
  const Token& t = Peek();
  int64_t base;
  if (t.kind == TokenKind::kIdentifier && !t.quoted && EqualsIgnoreCase(t.text, "now")) {
    Next();
    if (!Accept(TokenKind::kLParen) || !Accept(TokenKind::kRParen)) {
      return Expected("'()' after now");
    }
    base = now_ns_;
  } else if (t.kind == TokenKind::kString) {
    Next();
    auto parsed = ParseRfc3339(t.text);
    if (!parsed.ok()) return ErrorAt(t, parsed.status().message());
    base = *parsed;
  } else if (t.kind == TokenKind::kInteger || (t.kind == TokenKind::kOperator && t.text == "-" &&
                                               Peek(1).kind == TokenKind::kInteger)) {
    const bool negative = t.kind == TokenKind::kOperator;
    if (negative) Next();
    STRATA_ASSIGN_OR_RETURN(Literal lit, NumberLiteral(Next()));
    base = negative ? -lit.integer : lit.integer;  // lit.integer >= 0: cannot overflow
  } else {
    return Expected("a time (now(), 'RFC 3339 time' or integer nanoseconds)");
  }
  while (Peek().kind == TokenKind::kOperator && (Peek().text == "+" || Peek().text == "-")) {
    const bool minus = Next().text == "-";
    if (Peek().kind != TokenKind::kDuration) return Expected("a duration after '+' or '-'");
    const Token& d = Next();
    STRATA_ASSIGN_OR_RETURN(int64_t ns, DurationAt(d));
    if (minus ? __builtin_sub_overflow(base, ns, &base) : __builtin_add_overflow(base, ns, &base)) {
      return ErrorAt(d, "time out of range");
    }
  }
  return base;
}

Result<std::unique_ptr<Condition>> StatementParser::Where() {
  parenthesis_depth_ = 0;
  comparisons_ = 0;
  return Or();
}

Result<std::unique_ptr<Condition>> StatementParser::Or() {
  return Chain("or", Condition::Op::kOr, &StatementParser::And);
}

Result<std::unique_ptr<Condition>> StatementParser::And() {
  return Chain("and", Condition::Op::kAnd, &StatementParser::Primary);
}

// operand { keyword operand }, left-associative; each node records its keyword's position.
Result<std::unique_ptr<Condition>> StatementParser::Chain(
    std::string_view keyword, Condition::Op op,
    Result<std::unique_ptr<Condition>> (StatementParser::*operand)()) {
  STRATA_ASSIGN_OR_RETURN(auto left, (this->*operand)());
  while (AtKeyword(keyword)) {
    const Token& op_token = Next();
    STRATA_ASSIGN_OR_RETURN(auto right, (this->*operand)());
    auto node = std::make_unique<Condition>();
    node->op = op;
    node->line = op_token.line;
    node->column = op_token.column;
    node->left = std::move(left);
    node->right = std::move(right);
    left = std::move(node);
  }
  return left;
}

Result<std::unique_ptr<Condition>> StatementParser::Primary() {
  if (Peek().kind == TokenKind::kLParen) {
    const Token& open = Next();
    if (parenthesis_depth_ == kMaxParenthesisDepth) {
      return ErrorAt(open, "conditions nest deeper than " + std::to_string(kMaxParenthesisDepth) +
                               " parentheses");
    }
    ++parenthesis_depth_;
    STRATA_ASSIGN_OR_RETURN(auto inner, Or());
    --parenthesis_depth_;
    if (!Accept(TokenKind::kRParen)) return Expected("')' to close the condition");
    return inner;
  }
  const Token& name = Peek();
  if (name.kind != TokenKind::kIdentifier || IsReserved(name)) {
    return Expected(tags_only_ ? "a tag comparison"
                               : "a condition (time, tag or field comparison)");
  }
  if (++comparisons_ > kMaxComparisons) {
    return ErrorAt(name, "more than " + std::to_string(kMaxComparisons) + " comparisons in WHERE");
  }
  Next();
  const bool is_time = EqualsIgnoreCase(name.text, "time");
  if (is_time && tags_only_) {
    return ErrorAt(name, "SHOW filters by tags only; time conditions are not supported here");
  }
  auto cond = std::make_unique<Condition>();
  cond->name = name.text;
  cond->line = name.line;
  cond->column = name.column;
  if (Peek().kind != TokenKind::kOperator) {
    return Expected("a comparison operator after " + Quote(name.text));
  }
  const Token& op = Next();
  cond->comparator = op.text == "<>" ? "!=" : op.text;
  static constexpr std::string_view kComparators[] = {"=", "!=", "<", "<=", ">", ">=", "=~", "!~"};
  if (std::find(std::begin(kComparators), std::end(kComparators), cond->comparator) ==
      std::end(kComparators)) {
    return ErrorAt(op, Quote(cond->comparator) + " is not a comparison operator");
  }
  if (tags_only_ && cond->comparator != "=" && cond->comparator != "!=" &&
      cond->comparator != "=~" && cond->comparator != "!~") {
    return ErrorAt(op, "tags compare with =, !=, =~ or !~, not " + Quote(cond->comparator));
  }
  if (is_time) {
    if (cond->comparator == "=~" || cond->comparator == "!~") {
      return ErrorAt(op,
                     "time compares with =, !=, <, <=, > or >=, not " + Quote(cond->comparator));
    }
    cond->name = "time";
    STRATA_ASSIGN_OR_RETURN(int64_t t, TimeExpression());
    cond->value.kind = Literal::Kind::kTime;
    cond->value.integer = t;
    return cond;
  }
  STRATA_RETURN_IF_ERROR(ComparisonValue(cond.get()));
  return cond;
}

Status StatementParser::ComparisonValue(Condition* cond) {
  const Token& v = Peek();
  if (cond->comparator == "=~" || cond->comparator == "!~") {
    if (v.kind != TokenKind::kRegex) return Expected("a /regular expression/");
    Next();
    cond->value.kind = Literal::Kind::kRegex;
    cond->value.text = v.text;
  } else if (v.kind == TokenKind::kString) {
    Next();
    cond->value.kind = Literal::Kind::kString;
    cond->value.text = v.text;
  } else if (tags_only_) {
    return Expected("a 'quoted' tag value after '" + cond->comparator + "'");
  } else if (v.kind == TokenKind::kInteger || v.kind == TokenKind::kNumber) {
    Next();
    STRATA_ASSIGN_OR_RETURN(cond->value, NumberLiteral(v));
  } else if (v.kind == TokenKind::kOperator && v.text == "-" &&
             (Peek(1).kind == TokenKind::kInteger || Peek(1).kind == TokenKind::kNumber)) {
    Next();
    STRATA_ASSIGN_OR_RETURN(cond->value, NumberLiteral(Next()));
    cond->value.integer = -cond->value.integer;  // >= 0 before: cannot overflow
    cond->value.number = -cond->value.number;
    cond->value.text.insert(0, 1, '-');
  } else if (v.kind == TokenKind::kIdentifier && !v.quoted &&
             (EqualsIgnoreCase(v.text, "true") || EqualsIgnoreCase(v.text, "false"))) {
    Next();
    cond->value.kind = Literal::Kind::kBool;
    cond->value.integer = EqualsIgnoreCase(v.text, "true");
    cond->value.text = Lower(v.text);
  } else {
    return Expected("a value after '" + cond->comparator + "'");
  }
  return Status::OK();
}

}  // namespace parser_internal

namespace {

class DeleteParser : public parser_internal::StatementParser {
 public:
  using StatementParser::StatementParser;

  Result<DeleteStatement> Parse() {
    DeleteStatement stmt;
    if (!AcceptKeyword("delete")) return Expected("DELETE");
    if (!AcceptKeyword("from")) return Expected("FROM after DELETE");
    STRATA_ASSIGN_OR_RETURN(stmt.measurement, MeasurementName());
    if (AcceptKeyword("where")) {
      STRATA_ASSIGN_OR_RETURN(stmt.where, Where());
    }
    if (AtKeyword("as")) {
      // A delete always applies to what is visible now; history stays readable with AS OF.
      return ErrorAt(Peek(), "DELETE takes no AS OF: it deletes the points visible now");
    }
    STRATA_RETURN_IF_ERROR(End());
    return stmt;
  }
};

}  // namespace

Result<DeleteStatement> ParseDelete(std::string_view text, int64_t now_ns) {
  STRATA_ASSIGN_OR_RETURN(auto tokens, Tokenize(text));
  return DeleteParser(std::move(tokens), now_ns).Parse();
}

}  // namespace strata::query
