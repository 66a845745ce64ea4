#include "wal/group_commit.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/fault_injection_env.h"
#include "tests/support/test_util.h"
#include "util/logging.h"
#include "wal/log_format.h"
#include "wal/recovery.h"
#include "wal/segment.h"

namespace strata::wal {

// Reads WalWriter internals the public API does not expose (friend of WalWriter).
class WalWriterTestPeer {
 public:
  static uint64_t BlockedAppenders(WalWriter& writer) {
    MutexLock lock(&writer.mu_);
    return writer.blocked_appenders_;
  }
};

namespace {

using Op = testing::FaultInjectionEnv::Op;

// A one-shot gate: Wait blocks until Open.
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  bool is_open() {
    std::lock_guard<std::mutex> lock(mu_);
    return open_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Collects callback results; Wait blocks until n callbacks ran.
class Callbacks {
 public:
  CommitCallback Make() {
    return [this](const Status& s, int64_t time, std::string_view) {
      std::lock_guard<std::mutex> lock(mu_);
      results_.emplace_back(s, time);
      cv_.notify_all();
    };
  }
  void WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return results_.size() >= n; });
  }
  std::vector<std::pair<Status, int64_t>> results() {
    std::lock_guard<std::mutex> lock(mu_);
    return results_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<Status, int64_t>> results_;
};

struct Replayed {
  Status status;
  std::vector<std::pair<int64_t, std::string>> records;
  RecoveryReport report;
};

Replayed ReplayAll(Env& env, const std::string& dir) {
  Replayed out;
  out.status = ReplayWal(
      env, dir, 0,
      [&](uint64_t, const Record& record) {
        out.records.emplace_back(record.system_time_ns, std::string(record.payload));
        return Status::OK();
      },
      &out.report);
  return out;
}

std::string Payload(size_t size, uint64_t seed) {
  std::string s(size, '\0');
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

class WalWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_level_ = GetLogLevel();
    SetLogLevel(LogLevel::kError);  // expected torn-tail warnings
  }
  void TearDown() override { SetLogLevel(saved_level_); }

  WalOptions Options(FsyncPolicy policy) {
    WalOptions options;
    options.env = &env_;
    options.dir = dir_;
    options.fsync = policy;
    return options;
  }

  std::unique_ptr<WalWriter> Open(const WalOptions& options, int64_t last = 0) {
    auto writer = WalWriter::Open(options, last);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    return writer.ok() ? std::move(writer).value() : nullptr;
  }

  testing::TempDir tmp_;
  std::string dir_ = tmp_.Sub("wal");
  testing::FaultInjectionEnv env_;

 private:
  LogLevel saved_level_ = LogLevel::kInfo;
};

TEST(WalParseFsyncPolicyTest, AcceptsPoliciesAndIntervals) {
  std::chrono::milliseconds interval{0};
  auto p = ParseFsyncPolicy("always", &interval);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, FsyncPolicy::kAlways);
  p = ParseFsyncPolicy("off", &interval);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, FsyncPolicy::kOff);
  p = ParseFsyncPolicy("OFF", &interval);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, FsyncPolicy::kOff);

  const std::pair<const char*, int64_t> intervals[] = {
      {"200ms", 200}, {"1s", 1000}, {"2s", 2000}, {"1ms", 1}, {"86400s", 86'400'000}};
  for (const auto& [text, millis] : intervals) {
    interval = std::chrono::milliseconds(0);
    p = ParseFsyncPolicy(text, &interval);
    ASSERT_TRUE(p.ok()) << text;
    EXPECT_EQ(*p, FsyncPolicy::kInterval);
    EXPECT_EQ(interval.count(), millis) << text;
  }
}

TEST(WalParseFsyncPolicyTest, RejectsAnythingElseSayingWhatIsAccepted) {
  std::chrono::milliseconds interval{5};
  for (const char* text : {"", "sometimes", "100", "ms", "0ms", "0s", "-1s", "1.5s", "10m", "1h",
                           "100 ms", "86401s", "99999999999999999999s", " always"}) {
    auto p = ParseFsyncPolicy(text, &interval);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find("'always', 'off'"), std::string::npos);
    EXPECT_NE(p.status().message().find("200ms"), std::string::npos);
  }
  EXPECT_EQ(interval.count(), 5);
}

