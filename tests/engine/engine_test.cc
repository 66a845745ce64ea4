#include "engine/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
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
    EngineOptions options = base_options_;
    if (options.data_dir.empty()) options.data_dir = dir_.Sub("data");
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
      Status scanned = engine_->ScanField(s->id, "v", INT64_MIN, INT64_MAX, as_of,
                                          [&](int64_t, const FieldValue& v) {
                                            ++count;
                                            sum += v.f;
                                          });
      EXPECT_TRUE(scanned.ok()) << scanned.ToString();
    }
    return {count, sum};
  }

  // Chunk files on disk below the data directory.
  std::vector<std::string> ChunkFilesOnDisk() {
    std::vector<std::string> out;
    std::function<void(const std::string&)> walk = [&](const std::string& dir) {
      auto children = Env::Default()->GetChildren(dir);
      if (!children.ok()) return;
      for (const std::string& c : *children) {
        std::string path = JoinPath(dir, c);
        if (c.ends_with(".chunk") || c.ends_with(".tmp")) {
          out.push_back(path);
        } else {
          walk(path);
        }
      }
    };
    walk((base_options_.data_dir.empty() ? dir_.Sub("data") : base_options_.data_dir) +
         "/chunks");
    return out;
  }

  void Reopen() {
    engine_.reset();
    Open();
  }

  EngineOptions base_options_;
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

TEST_F(EngineTest, AWritersSchemaMemoNeverLetsAConflictingTypeThrough) {
  Open();
  ASSERT_TRUE(Write({"m b=1.5 1"}).ok());  // b is a float from now on
  SchemaMemo memo;
  WriteBatch batch;
  ParsedLine parsed;
  auto add = [&](const std::string& line) {
    EXPECT_TRUE(parser_.Parse(line, &parsed).ok()) << line;
    return engine_->AddLine(parsed, 0, &batch, &memo);
  };
  ASSERT_TRUE(add("m a=1i 2").ok());
  ASSERT_TRUE(add("m a=2i 3").ok());  // covered by the memo
  // The memo holds (m, a integer): b's conflict must still be found, on every try, and a line
  // rejected half-way (a registered, b refused) must not be remembered as checked.
  EXPECT_EQ(add("m a=3i,b=4i 4").message(), "field 'b' of measurement 'm' is float, not integer");
  EXPECT_EQ(add("m a=3i,b=4i 5").message(), "field 'b' of measurement 'm' is float, not integer");
  EXPECT_EQ(add("m a=3 6").message(), "field 'a' of measurement 'm' is integer, not float");
  EXPECT_EQ(add("n a=3 7").ok(), true) << "another measurement is another field";
  EXPECT_EQ(add("m a=5i,b=6 8").ok(), true);
  EXPECT_EQ(add("m b=7i 9").message(), "field 'b' of measurement 'm' is float, not integer");
  EXPECT_EQ(batch.lines(), 4u);
}

