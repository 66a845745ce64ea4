// Engine::ScanFieldBatches against Engine::ScanField: the same points in the same order, and
// statistics offered only for blocks whose points no other version shadows, so an aggregate that
// takes them gets exactly the answer a full decode gives.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "tests/support/test_util.h"

namespace strata::engine {
namespace {

using strata::testing::TempDir;

// Collects the points; optionally takes every offered block's statistics instead.
class Collector : public FieldScanConsumer {
 public:
  explicit Collector(bool take_stats) : take_stats_(take_stats) {}

  bool TakeBlockStats(FieldType type, const chunk::BlockStats& stats) override {
    EXPECT_EQ(type, FieldType::kInt);
    EXPECT_TRUE(stats.flags & chunk::BlockStats::kSumExact);
    if (!take_stats_) return false;
    stats_count += stats.count;
    stats_sum += static_cast<int64_t>(stats.sum_bits);
    return true;
  }
  void TakePoints(const PointBatch& batch) override {
    for (size_t i = 0; i < batch.size; ++i) {
      points.emplace_back(batch.valid_ns[i], static_cast<int64_t>(batch.bits[i]));
    }
  }

  std::vector<std::pair<int64_t, int64_t>> points;
  uint64_t stats_count = 0;
  int64_t stats_sum = 0;

 private:
  bool take_stats_;
};

class FieldScanTest : public ::testing::Test {
 protected:
  void Open() {
    EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.fsync = wal::FsyncPolicy::kOff;
    options.flush_age = std::chrono::milliseconds(0);
    auto opened = Engine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine_ = std::move(opened).value();
  }
  void TearDown() override {
    if (engine_) {
      EXPECT_TRUE(engine_->Close().ok());
    }
  }

  SystemTime Commit(WriteBatch* batch) {
    auto t = engine_->Commit(batch);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_TRUE(engine_->WaitForCommit(*t).ok());
    return *t;
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  LineParser parser_;
};

TEST_F(FieldScanTest, BatchesEqualPointScansAndStatsOnlyWhereNothingShadows) {
  Open();
  std::mt19937_64 rng(99);
  std::vector<SystemTime> times;
  ParsedLine parsed;
  // Bulk in-order points (clean blocks), then corrections, late writes and deletes of the first
  // third, and more flushes: the rest stays answerable from statistics.
  constexpr int64_t kStep = 1'000'000'000;
  const int64_t base = 1'767'225'600'000'000'000;
  for (int round = 0; round < 40; ++round) {
    WriteBatch batch;
    const int lines = round < 10 ? 3000 : 1 + static_cast<int>(rng() % 50);
    for (int i = 0; i < lines; ++i) {
      const int64_t t = round < 10 ? base + (round * 3000 + i) * kStep
                                   : base + static_cast<int64_t>(rng() % 10000) * kStep;
      if (round >= 10 && rng() % 5 == 0) {
        batch.AddTombstone(rng() % 2 ? "m,host=a" : "m,host=b", t, "v", FieldType::kInt);
        continue;
      }
      const std::string line = std::string(rng() % 2 ? "m,host=a" : "m,host=b") +
                               " v=" + std::to_string(static_cast<int64_t>(rng() % 1000) - 500) +
                               "i " + std::to_string(t);
      ASSERT_TRUE(parser_.Parse(line, &parsed).ok());
      ASSERT_TRUE(engine_->AddLine(parsed, 0, &batch).ok());
    }
    times.push_back(Commit(&batch));
    if (round % 3 == 2) {
      ASSERT_TRUE(engine_->Flush().ok());
    }
  }

  uint64_t offered_total = 0;
  for (int q = 0; q < 200; ++q) {
    const SeriesInfo* series = engine_->series_index().Find(q % 2 ? "m,host=a" : "m,host=b");
    ASSERT_NE(series, nullptr);
    const int64_t lo = q % 4 == 0 ? INT64_MIN : base + static_cast<int64_t>(rng() % 30000) * kStep;
    const int64_t hi = q % 4 == 0 ? INT64_MAX : lo + static_cast<int64_t>(rng() % 20000) * kStep;
    const SystemTime as_of = q % 3 == 0 ? engine_->LastVisibleTime() : times[rng() % times.size()];

    std::vector<std::pair<int64_t, int64_t>> expected;
    ASSERT_TRUE(engine_
                    ->ScanField(series->id, "v", lo, hi, as_of,
                                [&](int64_t t, const FieldValue& v) { expected.emplace_back(t, v.i); })
                    .ok());
    Collector decoded(false);
    ScanContext counters;
    ASSERT_TRUE(engine_->ScanFieldBatches(series->id, "v", lo, hi, as_of, decoded, &counters).ok());
    ASSERT_EQ(decoded.points, expected) << "query " << q;

    Collector summarized(true);
    ASSERT_TRUE(engine_->ScanFieldBatches(series->id, "v", lo, hi, as_of, summarized).ok());
    int64_t expected_sum = 0;
    for (const auto& [t, v] : expected) expected_sum += v;
    int64_t got_sum = summarized.stats_sum;
    for (const auto& [t, v] : summarized.points) got_sum += v;
    EXPECT_EQ(summarized.stats_count + summarized.points.size(), expected.size()) << "query " << q;
    EXPECT_EQ(got_sum, expected_sum) << "query " << q;
    offered_total += summarized.stats_count;
  }
  EXPECT_GT(offered_total, 0u) << "the clean bulk days must be answerable from statistics";
}

}  // namespace
}  // namespace strata::engine