TEST_F(WalWriterTest, OpenCreatesDirectoryAndStartsAfterExistingSegments) {
  auto writer = Open(Options(FsyncPolicy::kAlways));
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->current_segment(), 1u);
  ASSERT_TRUE(writer->Append("a", nullptr).ok());
  ASSERT_TRUE(writer->Close().ok());
  const uint64_t first_size = *Env::Default()->GetFileSize(SegmentPath(dir_, 1));

  ASSERT_TRUE(WriteFileAtomically(*Env::Default(), SegmentPath(dir_, 7), "").ok());
  writer = Open(Options(FsyncPolicy::kAlways), 1);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->current_segment(), 8u);  // never appends to an old segment
  ASSERT_TRUE(writer->Append("b", nullptr).ok());
  ASSERT_TRUE(writer->Close().ok());
  EXPECT_EQ(*Env::Default()->GetFileSize(SegmentPath(dir_, 1)), first_size);
  EXPECT_GE(env_.count(Op::kSyncDir), 2u);  // each new segment's name made durable

  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].second, "b");
}

TEST_F(WalWriterTest, RoundTripOfVariedSizesAcrossSegments) {
  WalOptions options = Options(FsyncPolicy::kAlways);
  options.segment_bytes = 64 << 10;
  auto writer = Open(options, 1000);
  ASSERT_NE(writer, nullptr);
  const std::vector<size_t> sizes = {0, 1, 100, 4096, 70000, 1 << 20, 0, 33, 8193};
  std::vector<std::pair<int64_t, std::string>> expected;
  Callbacks callbacks;
  for (size_t i = 0; i < 45; ++i) {
    std::string payload = Payload(sizes[i % sizes.size()], i);
    auto time = writer->Append(payload, callbacks.Make());
    ASSERT_TRUE(time.ok()) << time.status().ToString();
    if (!expected.empty()) {
      EXPECT_GT(*time, expected.back().first);
    }
    EXPECT_GT(*time, 1000);
    expected.emplace_back(*time, std::move(payload));
  }
  ASSERT_TRUE(writer->Close().ok());
  for (const auto& [status, time] : callbacks.results()) EXPECT_TRUE(status.ok());
  EXPECT_EQ(callbacks.results().size(), expected.size());
  EXPECT_EQ(writer->last_system_time(), expected.back().first);

  auto segments = ListSegments(*Env::Default(), dir_);
  ASSERT_TRUE(segments.ok());
  EXPECT_GE(segments->size(), 6u);
  EXPECT_EQ(writer->current_segment(), segments->back());
  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.records, expected);
  EXPECT_EQ(r.report.truncated_bytes, 0u);
}

// Many connections, one fdatasync per group. The first sync is held until every thread has
// queued all its records, so grouping is guaranteed rather than likely.
TEST_F(WalWriterTest, ConcurrentAppendsAreGroupCommittedInOrder) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  constexpr int kRecords = kThreads * kPerThread;
  std::atomic<int> appended{0};
  Gate all_queued;
  env_.SetSyncHook([&](const std::string&) { all_queued.Wait(); });

  auto writer = Open(Options(FsyncPolicy::kAlways));
  ASSERT_NE(writer, nullptr);
  const uint64_t syncs_before = env_.count(Op::kSync);

  std::mutex mu;
  std::vector<int64_t> callback_order;
  std::map<int64_t, std::string> appended_payloads;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string payload = fmt::format("t{}-{}", t, i);
        auto time = writer->Append(payload, [&](const Status& s, int64_t system_time, std::string_view) {
          EXPECT_TRUE(s.ok()) << s.ToString();
          std::lock_guard<std::mutex> lock(mu);
          callback_order.push_back(system_time);
        });
        ASSERT_TRUE(time.ok());
        {
          std::lock_guard<std::mutex> lock(mu);
          EXPECT_TRUE(appended_payloads.emplace(*time, payload).second) << "duplicate time";
        }
        if (++appended == kRecords) all_queued.Open();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(writer->Close().ok());

  ASSERT_EQ(callback_order.size(), static_cast<size_t>(kRecords));
  for (size_t i = 1; i < callback_order.size(); ++i) {
    ASSERT_LT(callback_order[i - 1], callback_order[i]) << "callbacks out of order at " << i;
  }
  const uint64_t syncs = env_.count(Op::kSync) - syncs_before;
  EXPECT_GE(syncs, 1u);
  EXPECT_LE(syncs, 2u);  // the held group, then everything queued meanwhile
  EXPECT_LT(syncs, static_cast<uint64_t>(kRecords));

  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), static_cast<size_t>(kRecords));
  auto it = appended_payloads.begin();
  for (const auto& [time, payload] : r.records) {
    EXPECT_EQ(time, it->first);
    EXPECT_EQ(payload, it->second);
    ++it;
  }
}