TEST_F(EngineTest, TypesAreRememberedAcrossRestart) {
  Open();
  ASSERT_TRUE(Write({"m v=1.5 1"}).ok());
  // Only in the WAL: lines of three measurements naming the same fields in the same order.
  ASSERT_TRUE(Write({"m v=2.5,w=1i 2", "n v=1.5,w=2i 3", "o v=1i,w=2.5 4", "m v=3.5,w=2i 5"}).ok());
  ASSERT_TRUE(engine_->Close().ok());
  engine_.reset();
  Open();
  EXPECT_EQ(Write({"m v=2i 6"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Write({"m w=2.5 6"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Write({"n v=2i 6"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Write({"n w=2.5 6"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Write({"o v=2.5 6"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Write({"o v=3i,w=4.5 6"}).ok());
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

TEST_F(EngineTest, FlushedDataSurvivesRestartWithoutReplayingTheWal) {
  Open();
  ASSERT_TRUE(Write({"m,h=a v=1 1", "m,h=b v=2 1"}).ok());
  ASSERT_TRUE(Write({"m,h=a v=4 2"}).ok());
  ASSERT_TRUE(engine_->Flush().ok());
  EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.flushes, 1u);
  EXPECT_EQ(stats.memtable_points, 0u);
  EXPECT_GE(stats.chunk_files, 1u);
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()), std::make_pair(3, 7.0));
  ASSERT_TRUE(Write({"m,h=a v=10 3"}).ok());  // stays in the memtable and WAL
  const SystemTime before_restart = engine_->LastVisibleTime();
  ASSERT_TRUE(engine_->Close().ok());
  Reopen();
  EXPECT_EQ(engine_->Stats().recovered_records, 1u) << "only the unflushed commit is replayed";
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()), std::make_pair(4, 17.0));
  EXPECT_GE(engine_->LastVisibleTime().ns, before_restart.ns);
}

// A client that retries a batch after a lost acknowledgement sends points the engine already has:
// once those are flushed, flushing the retry writes nothing, and a real correction among the
// retried points is the only new version.
TEST_F(EngineTest, AFlushedRetryWritesNoRowsAndKeepsTheOneCorrection) {
  Open();
  const std::vector<std::string> lines = {"m,h=a v=1 10", "m,h=a v=2 20", "m,h=a v=3 30",
                                          "m,h=b v=4 10"};
  ASSERT_TRUE(Write(lines).ok());
  ASSERT_TRUE(engine_->Flush().ok());
  const EngineStats first = engine_->Stats();
  ASSERT_EQ(first.chunk_versions, 4u);
  ASSERT_TRUE(Write(lines).ok());
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_EQ(engine_->Stats().chunk_versions, 4u) << "an identical retry is no version";
  EXPECT_EQ(engine_->Stats().chunk_files, first.chunk_files);
  std::vector<std::string> corrected = lines;
  corrected[1] = "m,h=a v=5 20";
  ASSERT_TRUE(Write(corrected).ok());
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_EQ(engine_->Stats().chunk_versions, 5u);
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()), std::make_pair(4, 13.0));
}

TEST_F(EngineTest, OneChunkFilePerRegionAndUtcDate) {
  Open();
  const int64_t day = 86'400'000'000'000;
  const int64_t d0 = 20454 * day;  // 2026-01-01
  ASSERT_TRUE(Write({"m,region=eu v=1 " + std::to_string(d0 + 5),
                     "m,region=eu v=2 " + std::to_string(d0 + day + 5),
                     "m,region=us v=3 " + std::to_string(d0 + 7), "m v=4 " + std::to_string(d0)})
                  .ok());
  ASSERT_TRUE(engine_->Flush().ok());
  auto files = ChunkFilesOnDisk();
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 4u);
  EXPECT_NE(files[0].find("/chunks/_/2026-01-01/"), std::string::npos) << files[0];
  EXPECT_NE(files[1].find("/chunks/eu/2026-01-01/"), std::string::npos) << files[1];
  EXPECT_NE(files[2].find("/chunks/eu/2026-01-02/"), std::string::npos) << files[2];
  EXPECT_NE(files[3].find("/chunks/us/2026-01-01/"), std::string::npos) << files[3];
  EXPECT_EQ(engine_->Stats().partitions, 4u);
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()), std::make_pair(4, 10.0));
}

TEST_F(EngineTest, AsOfWorksAcrossFlushedAndUnflushedVersions) {
  Open();
  auto first = Write({"m v=1 10", "m v=2 20"});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(engine_->Flush().ok());
  auto second = Write({"m v=5 10"});  // correction, still in the memtable
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(CountSum(*first), std::make_pair(2, 3.0));
  EXPECT_EQ(CountSum(*second), std::make_pair(2, 7.0));
  ASSERT_TRUE(engine_->Flush().ok());
  Reopen();
  EXPECT_EQ(CountSum(*first), std::make_pair(2, 3.0));
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()), std::make_pair(2, 7.0));
}

struct FlushFault {
  const char* name;
  std::function<void(FaultInjectionEnv&, EngineOptions&)> arm;
};

