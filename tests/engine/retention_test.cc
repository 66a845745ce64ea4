// Retention (Engine::ApplyRetention / DropPartitionsBefore, DESIGN §8) with an injected clock:
// expired partitions leave the file set, the catalog and the disk; what remains equals an
// independent computation from what the test wrote; expired memtable rows stay invisible and are
// neither flushed nor replayed back; expired writes are rejected line by line; a held snapshot
// keeps the dropped files readable until released; a concurrent reader sees a partition whole or
// not at all.

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/engine.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/test_util.h"

namespace strata::engine {
namespace {

using strata::testing::FaultInjectionEnv;
using strata::testing::TempDir;

constexpr int64_t kDay = kNanosPerDay;
constexpr int64_t kHour = 3'600'000'000'000;
constexpr int64_t kD0 = 20'464;  // 2026-01-11: "today" once the clock moves
const std::vector<std::string> kRegions = {"eu", "us"};

struct CountSum {
  int64_t count = 0;
  double sum = 0;
  bool operator==(const CountSum&) const = default;
};

class RetentionTest : public ::testing::Test {
 protected:
  void Open(std::chrono::nanoseconds retention) {
    EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.env = &env_;
    options.retention = retention;
    options.flush_age = std::chrono::milliseconds(0);
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }

  void Reopen(std::chrono::nanoseconds retention) {
    ASSERT_TRUE(engine_->Close().ok());
    engine_.reset();
    Open(retention);
  }

  static std::string Line(const std::string& region, int host, int64_t t, double v) {
    return "m,host=h" + std::to_string(host) + ",region=" + region + " v=" + std::to_string(v) +
           " " + std::to_string(t);
  }

  // Adds every line (recording in *rejected the index and message of those AddLine refuses),
  // commits them as one batch and waits until they are visible.
  void Write(const std::vector<std::string>& lines,
             std::vector<std::pair<size_t, std::string>>* rejected = nullptr) {
    WriteBatch batch;
    ParsedLine parsed;
    for (size_t i = 0; i < lines.size(); ++i) {
      ASSERT_TRUE(parser_.Parse(lines[i], &parsed).ok()) << lines[i];
      Status added = engine_->AddLine(parsed, engine_->NowNanos(), &batch);
      if (!added.ok()) {
        ASSERT_NE(rejected, nullptr) << added.ToString();
        rejected->emplace_back(i, added.message());
      }
    }
    if (batch.empty()) return;
    auto t = engine_->Commit(&batch);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    ASSERT_TRUE(engine_->WaitForCommit(*t).ok());
  }

  // Count and sum of v per (region, day), as the engine answers now.
  std::map<PartitionKey, CountSum> Scan() {
    std::map<PartitionKey, CountSum> out;
    for (const SeriesInfo* s : engine_->series_index().SeriesOf("m")) {
      const std::string region(engine_->RegionOf(*s));
      Status scanned = engine_->ScanField(s->id, "v", INT64_MIN, kNoEndNs,
                                          SystemTime{INT64_MAX}, [&](int64_t t, const FieldValue& v) {
                                            CountSum& cs = out[{region, DayOf(t)}];
                                            ++cs.count;
                                            cs.sum += v.f;
                                          });
      EXPECT_TRUE(scanned.ok()) << scanned.ToString();
    }
    return out;
  }

  // The reference: the latest value written per point, summed per (region, day), keeping only
  // days at or after first_day.
  std::map<PartitionKey, CountSum> Expected(int64_t first_day) const {
    std::map<PartitionKey, CountSum> out;
    for (const auto& [key, value] : reference_) {
      const auto& [region, host, t] = key;
      if (DayOf(t) < first_day) continue;
      CountSum& cs = out[{region, DayOf(t)}];
      ++cs.count;
      cs.sum += value;
    }
    return out;
  }

  std::set<std::string> ChunkFilesOnDisk() {
    std::set<std::string> out;
    const std::string root = dir_.Sub("data/chunks");
    if (!std::filesystem::exists(root)) return out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) out.insert(e.path().string());
    }
    return out;
  }