// Free-running variant: no gate, threads wait for their own commits as connections do.
TEST_F(WalWriterTest, ConcurrentSynchronousAppendersAllCommit) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 100;
  auto writer = Open(Options(FsyncPolicy::kAlways));
  ASSERT_NE(writer, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        Callbacks done;
        ASSERT_TRUE(writer->Append(std::string(64, 'x'), done.Make()).ok());
        done.WaitFor(1);
        if (done.results()[0].first.ok()) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(writer->Close().ok());
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_LE(env_.count(Op::kSync), static_cast<uint64_t>(kThreads * kPerThread) + 1);
  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.records.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_F(WalWriterTest, SystemTimeNeverGoesBackwardsWhenTheClockDoes) {
  const int64_t last = 5'000'000'000;
  env_.SetNowNanos(1'000);  // wall clock far behind the recovered high-water mark
  auto writer = Open(Options(FsyncPolicy::kOff), last);
  ASSERT_NE(writer, nullptr);
  std::vector<int64_t> times;
  for (int i = 0; i < 3; ++i) times.push_back(*writer->Append("x", nullptr));
  env_.SetNowNanos(9'000'000'000);
  times.push_back(*writer->Append("y", nullptr));
  times.push_back(*writer->Append("y", nullptr));  // same clock reading
  env_.SetNowNanos(7'000'000'000);                 // jumped back
  times.push_back(*writer->Append("z", nullptr));
  EXPECT_EQ(times, (std::vector<int64_t>{last + 1, last + 2, last + 3, 9'000'000'000, 9'000'000'001,
                                         9'000'000'002}));
  EXPECT_EQ(writer->last_system_time(), 9'000'000'002);
  ASSERT_TRUE(writer->Close().ok());
  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), times.size());
  for (size_t i = 0; i < times.size(); ++i) EXPECT_EQ(r.records[i].first, times[i]);
}

TEST_F(WalWriterTest, PowerLossKeepsEveryAcknowledgedRecordUnderAlways) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  constexpr uint64_t kCrashAtSync = 40;
  // The power fails in the middle of the 40th group's fdatasync.
  std::atomic<uint64_t> syncs{0};
  env_.SetSyncHook([&](const std::string&) {
    if (++syncs == kCrashAtSync) env_.SimulateCrash().IgnoreError();  // checked by replay below
  });
  auto writer = Open(Options(FsyncPolicy::kAlways));
  ASSERT_NE(writer, nullptr);
  std::mutex mu;
  std::map<int64_t, std::string> acked;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string payload =
            Payload(static_cast<size_t>(i * 7 % 500), static_cast<uint64_t>(t * 1000 + i));
        Callbacks done;
        if (!writer->Append(payload, done.Make()).ok()) break;  // the crash stopped the writer
        done.WaitFor(1);
        const auto [status, time] = done.results()[0];
        if (!status.ok()) {
          ++failed;
          break;
        }
        std::lock_guard<std::mutex> lock(mu);
        acked.emplace(time, payload);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  writer->Close().IgnoreError();  // fails after the crash, but returns
  writer.reset();
  env_.Reactivate();
  ASSERT_GE(syncs.load(), kCrashAtSync);
  EXPECT_GE(failed.load(), 1);

  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  std::map<int64_t, std::string> replayed(r.records.begin(), r.records.end());
  EXPECT_GE(acked.size(), kCrashAtSync - 1);
  for (const auto& [time, payload] : acked) {
    auto it = replayed.find(time);
    ASSERT_NE(it, replayed.end()) << "acknowledged record " << time << " lost";
    EXPECT_EQ(it->second, payload);
  }
}

TEST_F(WalWriterTest, PowerLossUnderOffLosesOnlyWhatWasNotSynced) {
  auto writer = Open(Options(FsyncPolicy::kOff));
  ASSERT_NE(writer, nullptr);
  std::vector<int64_t> times;
  for (int i = 0; i < 50; ++i) times.push_back(*writer->Append(Payload(100, i), nullptr));
  ASSERT_TRUE(writer->Sync().ok());  // forces fdatasync even under kOff
  for (int i = 50; i < 100; ++i) times.push_back(*writer->Append(Payload(100, i), nullptr));
  // Let the unsynced half reach the file, so the crash has something to drop.
  Callbacks written;
  ASSERT_TRUE(writer->Append("last", written.Make()).ok());
  written.WaitFor(1);
  EXPECT_GT(env_.UnsyncedBytes(SegmentPath(dir_, 1)), 0u);

  ASSERT_TRUE(env_.SimulateCrash().ok());
  writer->Close().IgnoreError();  // fails: the file system is gone
  writer.reset();
  env_.Reactivate();

  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 50u);  // exactly what Sync() made durable
  for (size_t i = 0; i < r.records.size(); ++i) {
    EXPECT_EQ(r.records[i].first, times[i]);
    EXPECT_EQ(r.records[i].second, Payload(100, i));
  }
}

TEST_F(WalWriterTest, SyncForcesFdatasyncUnderOff) {
  auto writer = Open(Options(FsyncPolicy::kOff));
  ASSERT_NE(writer, nullptr);
  Callbacks callbacks;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer->Append("r", callbacks.Make()).ok());
  callbacks.WaitFor(10);
  const uint64_t syncs = env_.count(Op::kSync);
  EXPECT_GT(env_.UnsyncedBytes(SegmentPath(dir_, 1)), 0u);
  ASSERT_TRUE(writer->Sync().ok());
  EXPECT_EQ(env_.count(Op::kSync), syncs + 1);
  EXPECT_EQ(env_.UnsyncedBytes(SegmentPath(dir_, 1)), 0u);
  ASSERT_TRUE(writer->Sync().ok());  // nothing new: no second fdatasync
  EXPECT_EQ(env_.count(Op::kSync), syncs + 1);
  ASSERT_TRUE(writer->Close().ok());
}

TEST_F(WalWriterTest, IntervalPolicySyncsAnIdleWriter) {
  WalOptions options = Options(FsyncPolicy::kInterval);
  options.fsync_interval = std::chrono::milliseconds(50);
  Gate synced;
  env_.SetSyncHook([&](const std::string&) { synced.Open(); });
  auto writer = Open(options);
  ASSERT_NE(writer, nullptr);
  Callbacks callbacks;
  ASSERT_TRUE(writer->Append("idle", callbacks.Make()).ok());
  callbacks.WaitFor(1);  // acknowledged after write(2), not after fdatasync
  EXPECT_TRUE(callbacks.results()[0].first.ok());
  // No Sync() and no Close(): only the interval timer can trigger this.
  synced.Wait();
  ASSERT_TRUE(writer->Close().ok());
}

TEST_F(WalWriterTest, FailedSyncFailsTheCallbackAndEveryLaterAppend) {
  env_.FailAfter(Op::kSync, 0);
  auto writer = Open(Options(FsyncPolicy::kAlways));
  ASSERT_NE(writer, nullptr);
  Callbacks callbacks;
  ASSERT_TRUE(writer->Append("doomed", callbacks.Make()).ok());
  callbacks.WaitFor(1);
  const Status error = callbacks.results()[0].first;
  EXPECT_EQ(error.code(), StatusCode::kIOError);
  EXPECT_NE(error.message().find("injected sync failure"), std::string::npos) << error.ToString();

  auto later = writer->Append("later", callbacks.Make());
  EXPECT_EQ(later.status().code(), StatusCode::kIOError);
  EXPECT_EQ(writer->Sync().code(), StatusCode::kIOError);
  EXPECT_EQ(writer->Close().code(), StatusCode::kIOError);
  EXPECT_EQ(callbacks.results().size(), 1u);  // a refused Append never calls back
}

TEST_F(WalWriterTest, FailedAppendFailsTheCallbackAndEveryLaterAppend) {
  auto writer = Open(Options(FsyncPolicy::kAlways));
  ASSERT_NE(writer, nullptr);
  env_.FailAfter(Op::kAppend, 2);
  Callbacks callbacks;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(writer->Append(fmt::format("r{}", i), callbacks.Make()).ok());
    callbacks.WaitFor(static_cast<size_t>(i + 1));
  }
  auto results = callbacks.results();
  EXPECT_TRUE(results[0].first.ok());
  EXPECT_TRUE(results[1].first.ok());
  EXPECT_EQ(results[2].first.code(), StatusCode::kIOError);
  EXPECT_FALSE(writer->Append("r3", nullptr).ok());
  EXPECT_FALSE(writer->Close().ok());

  env_.ClearFaults();
  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].second, "r1");
}

