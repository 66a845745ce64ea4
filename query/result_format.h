#pragma once

// Text forms of answer cells (DESIGN §6, §6.1): floats in shortest round-trip form, times as
// RFC 3339 UTC with nine fraction digits, booleans true/false. Pure functions, thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/types.h"
#include "util/status.h"

namespace strata::query {

std::string FormatFloat(double v);
std::string FormatTime(int64_t ns);
// FormatTime's text written to out, which has room for kMaxTimeTextBytes; returns its length.
inline constexpr size_t kMaxTimeTextBytes = 32;
size_t FormatTimeTo(int64_t ns, char* out);
// A value as a cell: floats by FormatFloat, integers in decimal, booleans true/false, strings
// as they are (the wire layer keeps them on one line).
std::string FormatFieldValue(const engine::FieldValue& value);

// Receives an answer as it is produced, so a large one never sits whole in memory.
// Single-threaded.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual Status Header(const std::vector<std::string>& columns) = 0;
  // An empty cell is a null.
  virtual Status Row(const std::vector<std::string>& cells) = 0;
};

// Collects an answer in memory (tests, small answers).
class TableSink : public ResultSink {
 public:
  Status Header(const std::vector<std::string>& columns) override {
    columns_ = columns;
    return Status::OK();
  }
  Status Row(const std::vector<std::string>& cells) override {
    rows_.push_back(cells);
    return Status::OK();
  }
  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace strata::query
