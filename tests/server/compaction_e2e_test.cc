// COMPACT, STATS and `strata compact` (online and --offline) against a real stratad: answers
// match an independent reference before and after, the reply counts match SHOW PARTITIONS, and
// no chunk file outside the catalog is left on disk.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <thread>
#include <string>
#include <vector>

#include "tests/support/stratad_process.h"
#include "tests/support/test_util.h"
#include "tools/line_client.h"

namespace strata {
namespace {

using testing::RunCommand;
using testing::StratadProcess;
using testing::TempDir;
using tools::LineClient;

constexpr int64_t kDay = 86'400'000'000'000;
constexpr int64_t kBase = 20'454 * kDay;  // 2026-01-01

std::vector<std::string> Cells(const std::string& row) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(row);
  while (std::getline(in, cell, '\t')) out.push_back(cell);
  return out;
}

struct PartitionFiles {
  uint64_t files = 0, bytes = 0;
};

class CompactionE2eTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {"--compact-min-files", "0"}) {
    server_ = std::make_unique<StratadProcess>(dir_.Sub("data"), flags);
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    auto client = LineClient::Connect("127.0.0.1", server_->port());
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  std::string One(const std::string& command) {
    auto lines = client_->Command(command);
    EXPECT_TRUE(lines.ok()) << lines.status().ToString();
    return lines.ok() && !lines->empty() ? lines->back() : "";
  }

  std::vector<std::string> Table(const std::string& query) {
    auto lines = client_->Command(query);
    EXPECT_TRUE(lines.ok()) << lines.status().ToString();
    if (!lines.ok()) return {};
    EXPECT_EQ(lines->back().rfind("END ", 0), 0u) << query << " -> " << lines->back();
    lines->pop_back();  // END carries a timing
    return *lines;
  }

  // One round: every point of both regions and both days gets a value (new points in the first
  // round, corrections of a third of them later), then FLUSH: one file per partition.
  void WriteRound(int round) {
    std::string batch;
    for (const std::string region : {"eu", "us"}) {
      for (int day = 0; day < 2; ++day) {
        for (int i = 0; i < 200; ++i) {
          if (round > 0 && i % 3 != round % 3) continue;
          const int64_t t = kBase + day * kDay + i * 1'000'000'000LL;
          const double v = round * 1000 + i + (region == "us" ? 0.25 : 0);
          batch += "cpu,host=h" + std::to_string(i % 4) + ",region=" + region +
                   " v=" + std::to_string(v) + " " + std::to_string(t) + "\n";
          reference_[region][t] = v;
        }
      }
    }
    ASSERT_TRUE(client_->Send(batch + "SYNC\n").ok());
    auto sync = client_->ReadLine();
    ASSERT_TRUE(sync.ok());
    ASSERT_EQ(sync->rfind("OK ", 0), 0u) << *sync;
    ASSERT_EQ(One("FLUSH"), "OK");
  }

  void ExpectMatchesReference() {
    for (const auto& [region, points] : reference_) {
      double sum = 0;
      for (const auto& [t, v] : points) sum += v;
      auto rows = Table("SELECT count(v), sum(v) FROM cpu WHERE region = '" + region + "'");
      ASSERT_EQ(rows.size(), 2u);
      auto cells = Cells(rows[1]);
      EXPECT_EQ(cells[0], std::to_string(points.size())) << region;
      EXPECT_NEAR(std::stod(cells[1]), sum, 1e-9 * sum) << region;
    }
  }

  std::map<std::string, PartitionFiles> Partitions() {
    std::map<std::string, PartitionFiles> out;
    auto rows = Table("SHOW PARTITIONS");
    for (size_t r = 1; r < rows.size(); ++r) {
      auto cells = Cells(rows[r]);
      out[cells[0] + "/" + cells[1]] = {std::stoull(cells[2]), std::stoull(cells[3])};
    }
    return out;
  }

  std::map<std::string, int64_t> Stats() {
    std::map<std::string, int64_t> out;
    auto rows = Table("STATS");
    for (size_t r = 1; r < rows.size(); ++r) {
      auto cells = Cells(rows[r]);
      out[cells[0]] = std::stoll(cells[1]);
    }
    return out;
  }

  size_t ChunkFilesOnDisk() {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.Sub("data/chunks"))) {
      n += e.is_regular_file() ? 1 : 0;
    }
    return n;
  }

  TempDir dir_;
  std::unique_ptr<StratadProcess> server_;
  std::unique_ptr<LineClient> client_;
  std::map<std::string, std::map<int64_t, double>> reference_;
};