  TempDir dir_;
  FaultInjectionEnv env_;
  LineParser parser_;
  std::unique_ptr<Engine> engine_;
  std::map<std::tuple<std::string, int, int64_t>, double> reference_;
};

TEST_F(RetentionTest, ExpiredPartitionsGoFromFileSetCatalogDiskAndMemtable) {
  constexpr auto kRetention = std::chrono::hours(48);
  // Writes happen while the clock stands at day D0-4 (nothing has expired yet) ...
  env_.SetNowNanos((kD0 - 4) * kDay + 12 * kHour);
  Open(kRetention);
  std::vector<std::string> lines;
  for (const std::string& region : kRegions) {
    for (int64_t day = kD0 - 4; day <= kD0; ++day) {
      for (int host = 0; host < 2; ++host) {
        for (int i = 0; i < 20; ++i) {
          const int64_t t = day * kDay + i * 60'000'000'000LL;
          const double v = static_cast<double>(day - kD0) * 100 + host * 10 + i * 0.5 +
                           (region == "us" ? 0.25 : 0);
          lines.push_back(Line(region, host, t, v));
          reference_[{region, host, t}] = v;
        }
      }
    }
  }
  Write(lines);
  ASSERT_TRUE(engine_->Flush().ok());
  // ... then corrections and new points of every day stay in the memtable (and the WAL).
  lines.clear();
  for (const std::string& region : kRegions) {
    for (int64_t day = kD0 - 4; day <= kD0; ++day) {
      for (int i = 0; i < 30; i += 3) {
        const int64_t t = day * kDay + i * 60'000'000'000LL;
        const double v = 1000 + static_cast<double>(day - kD0) + i;
        lines.push_back(Line(region, 1, t, v));
        reference_[{region, 1, t}] = v;
      }
    }
  }
  Write(lines);
  ASSERT_EQ(Scan(), Expected(INT64_MIN));
  const std::set<std::string> files_before = ChunkFilesOnDisk();
  ASSERT_EQ(files_before.size(), 10u);  // 2 regions x 5 days, one flush

  // The clock moves to D0 12:00: with 48 h, D0-2 is the first day whose end is after now - 48h.
  env_.SetNowNanos(kD0 * kDay + 12 * kHour);
  EXPECT_EQ(engine_->OldestKeptNs(), (kD0 - 2) * kDay);
  // Expired days are invisible at once, files and memtable rows alike, before any drop.
  EXPECT_EQ(Scan(), Expected(kD0 - 2));

  // A snapshot held across the drop keeps reading the old files.
  std::shared_ptr<const FileSet> held = engine_->FileSetSnapshot();
  std::set<std::string> expired_paths;
  uint64_t expired_bytes = 0;
  std::vector<PartitionKey> expired_keys;
  for (const auto& [key, list] : held->partitions) {
    if (key.day >= kD0 - 2) continue;
    expired_keys.push_back(key);
    for (const ChunkFile& f : list) {
      expired_paths.insert(f.reader->path());
      expired_bytes += f.meta.size_bytes;
    }
  }
  ASSERT_EQ(expired_keys.size(), 4u);

  auto dropped = engine_->ApplyRetention(engine_->NowNanos());
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(dropped->first_day_kept, kD0 - 2);
  EXPECT_EQ(dropped->partitions, expired_keys);
  EXPECT_EQ(dropped->files, 4u);
  EXPECT_EQ(dropped->bytes, expired_bytes);
  for (const auto& [key, list] : engine_->FileSetSnapshot()->partitions) {
    EXPECT_GE(key.day, kD0 - 2) << key.ToString();
  }
  for (const ChunkFileMeta& meta : engine_->ChunkFiles()) {
    EXPECT_GE(meta.date, FormatDay(kD0 - 2)) << meta.date;
  }
  const EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.partitions_dropped, 4u);
  EXPECT_EQ(stats.bytes_dropped, expired_bytes);
  EXPECT_EQ(stats.partitions, 6u);
  EXPECT_EQ(Scan(), Expected(kD0 - 2));

  // Still on disk and readable through the held snapshot; gone once it is released.
  for (const std::string& path : expired_paths) EXPECT_TRUE(ChunkFilesOnDisk().count(path));
  uint64_t rows_through_snapshot = 0;
  for (const PartitionKey& key : expired_keys) {
    for (const ChunkFile& f : held->partitions.at(key)) {
      for (const SeriesInfo* s : engine_->series_index().SeriesOf("m")) {
        const chunk::SeriesEntry* series = f.reader->FindSeries(s->id);
        const chunk::FieldEntry* field = f.reader->Find(s->id, "v");
        if (field == nullptr) continue;
        VersionColumn rows;
        rows.type = FieldType::kFloat;
        for (size_t b = 0; b < field->blocks.size(); ++b) {
          ASSERT_TRUE(f.reader->ReadBlock(*series, *field, b, &rows).ok());
        }
        rows_through_snapshot += rows.size();
      }
    }
  }
  EXPECT_EQ(rows_through_snapshot, 4u * 2 * 20);  // the first write of each expired partition
  held.reset();
  for (const std::string& path : expired_paths) EXPECT_FALSE(ChunkFilesOnDisk().count(path));

  // Expired lines are rejected one by one; the others of the batch land.
  std::vector<std::pair<size_t, std::string>> rejected;
  const int64_t old_t = (kD0 - 3) * kDay + 5 * kHour;
  const int64_t new_t = (kD0 - 2) * kDay + 5 * kHour;
  Write({Line("eu", 0, old_t, 7), Line("eu", 0, new_t, 8), Line("us", 5, old_t, 9)}, &rejected);
  reference_[{"eu", 0, new_t}] = 8;
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_EQ(rejected[0].first, 0u);
  EXPECT_EQ(rejected[1].first, 2u);
  EXPECT_EQ(rejected[0].second,
            "point time 2026-01-08T05:00:00Z is older than the retention period (2d): the oldest "
            "time kept is 2026-01-09T00:00:00Z");
  EXPECT_EQ(Scan(), Expected(kD0 - 2));
  EXPECT_EQ(engine_->series_index().SeriesOf("m").size(), 4u) << "a rejected line adds no series";

  // A restart replays the WAL (expired rows included): they stay invisible ...
  Reopen(kRetention);
  EXPECT_EQ(Scan(), Expected(kD0 - 2));
  for (const ChunkFileMeta& meta : engine_->ChunkFiles()) {
    EXPECT_GE(meta.date, FormatDay(kD0 - 2)) << "the catalog still names " << meta.date;
  }
  // ... and a flush does not write them: no expired partition comes back.
  ASSERT_TRUE(engine_->Flush().ok());
  for (const auto& [key, list] : engine_->FileSetSnapshot()->partitions) {
    EXPECT_GE(key.day, kD0 - 2) << "recreated " << key.ToString();
  }
  for (const std::string& path : ChunkFilesOnDisk()) {
    EXPECT_EQ(path.find(FormatDay(kD0 - 3)), std::string::npos) << path;
    EXPECT_EQ(path.find(FormatDay(kD0 - 4)), std::string::npos) << path;
  }
  EXPECT_EQ(Scan(), Expected(kD0 - 2));
  // Without retention the catalog still holds nothing expired, and the flushed WAL is gone:
  // the expired rows do not come back even when nothing hides them any more.
  Reopen(std::chrono::nanoseconds(0));
  EXPECT_EQ(Scan(), Expected(kD0 - 2));
}

