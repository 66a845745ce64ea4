#include "engine/replay_pipeline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/line_protocol.h"
#include "engine/write_batch.h"

namespace strata::engine {
namespace {

// One WAL-like record: a payload and its system time.
struct TestRecord {
  int64_t system_time_ns;
  std::string payload;
};

// Records over 20 series and 3 fields, every point rewritten several times across records, so
// the visible value depends on records being applied in order; about 7 MB, several batches.
std::vector<TestRecord> MakeRecords() {
  std::mt19937 rng(5);
  LineParser parser;
  std::vector<TestRecord> records;
  for (int r = 0; r < 8000; ++r) {
    WriteBatch batch;
    ParsedLine parsed;
    for (int l = 0; l < 10; ++l) {
      const std::string line = "m,host=h" + std::to_string(rng() % 20) +
                               " a=" + std::to_string(rng() % 1000) + ",b=" +
                               std::to_string(rng() % 1000) + "i,c=\"" +
                               std::string(rng() % 100, 'x') + "\" " +
                               std::to_string(rng() % 50);
      EXPECT_TRUE(parser.Parse(line, &parsed).ok()) << line;
      batch.Add(parsed, *parsed.timestamp_ns);
    }
    records.push_back({1000 + r, batch.Release()});
  }
  return records;
}

// Every version of every column, as (series key, field) -> rows, for comparing memtables.
std::vector<std::string> Dump(const MemTable& memtable, const SeriesIndex& index) {
  std::vector<std::string> out;
  memtable.ForEachColumn([&](SeriesId id, const std::string& field, const VersionColumn& c) {
    std::string rows = index.Get(id)->key + " " + field + ":";
    for (size_t i = 0; i < c.size(); ++i) {
      rows += " " + std::to_string(c.valid_ns[i]) + "@" + std::to_string(c.system_ns[i]) + "=" +
              std::to_string(c.bits[i]) + (c.type == FieldType::kString ? c.strings[i] : "");
    }
    out.push_back(rows);
  });
  return out;
}

TEST(ReplayPipelineTest, AppliesEveryRecordInOrderLikeApplyingThemOneByOne) {
  const std::vector<TestRecord> records = MakeRecords();
  SeriesIndex reference_index;
  MemTable reference;
  for (const TestRecord& r : records) {
    ASSERT_TRUE(reference.Apply(r.system_time_ns, r.payload, reference_index).ok());
  }

  SeriesIndex index;
  MemTable memtable;
  std::vector<SeriesId> ids;
  ASSERT_TRUE(ResolveBatchSeries(records[0].payload, index, &ids).ok());
  ASSERT_TRUE(memtable.ApplyResolved(records[0].system_time_ns, records[0].payload, ids).ok());
  {
    ReplayPipeline pipeline(&memtable, nullptr);
    std::thread adder([&] {
      std::vector<SeriesId> series_by_number;
      for (size_t i = 1; i < records.size(); ++i) {
        ASSERT_TRUE(ResolveBatchSeries(records[i].payload, index, &series_by_number).ok());
        ASSERT_TRUE(pipeline.Add(1, i, records[i].system_time_ns, records[i].payload,
                                 series_by_number)
                        .ok());
      }
    });
    // Holding the memtable's read lock a while stalls the applier, so batches pile up in the
    // queue: they must still be applied first in, first out.
    bool first = true;
    memtable.ForEachColumn([&](SeriesId, const std::string&, const VersionColumn&) {
      if (first) std::this_thread::sleep_for(std::chrono::milliseconds(300));
      first = false;
    });
    adder.join();
    ASSERT_TRUE(pipeline.Finish().ok());
  }
  EXPECT_EQ(memtable.points(), reference.points());
  EXPECT_EQ(memtable.points(), 8000u * 10 * 3);
  EXPECT_EQ(Dump(memtable, index), Dump(reference, reference_index));
}

TEST(ReplayPipelineTest, AFailedRecordIsNamedAndNothingAfterItIsApplied) {
  const std::vector<TestRecord> records = MakeRecords();
  SeriesIndex index;
  MemTable memtable;
  ReplayPipeline pipeline(&memtable, nullptr);
  std::vector<SeriesId> ids;
  constexpr size_t kBad = 1234;
  Status last;
  for (size_t i = 0; i < records.size() && last.ok(); ++i) {
    ASSERT_TRUE(ResolveBatchSeries(records[i].payload, index, &ids).ok());
    if (i == kBad) ids.clear();  // no series for its lines: the apply refuses it
    last = pipeline.Add(7, 100 + i, records[i].system_time_ns, records[i].payload, ids);
  }
  Status finished = pipeline.Finish();
  EXPECT_TRUE(finished.IsCorruption()) << finished.ToString();
  EXPECT_NE(finished.message().find("wal segment 7 offset " + std::to_string(100 + kBad)),
            std::string::npos)
      << finished.ToString();
  // Add reports the failure once it is known (it may be later than the failed record).
  if (!last.ok()) {
    EXPECT_EQ(last.ToString(), finished.ToString());
  }
  EXPECT_EQ(memtable.points(), kBad * 10 * 3);
}

}  // namespace
}  // namespace strata::engine