TEST_F(WalWriterTest, ShortWriteLeavesATornTailThatRecoveryCuts) {
  auto writer = Open(Options(FsyncPolicy::kAlways));
  ASSERT_NE(writer, nullptr);
  env_.SetShortWrite(1, 10);
  Callbacks callbacks;
  ASSERT_TRUE(writer->Append("whole", callbacks.Make()).ok());
  callbacks.WaitFor(1);
  ASSERT_TRUE(writer->Append("torn record", callbacks.Make()).ok());
  callbacks.WaitFor(2);
  EXPECT_TRUE(callbacks.results()[0].first.ok());
  EXPECT_FALSE(callbacks.results()[1].first.ok());
  EXPECT_FALSE(writer->Close().ok());

  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].second, "whole");
  EXPECT_EQ(r.report.truncated_bytes, 10u);
}

TEST_F(WalWriterTest, RecordsQueuedBehindAFailureFailWithTheStoredError) {
  Gate release;
  Gate entered;
  env_.SetSyncHook([&](const std::string&) {
    entered.Open();
    release.Wait();
  });
  auto writer = Open(Options(FsyncPolicy::kAlways));
  ASSERT_NE(writer, nullptr);
  env_.FailOnce(Op::kSync, 0);
  Callbacks callbacks;
  ASSERT_TRUE(writer->Append("a", callbacks.Make()).ok());
  entered.Wait();  // the writer holds "a" in its failing sync
  ASSERT_TRUE(writer->Append("b", callbacks.Make()).ok());
  ASSERT_TRUE(writer->Append("c", callbacks.Make()).ok());
  release.Open();
  callbacks.WaitFor(3);
  auto results = callbacks.results();
  for (const auto& [status, time] : results) {
    EXPECT_EQ(status.code(), StatusCode::kIOError) << status.ToString();
  }
  EXPECT_LT(results[0].second, results[1].second);
  EXPECT_LT(results[1].second, results[2].second);
  EXPECT_FALSE(writer->Close().ok());
}