TEST_F(CompactionE2eTest, CompactCommandAndStrataCompactOnlineAndOffline) {
  Start();
  for (int round = 0; round < 4; ++round) WriteRound(round);
  ExpectMatchesReference();
  const std::vector<std::string> versions_before = Table("SELECT VERSIONS v FROM cpu");
  auto before = Partitions();
  ASSERT_EQ(before.size(), 4u);
  for (const auto& [name, p] : before) EXPECT_EQ(p.files, 4u) << name;

  // One partition.
  const PartitionFiles eu1 = before.at("eu/2026-01-01");
  auto after_one = Partitions();
  const std::string reply = One("COMPACT eu/2026-01-01");
  uint64_t partitions, files_in, files_out, bytes_in, bytes_out;
  ASSERT_EQ(std::sscanf(reply.c_str(), "OK %lu %lu %lu %lu %lu", &partitions, &files_in,
                        &files_out, &bytes_in, &bytes_out), 5) << reply;
  EXPECT_EQ(partitions, 1u);
  EXPECT_EQ(files_in, eu1.files);
  EXPECT_EQ(files_out, 1u);
  EXPECT_EQ(bytes_in, eu1.bytes);
  after_one = Partitions();
  EXPECT_EQ(after_one.at("eu/2026-01-01").files, 1u);
  EXPECT_EQ(after_one.at("eu/2026-01-01").bytes, bytes_out);
  EXPECT_EQ(after_one.at("us/2026-01-01").files, 4u);

  // Everything else, with `strata compact` (it sends COMPACT).
  std::string out, err;
  ASSERT_EQ(RunCommand({StratadProcess::BinaryPath("tools/strata"), "--port",
                        std::to_string(server_->port()), "compact"},
                       "", &out, &err), 0) << err;
  EXPECT_NE(out.find("compacted 3 partitions: 12 files"), std::string::npos) << out;
  for (const auto& [name, p] : Partitions()) EXPECT_EQ(p.files, 1u) << name;
  ExpectMatchesReference();
  EXPECT_EQ(Table("SELECT VERSIONS v FROM cpu"), versions_before);
  auto stats = Stats();
  EXPECT_EQ(stats["compactions"], 4);
  EXPECT_EQ(stats["compaction_files_in"], 16);
  EXPECT_EQ(stats["compaction_files_out"], 4);
  EXPECT_EQ(stats["max_files_per_partition"], 1);
  EXPECT_EQ(stats["compaction_backlog"], 0);
  EXPECT_GT(stats["compaction_bytes_written"], 0);
  EXPECT_EQ(ChunkFilesOnDisk(), 4u);

  // Bad requests.
  EXPECT_EQ(One("COMPACT eu").rfind("ERR COMPACT takes", 0), 0u);
  EXPECT_EQ(One("compact eu/2030-01-01"), "ERR no chunk files in partition eu/2030-01-01");

  // Offline, while the server holds the directory: refused.
  WriteRound(4);
  WriteRound(5);
  ASSERT_EQ(RunCommand({StratadProcess::BinaryPath("tools/strata"), "compact", "--offline",
                        dir_.Sub("data")},
                       "", &out, &err), 1);
  EXPECT_NE(err.find("run `strata compact` against it"), std::string::npos) << err;

  // Offline, once it stopped.
  client_.reset();
  ASSERT_EQ(server_->Terminate(), 0);
  ASSERT_EQ(RunCommand({StratadProcess::BinaryPath("tools/strata"), "compact", "--offline",
                        dir_.Sub("data")},
                       "", &out, &err), 0) << err;
  EXPECT_NE(out.find("compacted 4 partitions: 12 files"), std::string::npos) << out;
  Start();
  for (const auto& [name, p] : Partitions()) EXPECT_EQ(p.files, 1u) << name;
  ExpectMatchesReference();
  EXPECT_EQ(ChunkFilesOnDisk(), 4u);
}

TEST_F(CompactionE2eTest, BackgroundSchedulerCompactsPartitionsAtTheThreshold) {
  Start({"--compact-min-files", "3"});
  for (int round = 0; round < 3; ++round) WriteRound(round);
  // The scheduler looks every second; partitions written moments ago wait to settle unless they
  // hold twice the threshold, so write three more rounds.
  for (int round = 3; round < 6; ++round) WriteRound(round);
  // Each of the four partitions is compacted once (a job's counters follow its swap, so wait
  // for both). Bounded wait: up to 20 s.
  bool compacted = false;
  for (int i = 0; i < 200 && !compacted; ++i) {
    auto stats = Stats();
    compacted = stats["compaction_backlog"] == 0 && stats["compactions"] >= 4;
    if (!compacted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(compacted);
  EXPECT_EQ(Stats()["compaction_failures"], 0);
  for (const auto& [name, p] : Partitions()) EXPECT_LT(p.files, 3u) << name;
  ExpectMatchesReference();
}

// The nice value of every thread of process pid (Linux: /proc/<pid>/task/<tid>/stat, field 19).
std::vector<int> ThreadNiceValues(pid_t pid) {
  std::vector<int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t comm_end = stat.rfind(')');
    if (comm_end == std::string::npos) continue;
    std::istringstream fields(stat.substr(comm_end + 2));
    std::vector<std::string> values;
    for (std::string v; fields >> v;) values.push_back(v);
    if (values.size() > 16) out.push_back(std::stoi(values[16]));  // field 3 is values[0]
  }
  return out;
}

// Background compaction gives way to ingest and queries for the CPU: its thread alone runs at
// the --compaction-nice value.
TEST_F(CompactionE2eTest, TheBackgroundThreadAloneRunsAtTheGivenNiceValue) {
  Start({"--compact-min-files", "4", "--compaction-nice", "7"});
  std::vector<int> nice;
  for (int i = 0; i < 100; ++i) {  // the thread lowers its own priority as it starts
    nice = ThreadNiceValues(server_->pid());
    if (std::count(nice.begin(), nice.end(), 7) == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(std::count(nice.begin(), nice.end(), 7), 1);
  EXPECT_EQ(std::count(nice.begin(), nice.end(), 0), static_cast<long>(nice.size()) - 1);
  EXPECT_EQ(One("PING"), "PONG");
}

}  // namespace
}  // namespace strata
