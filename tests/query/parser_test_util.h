// Shared helpers of the parser tests: a fixed now(), a rendering of WHERE trees, and error
// tables whose expected positions are computed from the query text.
#pragma once

#include "query/parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::query::parser_test {

using std::chrono::nanoseconds;

// now() for every parse in this file: 2026-01-01T00:00:00Z, from <chrono>.
inline const int64_t kNow = std::chrono::time_point_cast<nanoseconds>(
                         std::chrono::sys_days{std::chrono::year{2026} / 1 / 1})
                         .time_since_epoch()
                         .count();

inline int64_t Ns(auto duration) { return std::chrono::duration_cast<nanoseconds>(duration).count(); }

inline SelectStatement ParseOk(std::string_view text, int64_t now_ns = kNow) {
  auto parsed = ParseSelect(text, now_ns);
  EXPECT_TRUE(parsed.ok()) << text << "\n" << parsed.status().ToString();
  if (!parsed.ok()) return SelectStatement{};
  return std::move(parsed).value();
}

// The test's own rendering of a WHERE tree, with explicit parentheses for AND and OR.
inline std::string Render(const Condition& c) {
  switch (c.op) {
    case Condition::Op::kAnd:
      return "(" + Render(*c.left) + " AND " + Render(*c.right) + ")";
    case Condition::Op::kOr:
      return "(" + Render(*c.left) + " OR " + Render(*c.right) + ")";
    case Condition::Op::kCompare:
      break;
  }
  std::string value;
  switch (c.value.kind) {
    case Literal::Kind::kString:
      value = "'" + c.value.text + "'";
      break;
    case Literal::Kind::kRegex:
      value = "/" + c.value.text + "/";
      break;
    case Literal::Kind::kTime:
      value = "@" + std::to_string(c.value.integer);
      break;
    case Literal::Kind::kInteger:
      value = "i" + std::to_string(c.value.integer);
      break;
    case Literal::Kind::kNumber:
      value = "f" + c.value.text;
      break;
    case Literal::Kind::kBool:
      value = c.value.integer ? "true" : "false";
      break;
    case Literal::Kind::kDuration:
      value = "d" + std::to_string(c.value.integer);
      break;
  }
  return c.name + c.comparator + value;
}

inline std::string WhereOf(std::string_view query) {
  SelectStatement stmt = ParseOk(query);
  if (!stmt.where) return "<none>";
  return Render(*stmt.where);
}

// The 1-based "<line>:<col>" of the n-th occurrence (from 0) of needle in text.
inline std::string PosOf(std::string_view text, std::string_view needle, int nth = 0) {
  size_t at = text.find(needle);
  for (int i = 0; i < nth && at != std::string_view::npos; ++i) at = text.find(needle, at + 1);
  if (at == std::string_view::npos) return "<" + std::string(needle) + " not in query>";
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return std::to_string(line) + ":" + std::to_string(at - line_start + 1);
}

// "<line>:<col>" of the end of text (where the kEnd token sits).
inline std::string EndPos(std::string_view text) {
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return std::to_string(line) + ":" + std::to_string(text.size() - line_start + 1);
}

inline std::string ErrorOf(std::string_view query, int64_t now_ns = kNow) {
  auto parsed = ParseSelect(query, now_ns);
  if (parsed.ok()) return "<parsed>";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << query;
  return parsed.status().message();
}


// An error table: each query fails with "<line>:<col> <message>", the position given by the
// n-th occurrence of `at` in the query (or its end when `at` is empty).
struct ErrorCase {
  std::string query;
  std::string at;
  std::string message;
  int nth = 0;
};

inline std::string ExpectedError(const ErrorCase& c) {
  return (c.at.empty() ? EndPos(c.query) : PosOf(c.query, c.at, c.nth)) + " " + c.message;
}

template <typename Parse>
inline void ExpectErrors(const std::vector<ErrorCase>& cases, Parse parse) {
  for (const ErrorCase& c : cases) {
    auto parsed = parse(c.query);
    if (parsed.ok()) {
      ADD_FAILURE() << "parsed: " << c.query;
      continue;
    }
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << c.query;
    EXPECT_EQ(parsed.status().message(), ExpectedError(c)) << c.query;
  }
}

inline void ExpectSelectErrors(const std::vector<ErrorCase>& cases) {
  ExpectErrors(cases, [](const std::string& q) { return ParseSelect(q, kNow); });
}

}  // namespace strata::query::parser_test
