#pragma once

// A test fixture with a fresh engine in a temporary directory, and helpers that write lines and
// run statements against it through the parser and executor.
// Thread-safety: single-threaded, like the tests that use it.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/line_protocol.h"
#include "engine/write_batch.h"
#include "query/executor.h"
#include "query/parser.h"
#include "query/result_format.h"
#include "tests/support/test_util.h"

namespace strata::query {

class EngineFixture : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    engine::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.fsync = wal::FsyncPolicy::kOff;
    auto opened = engine::Engine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine_ = std::move(opened).value();
  }

  // Closes the engine and opens the data directory again (recovery from catalog and WAL).
  void Reopen() {
    ASSERT_TRUE(engine_->Close().ok());
    engine_.reset();
    Open();
  }

  void TearDown() override {
    if (engine_) {
      EXPECT_TRUE(engine_->Close().ok());
    }
  }

  // Writes lines (each with a timestamp) as one batch and waits until it is visible; returns
  // its system time.
  engine::SystemTime Write(const std::vector<std::string>& lines) {
    engine::LineParser parser;
    engine::ParsedLine parsed;
    engine::WriteBatch batch;
    for (const std::string& line : lines) {
      Status s = parser.Parse(line, &parsed);
      EXPECT_TRUE(s.ok()) << line << ": " << s.ToString();
      if (!s.ok()) continue;
      s = engine_->AddLine(parsed, /*default_time_ns=*/0, &batch);
      EXPECT_TRUE(s.ok()) << line << ": " << s.ToString();
    }
    auto committed = engine_->Commit(&batch);
    EXPECT_TRUE(committed.ok()) << committed.status().ToString();
    if (!committed.ok()) return engine::SystemTime{};
    EXPECT_TRUE(engine_->WaitForCommit(*committed).ok());
    return *committed;
  }

  Result<TableSink> Query(const std::string& text) {
    auto statement = ParseSelect(text, engine_->NowNanos());
    if (!statement.ok()) return statement.status();
    TableSink sink;
    STRATA_RETURN_IF_ERROR(ExecuteSelect(*engine_, *statement, sink));
    return sink;
  }

  TableSink QueryOk(const std::string& text) {
    auto result = Query(text);
    EXPECT_TRUE(result.ok()) << text << "\n" << result.status().ToString();
    return result.ok() ? *result : TableSink{};
  }

  // The InvalidArgument message of a statement that must fail ("<no error>" if it ran).
  std::string QueryError(const std::string& text) {
    auto result = Query(text);
    if (result.ok()) return "<no error>";
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << text;
    return result.status().message();
  }

  Result<DeleteResult> Delete(const std::string& text,
                              size_t max_batch_bytes = kMaxDeleteBatchBytes) {
    auto statement = ParseDelete(text, engine_->NowNanos());
    if (!statement.ok()) return statement.status();
    return ExecuteDelete(*engine_, *statement, max_batch_bytes);
  }

  DeleteResult DeleteOk(const std::string& text, size_t max_batch_bytes = kMaxDeleteBatchBytes) {
    auto result = Delete(text, max_batch_bytes);
    EXPECT_TRUE(result.ok()) << text << "\n" << result.status().ToString();
    return result.ok() ? *result : DeleteResult{};
  }

  testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
};

// The 1-based "<line>:<column> " prefix an error about the first occurrence of needle in text
// starts with.
inline std::string PositionOf(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  if (at == std::string::npos) return "<" + needle + " not in query>";
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return std::to_string(line) + ":" + std::to_string(at - line_start + 1) + " ";
}

}  // namespace strata::query
