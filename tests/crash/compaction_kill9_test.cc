// Crash tests of compaction against a real stratad: a SIGKILL at each step of a compaction
// (stratad kills itself there, STRATA_TEST_COMPACTION_KILL_AT), and a kill -9 landing at a random
// moment of a slow (throttled) compaction while writers keep writing. After a restart every
// acknowledged point is there exactly once and no chunk file outside the catalog is left.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/stratad_process.h"
#include "tests/support/test_util.h"
#include "tools/line_client.h"

namespace strata {
namespace {

using testing::StratadProcess;
using testing::TempDir;
using tools::LineClient;

constexpr int64_t kDay = 86'400'000'000'000;
constexpr int64_t kBase = 20'454 * kDay;  // 2026-01-01

int64_t ValueOf(int series, int64_t i) { return (series * 7919 + i * 31) % 1000; }
// Point i of a series: spread over two days, so each flush writes two partitions.
int64_t TimeOf(int64_t i) { return kBase + (i % 2) * kDay + (i / 2) * 1'000'000LL; }

std::vector<std::string> Cells(const std::string& row) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(row);
  while (std::getline(in, cell, '\t')) out.push_back(cell);
  return out;
}

// count and sum of v of series s.
std::pair<int64_t, int64_t> CountSum(LineClient& client, int s) {
  auto lines = client.Command("SELECT count(v), sum(v) FROM crash WHERE s = 's" +
                              std::to_string(s) + "'");
  EXPECT_TRUE(lines.ok());
  if (!lines.ok() || lines->size() != 3) return {0, 0};
  auto cells = Cells((*lines)[1]);
  return {std::stoll(cells[0]), std::stoll(cells[1])};
}

int64_t ExpectedSum(int s, int64_t n) {
  int64_t sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += ValueOf(s, i);
  return sum;
}

// Files SHOW PARTITIONS counts (the catalog) and files under chunks/ must be the same number.
void ExpectNoOrphans(LineClient& client, const std::string& data_dir) {
  auto lines = client.Command("SHOW PARTITIONS");
  ASSERT_TRUE(lines.ok());
  uint64_t in_catalog = 0;
  for (size_t r = 1; r + 1 < lines->size(); ++r) in_catalog += std::stoull(Cells((*lines)[r])[2]);
  uint64_t on_disk = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data_dir + "/chunks")) {
    on_disk += e.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(on_disk, in_catalog);
  EXPECT_GT(in_catalog, 0u);
}

// Writes points [from, to) of series s in one batch and waits for the SYNC acknowledgement.
bool WriteAcked(LineClient& client, int s, int64_t from, int64_t to) {
  std::string batch;
  for (int64_t i = from; i < to; ++i) {
    batch += "crash,s=s" + std::to_string(s) + " v=" + std::to_string(ValueOf(s, i)) + "i " +
             std::to_string(TimeOf(i)) + "\n";
  }
  if (!client.Send(batch + "SYNC\n").ok()) return false;
  auto reply = client.ReadLine();
  return reply.ok() && reply->rfind("OK ", 0) == 0;
}

class CompactionStepKillTest : public ::testing::TestWithParam<const char*> {};

TEST_P(CompactionStepKillTest, EveryAcknowledgedPointSurvivesExactlyOnce) {
  TempDir dir;
  const std::string data = dir.Sub("data");
  const std::vector<std::string> flags = {"--compact-min-files", "0"};
  ::setenv("STRATA_TEST_COMPACTION_KILL_AT", GetParam(), 1);
  StratadProcess server(data, flags);
  std::string error;
  const bool started = server.Start(&error);
  ::unsetenv("STRATA_TEST_COMPACTION_KILL_AT");
  ASSERT_TRUE(started) << error;
  constexpr int kSeries = 3, kFlushes = 4, kPerFlush = 2000;
  {
    auto client = LineClient::Connect("127.0.0.1", server.port());
    ASSERT_TRUE(client.ok());
    for (int f = 0; f < kFlushes; ++f) {
      for (int s = 0; s < kSeries; ++s) {
        ASSERT_TRUE(WriteAcked(**client, s, f * kPerFlush, (f + 1) * kPerFlush));
      }
      ASSERT_EQ((*client)->Command("FLUSH")->back(), "OK");
    }
    // Points still in the WAL at the kill, too.
    for (int s = 0; s < kSeries; ++s) {
      ASSERT_TRUE(WriteAcked(**client, s, kFlushes * kPerFlush, (kFlushes + 1) * kPerFlush));
    }
    auto reply = (*client)->Command("COMPACT");
    EXPECT_FALSE(reply.ok()) << "the server answered " << reply->back();
  }
  server.Kill9();  // reaps the process that killed itself

  StratadProcess restarted(data, flags);
  ASSERT_TRUE(restarted.Start(&error)) << error;
  auto client = LineClient::Connect("127.0.0.1", restarted.port());
  ASSERT_TRUE(client.ok());
  const int64_t n = (kFlushes + 1) * kPerFlush;
  for (int s = 0; s < kSeries; ++s) {
    EXPECT_EQ(CountSum(**client, s), std::make_pair(n, ExpectedSum(s, n))) << "series " << s;
  }
  auto partitions = (*client)->Command("SHOW PARTITIONS");
  ASSERT_TRUE(partitions.ok());
  ASSERT_EQ(partitions->size(), 4u);  // header, two partitions, END
  // COMPACT takes the partitions in order; the kill after the first commit leaves the second
  // partition as it was.
  const bool first_committed = std::string(GetParam()) == "after_commit";
  EXPECT_EQ(std::stoull(Cells((*partitions)[1])[2]), first_committed ? 1u : kFlushes);
  EXPECT_EQ(std::stoull(Cells((*partitions)[2])[2]), static_cast<uint64_t>(kFlushes));
  ExpectNoOrphans(**client, data);
  // Compaction works after the restart, and the answers stay.
  EXPECT_EQ((*client)->Command("COMPACT")->back().rfind("OK ", 0), 0u);
  for (int s = 0; s < kSeries; ++s) {
    EXPECT_EQ(CountSum(**client, s), std::make_pair(n, ExpectedSum(s, n))) << "series " << s;
  }
  ExpectNoOrphans(**client, data);
  EXPECT_EQ(restarted.Terminate(), 0);
}

