#include "query/parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "query/lexer.h"

namespace strata::query {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd:
      return "end of query";
    case TokenKind::kString:
      return "'" + t.text + "'";
    default:
      return "'" + t.text + "'";
  }
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, int64_t now_ns) : tokens_(std::move(tokens)), now_ns_(now_ns) {}

  Result<SelectStatement> Select() {
    SelectStatement stmt;
    if (!AcceptKeyword("select")) return Expected("SELECT");
    if (AtVersions()) {
      STRATA_RETURN_IF_ERROR(Versions(&stmt));
    } else {
      do {
        if (AtVersions()) return ErrorAt(Peek(), "VERSIONS must be the only select item");
        SelectItem item;
        STRATA_RETURN_IF_ERROR(Item(&item));
        stmt.items.push_back(std::move(item));
      } while (Accept(TokenKind::kComma));
    }
    if (!AcceptKeyword("from")) {
      return Expected(stmt.versions
                          ? "FROM after the VERSIONS field (VERSIONS lists exactly one field)"
                          : "',' or FROM after '" + Previous().text + "'");
    }
    STRATA_ASSIGN_OR_RETURN(stmt.measurement, MeasurementName());
    if (AcceptKeyword("where")) {
      STRATA_ASSIGN_OR_RETURN(stmt.where, Or());
    }
    if (AcceptKeyword("as")) {
      if (!AcceptKeyword("of")) return Expected("OF after AS");
      STRATA_ASSIGN_OR_RETURN(int64_t t, TimeExpression());
      stmt.as_of_ns = t;
    }
    STRATA_RETURN_IF_ERROR(End());
    return stmt;
  }

  Result<DeleteStatement> Delete() {
    DeleteStatement stmt;
    if (!AcceptKeyword("delete")) return Expected("DELETE");
    if (!AcceptKeyword("from")) return Expected("FROM after DELETE");
    STRATA_ASSIGN_OR_RETURN(stmt.measurement, MeasurementName());
    if (AcceptKeyword("where")) {
      STRATA_ASSIGN_OR_RETURN(stmt.where, Or());
    }
    if (Peek().kind == TokenKind::kIdentifier && !Peek().quoted && Lower(Peek().text) == "as") {
      // A delete always applies to what is visible now; history stays readable with AS OF.
      return ErrorAt(Peek(), "DELETE takes no AS OF: it deletes the points visible now");
    }
    STRATA_RETURN_IF_ERROR(End());
    return stmt;
  }

 private:
  static bool IsReserved(const Token& t) {
    static constexpr std::string_view kReserved[] = {"select", "from", "where", "and", "or",
                                                      "as", "of", "group", "by", "order",
                                                      "limit", "fill"};
    if (t.kind != TokenKind::kIdentifier || t.quoted) return false;
    std::string lower = Lower(t.text);
    return std::find(std::begin(kReserved), std::end(kReserved), lower) != std::end(kReserved);
  }

  // An optional ';', then the end of the text.
  Status End() {
    Accept(TokenKind::kSemicolon);
    if (Peek().kind != TokenKind::kEnd) return Unexpected();
    return Status::OK();
  }

  Result<std::string> MeasurementName() {
    if (Peek().kind != TokenKind::kIdentifier || IsReserved(Peek())) {
      return Expected("a measurement name after FROM");
    }
    return Next().text;
  }

  // VERSIONS is a keyword only where a field could not stand: right before a name or '*'
  // ("SELECT versions FROM m" still selects a field called versions).
  bool AtVersions() const {
    if (Peek().kind != TokenKind::kIdentifier || Peek().quoted ||
        Lower(Peek().text) != "versions") {
      return false;
    }
    const Token& after = Peek(1);
    return (after.kind == TokenKind::kIdentifier && !IsReserved(after)) ||
           (after.kind == TokenKind::kOperator && after.text == "*");
  }

  // VERSIONS <field> [AS alias]: exactly one raw field.
  Status Versions(SelectStatement* stmt) {
    Next();  // VERSIONS
    stmt->versions = true;
    SelectItem item;
    STRATA_RETURN_IF_ERROR(Item(&item));
    if (!item.function.empty() || item.field == "*") {
      std::string written =
          item.function.empty() ? item.field : item.function + "(" + item.field + ")";
      return ErrorAt(item.line, item.column,
                     "VERSIONS takes one field name, not '" + written + "'");
    }
    stmt->items.push_back(std::move(item));
    return Status::OK();
  }

  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Previous() const { return tokens_[pos_ == 0 ? 0 : pos_ - 1]; }
  const Token& Next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool Accept(TokenKind kind) {
    if (Peek().kind != kind) return false;
    Next();
    return true;
  }
  bool AcceptKeyword(std::string_view keyword) {
    if (Peek().kind != TokenKind::kIdentifier || Peek().quoted || Lower(Peek().text) != keyword) {
      return false;
    }
    Next();
    return true;
  }
  bool AcceptOperator(std::string_view op) {
    if (Peek().kind != TokenKind::kOperator || Peek().text != op) return false;
    Next();
    return true;
  }

  static Status ErrorAt(uint32_t line, uint32_t column, const std::string& message) {
    return Status::InvalidArgument(std::to_string(line) + ":" + std::to_string(column) + " " +
                                   message);
  }
  static Status ErrorAt(const Token& t, const std::string& message) {
    return ErrorAt(t.line, t.column, message);
  }
  Status Expected(const std::string& what) const {
    return ErrorAt(Peek(), "expected " + what + ", found " + Describe(Peek()));
  }
  Status Unexpected() const { return ErrorAt(Peek(), "unexpected " + Describe(Peek())); }

  Status Item(SelectItem* item) {
    const Token& first = Peek();
    item->line = first.line;
    item->column = first.column;
    if (AcceptOperator("*")) {
      // assign(1, '*') rather than = "*": GCC 12 reports a false -Wrestrict for the latter.
      item->field.assign(1, '*');
      item->column_name.assign(1, '*');
    } else if (first.kind == TokenKind::kIdentifier && !IsReserved(first)) {
      std::string name = Next().text;
      if (Accept(TokenKind::kLParen)) {
        item->function = Lower(name);
        if (AcceptOperator("*")) {
          item->field.assign(1, '*');
        } else if (Peek().kind == TokenKind::kIdentifier) {
          item->field = Next().text;
        } else {
          return Expected("a field name after '" + name + "('");
        }
        while (Accept(TokenKind::kComma)) {
          STRATA_ASSIGN_OR_RETURN(Literal arg, ArgumentLiteral());
          item->args.push_back(std::move(arg));
        }
        if (!Accept(TokenKind::kRParen)) return Expected("')' after '" + Previous().text + "'");
        item->column_name = item->function + "(" + item->field;
        for (const Literal& arg : item->args) item->column_name += "," + arg.text;
        item->column_name += ")";
      } else {
        item->field = name;
        item->column_name = name;
      }
    } else {
      return Expected("a field or function");
    }
    if (Peek().kind == TokenKind::kIdentifier && Lower(Peek().text) == "as" &&
        !(Peek(1).kind == TokenKind::kIdentifier && Lower(Peek(1).text) == "of")) {
      Next();
      if (Peek().kind != TokenKind::kIdentifier || IsReserved(Peek())) {
        return Expected("an alias after AS");
      }
      item->column_name = Next().text;
    }
    return Status::OK();
  }

  Result<Literal> ArgumentLiteral() {
    const Token& t = Peek();
    Literal lit;
    lit.text = t.text;
    if (t.kind == TokenKind::kInteger || t.kind == TokenKind::kNumber) {
      Next();
      return NumberLiteral(t);
    }
    if (t.kind == TokenKind::kDuration) {
      Next();
      STRATA_ASSIGN_OR_RETURN(int64_t ns, ParseDuration(t.text));
      lit.kind = Literal::Kind::kTime;
      lit.integer = ns;
      return lit;
    }
    return Expected("a number or a duration");
  }

  Result<Literal> NumberLiteral(const Token& t) const {
    Literal lit;
    lit.text = t.text;
    if (t.kind == TokenKind::kInteger) {
      lit.kind = Literal::Kind::kInteger;
      auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), lit.integer);
      if (ec != std::errc()) return ErrorAt(t, "integer '" + t.text + "' is out of range");
      lit.number = static_cast<double>(lit.integer);
    } else {
      lit.kind = Literal::Kind::kNumber;
      auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), lit.number);
      if (ec != std::errc()) return ErrorAt(t, "number '" + t.text + "' is out of range");
    }
    return lit;
  }

  // now() [(+|-) duration], 'rfc3339' [(+|-) duration], or integer nanoseconds.
  Result<int64_t> TimeExpression() {
    const Token& t = Peek();
    int64_t base;
    if (t.kind == TokenKind::kIdentifier && Lower(t.text) == "now") {
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
    } else if (t.kind == TokenKind::kInteger ||
               (t.kind == TokenKind::kOperator && t.text == "-" &&
                Peek(1).kind == TokenKind::kInteger)) {
      bool negative = t.kind == TokenKind::kOperator;
      if (negative) Next();
      STRATA_ASSIGN_OR_RETURN(Literal lit, NumberLiteral(Next()));
      base = negative ? -lit.integer : lit.integer;
    } else {
      return Expected("a time (now(), 'RFC 3339 time' or integer nanoseconds)");
    }
    while (Peek().kind == TokenKind::kOperator && (Peek().text == "+" || Peek().text == "-")) {
      bool minus = Next().text == "-";
      if (Peek().kind != TokenKind::kDuration) return Expected("a duration after '+' or '-'");
      const Token& d = Next();
      STRATA_ASSIGN_OR_RETURN(int64_t ns, ParseDuration(d.text));
      if (minus ? __builtin_sub_overflow(base, ns, &base) : __builtin_add_overflow(base, ns, &base)) {
        return ErrorAt(d, "time out of range");
      }
    }
    return base;
  }

  Result<std::unique_ptr<Condition>> Or() {
    return Chain("or", Condition::Op::kOr, &Parser::And);
  }
  Result<std::unique_ptr<Condition>> And() {
    return Chain("and", Condition::Op::kAnd, &Parser::Primary);
  }

  // operand { keyword operand }, left-associative; each node records its keyword's position.
  Result<std::unique_ptr<Condition>> Chain(std::string_view keyword, Condition::Op op,
                                           Result<std::unique_ptr<Condition>> (Parser::*operand)()) {
    STRATA_ASSIGN_OR_RETURN(auto left, (this->*operand)());
    while (Peek().kind == TokenKind::kIdentifier && !Peek().quoted &&
           Lower(Peek().text) == keyword) {
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

  Result<std::unique_ptr<Condition>> Primary() {
    if (Accept(TokenKind::kLParen)) {
      STRATA_ASSIGN_OR_RETURN(auto inner, Or());
      if (!Accept(TokenKind::kRParen)) return Expected("')' to close the condition");
      return inner;
    }
    const Token& name = Peek();
    if (name.kind != TokenKind::kIdentifier || IsReserved(name)) {
      return Expected("a condition (time, tag or field comparison)");
    }
    Next();
    auto cond = std::make_unique<Condition>();
    cond->name = name.text;
    cond->line = name.line;
    cond->column = name.column;
    if (Peek().kind != TokenKind::kOperator) {
      return Expected("a comparison operator after '" + name.text + "'");
    }
    cond->comparator = Next().text;
    if (cond->comparator == "<>") cond->comparator = "!=";
    static constexpr std::string_view kComparators[] = {"=", "!=", "<", "<=", ">", ">=", "=~", "!~"};
    if (std::find(std::begin(kComparators), std::end(kComparators), cond->comparator) ==
        std::end(kComparators)) {
      return ErrorAt(Previous(), "'" + cond->comparator + "' is not a comparison operator");
    }
    if (Lower(cond->name) == "time") {
      cond->name = "time";
      STRATA_ASSIGN_OR_RETURN(int64_t t, TimeExpression());
      cond->value.kind = Literal::Kind::kTime;
      cond->value.integer = t;
      return cond;
    }
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
    } else if (v.kind == TokenKind::kInteger || v.kind == TokenKind::kNumber) {
      Next();
      STRATA_ASSIGN_OR_RETURN(cond->value, NumberLiteral(v));
    } else if (v.kind == TokenKind::kOperator && v.text == "-" &&
               (Peek(1).kind == TokenKind::kInteger || Peek(1).kind == TokenKind::kNumber)) {
      Next();
      STRATA_ASSIGN_OR_RETURN(cond->value, NumberLiteral(Next()));
      cond->value.integer = -cond->value.integer;
      cond->value.number = -cond->value.number;
      cond->value.text = "-" + cond->value.text;
    } else if (v.kind == TokenKind::kIdentifier &&
               (Lower(v.text) == "true" || Lower(v.text) == "false")) {
      Next();
      cond->value.kind = Literal::Kind::kBool;
      cond->value.integer = Lower(v.text) == "true";
      cond->value.text = Lower(v.text);
    } else {
      return Expected("a value after '" + cond->comparator + "'");
    }
    return cond;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int64_t now_ns_;
};

}  // namespace

Result<SelectStatement> ParseSelect(std::string_view text, int64_t now_ns) {
  STRATA_ASSIGN_OR_RETURN(auto tokens, Tokenize(text));
  return Parser(std::move(tokens), now_ns).Select();
}

Result<DeleteStatement> ParseDelete(std::string_view text, int64_t now_ns) {
  STRATA_ASSIGN_OR_RETURN(auto tokens, Tokenize(text));
  return Parser(std::move(tokens), now_ns).Delete();
}

}  // namespace strata::query
