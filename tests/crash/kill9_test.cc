// Crash test (STYLE §7): a real stratad takes writes from several connections with SYNCs, is
// killed with SIGKILL mid-stream, restarts, and must hold every acknowledged point exactly once.
// Each connection writes its own series over its own time range, in order, so what survives of
// a connection must be a prefix of what it sent: every acknowledged point, plus possibly some
// that were durable but not yet acknowledged, and nothing else.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
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

constexpr int kConnections = 4;
constexpr int kBatchLines = 5000;
constexpr int64_t kBaseNs = 1'767'225'600'000'000'000;  // 2026-01-01
constexpr int64_t kConnectionSpanNs = 1'000'000'000'000;

int64_t TotalPoints() {
  const char* env = std::getenv("STRATA_CRASH_POINTS");
  return env ? std::atoll(env) : 1'000'000;
}

int64_t ValueOf(int connection, int64_t i) { return (connection * 7919 + i * 31) % 1000; }
int64_t TimeOf(int connection, int64_t i) {
  return kBaseNs + connection * kConnectionSpanNs + i * 1000;
}

// Sum of ValueOf(c, 0..n-1), computed independently of the server.
int64_t ExpectedSum(int connection, int64_t n) {
  int64_t sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += ValueOf(connection, i);
  return sum;
}

struct CountSum {
  int64_t count = 0;
  int64_t sum = 0;
};

CountSum Query(LineClient& client, int connection, int64_t from_index, int64_t to_index) {
  std::string q = "SELECT count(v), sum(v) FROM crash WHERE time >= " +
                  std::to_string(TimeOf(connection, from_index)) +
                  " AND time < " + std::to_string(TimeOf(connection, to_index));
  auto lines = client.Command(q);
  EXPECT_TRUE(lines.ok()) << lines.status().ToString();
  CountSum out;
  if (!lines.ok()) return out;
  EXPECT_GE(lines->size(), 2u) << q;
  EXPECT_EQ(lines->front(), "count(v)\tsum(v)") << q;
  if (lines->size() == 3) {  // header, row, END
    EXPECT_EQ(2, std::sscanf((*lines)[1].c_str(), "%ld\t%ld", &out.count, &out.sum)) << (*lines)[1];
  } else {
    EXPECT_EQ(lines->size(), 2u) << "unexpected answer to " << q;
  }
  return out;
}

TEST(Kill9Test, EveryAcknowledgedPointSurvivesSigkillExactlyOnce) {
  TempDir dir;
  const std::string data = dir.Sub("data");
  const int64_t per_connection = TotalPoints() / kConnections;
  // A small memtable budget, so flushes (and WAL deletion) run while the kill can land.
  const std::vector<std::string> flags = {"--memtable-budget", "8MiB"};
  StratadProcess server(data, flags);
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;

  std::atomic<int64_t> acked[kConnections] = {};
  std::atomic<int64_t> total_acked{0};
  std::vector<std::thread> writers;
  for (int c = 0; c < kConnections; ++c) {
    writers.emplace_back([&, c] {
      auto client = LineClient::Connect("127.0.0.1", server.port());
      if (!client.ok()) return;
      std::string batch;
      for (int64_t start = 0; start < per_connection; start += kBatchLines) {
        const int64_t end = std::min<int64_t>(start + kBatchLines, per_connection);
        batch.clear();
        for (int64_t i = start; i < end; ++i) {
          batch += "crash,conn=c" + std::to_string(c) + " v=" + std::to_string(ValueOf(c, i)) +
                   " " + std::to_string(TimeOf(c, i)) + "\n";
        }
        batch += "SYNC\n";
        if (!(*client)->Send(batch).ok()) return;
        auto reply = (*client)->ReadLine();
        if (!reply.ok()) return;  // killed mid-stream
        if (reply->rfind("OK " + std::to_string(end - start) + " 0 ", 0) != 0) {
          ADD_FAILURE() << "unexpected SYNC reply: " << *reply;
          return;
        }
        acked[c] = end;
        total_acked += end - start;
      }
    });
  }
  // Kill once a good part is acknowledged but writers are still busy. Bounded wait.
  const int64_t kill_at = TotalPoints() * 2 / 5;
  for (int i = 0; i < 60000 && total_acked.load() < kill_at; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GE(total_acked.load(), kill_at) << "writers made no progress";
  server.Kill9();
  for (auto& w : writers) w.join();
  ASSERT_LT(total_acked.load(), TotalPoints()) << "the kill came after the last write";
  // Chunk files of finished flushes, so the restart merges them with the replayed WAL.
  std::printf("killed after %ld acknowledged points\n", static_cast<long>(total_acked.load()));

  StratadProcess restarted(data, flags);
  ASSERT_TRUE(restarted.Start(&error)) << error;
  auto client = LineClient::Connect("127.0.0.1", restarted.port());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  for (int c = 0; c < kConnections; ++c) {
    SCOPED_TRACE("connection " + std::to_string(c));
    const int64_t a = acked[c].load();
    CountSum everything = Query(**client, c, 0, per_connection);
    // At least every acknowledged point, at most what was sent, never a point twice.
    EXPECT_GE(everything.count, a);
    EXPECT_LE(everything.count, per_connection);
    // What survived is exactly the prefix of that length: counts and sums match there.
    CountSum prefix = Query(**client, c, 0, everything.count);
    EXPECT_EQ(prefix.count, everything.count);
    EXPECT_EQ(prefix.sum, ExpectedSum(c, everything.count));
    EXPECT_EQ(everything.sum, prefix.sum);
    std::printf("connection %d: %ld sent, %ld acknowledged, %ld recovered\n", c,
                static_cast<long>(per_connection), static_cast<long>(a),
                static_cast<long>(everything.count));
  }
  // The restarted server keeps taking writes, with system times after all earlier ones.
  ASSERT_TRUE((*client)->Send("crash,conn=after v=1 " + std::to_string(kBaseNs) + "\nSYNC\n").ok());
  auto sync = (*client)->ReadLine();
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync->rfind("OK 1 0 ", 0), 0u) << *sync;
  EXPECT_EQ(restarted.Terminate(), 0);
}

}  // namespace
}  // namespace strata
