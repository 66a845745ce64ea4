#include "engine/engine.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/fault_injection_env.h"
#include "tests/support/test_util.h"

namespace strata::engine {
namespace {

using strata::testing::FaultInjectionEnv;
using strata::testing::TempDir;

class EngineTest : public ::testing::Test {
 protected:
  EngineOptions Options(wal::FsyncPolicy fsync = wal::FsyncPolicy::kAlways) {
    EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.env = &env_;
    options.fsync = fsync;
    return options;
  }

  void Open(wal::FsyncPolicy fsync = wal::FsyncPolicy::kAlways) {
    auto engine = Engine::Open(Options(fsync));
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }

  // Writes the lines as one commit and waits until it is durable; returns its system time.
  Result<SystemTime> Write(const std::vector<std::string>& lines) {
    WriteBatch batch;
    ParsedLine parsed;
    for (const std::string& line : lines) {
      STRATA_RETURN_IF_ERROR(parser_.Parse(line, &parsed));
      STRATA_RETURN_IF_ERROR(engine_->AddLine(parsed, engine_->NowNanos(), &batch));
    }
    STRATA_ASSIGN_OR_RETURN(SystemTime t, engine_->Commit(&batch));
    STRATA_RETURN_IF_ERROR(engine_->WaitForCommit(t));
    return t;
  }

  // (count, sum) of field v of every series of m, as of the given time.
  std::pair<int, double> CountSum(SystemTime as_of) {
    int count = 0;
    double sum = 0;
    for (const SeriesInfo* s : engine_->series_index().SeriesOf("m")) {
      engine_->ScanField(s->id, "v", INT64_MIN, INT64_MAX, as_of, [&](int64_t, const FieldValue& v) {
        ++count;
        sum += v.f;
      });
    }
    return {count, sum};
  }

  TempDir dir_;
  FaultInjectionEnv env_{Env::Default()};
  LineParser parser_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, DataSurvivesCloseAndReopen) {
  Open();
  ASSERT_TRUE(Write({"m,h=a v=1 1", "m,h=b v=2 1"}).ok());
  ASSERT_TRUE(Write({"m,h=a v=4 2"}).ok());
  ASSERT_TRUE(engine_->Close().ok());
  engine_.reset();
  Open();
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()), std::make_pair(3, 7.0));
  EXPECT_EQ(engine_->Stats().recovered_records, 2u);
}

TEST_F(EngineTest, AcknowledgedWritesSurvivePowerLossUnderFsyncAlways) {
  Open();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(Write({"m v=" + std::to_string(i) + " " + std::to_string(i)}).ok());
  }
  // Power loss: everything not fdatasync'ed is gone and nothing more reaches the disk, not even
  // what the engine's shutdown tries to write.
  ASSERT_TRUE(env_.SimulateCrash().ok());
  engine_.reset();
  env_.Reactivate();
  Open();
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()), std::make_pair(20, 190.0));
}

TEST_F(EngineTest, SystemTimeKeepsGrowingWhenTheWallClockJumpsBackAcrossRestarts) {
  Open();
  auto first = Write({"m v=1 1"});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(engine_->Close().ok());
  engine_.reset();
  env_.SetNowNanos(first->ns - 3'600'000'000'000);  // an hour in the past
  Open();
  auto second = Write({"m v=2 2"});
  auto third = Write({"m v=3 3"});
  ASSERT_TRUE(second.ok() && third.ok());
  EXPECT_GT(second->ns, first->ns);
  EXPECT_GT(third->ns, second->ns);
  // AS OF the first commit still sees exactly the first point.
  EXPECT_EQ(CountSum(*first), std::make_pair(1, 1.0));
}

TEST_F(EngineTest, FieldTypeConflictIsRejectedAndLeavesTheBatchUnchanged) {
  Open();
  ASSERT_TRUE(Write({"m v=1.5 1"}).ok());
  WriteBatch batch;
  ParsedLine parsed;
  ASSERT_TRUE(parser_.Parse("m v=2i 2", &parsed).ok());
  Status s = engine_->AddLine(parsed, 0, &batch);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "field 'v' of measurement 'm' is float, not integer");
  EXPECT_TRUE(batch.empty());
}

TEST_F(EngineTest, TypesAreRememberedAcrossRestart) {
  Open();
  ASSERT_TRUE(Write({"m v=1.5 1"}).ok());
  ASSERT_TRUE(engine_->Close().ok());
  engine_.reset();
  Open();
  auto r = Write({"m v=2i 2"});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, WalSyncFailureFailsTheCommitAndEveryLaterOne) {
  Open();
  ASSERT_TRUE(Write({"m v=1 1"}).ok());
  env_.FailAfter(FaultInjectionEnv::Op::kSync, 0);
  auto failed = Write({"m v=2 2"});
  EXPECT_FALSE(failed.ok());
  env_.ClearFaults();
  auto later = Write({"m v=3 3"});
  EXPECT_FALSE(later.ok()) << "a failed WAL must not silently accept more writes";
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()), std::make_pair(1, 1.0))
      << "the write that never became durable is not visible";
}

TEST_F(EngineTest, ASecondEngineOnTheSameDirectoryIsRefused) {
  Open();
  auto second = Engine::Open(Options());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status().ToString();
}

}  // namespace
}  // namespace strata::engine