TEST_F(WalWriterTest, RotateClosesTheSegmentAndCoveredSegmentsAreDeleted) {
  auto writer = Open(Options(FsyncPolicy::kAlways));
  ASSERT_NE(writer, nullptr);
  std::vector<int64_t> times;
  for (const char* payload : {"a", "b", "c"}) {
    auto t = writer->Append(payload, nullptr);
    ASSERT_TRUE(t.ok());
    times.push_back(*t);
  }
  const uint64_t first_segment = writer->current_segment();
  ASSERT_TRUE(writer->Rotate().ok());
  EXPECT_EQ(writer->current_segment(), first_segment + 1);
  auto closed = writer->ClosedSegments();
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].number, first_segment);
  EXPECT_EQ(closed[0].last_system_time_ns, times.back()) << "the segment holds a, b and c";
  auto d = writer->Append("d", nullptr);
  ASSERT_TRUE(d.ok());
  // A checkpoint before c does not cover the segment; one at c does.
  ASSERT_TRUE(writer->DeleteSegmentsCoveredBy(times[1]).ok());
  EXPECT_TRUE(env_.FileExists(SegmentPath(dir_, first_segment)));
  ASSERT_TRUE(writer->DeleteSegmentsCoveredBy(times[2]).ok());
  EXPECT_FALSE(env_.FileExists(SegmentPath(dir_, first_segment)));
  EXPECT_TRUE(writer->ClosedSegments().empty());
  ASSERT_TRUE(writer->Close().ok());
  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0], std::make_pair(*d, std::string("d")));
}

TEST_F(WalWriterTest, FailedRotationAcknowledgesWhatWasSyncedAndFailsTheRest) {
  WalOptions options = Options(FsyncPolicy::kAlways);
  options.segment_bytes = 1;  // every record fills its segment
  auto writer = Open(options);
  ASSERT_NE(writer, nullptr);
  env_.FailAfter(Op::kCreate, 0);
  Callbacks callbacks;
  ASSERT_TRUE(writer->Append("synced by the rotation", callbacks.Make()).ok());
  callbacks.WaitFor(1);
  EXPECT_TRUE(callbacks.results()[0].first.ok());  // durable before the next segment failed
  EXPECT_FALSE(writer->Append("after", nullptr).ok());
  EXPECT_FALSE(writer->Close().ok());
  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 1u);
}