INSTANTIATE_TEST_SUITE_P(Steps, CompactionStepKillTest,
                         ::testing::Values("after_write", "after_rename", "after_commit"));

// A slow compaction (throttled to 8 KiB/s) of many flushed files, killed at a random moment
// while writers keep writing and flushing.
TEST(CompactionKill9Test, KillDuringThrottledCompactionWithConcurrentWriters) {
  TempDir dir;
  const std::string data = dir.Sub("data");
  const std::vector<std::string> flags = {"--compact-min-files", "0", "--compaction-rate", "8KiB"};
  StratadProcess server(data, flags);
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  constexpr int kSeries = 4;
  constexpr int64_t kBatch = 5000;
  std::atomic<int64_t> acked[kSeries] = {};
  {
    // A base of many files.
    auto client = LineClient::Connect("127.0.0.1", server.port());
    ASSERT_TRUE(client.ok());
    for (int f = 0; f < 8; ++f) {
      for (int s = 0; s < kSeries; ++s) {
        ASSERT_TRUE(WriteAcked(**client, s, acked[s], acked[s] + kBatch));
        acked[s] += kBatch;
      }
      ASSERT_EQ((*client)->Command("FLUSH")->back(), "OK");
    }
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int s = 0; s < kSeries; ++s) {
    threads.emplace_back([&, s] {
      auto client = LineClient::Connect("127.0.0.1", server.port());
      if (!client.ok()) return;
      int batches = 0;
      while (!stop.load()) {
        const int64_t from = acked[s].load();
        if (!WriteAcked(**client, s, from, from + 500)) return;  // killed
        acked[s] = from + 500;
        if (++batches % 10 == 0 && s == 0 && !(*client)->Command("FLUSH").ok()) return;
      }
    });
  }
  threads.emplace_back([&] {
    auto client = LineClient::Connect("127.0.0.1", server.port());
    if (!client.ok()) return;
    auto reply = (*client)->Command("COMPACT");  // the kill comes before the answer
    (void)reply;
  });
  // Wait (bounded) until the compaction runs, then kill at a random moment of it.
  auto watcher = LineClient::Connect("127.0.0.1", server.port());
  ASSERT_TRUE(watcher.ok());
  bool running = false;
  for (int i = 0; i < 500 && !running; ++i) {
    auto lines = (*watcher)->Command("STATS");
    ASSERT_TRUE(lines.ok());
    for (const std::string& row : *lines) running |= row == "compaction_running\t1";
    if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(running);
  std::mt19937 rng(std::random_device{}());
  std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 1500));
  auto stats = (*watcher)->Command("STATS");
  ASSERT_TRUE(stats.ok());
  server.Kill9();
  stop = true;
  for (auto& t : threads) t.join();
  for (const std::string& row : *stats) {
    EXPECT_NE(row, "compaction_running\t0") << "the compaction ended before the kill";
    if (row.starts_with("chunk_files\t")) std::printf("killed with %s\n", row.c_str());
  }

  StratadProcess restarted(data, {"--compact-min-files", "0"});
  ASSERT_TRUE(restarted.Start(&error)) << error;
  auto client = LineClient::Connect("127.0.0.1", restarted.port());
  ASSERT_TRUE(client.ok());
  for (int s = 0; s < kSeries; ++s) {
    // Every acknowledged point, at most one batch more (durable, not yet acknowledged), each
    // once: what survived is a prefix, so its count fixes its sum.
    const auto [count, sum] = CountSum(**client, s);
    EXPECT_GE(count, acked[s].load()) << "series " << s;
    EXPECT_LE(count, acked[s].load() + 500) << "series " << s;
    EXPECT_EQ(sum, ExpectedSum(s, count)) << "series " << s;
  }
  ExpectNoOrphans(**client, data);
  EXPECT_EQ(restarted.Terminate(), 0);
}

}  // namespace
}  // namespace strata