TEST_F(RetentionTest, NoRetentionKeepsEverythingAndApplyRetentionIsANoOp) {
  env_.SetNowNanos(kD0 * kDay);
  Open(std::chrono::nanoseconds(0));
  Write({Line("eu", 0, 1'000, 1.5), Line("eu", 0, kD0 * kDay, 2.5)});
  reference_[{"eu", 0, 1'000}] = 1.5;
  reference_[{"eu", 0, kD0 * kDay}] = 2.5;
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_EQ(engine_->OldestKeptNs(), INT64_MIN);
  auto dropped = engine_->ApplyRetention(engine_->NowNanos());
  ASSERT_TRUE(dropped.ok());
  EXPECT_TRUE(dropped->partitions.empty());
  EXPECT_EQ(Scan(), Expected(INT64_MIN));
  EXPECT_EQ(engine_->Stats().partitions, 2u);
}

// The last-value cache holds a series' newest point from before the clock moved: once that
// point's day expires, the cache answers "no point", as a scan does, with or without the drop.
TEST_F(RetentionTest, ACachedLastPointExpiresWithItsDay) {
  env_.SetNowNanos((kD0 - 4) * kDay);
  Open(std::chrono::hours(48));
  Write({Line("eu", 0, (kD0 - 4) * kDay + kHour, 1.5), Line("eu", 1, (kD0 - 4) * kDay, 2.5),
         Line("eu", 1, (kD0 - 1) * kDay, 3.5)});
  const SeriesInfo* h0 = engine_->series_index().Find("m,host=h0,region=eu");
  const SeriesInfo* h1 = engine_->series_index().Find("m,host=h1,region=eu");
  ASSERT_NE(h0, nullptr);
  ASSERT_NE(h1, nullptr);
  for (const SeriesInfo* s : {h0, h1}) ASSERT_TRUE(engine_->LastPointOf(s->id, "v").ok());
  ScanContext counters;
  auto cached = engine_->LastPointOf(h0->id, "v", &counters);
  ASSERT_TRUE(cached.ok() && cached->has_value());
  EXPECT_EQ(counters.last_value_hits, 1u);

  env_.SetNowNanos(kD0 * kDay + 12 * kHour);  // D0-4 has expired; D0-1 is kept
  auto expired = engine_->LastPointOf(h0->id, "v");
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(expired->has_value()) << "the cached point's day has expired";
  auto kept = engine_->LastPointOf(h1->id, "v");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->valid_ns, (kD0 - 1) * kDay);

  ASSERT_TRUE(engine_->ApplyRetention(engine_->NowNanos()).ok());
  expired = engine_->LastPointOf(h0->id, "v");
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(expired->has_value());
}

// A rollup over expiring days: answers from it equal raw data before and after the drop (both
// clamp to the first day kept, also for a bucket that straddles it), and it keeps answering.
TEST_F(RetentionTest, RollupAnswersEqualRawDataAcrossADrop) {
  env_.SetNowNanos((kD0 - 4) * kDay);
  Open(std::chrono::hours(48));
  std::vector<std::string> lines;
  for (int64_t t = (kD0 - 4) * kDay; t < kD0 * kDay; t += kHour / 4) {
    for (int host = 0; host < 3; ++host) lines.push_back(Line(kRegions[host % 2], host, t, t % 97));
  }
  Write(lines);
  ASSERT_TRUE(engine_->Flush().ok());
  // 7 hours: buckets straddle day boundaries, and so the first day kept.
  ASSERT_TRUE(engine_->CreateRollup("m_7h", "m", 7 * kHour).ok());

  struct Totals : FieldScanConsumer {
    bool TakeBlockStats(FieldType, const chunk::BlockStats& stats) override {
      count += stats.count;
      sum += std::bit_cast<double>(stats.sum_bits);
      return true;
    }
    void TakePoints(const PointBatch& batch) override {
      count += batch.size;
      for (size_t i = 0; i < batch.size; ++i) sum += std::bit_cast<double>(batch.bits[i]);
    }
    uint64_t count = 0;
    double sum = 0;
  };
  auto compare = [&](const std::string& when) {
    uint64_t from_rollup = 0;
    for (const SeriesInfo* s : engine_->series_index().SeriesOf("m")) {
      ScanContext context;
      const Engine::RollupRead read = engine_->BeginRollupRead("m", &context);
      ASSERT_EQ(read.rollups.size(), 1u);
      Totals rolled, raw;
      ASSERT_TRUE(engine_->ScanFieldRollup(read.rollups[0], s->id, "v", INT64_MIN, kNoEndNs,
                                           read.as_of, rolled, &context)
                      .ok());
      ASSERT_TRUE(engine_->ScanFieldBatches(s->id, "v", INT64_MIN, kNoEndNs, read.as_of, raw)
                      .ok());
      EXPECT_EQ(rolled.count, raw.count) << s->key << " " << when;
      EXPECT_NEAR(rolled.sum, raw.sum, 1e-9 * raw.sum) << s->key << " " << when;
      from_rollup += context.rollup_buckets;
    }
    EXPECT_GT(from_rollup, 0u) << when;
  };
  compare("before the drop");
  env_.SetNowNanos(kD0 * kDay + 12 * kHour);  // D0-4 and D0-3 expire
  compare("expired, not yet dropped");
  auto dropped = engine_->ApplyRetention(engine_->NowNanos());
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(dropped->partitions.size(), 4u);
  compare("after the drop");
  Reopen(std::chrono::hours(48));
  compare("after a restart");
}

// The scans of one statement (one ScanContext) share a view: a drop between two of them does not
// split the statement's answer, and the next statement sees the partition gone everywhere.
TEST_F(RetentionTest, AStatementKeepsItsViewAcrossADrop) {
  env_.SetNowNanos(kD0 * kDay);
  Open(std::chrono::nanoseconds(0));
  Write({Line("eu", 0, (kD0 - 1) * kDay + 1, 1), Line("us", 0, (kD0 - 1) * kDay + 2, 2)});
  ASSERT_TRUE(engine_->Flush().ok());
  Write({Line("eu", 0, (kD0 - 1) * kDay + 3, 3), Line("us", 0, (kD0 - 1) * kDay + 4, 4)});
  struct Counter final : FieldScanConsumer {
    int64_t count = 0;
    void TakePoints(const PointBatch& batch) override { count += static_cast<int64_t>(batch.size); }
  };
  auto series = engine_->series_index().SeriesOf("m");
  ASSERT_EQ(series.size(), 2u);
  ScanContext statement;
  Counter first, second;
  ASSERT_TRUE(engine_->ScanFieldBatches(series[0]->id, "v", INT64_MIN, kNoEndNs,
                                        SystemTime{INT64_MAX}, first, &statement).ok());
  auto dropped = engine_->DropPartitionsBefore(kD0);
  ASSERT_TRUE(dropped.ok());
  ASSERT_EQ(dropped->partitions.size(), 2u);
  ASSERT_TRUE(engine_->ScanFieldBatches(series[1]->id, "v", INT64_MIN, kNoEndNs,
                                        SystemTime{INT64_MAX}, second, &statement).ok());
  EXPECT_EQ(first.count, 2);
  EXPECT_EQ(second.count, 2) << "the statement's second scan must read the view of its first";
  statement = ScanContext{};
  Counter later;
  for (const SeriesInfo* s : series) {
    ASSERT_TRUE(engine_->ScanFieldBatches(s->id, "v", INT64_MIN, kNoEndNs, SystemTime{INT64_MAX},
                                          later, &statement).ok());
  }
  EXPECT_EQ(later.count, 0);
  // Without retention, an explicit drop still keeps the days hidden and rejects writes to them.
  std::vector<std::pair<size_t, std::string>> rejected;
  Write({Line("eu", 0, (kD0 - 1) * kDay + 5, 5)}, &rejected);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_NE(rejected[0].second.find("older than the partitions dropped by retention"),
            std::string::npos) << rejected[0].second;
}

// Readers count each (series, day) over and over while partitions are dropped one day at a time
// and a writer keeps flushing the newest day: every count is the day's full count or zero —
// never the flushed half without the memtable half, or the reverse.
TEST_F(RetentionTest, ConcurrentReadersSeeAPartitionWholeOrNotAtAll) {
  constexpr int kDays = 8;
  constexpr int kPerDay = 40;  // half flushed, half in the memtable
  env_.SetNowNanos(kD0 * kDay);
  Open(std::chrono::nanoseconds(0));
  const int64_t first_day = kD0 - kDays;
  auto day_lines = [&](int64_t day, int from, int to) {
    std::vector<std::string> lines;
    for (const std::string& region : kRegions) {
      for (int i = from; i < to; ++i) lines.push_back(Line(region, 0, day * kDay + i * 1000, i));
    }
    return lines;
  };
  for (int64_t day = first_day; day < kD0; ++day) Write(day_lines(day, 0, kPerDay / 2));
  ASSERT_TRUE(engine_->Flush().ok());
  for (int64_t day = first_day; day < kD0; ++day) Write(day_lines(day, kPerDay / 2, kPerDay));

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> scans{0}, bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        for (const SeriesInfo* s : engine_->series_index().SeriesOf("m")) {
          for (int64_t day = first_day; day < kD0; ++day) {
            int64_t count = 0;
            Status st = engine_->ScanField(s->id, "v", day * kDay, (day + 1) * kDay,
                                           SystemTime{INT64_MAX},
                                           [&](int64_t, const FieldValue&) { ++count; });
            if (!st.ok() || (count != 0 && count != kPerDay)) ++bad;
            ++scans;
          }
        }
      }
    });
  }
  // The newest day keeps getting flushed files while the drops run (flush vs drop ordering).
  // A "statement" scanning both regions' series with one ScanContext sees a day in both or in
  // neither: its scans share one view.
  struct Counter final : FieldScanConsumer {
    int64_t count = 0;
    bool TakeBlockStats(FieldType, const chunk::BlockStats& stats) override {
      count += static_cast<int64_t>(stats.count);
      return true;
    }
    void TakePoints(const PointBatch& batch) override { count += static_cast<int64_t>(batch.size); }
  };
  readers.emplace_back([&] {
    while (!stop.load()) {
      for (int64_t day = first_day; day < kD0; ++day) {
        ScanContext statement;
        Counter counter;
        for (const SeriesInfo* s : engine_->series_index().SeriesOf("m")) {
          if (s->key.find("host=h0") == std::string::npos) continue;  // the writer's series: h1
          Status st = engine_->ScanFieldBatches(s->id, "v", day * kDay, (day + 1) * kDay,
                                                SystemTime{INT64_MAX}, counter, &statement);
          if (!st.ok()) ++bad;
          std::this_thread::yield();  // widen the window between the statement's scans
        }
        if (counter.count != 0 && counter.count != 2 * kPerDay) ++bad;
        ++scans;
      }
    }
  });
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      Write({Line("eu", 1, kD0 * kDay + i, i)});
      ASSERT_TRUE(engine_->Flush().ok());
    }
  });
  for (int64_t day = first_day + 1; day <= kD0; ++day) {
    const uint64_t before = scans.load();
    while (scans.load() < before + 200) std::this_thread::yield();  // let the readers run
    auto dropped = engine_->DropPartitionsBefore(day);
    ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
    EXPECT_EQ(dropped->partitions.size(), 2u) << "day " << FormatDay(day - 1);
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  writer.join();
  EXPECT_EQ(bad.load(), 0u) << "of " << scans.load() << " scans";
  // Everything before D0 is gone, and no flush recreated any of it.
  for (const auto& [key, list] : engine_->FileSetSnapshot()->partitions) {
    EXPECT_GE(key.day, kD0) << key.ToString();
  }
  EXPECT_TRUE(engine_->Flush().ok());
  for (const auto& [key, list] : engine_->FileSetSnapshot()->partitions) {
    EXPECT_GE(key.day, kD0) << key.ToString();
  }
}

}  // namespace
}  // namespace strata::engine
