// libFuzzer target for the query lexer and parser (STYLE §7): malformed queries must never crash
// the server. Feeds the input to Tokenize, ParseSelect (with now() in the middle and at both ends
// of int64, so time arithmetic overflows get exercised), ParseDelete and ParseShow, and aborts
// on any violated contract:
//   - an error is InvalidArgument whose message starts with "<line>:<col> " naming a position
//     inside the text (at most one past the end of its line);
//   - if Tokenize fails, every parser fails with the same message;
//   - tokens end with exactly one kEnd, in non-decreasing positions;
//   - a parsed SELECT has items, a measurement, non-empty field and column names, only known
//     functions with arguments inside the documented ranges, and a well-formed WHERE tree;
//     VERSIONS has exactly one raw field; FILL other than null needs time buckets;
//   - a parsed DELETE has a measurement; a parsed SHOW has a tag key exactly for TAG VALUES
//     and no time conditions.
// Errors are fine (most fuzz input is malformed); crashes, sanitizer reports and aborts are not.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "query/ast.h"
#include "query/lexer.h"
#include "query/parser.h"

namespace strata::query {
namespace {

std::string_view g_input;  // for failure reports

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "query_parser_fuzzer: %s\ninput: '%.*s'\n", what.c_str(),
               static_cast<int>(g_input.size()), g_input.data());
  std::abort();
}

// Length in bytes of each line of the text, as the lexer counts lines (split at '\n' only).
std::vector<size_t> LineLengths(std::string_view text) {
  std::vector<size_t> lengths;
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lengths.push_back(text.size() - start);
      return lengths;
    }
    lengths.push_back(end - start);
    start = end + 1;
  }
}

bool InsideText(const std::vector<size_t>& lines, uint64_t line, uint64_t column) {
  return line >= 1 && line <= lines.size() && column >= 1 && column <= lines[line - 1] + 1;
}

// Reads "<digits>" at *pos; false if there are none or they overflow.
bool ReadNumber(std::string_view s, size_t* pos, uint64_t* out) {
  const size_t start = *pos;
  uint64_t v = 0;
  while (*pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9') {
    if (v > (std::numeric_limits<uint32_t>::max() - 9) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(s[*pos] - '0');
    ++*pos;
  }
  *out = v;
  return *pos > start;
}

void CheckError(const Status& status, const std::vector<size_t>& lines, const char* who) {
  if (status.code() != StatusCode::kInvalidArgument) {
    Fail(std::string(who) + ": error is not InvalidArgument: " + status.ToString());
  }
  const std::string& m = status.message();
  size_t pos = 0;
  uint64_t line = 0, column = 0;
  if (!ReadNumber(m, &pos, &line) || pos >= m.size() || m[pos++] != ':' ||
      !ReadNumber(m, &pos, &column) || pos >= m.size() || m[pos++] != ' ' || pos == m.size()) {
    Fail(std::string(who) + ": error does not start with '<line>:<col> ': " + m);
  }
  if (!InsideText(lines, line, column)) {
    Fail(std::string(who) + ": error position is outside the text: " + m);
  }
}

void CheckTokens(const std::vector<Token>& tokens, const std::vector<size_t>& lines) {
  if (tokens.empty() || tokens.back().kind != TokenKind::kEnd) Fail("tokens do not end in kEnd");
  uint32_t line = 1, column = 1;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind == TokenKind::kEnd && i + 1 != tokens.size()) Fail("kEnd before the last token");
    if (!InsideText(lines, t.line, t.column)) Fail("token position outside the text");
    if (t.line < line || (t.line == line && t.column < column)) Fail("token positions go back");
    if (t.kind == TokenKind::kIdentifier && t.text.empty()) Fail("empty identifier");
    line = t.line;
    column = t.column;
  }
}

// Depth of the tree; aborts on a malformed node.
size_t CheckCondition(const Condition& c, bool tags_only) {
  switch (c.op) {
    case Condition::Op::kAnd:
    case Condition::Op::kOr:
      if (!c.left || !c.right) Fail("AND/OR node without two operands");
      return 1 + std::max(CheckCondition(*c.left, tags_only), CheckCondition(*c.right, tags_only));
    case Condition::Op::kCompare:
      break;
  }
  if (c.left || c.right) Fail("comparison with operands");
  if (c.name.empty()) Fail("comparison without a name");
  static constexpr std::string_view kComparators[] = {"=", "!=", "<", "<=", ">", ">=", "=~", "!~"};
  bool known = false;
  for (std::string_view op : kComparators) known = known || c.comparator == op;
  if (!known) Fail("unknown comparator '" + c.comparator + "'");
  const bool is_regex_op = c.comparator == "=~" || c.comparator == "!~";
  if (is_regex_op != (c.value.kind == Literal::Kind::kRegex)) Fail("regex operator/value mismatch");
  if ((c.name == "time") != (c.value.kind == Literal::Kind::kTime)) Fail("time value mismatch");
  if (tags_only && c.value.kind != Literal::Kind::kString && !is_regex_op) {
    Fail("SHOW condition that is not a tag comparison");
  }
  return 1;
}

