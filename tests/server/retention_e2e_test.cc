// stratad --retention against a real server and the real clock: partitions written ten days ago
// are dropped at start-up (files, SHOW PARTITIONS, answers), STATS reports what went, expired
// lines are rejected over the wire while the rest of their batch lands, and expired rows left in
// the WAL neither show up nor come back with a flush.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
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

std::vector<std::string> Cells(const std::string& row) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(row);
  while (std::getline(in, cell, '\t')) out.push_back(cell);
  return out;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// yyyy-mm-dd of a day number (days since 1970-01-01), via the C library, independent of the
// engine's own conversion.
std::string Date(int64_t day) {
  const time_t t = static_cast<time_t>(day * 86'400);
  struct tm parts;
  gmtime_r(&t, &parts);
  char buf[16];
  strftime(buf, sizeof(buf), "%Y-%m-%d", &parts);
  return buf;
}

class RetentionE2eTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags) {
    client_.reset();
    if (server_) {
      ASSERT_EQ(server_->Terminate(), 0);
    }
    flags.push_back("--compact-min-files");
    flags.push_back("0");
    server_ = std::make_unique<StratadProcess>(dir_.Sub("data"), flags);
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    client_ = Connect();
  }

  std::unique_ptr<LineClient> Connect() {
    auto client = LineClient::Connect("127.0.0.1", server_->port());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  std::vector<std::string> Table(const std::string& query) {
    auto lines = client_->Command(query);
    EXPECT_TRUE(lines.ok()) << lines.status().ToString();
    if (!lines.ok()) return {};
    EXPECT_EQ(lines->back().rfind("END ", 0), 0u) << query << " -> " << lines->back();
    lines->pop_back();
    return *lines;
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

  // "region/date" -> bytes, from SHOW PARTITIONS.
  std::map<std::string, uint64_t> Partitions() {
    std::map<std::string, uint64_t> out;
    auto rows = Table("SHOW PARTITIONS");
    for (size_t r = 1; r < rows.size(); ++r) {
      auto cells = Cells(rows[r]);
      out[cells[0] + "/" + cells[1]] = std::stoull(cells[3]);
    }
    return out;
  }

  // Writes the lines, SYNCs, and returns the ERR lines before the OK, and the OK line.
  std::pair<std::vector<std::string>, std::string> WriteAndSync(LineClient& client,
                                                                const std::string& text) {
    EXPECT_TRUE(client.Send(text + "SYNC\n").ok());
    std::vector<std::string> errors;
    for (;;) {
      auto line = client.ReadLine();
      EXPECT_TRUE(line.ok());
      if (!line.ok()) return {errors, ""};
      if (line->rfind("ERR ", 0) == 0) {
        errors.push_back(*line);
        continue;
      }
      return {errors, *line};
    }
  }

  // Lines of day `day` for both regions; values recorded in the reference.
  std::string DayLines(int64_t day, int count, double offset) {
    std::string text;
    for (const std::string region : {"eu", "us"}) {
      for (int i = 0; i < count; ++i) {
        const int64_t t = day * kDay + int64_t{i} * 60'000'000'000;
        const double v = offset + i + (region == "us" ? 0.5 : 0);
        text += "cpu,host=a,region=" + region + " v=" + std::to_string(v) + " " +
                std::to_string(t) + "\n";
        reference_[{region, day, t}] = v;
      }
    }
    return text;
  }

  void ExpectAnswersFrom(int64_t first_day) {
    for (const std::string region : {"eu", "us"}) {
      int64_t count = 0;
      double sum = 0;
      for (const auto& [key, v] : reference_) {
        const auto& [r, day, t] = key;
        if (r != region || day < first_day) continue;
        ++count;
        sum += v;
      }
      auto rows = Table("SELECT count(v), sum(v) FROM cpu WHERE region = '" + region + "'");
      ASSERT_EQ(rows.size(), 2u) << region;
      auto cells = Cells(rows[1]);
      EXPECT_EQ(cells[0], std::to_string(count)) << region;
      EXPECT_NEAR(std::stod(cells[1]), sum, 1e-9 * sum) << region;
    }
  }

  TempDir dir_;
  std::unique_ptr<StratadProcess> server_;
  std::unique_ptr<LineClient> client_;
  std::map<std::tuple<std::string, int64_t, int64_t>, double> reference_;
};

TEST_F(RetentionE2eTest, RetentionFlagDropsOldPartitionsReportsThemAndRejectsOldLines) {
  const int64_t today = NowNs() / kDay;
  // Without retention: two old days and two recent ones, flushed; then a correction of each
  // day that stays in the WAL across the restart.
  Start({});
  std::string text;
  for (int64_t day : {today - 10, today - 9, today - 1, today}) text += DayLines(day, 30, 0);
  auto [errors, ok] = WriteAndSync(*client_, text);
  ASSERT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(ok.rfind("OK 240 0 ", 0), 0u) << ok;
  ASSERT_EQ(client_->Command("FLUSH")->back(), "OK");
  text.clear();
  for (int64_t day : {today - 10, today - 9, today - 1, today}) text += DayLines(day, 5, 1000);
  std::tie(errors, ok) = WriteAndSync(*client_, text);
  ASSERT_TRUE(errors.empty()) << errors.front();
  const std::map<std::string, uint64_t> before = Partitions();
  ASSERT_EQ(before.size(), 8u);
  uint64_t old_bytes = 0;
  for (const auto& [name, bytes] : before) {
    if (name.ends_with(Date(today - 10)) || name.ends_with(Date(today - 9))) old_bytes += bytes;
  }
  ExpectAnswersFrom(INT64_MIN);

  // With --retention 3d the start-up run drops the four old partitions.
  Start({"--retention", "3d"});
  const int64_t first_kept = (NowNs() - 3 * kDay) / kDay;
  std::map<std::string, int64_t> stats;
  for (int i = 0; i < 200; ++i) {  // the first run is on the background thread: bounded wait
    stats = Stats();
    if (stats["retention_partitions_dropped"] >= 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(stats["retention_partitions_dropped"], 4);
  EXPECT_EQ(stats["retention_files_dropped"], 4);
  EXPECT_EQ(stats["retention_bytes_dropped"], static_cast<int64_t>(old_bytes));
  EXPECT_EQ(stats["retention_seconds"], 3 * 86'400);
  std::string kept = Date(first_kept);
  kept.erase(std::remove(kept.begin(), kept.end(), '-'), kept.end());
  EXPECT_EQ(stats["retention_oldest_day_kept"], std::stoll(kept));
  std::map<std::string, uint64_t> after = Partitions();
  std::set<std::string> names;
  for (const auto& [name, bytes] : after) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"eu/" + Date(today - 1), "eu/" + Date(today),
                                          "us/" + Date(today - 1), "us/" + Date(today)}));
  // A dropped file is deleted once no snapshot uses it any more (a STATS or the scheduler may
  // still hold the file set it was in for a moment): bounded wait.
  auto old_files_on_disk = [&] {
    std::vector<std::string> old_files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.Sub("data/chunks"))) {
      const std::string path = e.path().string();
      if (e.is_regular_file() && (path.find(Date(today - 10)) != std::string::npos ||
                                  path.find(Date(today - 9)) != std::string::npos)) {
        old_files.push_back(path);
      }
    }
    return old_files;
  };
  for (int i = 0; i < 200 && !old_files_on_disk().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(old_files_on_disk(), std::vector<std::string>{});
  // The old corrections replayed from the WAL are hidden too.
  ExpectAnswersFrom(first_kept);

  // On a fresh connection: line 1 is too old, line 2 lands, line 3 (SYNC) counts them.
  auto writer = Connect();
  ASSERT_NE(writer, nullptr);
  const int64_t old_t = (today - 5) * kDay + 3'600'000'000'000;
  const int64_t new_t = today * kDay + 7'000'000'000;
  std::tie(errors, ok) = WriteAndSync(
      *writer, "cpu,host=a,region=eu v=1 " + std::to_string(old_t) + "\n" +
                   "cpu,host=a,region=eu v=2 " + std::to_string(new_t) + "\n");
  reference_[{"eu", today, new_t}] = 2;
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "ERR 1 point time " + Date(today - 5) +
                           "T01:00:00Z is older than the retention period (3d): the oldest time "
                           "kept is " + Date(first_kept) + "T00:00:00Z");
  EXPECT_EQ(ok.rfind("OK 1 1 ", 0), 0u) << ok;
  ExpectAnswersFrom(first_kept);

  // A flush writes none of the expired rows; COMPACT runs retention again and finds nothing.
  ASSERT_EQ(client_->Command("FLUSH")->back(), "OK");
  for (const auto& [name, bytes] : Partitions()) EXPECT_TRUE(names.count(name)) << name;
  auto compacted = client_->Command("COMPACT");
  ASSERT_TRUE(compacted.ok());
  EXPECT_EQ(compacted->back().rfind("OK ", 0), 0u) << compacted->back();
  EXPECT_EQ(Stats()["retention_partitions_dropped"], 4);
  ExpectAnswersFrom(first_kept);
}

}  // namespace
}  // namespace strata