TEST_F(WalWriterTest, AppendBlocksWhileTheQueueIsFull) {
  Gate release;
  Gate entered;
  env_.SetSyncHook([&](const std::string&) {
    entered.Open();
    release.Wait();
  });
  WalOptions options = Options(FsyncPolicy::kAlways);
  options.max_queued_bytes = 1;  // smaller than any record
  auto writer = Open(options);
  ASSERT_NE(writer, nullptr);
  Callbacks callbacks;
  ASSERT_TRUE(writer->Append(std::string(1000, 'a'), callbacks.Make()).ok());
  entered.Wait();  // "a" is being synced; the queue is empty again
  // An empty queue admits one record even though it is over the budget...
  ASSERT_TRUE(writer->Append(std::string(1000, 'b'), callbacks.Make()).ok());
  // ...and the next one waits for space.
  std::atomic<bool> returned{false};
  std::thread blocked([&] {
    EXPECT_TRUE(writer->Append(std::string(1000, 'c'), callbacks.Make()).ok());
    returned = true;
  });
  while (WalWriterTestPeer::BlockedAppenders(*writer) == 0) std::this_thread::yield();
  EXPECT_FALSE(returned.load());
  release.Open();
  blocked.join();
  EXPECT_TRUE(returned.load());
  ASSERT_TRUE(writer->Close().ok());
  auto results = callbacks.results();
  ASSERT_EQ(results.size(), 3u);
  for (const auto& [status, time] : results) EXPECT_TRUE(status.ok());
}

TEST_F(WalWriterTest, CloseDrainsRunsCallbacksAndIsIdempotent) {
  auto writer = Open(Options(FsyncPolicy::kOff));
  ASSERT_NE(writer, nullptr);
  Callbacks callbacks;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(writer->Append("r", callbacks.Make()).ok());
  const uint64_t syncs = env_.count(Op::kSync);
  ASSERT_TRUE(writer->Close().ok());
  EXPECT_EQ(callbacks.results().size(), 100u);
  EXPECT_GT(env_.count(Op::kSync), syncs);  // Close syncs even under kOff
  EXPECT_EQ(env_.UnsyncedBytes(SegmentPath(dir_, 1)), 0u);
  ASSERT_TRUE(writer->Close().ok());
  EXPECT_EQ(writer->Append("late", nullptr).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(writer->Sync().ok());  // everything appended before is durable
}

TEST_F(WalWriterTest, DestructorClosesAndSyncs) {
  {
    auto writer = Open(Options(FsyncPolicy::kOff));
    ASSERT_NE(writer, nullptr);
    ASSERT_TRUE(writer->Append("kept", nullptr).ok());
  }
  EXPECT_EQ(env_.UnsyncedBytes(SegmentPath(dir_, 1)), 0u);
  Replayed r = ReplayAll(*Env::Default(), dir_);
  ASSERT_EQ(r.records.size(), 1u);
}

TEST_F(WalWriterTest, CallbacksMayAppend) {
  auto writer = Open(Options(FsyncPolicy::kAlways));
  ASSERT_NE(writer, nullptr);
  Callbacks second;
  ASSERT_TRUE(writer
                  ->Append("first",
                           [&](const Status& s, int64_t, std::string_view) {
                             ASSERT_TRUE(s.ok());
                             ASSERT_TRUE(writer->Append("second", second.Make()).ok());
                           })
                  .ok());
  second.WaitFor(1);
  EXPECT_TRUE(second.results()[0].first.ok());
  ASSERT_TRUE(writer->Close().ok());
}

TEST_F(WalWriterTest, OversizedRecordIsRefusedWithoutStoppingTheWal) {
  auto writer = Open(Options(FsyncPolicy::kAlways));
  ASSERT_NE(writer, nullptr);
  auto huge = writer->Append(std::string(size_t{kMaxPayloadBytes} + 1, 'x'), nullptr);
  EXPECT_EQ(huge.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(writer->Append("fine", nullptr).ok());
  ASSERT_TRUE(writer->Close().ok());
}

TEST_F(WalWriterTest, OpenFailsCleanlyWhenTheSegmentCannotBeCreated) {
  env_.FailAfter(Op::kCreate, 1);  // the directory, then not the segment
  auto writer = WalWriter::Open(Options(FsyncPolicy::kAlways), 0);
  EXPECT_EQ(writer.status().code(), StatusCode::kIOError);
}

}  // namespace
}  // namespace strata::wal