// A crash at every step of a flush: nothing acknowledged is lost, nothing counted twice, and
// files the catalog does not name are removed at the next start.
TEST_F(EngineTest, CrashAtEveryFlushStepLosesNothingAndCountsNothingTwice) {
  const std::vector<FlushFault> faults = {
      {"file half written",
       [](FaultInjectionEnv& env, EngineOptions&) {
         env.SetShortWrite(1, 10);
       }},
      {"written but not renamed",
       [](FaultInjectionEnv&, EngineOptions& o) {
         o.flush_hook = [](std::string_view step) {
           return step == "after_write" ? Status::IOError("crash") : Status::OK();
         };
       }},
      {"rename fails",
       [](FaultInjectionEnv& env, EngineOptions&) { env.FailOnce(FaultInjectionEnv::Op::kRename, 0); }},
      {"renamed but not in the catalog",
       [](FaultInjectionEnv&, EngineOptions& o) {
         o.flush_hook = [](std::string_view step) {
           return step == "after_rename" ? Status::IOError("crash") : Status::OK();
         };
       }},
      {"catalog committed, WAL not yet deleted",
       [](FaultInjectionEnv&, EngineOptions& o) {
         o.flush_hook = [](std::string_view step) {
           return step == "after_catalog" ? Status::IOError("crash") : Status::OK();
         };
       }},
  };
  for (const FlushFault& fault : faults) {
    SCOPED_TRACE(fault.name);
    TempDir dir;
    base_options_ = EngineOptions();
    base_options_.data_dir = dir.Sub("data");
    base_options_.wal_segment_bytes = 512;  // many segments, so WAL deletion has work to do
    base_options_.env = &env_;
    {
      auto opened = Engine::Open(base_options_);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      engine_ = std::move(opened).value();
    }
    double expected_sum = 0;
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(Write({"m,h=a v=" + std::to_string(i) + " " + std::to_string(i),
                         "m,h=b v=1 " + std::to_string(i)})
                      .ok());
      expected_sum += i + 1;
    }
    ASSERT_TRUE(engine_->Flush().ok());  // a clean flush first: the crash hits the second one
    for (int i = 50; i < 80; ++i) {
      ASSERT_TRUE(Write({"m,h=a v=" + std::to_string(i) + " " + std::to_string(i)}).ok());
      expected_sum += i;
    }
    engine_.reset();
    EngineOptions faulty = base_options_;
    fault.arm(env_, faulty);
    {
      auto opened = Engine::Open(faulty);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      engine_ = std::move(opened).value();
    }
    EXPECT_FALSE(engine_->Flush().ok()) << "the fault must hit the flush";
    ASSERT_TRUE(env_.SimulateCrash().ok());
    engine_.reset();
    env_.Reactivate();
    env_.ClearFaults();
    {
      auto opened = Engine::Open(base_options_);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      engine_ = std::move(opened).value();
    }
    EXPECT_EQ(CountSum(engine_->LastVisibleTime()), std::make_pair(130, expected_sum));
    // Every chunk file left on disk is one the catalog names.
    EXPECT_EQ(ChunkFilesOnDisk().size(), engine_->Stats().chunk_files);
    // And the engine flushes fine afterwards.
    ASSERT_TRUE(engine_->Flush().ok());
    engine_.reset();
    {
      auto opened = Engine::Open(base_options_);
      ASSERT_TRUE(opened.ok());
      engine_ = std::move(opened).value();
    }
    EXPECT_EQ(CountSum(engine_->LastVisibleTime()), std::make_pair(130, expected_sum));
    engine_.reset();
  }
}

// A memtable of 100,000 points in four regions over two UTC days: big enough that the flush
// splits its regions over two threads. Returns (points, sum of v) written.
std::pair<int, double> WriteFourRegionsOverTwoDays(
    const std::function<Status(const std::vector<std::string>&)>& write) {
  const int64_t day = 86'400'000'000'000;
  const int64_t d0 = 20454 * day;  // 2026-01-01
  const char* regions[] = {"eu", "us", "ap", "sa"};
  int points = 0;
  double sum = 0;
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> lines;
    for (int region = 0; region < 4; ++region) {
      for (int host = 0; host < 25; ++host) {
        for (int k = 0; k < 50; ++k, ++points) {
          // Each series' points in time order, the second half on the next day.
          const int64_t t = d0 + (round >= 10 ? day : 0) + (round % 10) * 50 + k;
          const int v = (points * 7919) % 1000;
          lines.push_back("m,region=" + std::string(regions[region]) + ",h=h" +
                          std::to_string(host) + " v=" + std::to_string(v) + " " +
                          std::to_string(t));
          sum += v;
        }
      }
    }
    EXPECT_TRUE(write(lines).ok());
  }
  return {points, sum};
}

TEST_F(EngineTest, ABigFlushWritesEachPartitionOnceFromTwoThreads) {
  Open(wal::FsyncPolicy::kOff);
  const auto written =
      WriteFourRegionsOverTwoDays([&](const auto& lines) { return Write(lines).status(); });
  ASSERT_EQ(written.first, 100'000);
  ASSERT_TRUE(engine_->Flush().ok());
  const EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.chunk_files, 8u) << "one file per (region, day), whichever thread wrote it";
  EXPECT_EQ(stats.partitions, 8u);
  EXPECT_EQ(stats.chunk_versions, 100'000u);
  EXPECT_EQ(stats.memtable_points, 0u);
  EXPECT_EQ(ChunkFilesOnDisk().size(), 8u) << "no temporary file left behind";
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()), written);
  Reopen();
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()), written);
}

