// Compaction while writers commit, a flusher flushes and readers query: no acknowledged point is
// lost or doubled, every AS OF answer recorded at commit time stays exact throughout, and no
// file is left on disk that the file set does not name.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "compaction/compactor.h"
#include "engine/engine.h"
#include "engine/line_protocol.h"
#include "tests/support/test_util.h"
#include "util/mutex.h"

namespace strata::compaction {
namespace {

constexpr int kWriters = 3;
constexpr int kBatches = 60;
constexpr int kPointsPerBatch = 150;
constexpr int64_t kDay = 86'400'000'000'000;
constexpr int64_t kBase = 20'454 * kDay;  // 2026-01-01

// What one writer's series holds after a commit: the state any AS OF that commit must show.
struct Checkpoint {
  int64_t system_ns;
  int64_t count;
  double sum;
};

class CompactionConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.fsync = wal::FsyncPolicy::kOff;
    options.flush_age = std::chrono::milliseconds(0);
    auto opened = engine::Engine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine_ = std::move(opened).value();
  }

  std::pair<int64_t, double> CountSum(int writer, int64_t as_of_ns) {
    const std::string key = "m,host=w" + std::to_string(writer) + ",region=eu";
    const engine::SeriesInfo* info = nullptr;
    for (const engine::SeriesInfo* s : engine_->series_index().SeriesOf("m")) {
      if (s->key == key) info = s;
    }
    if (info == nullptr) return {0, 0};
    int64_t count = 0;
    double sum = 0;
    Status scanned = engine_->ScanField(info->id, "v", INT64_MIN, INT64_MAX,
                                        engine::SystemTime{as_of_ns},
                                        [&](int64_t, const engine::FieldValue& v) {
                                          ++count;
                                          sum += v.f;
                                        });
    EXPECT_TRUE(scanned.ok()) << scanned.ToString();
    return {count, sum};
  }

  std::set<std::string> FilesOnDisk() {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.Sub("data") + "/chunks")) {
      if (e.is_regular_file()) out.insert(e.path().string());
    }
    return out;
  }
  std::set<std::string> FilesInFileSet() {
    std::set<std::string> out;
    for (const auto& [key, files] : engine_->FileSetSnapshot()->partitions) {
      for (const engine::ChunkFile& f : files) out.insert(f.reader->path());
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(CompactionConcurrencyTest, WritersReadersFlushesAndCompactionsAgree) {
  CompactorOptions options;
  options.min_files = 2;
  options.settle_time = std::chrono::nanoseconds(0);
  options.poll_interval = std::chrono::milliseconds(5);
  options.rate_bytes_per_second = 0;
  Compactor compactor(*engine_, options);
  compactor.Start();

  Mutex mu;
  std::vector<Checkpoint> checkpoints[kWriters];  // guarded by mu
  std::atomic<int> writers_done{0};
  std::atomic<int64_t> commits{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      engine::LineParser parser;
      engine::ParsedLine parsed;
      std::map<int64_t, double> points;  // valid time -> current value
      for (int b = 0; b < kBatches; ++b) {
        engine::WriteBatch batch;
        // Every fourth batch corrects the points of the batch before it; the others add new
        // points, spread over two days so two partitions grow.
        const bool correction = b % 4 == 3;
        const int first = correction ? (b - 1) * kPointsPerBatch : b * kPointsPerBatch;
        for (int i = first; i < first + kPointsPerBatch; ++i) {
          const int64_t valid = kBase + (i % 2) * kDay + i * 1'000'000LL;
          const double value = correction ? i + 0.5 : i;
          const std::string line = "m,host=w" + std::to_string(w) + ",region=eu v=" +
                                   std::to_string(value) + " " + std::to_string(valid);
          ASSERT_TRUE(parser.Parse(line, &parsed).ok());
          ASSERT_TRUE(engine_->AddLine(parsed, 0, &batch).ok());
          points[valid] = value;
        }
        auto t = engine_->Commit(&batch);
        ASSERT_TRUE(t.ok()) << t.status().ToString();
        ASSERT_TRUE(engine_->WaitForCommit(*t).ok());
        double sum = 0;
        for (const auto& [valid, value] : points) sum += value;
        {
          MutexLock lock(&mu);
          checkpoints[w].push_back({t->ns, static_cast<int64_t>(points.size()), sum});
        }
        ++commits;
      }
      ++writers_done;
    });
  }
  // Flushes paced by commits, so many small files appear while compaction runs.
  threads.emplace_back([&] {
    int64_t flushed_at = 0;
    while (writers_done.load() < kWriters) {
      if (commits.load() - flushed_at >= 4) {
        flushed_at = commits.load();
        Status s = engine_->Flush();
        EXPECT_TRUE(s.ok()) << s.ToString();
      } else {
        std::this_thread::yield();
      }
    }
  });
  // Online compactions racing the background scheduler (they are serialized, never doubled).
  threads.emplace_back([&] {
    while (writers_done.load() < kWriters) {
      auto all = compactor.CompactAll();
      EXPECT_TRUE(all.ok()) << all.status().ToString();
    }
  });
  std::atomic<int64_t> checks{0};
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937_64 rng(r);
      while (writers_done.load() < kWriters) {
        const int w = static_cast<int>(rng() % kWriters);
        Checkpoint c;
        {
          MutexLock lock(&mu);
          if (checkpoints[w].empty()) continue;
          c = checkpoints[w][rng() % checkpoints[w].size()];
        }
        const auto [count, sum] = CountSum(w, c.system_ns);
        ASSERT_EQ(count, c.count) << "writer " << w << " as of " << c.system_ns;
        ASSERT_DOUBLE_EQ(sum, c.sum) << "writer " << w << " as of " << c.system_ns;
        ++checks;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(engine_->Flush().ok());
  ASSERT_TRUE(compactor.CompactAll().ok());
  compactor.Stop();
  EXPECT_GT(checks.load(), 0);
  const CompactorStats stats = compactor.Stats();
  EXPECT_GT(stats.compactions, 0u);
  EXPECT_GT(stats.files_in, stats.files_out);

  // Every checkpoint, and now: exactly the acknowledged points, once each.
  for (int w = 0; w < kWriters; ++w) {
    for (const Checkpoint& c : checkpoints[w]) {
      const auto [count, sum] = CountSum(w, c.system_ns);
      ASSERT_EQ(count, c.count) << "writer " << w << " as of " << c.system_ns;
      ASSERT_DOUBLE_EQ(sum, c.sum);
    }
    const auto [count, sum] = CountSum(w, engine_->LastVisibleTime().ns);
    EXPECT_EQ(count, checkpoints[w].back().count);
    EXPECT_DOUBLE_EQ(sum, checkpoints[w].back().sum);
  }
  for (const auto& [key, files] : engine_->FileSetSnapshot()->partitions) {
    EXPECT_EQ(files.size(), 1u) << key.ToString();
  }
  EXPECT_EQ(FilesOnDisk(), FilesInFileSet());
  ASSERT_TRUE(engine_->Close().ok());
}

}  // namespace
}  // namespace strata::compaction
