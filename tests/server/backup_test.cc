// Backups against a real stratad (issue 7, engine/backup.h): an online backup taken while
// writers ingest and COMPACT runs restores into a server that answers every query exactly as
// the original does AS OF the backup's system time, with no acknowledged point missing; a
// second backup copies only what changed; --keep prunes without breaking what remains; restore
// refuses a non-empty directory and fails on a damaged object, naming it, as verify does;
// offline backups need a stopped directory.

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/stratad_process.h"
#include "tests/support/test_util.h"
#include "tools/line_client.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::RunCommand;
using testing::StratadProcess;
using testing::TempDir;
using tools::LineClient;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kDay = 86'400 * kSecond;
constexpr int64_t kJan1 = 20'454 * kDay;  // 2026-01-01

struct Backup {
  std::string id;
  int64_t system_time = 0;
  uint64_t files = 0, bytes = 0, new_files = 0, new_bytes = 0;
};

struct Ran {
  int exit_code = 0;
  std::string out, err;
};

Ran Strata(std::vector<std::string> args) {
  Ran r;
  args.insert(args.begin(), StratadProcess::BinaryPath("tools/strata"));
  r.exit_code = RunCommand(args, "", &r.out, &r.err);
  return r;
}

// Parses the BACKUP answer: OK <id> <system-time> <files> <bytes> <new-files> <new-bytes> ...
Backup ParseBackup(const std::string& reply) {
  Backup b;
  char id[64] = {};
  EXPECT_EQ(std::sscanf(reply.c_str(),
                        "OK %63s %" SCNd64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, id,
                        &b.system_time, &b.files, &b.bytes, &b.new_files, &b.new_bytes),
            6)
      << reply;
  b.id = id;
  return b;
}

class Server {
 public:
  Server(const std::string& dir, std::vector<std::string> flags = {}) : process_(dir, flags) {
    std::string error;
    EXPECT_TRUE(process_.Start(&error)) << error;
    auto client = LineClient::Connect("127.0.0.1", process_.port());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    if (client.ok()) client_ = std::move(client).value();
  }
  uint16_t port() const { return process_.port(); }
  int Terminate() {
    client_.reset();
    return process_.Terminate();
  }
  std::string One(const std::string& command) {
    auto lines = client_->Command(command);
    EXPECT_TRUE(lines.ok()) << lines.status().ToString();
    return lines.ok() && !lines->empty() ? lines->back() : "";
  }
  // A query's answer, END's timing cut off.
  std::vector<std::string> Table(const std::string& query) {
    auto lines = client_->Command(query);
    EXPECT_TRUE(lines.ok()) << lines.status().ToString();
    if (!lines.ok()) return {};
    EXPECT_EQ(lines->back().rfind("END ", 0), 0u) << query << " -> " << lines->back();
    lines->back() = lines->back().substr(0, lines->back().rfind(' '));
    return *lines;
  }
  void Write(const std::string& lines) {
    ASSERT_TRUE(client_->Send(lines).ok());
    ASSERT_EQ(One("SYNC").rfind("OK ", 0), 0u);
  }
  Backup TakeBackup(const std::string& dir, const std::string& extra = "") {
    return ParseBackup(One("BACKUP '" + dir + "'" + extra));
  }

 private:
  StratadProcess process_;
  std::unique_ptr<LineClient> client_;
};

// Points of measurement `pre`: 2 regions x 2 days x n, one host per 5 points.
std::string PreloadLines(int n, int round) {
  std::string text;
  for (const char* region : {"eu", "us"}) {
    for (int day = 0; day < 2; ++day) {
      for (int i = 0; i < n; ++i) {
        text += std::string("pre,region=") + region + ",host=h" + std::to_string(i % 5) +
                " v=" + std::to_string(round * 100000 + i) + " " +
                std::to_string(kJan1 + day * kDay + i * kSecond) + "\n";
      }
    }
  }
  return text;
}