void CheckSelect(const SelectStatement& stmt) {
  if (stmt.items.empty()) Fail("SELECT without items");
  if (stmt.measurement.empty()) Fail("SELECT without a measurement");
  for (const SelectItem& item : stmt.items) {
    if (item.field.empty()) Fail("item without a field");
    if (item.column_name.empty()) Fail("item without a column name");
    const std::string& f = item.function;
    const size_t extra = item.args.size();
    if (f.empty()) {
      if (extra != 0) Fail("raw field with arguments");
    } else if (f == "percentile") {
      if (extra != 1 || item.args[0].kind == Literal::Kind::kDuration ||
          !(item.args[0].number >= 0 && item.args[0].number <= 100)) {
        Fail("percentile argument out of range");
      }
    } else if (f == "rolling_median") {
      if (extra != 1 || item.field == "*" ||
          (item.args[0].kind != Literal::Kind::kDuration &&
           item.args[0].kind != Literal::Kind::kInteger) ||
          item.args[0].integer <= 0) {
        Fail("rolling_median window out of range");
      }
    } else if (f == "moving_average") {
      if (extra != 1 || item.field == "*" || item.args[0].kind != Literal::Kind::kInteger ||
          item.args[0].integer < 1) {
        Fail("moving_average window out of range");
      }
    } else {
      static constexpr std::string_view kAggregates[] = {
          "count", "sum", "mean", "min", "max", "first", "last", "median", "stddev", "spread"};
      bool known = false;
      for (std::string_view a : kAggregates) known = known || f == a;
      if (!known) Fail("unknown function '" + f + "' accepted");
      if (extra != 0) Fail("aggregate with extra arguments");
    }
  }
  if (stmt.versions &&
      (stmt.items.size() != 1 || !stmt.items[0].function.empty() || stmt.items[0].field == "*")) {
    Fail("VERSIONS with anything but one raw field");
  }
  const GroupBy& g = stmt.group_by;
  if (g.interval_ns < 0) Fail("negative GROUP BY interval");
  if (g.interval_ns == 0 && g.offset_ns != 0) Fail("offset without an interval");
  if (g.all_tags && !g.tags.empty()) Fail("GROUP BY * with named tags");
  for (const std::string& tag : g.tags) {
    if (tag.empty()) Fail("empty GROUP BY tag");
  }
  if (stmt.fill.mode != Fill::Mode::kNull && g.interval_ns == 0) Fail("FILL without time buckets");
  if (stmt.fill.mode == Fill::Mode::kValue && stmt.fill.text.empty()) Fail("FILL value unwritten");
  if (stmt.where) CheckCondition(*stmt.where, false);
}

void FuzzOne(std::string_view text) {
  g_input = text;
  const std::vector<size_t> lines = LineLengths(text);
  auto tokens = Tokenize(text);
  if (tokens.ok()) {
    CheckTokens(*tokens, lines);
  } else {
    CheckError(tokens.status(), lines, "Tokenize");
  }
  auto same_lexer_error = [&](const Status& s, const char* who) {
    if (!tokens.ok() && s.message() != tokens.status().message()) {
      Fail(std::string(who) + " reports '" + s.message() + "' for a lexer error '" +
           tokens.status().message() + "'");
    }
  };

  constexpr int64_t kNows[] = {1'767'225'600'000'000'000,  // 2026-01-01T00:00:00Z
                               std::numeric_limits<int64_t>::max(),
                               std::numeric_limits<int64_t>::min()};
  for (int64_t now_ns : kNows) {
    auto select = ParseSelect(text, now_ns);
    if (select.ok()) {
      if (!tokens.ok()) Fail("ParseSelect accepts what Tokenize rejects");
      CheckSelect(*select);
    } else {
      CheckError(select.status(), lines, "ParseSelect");
      same_lexer_error(select.status(), "ParseSelect");
    }
  }

  auto del = ParseDelete(text, kNows[0]);
  if (del.ok()) {
    if (!tokens.ok()) Fail("ParseDelete accepts what Tokenize rejects");
    if (del->measurement.empty()) Fail("DELETE without a measurement");
    if (del->where) CheckCondition(*del->where, false);
  } else {
    CheckError(del.status(), lines, "ParseDelete");
    same_lexer_error(del.status(), "ParseDelete");
  }

  auto show = ParseShow(text);
  if (show.ok()) {
    if (!tokens.ok()) Fail("ParseShow accepts what Tokenize rejects");
    using What = ShowStatement::What;
    if ((show->what == What::kTagValues) == show->tag_key.empty()) {
      Fail("SHOW has a tag key but is not TAG VALUES, or the other way round");
    }
    if (show->where) {
      if (show->what != What::kSeries && show->what != What::kTagValues) {
        Fail("WHERE on a SHOW that takes none");
      }
      CheckCondition(*show->where, true);
    }
    const bool takes_from = show->what == What::kSeries || show->what == What::kTagKeys ||
                            show->what == What::kTagValues || show->what == What::kFieldKeys;
    if (!takes_from && !show->measurement.empty()) Fail("FROM on a SHOW that takes none");
  } else {
    CheckError(show.status(), lines, "ParseShow");
    same_lexer_error(show.status(), "ParseShow");
  }
}

}  // namespace
}  // namespace strata::query

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kMaxInputBytes = 64 * 1024;  // longer inputs add time, not coverage
  if (size > kMaxInputBytes) return 0;
  strata::query::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