TEST_F(EngineTest, AFailureInEitherHalfOfABigFlushLosesNothing) {
  const std::vector<FlushFault> faults = {
      {"a file half written",
       [](FaultInjectionEnv& env, EngineOptions&) { env.SetShortWrite(3, 10); }},
      {"a late rename fails",
       [](FaultInjectionEnv& env, EngineOptions&) {
         env.FailOnce(FaultInjectionEnv::Op::kRename, 5);
       }},
  };
  for (const FlushFault& fault : faults) {
    SCOPED_TRACE(fault.name);
    TempDir dir;
    base_options_ = EngineOptions();
    base_options_.data_dir = dir.Sub("data");
    Open();
    const auto written =
        WriteFourRegionsOverTwoDays([&](const auto& lines) { return Write(lines).status(); });
    fault.arm(env_, base_options_);
    EXPECT_FALSE(engine_->Flush().ok()) << "the fault must hit the flush";
    EXPECT_EQ(CountSum(engine_->LastVisibleTime()), written) << "still served from memory";
    ASSERT_TRUE(env_.SimulateCrash().ok());
    engine_.reset();
    env_.Reactivate();
    env_.ClearFaults();
    Open();
    EXPECT_EQ(CountSum(engine_->LastVisibleTime()), written);
    EXPECT_EQ(ChunkFilesOnDisk().size(), engine_->Stats().chunk_files);
    ASSERT_TRUE(engine_->Flush().ok());
    EXPECT_EQ(engine_->Stats().chunk_versions, 100'000u);
    Reopen();
    EXPECT_EQ(CountSum(engine_->LastVisibleTime()), written);
    engine_.reset();
  }
}

TEST_F(EngineTest, AMemtableBudgetAbove16GiBIsRefusedAtOpen) {
  base_options_.memtable_budget_bytes = (uint64_t{16} << 30) + 1;
  auto refused = Engine::Open(Options(wal::FsyncPolicy::kOff));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("above the limit of 16GiB"), std::string::npos)
      << refused.status().ToString();
  base_options_.memtable_budget_bytes = uint64_t{16} << 30;
  EXPECT_TRUE(Engine::Open(Options(wal::FsyncPolicy::kOff)).ok()) << "16GiB itself is allowed";
}

TEST_F(EngineTest, MemoryStaysWithinTheBudgetWhileIngestingFiveTimesIt) {
  base_options_.memtable_budget_bytes = 1 << 20;
  Open(wal::FsyncPolicy::kOff);
  uint64_t peak = 0;
  int points = 0;
  double sum = 0;
  // Each point costs at least 16 bytes in a memtable: 5x the budget is ~330k points.
  for (int batch = 0; batch < 330; ++batch) {
    std::vector<std::string> lines;
    for (int i = 0; i < 1000; ++i, ++points) {
      lines.push_back("m,h=h" + std::to_string(i % 10) + " v=" + std::to_string(points % 97) +
                      " " + std::to_string(points));
      sum += points % 97;
    }
    ASSERT_TRUE(Write(lines).ok());
    peak = std::max(peak, engine_->Stats().memtable_bytes);
  }
  EXPECT_LE(peak, base_options_.memtable_budget_bytes + (64u << 10))
      << "memtables may exceed the budget by at most about one batch";
  EXPECT_GE(engine_->Stats().flushes, 5u);
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()), std::make_pair(points, sum));
}

TEST_F(EngineTest, CommitsWaitingForASlowFlushAreCountedAsWriteStalls) {
  // A third of the budget is about 5,000 points, which the writes below add in tens of
  // milliseconds; the first flush takes at least half a second.
  base_options_.memtable_budget_bytes = 256 << 10;
  auto first_flush = std::make_shared<std::atomic<bool>>(true);
  base_options_.flush_hook = [first_flush](std::string_view step) {
    if (step == "after_write" && first_flush->exchange(false)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return Status::OK();
  };
  Open(wal::FsyncPolicy::kOff);
  EXPECT_EQ(engine_->Stats().write_stalls, 0u);
  int points = 0;
  for (int batch = 0; batch < 16; ++batch) {
    std::vector<std::string> lines;
    for (int i = 0; i < 1000; ++i, ++points) {
      lines.push_back("m,h=h" + std::to_string(i % 10) + " v=1 " + std::to_string(points));
    }
    ASSERT_TRUE(Write(lines).ok());
  }
  const EngineStats stats = engine_->Stats();
  EXPECT_GE(stats.write_stalls, 1u) << stats.flushes << " flushes";
  EXPECT_GE(stats.write_stall_ns, stats.write_stalls * 1'000'000u) << "each waited for a flush";
  EXPECT_EQ(CountSum(engine_->LastVisibleTime()).first, points);
}

}  // namespace
}  // namespace strata::engine