std::vector<std::string> Objects(const std::string& backup_dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(backup_dir) / "objects")) {
    out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::vector<std::string> kQueries = {
    "SELECT count(v), sum(v), min(v), max(v) FROM w GROUP BY writer",
    "SELECT count(v), mean(v), max(v) FROM w WHERE time >= '2026-01-01T00:00:00Z' AND "
    "time < '2026-01-03T00:00:00Z' GROUP BY time(1h), region",
    "SELECT VERSIONS v FROM w WHERE writer = '0'",
    "SELECT count(v), sum(v), min(v), max(v) FROM pre GROUP BY host, region",
    "SELECT mean(v) FROM pre WHERE time >= '2026-01-01T00:00:00Z' AND "
    "time < '2026-01-03T00:00:00Z' GROUP BY time(6h)",
    "SELECT VERSIONS v FROM pre WHERE host = 'h1'",
};

TEST(BackupTest, OnlineBackupUnderIngestAndCompactionRestoresExactlyAsOfItsSystemTime) {
  TempDir dir;
  // A small memtable budget: flushes happen during the run, so the backup meets WAL segments
  // being deleted and files being replaced.
  Server server(dir.Sub("data"), {"--fsync", "off", "--memtable-budget", "4MiB",
                                  "--compact-min-files", "0"});
  for (int round = 0; round < 3; ++round) {  // three files per partition to compact
    server.Write(PreloadLines(400, round));
    ASSERT_EQ(server.One("FLUSH"), "OK");
  }

  // Writers: each its own series, new points (distinct times) and, every batch, corrections of
  // its earlier points (versions). A batch is acknowledged by SYNC's system time.
  constexpr int kWriters = 3;
  constexpr int kBatch = 300;
  struct Acked {
    int64_t system_time;
    int points;  // new points of the batch
  };
  std::vector<std::vector<Acked>> acked(kWriters);
  std::atomic<bool> stop{false};
  std::atomic<int> batches{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto client = LineClient::Connect("127.0.0.1", server.port());
      ASSERT_TRUE(client.ok());
      for (int b = 0; !stop.load(); ++b) {
        std::string text;
        const std::string series = "w,writer=" + std::to_string(w) +
                                   ",region=" + (w % 2 ? "us" : "eu") + " v=";
        for (int i = 0; i < kBatch; ++i) {
          const int64_t n = static_cast<int64_t>(b) * kBatch + i;
          text += series + std::to_string(n) + " " + std::to_string(kJan1 + n * kSecond) + "\n";
        }
        for (int i = 0; i < 20 && b > 0; ++i) {  // corrections of the previous batch
          const int64_t n = static_cast<int64_t>(b - 1) * kBatch + i * 7;
          text += series + std::to_string(n + 0.5) + " " + std::to_string(kJan1 + n * kSecond) +
                  "\n";
        }
        auto reply = (*client)->Command(text + "SYNC");
        ASSERT_TRUE(reply.ok());
        int64_t t = 0;
        ASSERT_EQ(std::sscanf(reply->back().c_str(), "OK %*u %*u %" SCNd64, &t), 1)
            << reply->back();
        acked[w].push_back({t, kBatch});
        ++batches;
      }
    });
  }
  std::atomic<int> compactions{0};
  std::thread compactor([&] {
    auto client = LineClient::Connect("127.0.0.1", server.port());
    ASSERT_TRUE(client.ok());
    while (!stop.load()) {
      auto reply = (*client)->Command("COMPACT");
      ASSERT_TRUE(reply.ok());
      ASSERT_EQ(reply->back().rfind("OK ", 0), 0u) << reply->back();
      ++compactions;
      auto flushed = (*client)->Command("FLUSH");
      ASSERT_TRUE(flushed.ok());
    }
  });
  while (batches.load() < 30) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string backup_dir = dir.Sub("backups");
  Backup backup;
  {
    auto client = LineClient::Connect("127.0.0.1", server.port());
    ASSERT_TRUE(client.ok());
    auto reply = (*client)->Command("BACKUP '" + backup_dir + "'");
    ASSERT_TRUE(reply.ok());
    backup = ParseBackup(reply->back());
  }
  const int at_backup = batches.load();
  while (batches.load() < at_backup + 30) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& t : writers) t.join();
  compactor.join();
  EXPECT_GT(compactions.load(), 0);
  ASSERT_GT(backup.system_time, 0);

  const Ran verified = Strata({"verify", backup_dir, "--quiet"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  const std::string restored_dir = dir.Sub("restored");
  const Ran restored = Strata({"restore", backup_dir, restored_dir, "--quiet"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_NE(restored.out.find(backup.id), std::string::npos) << restored.out;

  Server copy(restored_dir);
  const std::string as_of = " AS OF " + std::to_string(backup.system_time);
  for (const std::string& query : kQueries) {
    const std::vector<std::string> original = server.Table(query + as_of);
    EXPECT_GT(original.size(), 2u) << query;  // header, rows, END: not vacuous
    EXPECT_EQ(copy.Table(query), original) << query;
    EXPECT_EQ(copy.Table(query + as_of), original) << query;
  }
  // No acknowledged point at or before the backup's time is missing, and at most the one batch
  // each writer had in flight at that moment is (partly) there beyond them.
  for (int w = 0; w < kWriters; ++w) {
    int64_t before = 0;
    for (const Acked& a : acked[w]) {
      if (a.system_time <= backup.system_time) before += a.points;
    }
    const auto rows =
        copy.Table("SELECT count(v) FROM w WHERE writer = '" + std::to_string(w) + "'");
    const int64_t count = rows.size() == 3 ? std::stoll(rows[1]) : 0;
    EXPECT_GE(count, before) << "writer " << w;
    EXPECT_LE(count, before + kBatch) << "writer " << w;
    EXPECT_GT(before, 0) << "writer " << w;
  }
}

TEST(BackupTest, ASecondBackupCopiesOnlyWhatChanged) {
  TempDir dir;
  Server server(dir.Sub("data"), {"--fsync", "off", "--compact-min-files", "0"});
  for (int round = 0; round < 10; ++round) {
    server.Write(PreloadLines(2500, round));  // 10 x 10,000 points
    ASSERT_EQ(server.One("FLUSH"), "OK");
  }
  const std::string backup_dir = dir.Sub("backups");
  const Backup first = server.TakeBackup(backup_dir);
  EXPECT_EQ(first.new_bytes, first.bytes);
  // 1% more data: 1,000 points into new files.
  std::string more;
  for (int i = 0; i < 1000; ++i) {
    more += "pre,region=eu,host=new v=" + std::to_string(i) + " " +
            std::to_string(kJan1 + 3 * kDay + i * kSecond) + "\n";
  }
  server.Write(more);
  ASSERT_EQ(server.One("FLUSH"), "OK");
  const Backup second = server.TakeBackup(backup_dir);
  std::printf("first backup: %" PRIu64 " files, %" PRIu64 " bytes; second after 1%% more data: "
              "%" PRIu64 " of %" PRIu64 " bytes new (%.2f%%), %" PRIu64 " of %" PRIu64 " files\n",
              first.files, first.bytes, second.new_bytes, second.bytes,
              100.0 * second.new_bytes / second.bytes, second.new_files, second.files);
  EXPECT_GT(second.new_bytes, 0u);
  EXPECT_LT(second.new_bytes * 20, second.bytes);  // under 5% of what the backup holds
  EXPECT_GT(second.bytes, first.bytes);
  // Both backups are whole on their own.
  const Ran verified = Strata({"verify", backup_dir, "--all", "--json"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("\"backups\": 2"), std::string::npos) << verified.out;
}

TEST(BackupTest, BackupWithProgressReportsEachStepBeforeItsAnswer) {
  TempDir dir;
  Server server(dir.Sub("data"), {"--fsync", "off", "--compact-min-files", "0"});
  for (int round = 0; round < 3; ++round) {
    server.Write(PreloadLines(500, round));
    ASSERT_EQ(server.One("FLUSH"), "OK");
  }
  auto client = LineClient::Connect("127.0.0.1", server.port());
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Send("BACKUP '" + dir.Sub("backups") + "' progress\n").ok());
  std::vector<std::array<uint64_t, 4>> steps;  // bytes done, bytes total, files done, total
  std::string answer;
  while (true) {
    auto line = (*client)->ReadLine();
    ASSERT_TRUE(line.ok()) << line.status().ToString();
    std::array<uint64_t, 4> p{};
    if (std::sscanf(line->c_str(), "PROGRESS %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &p[0],
                    &p[1], &p[2], &p[3]) == 4) {
      steps.push_back(p);
      continue;
    }
    answer = *line;
    break;
  }
  const Backup b = ParseBackup(answer);
  ASSERT_FALSE(steps.empty()) << answer;
  for (size_t i = 1; i < steps.size(); ++i) {
    EXPECT_GE(steps[i][0], steps[i - 1][0]);
    EXPECT_GE(steps[i][2], steps[i - 1][2]);
  }
  // The last report is the whole backup, as the answer counts it.
  EXPECT_EQ(steps.back()[0], steps.back()[1]);
  EXPECT_EQ(steps.back()[2], steps.back()[3]);
  EXPECT_EQ(steps.back()[3], b.files);
  EXPECT_EQ(steps.back()[1], b.bytes);
  // Without PROGRESS the answer is the one line.
  EXPECT_EQ(server.One("BACKUP '" + dir.Sub("backups") + "'").rfind("OK ", 0), 0u);
  EXPECT_EQ(server.One("BACKUP '" + dir.Sub("backups") + "' PROGRESS NOW"),
            "ERR usage: BACKUP '<dir>' [COPY] [KEEP <n>] [PROGRESS]");
}

TEST(BackupTest, KeepPrunesOlderBackupsAndTheRestStayRestorableAndClean) {
  TempDir dir;
  Server server(dir.Sub("data"), {"--compact-min-files", "0"});
  const std::string backup_dir = dir.Sub("backups");
  std::vector<Backup> backups;
  for (int round = 0; round < 3; ++round) {
    server.Write(PreloadLines(300, round));
    ASSERT_EQ(server.One("FLUSH"), "OK");
    // Compaction rewrites every file, so the oldest backup's chunk objects become unused.
    ASSERT_EQ(server.One("COMPACT").rfind("OK ", 0), 0u);
    backups.push_back(server.TakeBackup(backup_dir));
  }
  const size_t objects_before = Objects(backup_dir).size();
  const Ran pruned = Strata({"backup", "--prune", "--keep", "2", backup_dir});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  EXPECT_NE(pruned.out.find("pruned 1 backups"), std::string::npos) << pruned.out;
  EXPECT_LT(Objects(backup_dir).size(), objects_before);

  const Ran listed = Strata({"backup", "--list", backup_dir});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out.find(backups[0].id), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(backups[1].id), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(backups[2].id), std::string::npos) << listed.out;

  const Ran verified = Strata({"verify", backup_dir, "--all"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("0 unreferenced"), std::string::npos) << verified.out;

  // The older remaining backup restores to exactly its moment.
  const std::string restored_dir = dir.Sub("restored");
  const Ran restored = Strata({"restore", backup_dir, "--at", backups[1].id, restored_dir});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  Server copy(restored_dir);
  const std::string query = "SELECT count(v), sum(v), min(v), max(v) FROM pre GROUP BY host";
  const auto original = server.Table(query + " AS OF " + std::to_string(backups[1].system_time));
  EXPECT_EQ(copy.Table(query), original);
  EXPECT_NE(server.Table(query), original);  // round 2 changed the data: the check can fail

  // What a crashed backup leaves (a directory without manifest, an object nobody names) is
  // never listed, and the next prune removes it.
  fs::create_directories(backup_dir + "/backups/20990101T000000.000Z");
  {
    std::FILE* f = std::fopen((backup_dir + "/objects/0123456789abcdef-3").c_str(), "w");
    std::fputs("abc", f);
    std::fclose(f);
  }
  EXPECT_EQ(Strata({"backup", "--list", backup_dir}).out.find("20990101"), std::string::npos);
  const Ran leftovers = Strata({"verify", backup_dir});
  EXPECT_NE(leftovers.out.find("objects/0123456789abcdef-3: checksum mismatch"), std::string::npos)
      << leftovers.out;
  ASSERT_EQ(Strata({"backup", "--prune", "--keep", "2", backup_dir}).exit_code, 0);
  EXPECT_FALSE(fs::exists(backup_dir + "/backups/20990101T000000.000Z"));
  EXPECT_FALSE(fs::exists(backup_dir + "/objects/0123456789abcdef-3"));
  EXPECT_EQ(Strata({"verify", backup_dir}).exit_code, 0);

  // A backup online with KEEP prunes in the same step.
  const Backup kept = server.TakeBackup(backup_dir, " KEEP 1");
  const Ran listed_again = Strata({"backup", "--list", backup_dir, "--json"});
  EXPECT_EQ(listed_again.out.find(backups[2].id), std::string::npos) << listed_again.out;
  EXPECT_NE(listed_again.out.find(kept.id), std::string::npos) << listed_again.out;
}

TEST(BackupTest, RestoreRefusesANonEmptyDirAndADamagedObjectFailsNamingIt) {
  TempDir dir;
  Server server(dir.Sub("data"), {});
  server.Write(PreloadLines(300, 0));
  ASSERT_EQ(server.One("FLUSH"), "OK");
  server.Write(PreloadLines(50, 1));  // and some in the WAL only
  const std::string backup_dir = dir.Sub("backups");
  // COPY: the objects must not share bytes with the live data directory we keep using.
  const Backup backup = server.TakeBackup(backup_dir, " COPY");
  ASSERT_FALSE(backup.id.empty());

  const std::string busy = dir.Sub("busy");
  fs::create_directories(busy);
  { std::FILE* f = std::fopen((busy + "/precious").c_str(), "w"); std::fclose(f); }
  const Ran refused = Strata({"restore", backup_dir, busy});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("is not empty"), std::string::npos) << refused.err;
  EXPECT_TRUE(fs::exists(busy + "/precious"));
  // --force replaces it (no server holds it).
  const Ran forced = Strata({"restore", backup_dir, busy, "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_FALSE(fs::exists(busy + "/precious"));
  EXPECT_TRUE(fs::exists(busy + "/catalog"));

  // Never over a directory a server holds, --force or not.
  const Ran live = Strata({"restore", backup_dir, dir.Sub("data"), "--force"});
  EXPECT_EQ(live.exit_code, 1);
  EXPECT_NE(live.err.find("in use by a running stratad"), std::string::npos) << live.err;

  // Damage the largest object (a chunk file's bytes).
  std::string largest;
  for (const std::string& object : Objects(backup_dir)) {
    if (largest.empty() || fs::file_size(object) > fs::file_size(largest)) largest = object;
  }
  testing::FlipByte(largest, fs::file_size(largest) / 2, 0x10);
  const std::string name = fs::path(largest).filename().string();

  const std::string target = dir.Sub("target");
  const Ran failed = Strata({"restore", backup_dir, target});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("objects/" + name), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("checksum mismatch"), std::string::npos) << failed.err;
  EXPECT_FALSE(fs::exists(target));  // no half data directory
  EXPECT_FALSE(fs::exists(target + ".restoring"));

  const Ran verified = Strata({"verify", backup_dir});
  EXPECT_EQ(verified.exit_code, 1) << verified.out;
  EXPECT_NE(verified.out.find("problem: " + backup_dir + "/objects/" + name + ": checksum mismatch"),
            std::string::npos)
      << verified.out;

  // A missing object: named by restore and by verify (with the manifest that needs it).
  fs::remove(largest);
  const Ran missing = Strata({"restore", backup_dir, target});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("objects/" + name + ": missing"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(target));
  const Ran verified_missing = Strata({"verify", backup_dir});
  EXPECT_EQ(verified_missing.exit_code, 1) << verified_missing.out;
  EXPECT_NE(verified_missing.out.find("backups/" + backup.id + "/manifest: "), std::string::npos)
      << verified_missing.out;
  EXPECT_NE(verified_missing.out.find("objects/" + name + ", which is missing"), std::string::npos)
      << verified_missing.out;
  // Not a backup directory (nor a data directory): a usage error.
  EXPECT_EQ(Strata({"restore", dir.Sub("nowhere"), dir.Sub("t2")}).exit_code, 2);
}

TEST(BackupTest, OfflineBackupNeedsAStoppedDirectory) {
  TempDir dir;
  const std::string data = dir.Sub("data");
  const std::string backup_dir = dir.Sub("backups");
  Server server(data, {});
  server.Write(PreloadLines(200, 0));
  ASSERT_EQ(server.One("FLUSH"), "OK");
  server.Write(PreloadLines(30, 1));
  const std::string query = "SELECT count(v), sum(v) FROM pre GROUP BY region";
  const auto original = server.Table(query);

  const Ran busy = Strata({"backup", "--offline", data, backup_dir});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_NE(busy.err.find("a server holds"), std::string::npos) << busy.err;
  EXPECT_FALSE(fs::exists(backup_dir + "/backups")) << "nothing written for a refused backup";

  ASSERT_EQ(server.Terminate(), 0);
  const Ran offline = Strata({"backup", "--offline", data, backup_dir, "--json"});
  ASSERT_EQ(offline.exit_code, 0) << offline.out << offline.err;
  EXPECT_NE(offline.out.find("\"new_bytes\": "), std::string::npos) << offline.out;
  const Ran verified = Strata({"verify", backup_dir});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

  const std::string restored_dir = dir.Sub("restored");
  ASSERT_EQ(Strata({"restore", backup_dir, restored_dir}).exit_code, 0);
  Server copy(restored_dir);
  EXPECT_EQ(copy.Table(query), original);

  const Ran not_data = Strata({"backup", "--offline", dir.Sub("nothing"), backup_dir});
  EXPECT_EQ(not_data.exit_code, 2) << not_data.err;
}

TEST(BackupTest, ConcurrentBackupsEachOwnTheirStagingAndOneDirectoryTakesOneWriter) {
  TempDir dir;
  Server server(dir.Sub("data"), {"--fsync", "off"});
  server.Write(PreloadLines(300, 0));
  ASSERT_EQ(server.One("FLUSH"), "OK");
  server.Write(PreloadLines(100, 1));
  constexpr int kBackups = 4;
  std::vector<std::string> replies(kBackups);
  std::vector<std::thread> threads;
  for (int i = 0; i < kBackups; ++i) {
    threads.emplace_back([&, i] {
      auto client = LineClient::Connect("127.0.0.1", server.port());
      ASSERT_TRUE(client.ok());
      // Two into "shared", the others into their own directories.
      const std::string target = dir.Sub(i < 2 ? "shared" : "own" + std::to_string(i));
      auto reply = (*client)->Command("BACKUP '" + target + "'");
      ASSERT_TRUE(reply.ok());
      replies[i] = reply->back();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kBackups; ++i) {
    if (i < 2 && replies[i].rfind("ERR", 0) == 0) {
      // The other one held the shared directory at that moment.
      EXPECT_NE(replies[i].find("in use by another backup"), std::string::npos) << replies[i];
    } else {
      EXPECT_EQ(replies[i].rfind("OK ", 0), 0u) << replies[i];
    }
  }
  EXPECT_TRUE(replies[0].rfind("OK ", 0) == 0 || replies[1].rfind("OK ", 0) == 0);
  for (const char* name : {"shared", "own2", "own3"}) {
    const Ran verified = Strata({"verify", dir.Sub(name)});
    EXPECT_EQ(verified.exit_code, 0) << name << ": " << verified.out << verified.err;
  }
  // Nothing staged is left in the data directory.
  EXPECT_FALSE(fs::exists(dir.Sub("data") + "/backup-staging"));
  // Someone else's directory is refused, and nothing is written into it.
  fs::create_directories(dir.Sub("foreign"));
  { std::FILE* f = std::fopen(dir.Sub("foreign/notes").c_str(), "w"); std::fclose(f); }
  const std::string refused = server.One("BACKUP '" + dir.Sub("foreign") + "'");
  EXPECT_NE(refused.find("is not a backup directory"), std::string::npos) << refused;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.Sub("foreign")), fs::directory_iterator()), 1);
}

}  // namespace
}  // namespace strata
