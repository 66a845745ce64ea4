// The Compactor drives retention: at once when its thread starts (what expired while the server
// was down), and before CompactAll (COMPACT), so no expired partition is merged.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "compaction/compactor.h"
#include "engine/engine.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/test_util.h"

namespace strata::compaction {
namespace {

constexpr int64_t kDay = engine::kNanosPerDay;
constexpr int64_t kD0 = 20'464;  // 2026-01-11

class CompactorRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.SetNowNanos((kD0 - 5) * kDay);  // nothing expired yet while writing
    engine::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.env = &env_;
    options.retention = std::chrono::hours(24);
    auto opened = engine::Engine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine_ = std::move(opened).value();
    // Two flushes, so each of the 4 day partitions holds 2 files.
    for (int round = 0; round < 2; ++round) {
      engine::WriteBatch batch;
      engine::ParsedLine parsed;
      for (int64_t day = kD0 - 3; day <= kD0; ++day) {
        const std::string line = "m,region=eu v=" + std::to_string(round) + " " +
                                 std::to_string(day * kDay + round);
        ASSERT_TRUE(parser_.Parse(line, &parsed).ok());
        ASSERT_TRUE(engine_->AddLine(parsed, 0, &batch).ok());
      }
      auto t = engine_->Commit(&batch);
      ASSERT_TRUE(t.ok());
      ASSERT_TRUE(engine_->WaitForCommit(*t).ok());
      ASSERT_TRUE(engine_->Flush().ok());
    }
    env_.SetNowNanos(kD0 * kDay + 1);  // now D0-1 is the first day kept
  }

  size_t Partitions() { return engine_->FileSetSnapshot()->partitions.size(); }

  testing::TempDir dir_;
  testing::FaultInjectionEnv env_;
  engine::LineParser parser_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(CompactorRetentionTest, CompactAllDropsExpiredPartitionsBeforeMerging) {
  CompactorOptions options;
  options.min_files = 0;  // Start() is not called: only CompactAll runs retention here
  options.rate_bytes_per_second = 0;
  Compactor compactor(*engine_, options);
  ASSERT_EQ(Partitions(), 4u);
  auto results = compactor.CompactAll();
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  // Only D0-1 and D0 were left to merge.
  ASSERT_EQ(results->size(), 2u);
  for (const CompactionResult& r : *results) EXPECT_GE(r.partition.day, kD0 - 1);
  EXPECT_EQ(Partitions(), 2u);
  EXPECT_EQ(compactor.Stats().retention_runs, 1u);
  EXPECT_EQ(engine_->Stats().partitions_dropped, 2u);
  EXPECT_EQ(engine_->Stats().files_dropped, 4u);
}

TEST_F(CompactorRetentionTest, BackgroundThreadAppliesRetentionAtStart) {
  CompactorOptions options;
  options.min_files = 0;  // compaction off: the thread runs for retention alone
  options.poll_interval = std::chrono::milliseconds(10);
  Compactor compactor(*engine_, options);
  compactor.Start();
  // Bounded wait for the first run on the background thread.
  for (int i = 0; i < 500 && compactor.Stats().retention_runs == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  compactor.Stop();
  EXPECT_GE(compactor.Stats().retention_runs, 1u);
  EXPECT_EQ(Partitions(), 2u);
  EXPECT_EQ(engine_->Stats().partitions_dropped, 2u);
}

}  // namespace
}  // namespace strata::compaction
