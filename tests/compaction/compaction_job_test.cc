// CompactPartition against a real engine: every answer (queries answered from block statistics,
// raw rows, VERSIONS, AS OF past times) is the same before and after; the horizon drops exactly
// what it may; the catalog swap is atomic at every step a crash can hit.

#include "compaction/compaction_job.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/codec/block_compressor.h"
#include "tests/query/engine_fixture.h"

namespace strata::compaction {
namespace {

using engine::PartitionKey;

constexpr int64_t kDay = 86'400'000'000'000;
constexpr int64_t kBase = 20'454 * kDay;  // 2026-01-01

class CompactionJobTest : public query::EngineFixture {
 protected:
  void Flush() { ASSERT_TRUE(engine_->Flush().ok()); }

  // Every answer a query can give about the data, as of `as_of` ("" = now): aggregates (from
  // block statistics where possible), raw rows, and the version list.
  // with_versions false: point answers only (VERSIONS lists history the horizon may drop).
  std::vector<std::vector<std::string>> Answers(const std::string& as_of,
                                                bool with_versions = true) {
    const std::string suffix = as_of.empty() ? "" : " AS OF " + as_of;
    std::vector<std::vector<std::string>> all;
    for (const std::string q : {
             "SELECT count(v), sum(v), min(v), max(v), first(v), last(v) FROM m GROUP BY *",
             "SELECT count(v), mean(v) FROM m GROUP BY time(1h), *",
             "SELECT * FROM m",
             "SELECT count(s), last(s), count(n), sum(n) FROM m GROUP BY *",
             "SELECT VERSIONS v FROM m",
             "SELECT VERSIONS s FROM m",
         }) {
      if (!with_versions && q.starts_with("SELECT VERSIONS")) continue;
      query::TableSink sink = QueryOk(q + suffix);
      all.push_back(sink.columns());
      for (const auto& row : sink.rows()) all.push_back(row);
      all.push_back({"--"});
    }
    return all;
  }

  std::set<std::string> ChunkFilesOnDisk() {
    std::set<std::string> out;
    const std::string root = dir_.Sub("data") + "/chunks";
    if (!std::filesystem::exists(root)) return out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (entry.is_regular_file()) out.insert(entry.path().string());
    }
    return out;
  }

  std::set<std::string> ChunkFilesInFileSet() {
    std::set<std::string> out;
    for (const auto& [key, files] : engine_->FileSetSnapshot()->partitions) {
      for (const engine::ChunkFile& f : files) out.insert(f.reader->path());
    }
    return out;
  }

  size_t FilesIn(const PartitionKey& partition) {
    auto files = engine_->FileSetSnapshot();
    auto it = files->partitions.find(partition);
    return it == files->partitions.end() ? 0 : it->second.size();
  }

  // Writes a messy history across several flushes of region eu over two days, returning the
  // system times of its commits.
  std::vector<engine::SystemTime> WriteMessyHistory() {
    std::vector<engine::SystemTime> times;
    auto line = [](const std::string& host, int64_t t, const std::string& fields) {
      return "m,region=eu,host=" + host + " " + fields + " " + std::to_string(t);
    };
    // File 1: two hosts, 300 points each, overlapping valid times with file 2; a string field.
    std::vector<std::string> lines;
    for (int i = 0; i < 300; ++i) {
      lines.push_back(line("a", kBase + i * 60'000'000'000LL,
                           "v=" + std::to_string(i % 17) + ".5,s=\"x" + std::to_string(i % 3) +
                               "\",n=" + std::to_string(i) + "i"));
      lines.push_back(line("b", kBase + i * 60'000'000'000LL + 7, "v=" + std::to_string(i)));
    }
    // Host e: 10,000 points over the day, several blocks per file, so a merge can cut the column
    // into pieces between blocks that no correction overlaps.
    for (int i = 0; i < 10'000; ++i) {
      lines.push_back(line("e", kBase + i * 8'000'000'000LL, "v=" + std::to_string(i % 101)));
    }
    times.push_back(Write(lines));
    Flush();
    // File 2: corrections of every 10th point of a, a duplicate timestamp written twice in one
    // batch, new points interleaved, and points on the next day.
    lines.clear();
    for (int i = 0; i < 300; i += 10) {
      lines.push_back(line("a", kBase + i * 60'000'000'000LL, "v=" + std::to_string(1000 + i)));
      lines.push_back(line("a", kBase + i * 60'000'000'000LL + 30'000'000'000LL, "v=-1"));
    }
    for (int i : {0, 4095, 4096, 7000, 9999}) {
      lines.push_back(line("e", kBase + i * 8'000'000'000LL, "v=-" + std::to_string(i)));
    }
    lines.push_back(line("b", kBase + 5 * 60'000'000'000LL + 7, "v=1"));
    lines.push_back(line("b", kBase + 5 * 60'000'000'000LL + 7, "v=2"));
    lines.push_back(line("b", kBase + kDay + 1, "v=42,s=\"next\""));
    times.push_back(Write(lines));
    Flush();
    // Deletes (tombstones) of some points, then a rewrite of one deleted point, in file 3.
    DeleteOk("DELETE FROM m WHERE host = 'b' AND time >= " + std::to_string(kBase) +
             " AND time < " + std::to_string(kBase + 50 * 60'000'000'000LL));
    times.push_back(engine_->LastVisibleTime());
    times.push_back(Write({line("b", kBase + 3 * 60'000'000'000LL + 7, "v=333")}));
    Flush();
    // File 4: an identical rewrite (no version) and another correction of a corrected point.
    times.push_back(Write({line("a", kBase + 20 * 60'000'000'000LL, "v=1020"),
                           line("a", kBase + 10 * 60'000'000'000LL, "v=7")}));
    Flush();
    return times;
  }
};

TEST_F(CompactionJobTest, EveryAnswerIsTheSameAfterCompaction) {
  const std::vector<engine::SystemTime> times = WriteMessyHistory();
  const PartitionKey day1{"eu", kBase / kDay};
  ASSERT_EQ(FilesIn(day1), 4u);
  std::vector<std::string> as_ofs = {""};
  for (engine::SystemTime t : times) {
    as_ofs.push_back(std::to_string(t.ns - 1));
    as_ofs.push_back(std::to_string(t.ns));
  }
  std::vector<std::vector<std::vector<std::string>>> before;
  for (const std::string& as_of : as_ofs) before.push_back(Answers(as_of));

  CompactionJobOptions options;
  auto result = CompactPartition(*engine_, day1, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->files_in, 4u);
  EXPECT_EQ(result->files_out, 1u);
  EXPECT_FALSE(result->skipped);
  EXPECT_EQ(FilesIn(day1), 1u);
  // The second day had files from two flushes too.
  auto day2 = CompactPartition(*engine_, PartitionKey{"eu", kBase / kDay + 1}, options);
  ASSERT_TRUE(day2.ok()) << day2.status().ToString();

  for (size_t i = 0; i < as_ofs.size(); ++i) {
    EXPECT_EQ(Answers(as_ofs[i]), before[i]) << "AS OF '" << as_ofs[i] << "'";
  }
  // The compacted blocks are Zstandard (or stored raw where that is smaller).
  for (const auto& [key, files] : engine_->FileSetSnapshot()->partitions) {
    for (const engine::ChunkFile& f : files) {
      for (const auto& series : f.reader->series()) {
        for (const auto& field : series.fields) {
          for (const auto& block : field.blocks) {
            EXPECT_NE(block.compression, static_cast<uint8_t>(engine::codec::Compression::kLz4));
          }
        }
      }
    }
  }
  // Replaced files are gone from disk (no snapshot holds them), and a restart agrees.
  EXPECT_EQ(ChunkFilesOnDisk(), ChunkFilesInFileSet());
  Reopen();
  EXPECT_EQ(ChunkFilesOnDisk(), ChunkFilesInFileSet());
  for (size_t i = 0; i < as_ofs.size(); ++i) {
    EXPECT_EQ(Answers(as_ofs[i]), before[i]) << "after reopen, AS OF '" << as_ofs[i] << "'";
  }
}

TEST_F(CompactionJobTest, HistoryHorizonKeepsEveryAnswerAsOfInsideIt) {
  const std::vector<engine::SystemTime> times = WriteMessyHistory();
  const PartitionKey day1{"eu", kBase / kDay};
  // The horizon at the delete: everything replaced before it may go.
  const int64_t horizon = times[2].ns;
  const std::vector<std::string> inside = {"", std::to_string(horizon),
                                           std::to_string(times[3].ns), std::to_string(times[4].ns)};
  std::vector<std::vector<std::vector<std::string>>> before;
  for (const std::string& as_of : inside) before.push_back(Answers(as_of, false));
  std::map<std::string, query::TableSink> versions_before;
  for (const std::string field : {"v", "s"}) {
    versions_before[field] = QueryOk("SELECT VERSIONS " + field + " FROM m");
  }

  CompactionJobOptions options;
  options.history_retention = std::chrono::nanoseconds(1000);
  options.now_ns = horizon + 1000;
  auto result = CompactPartition(*engine_, day1, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_GT(result->dropped.superseded, 0u);
  for (size_t i = 0; i < inside.size(); ++i) {
    EXPECT_EQ(Answers(inside[i], false), before[i]) << "AS OF '" << inside[i] << "'";
  }
  // What went is exactly what VERSIONS listed (before) as replaced before the horizon, plus
  // tombstones written before it (their predecessors are gone, so they hide nothing).
  // RFC 3339 times with nine fraction digits compare like the instants they name.
  for (const std::string field : {"v", "s"}) {
    SCOPED_TRACE(field);
    const std::string horizon_text = query::FormatTime(horizon);
    size_t droppable = 0;
    const query::TableSink& listed = versions_before[field];
    const auto& header = listed.columns();
    const size_t from_i = std::find(header.begin(), header.end(), "system_from") - header.begin();
    const size_t to_i = std::find(header.begin(), header.end(), "system_to") - header.begin();
    const size_t tomb_i = std::find(header.begin(), header.end(), "tombstone") - header.begin();
    ASSERT_LT(tomb_i, header.size());
    for (const auto& row : listed.rows()) {
      const bool replaced_before = !row[to_i].empty() && row[to_i] < horizon_text;
      const bool old_tombstone = row[tomb_i] == "true" && row[from_i] < horizon_text;
      if (replaced_before || old_tombstone) ++droppable;
    }
    EXPECT_EQ(QueryOk("SELECT VERSIONS " + field + " FROM m").rows().size(),
              listed.rows().size() - droppable);
    if (field == "v") {
      EXPECT_GT(droppable, 0u);
    }
  }
}

TEST_F(CompactionJobTest, SnapshotTakenBeforeCompactionReadsReplacedFilesUntilReleased) {
  WriteMessyHistory();
  const PartitionKey day1{"eu", kBase / kDay};
  std::shared_ptr<const engine::FileSet> snapshot = engine_->FileSetSnapshot();
  std::vector<std::string> old_paths;
  for (const engine::ChunkFile& f : snapshot->partitions.at(day1)) {
    old_paths.push_back(f.reader->path());
  }
  ASSERT_EQ(old_paths.size(), 4u);
  ASSERT_TRUE(CompactPartition(*engine_, day1, {}).ok());
  EXPECT_EQ(FilesIn(day1), 1u);
  // The old files stay on disk and readable through the snapshot.
  uint64_t rows_read = 0;
  for (const engine::ChunkFile& f : snapshot->partitions.at(day1)) {
    EXPECT_TRUE(std::filesystem::exists(f.reader->path())) << f.reader->path();
    EXPECT_TRUE(f.handle->obsolete());
    for (const auto& series : f.reader->series()) {
      for (const auto& field : series.fields) {
        for (size_t b = 0; b < field.blocks.size(); ++b) {
          engine::VersionColumn rows;
          rows.type = field.type;
          Status read = f.reader->ReadBlock(series, field, b, &rows);
          ASSERT_TRUE(read.ok()) << read.ToString();
          rows_read += rows.size();
        }
      }
    }
  }
  EXPECT_GT(rows_read, 0u);
  snapshot.reset();
  for (const std::string& path : old_paths) EXPECT_FALSE(std::filesystem::exists(path)) << path;
  EXPECT_EQ(ChunkFilesOnDisk(), ChunkFilesInFileSet());
}

TEST_F(CompactionJobTest, FilesFlushedWhileTheMergeRunsAreKept) {
  WriteMessyHistory();
  const PartitionKey day1{"eu", kBase / kDay};
  const std::string late = "m,region=eu,host=c v=99 " + std::to_string(kBase + 5);
  CompactionJobOptions options;
  options.hook = [&](std::string_view step) {
    if (step == "after_write") {
      Write({late});
      Status flushed = engine_->Flush();
      EXPECT_TRUE(flushed.ok()) << flushed.ToString();
    }
    return Status::OK();
  };
  auto result = CompactPartition(*engine_, day1, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->files_in, 4u);
  EXPECT_EQ(FilesIn(day1), 2u);  // the merge output, then the late flush's file
  const auto& files = engine_->FileSetSnapshot()->partitions.at(day1);
  EXPECT_LT(files[0].meta.max_system_ns, files[1].meta.min_system_ns);
  EXPECT_EQ(QueryOk("SELECT count(v) FROM m WHERE host = 'c'").rows(),
            (std::vector<std::vector<std::string>>{{"1"}}));
  Reopen();
  EXPECT_EQ(FilesIn(day1), 2u);
  EXPECT_EQ(QueryOk("SELECT count(v) FROM m WHERE host = 'c'").rows(),
            (std::vector<std::vector<std::string>>{{"1"}}));
  EXPECT_EQ(ChunkFilesOnDisk(), ChunkFilesInFileSet());
}

// A crash at each step of the job (simulated by the hook failing there, then a restart): the
// answers are those of before, the catalog names either the inputs or the output, and no file
// it does not name is left on disk.
TEST_F(CompactionJobTest, AFailureAtAnyStepLeavesOneConsistentFileSet) {
  WriteMessyHistory();
  const PartitionKey day1{"eu", kBase / kDay};
  const auto before = Answers("");
  for (const std::string step : {"after_write", "after_rename", "after_commit"}) {
    SCOPED_TRACE(step);
    const size_t files_before = FilesIn(day1);
    // A new file (new values: an identical rewrite would be no version and write nothing).
    Write({"m,region=eu,host=d v=" + std::to_string(files_before) + " " +
           std::to_string(kBase + 1)});
    Write({"m,region=eu,host=d v=" + std::to_string(files_before) + " " +
           std::to_string(kBase + 2)});
    Flush();
    const auto expected = Answers("");
    CompactionJobOptions options;
    options.hook = [&](std::string_view at) {
      return at == step ? Status::IOError("injected at " + std::string(at)) : Status::OK();
    };
    auto result = CompactPartition(*engine_, day1, options);
    ASSERT_FALSE(result.ok());
    const bool committed = step == "after_commit";
    EXPECT_EQ(FilesIn(day1), committed ? 1u : files_before + 1);
    EXPECT_EQ(Answers(""), expected);
    EXPECT_EQ(ChunkFilesOnDisk(), ChunkFilesInFileSet());
    Reopen();
    EXPECT_EQ(FilesIn(day1), committed ? 1u : files_before + 1);
    EXPECT_EQ(Answers(""), expected);
    EXPECT_EQ(ChunkFilesOnDisk(), ChunkFilesInFileSet());
  }
  EXPECT_NE(Answers(""), before);  // host d was added
}

TEST_F(CompactionJobTest, ReplacingFilesThatAreGoneChangesNothing) {
  WriteMessyHistory();
  const PartitionKey day1{"eu", kBase / kDay};
  const auto files = engine_->FileSetSnapshot()->partitions.at(day1);
  Status replaced = engine_->ReplaceFiles(day1, {files[0].meta.file_id, 999'999}, {});
  EXPECT_EQ(replaced.code(), StatusCode::kInvalidArgument) << replaced.ToString();
  EXPECT_EQ(FilesIn(day1), 4u);
  EXPECT_EQ(CompactPartition(*engine_, PartitionKey{"nowhere", 1}, {}).status().code(),
            StatusCode::kNotFound);
}

// A snapshot still held when the engine stops keeps the replaced files on disk; the next start
// finds them outside the catalog and removes them.
TEST_F(CompactionJobTest, ReplacedFilesStillHeldAtShutdownGoAtTheNextStart) {
  WriteMessyHistory();
  const PartitionKey day1{"eu", kBase / kDay};
  const auto expected = Answers("");
  std::shared_ptr<const engine::FileSet> held = engine_->FileSetSnapshot();
  ASSERT_TRUE(CompactPartition(*engine_, day1, {}).ok());
  EXPECT_EQ(ChunkFilesOnDisk().size(), ChunkFilesInFileSet().size() + 4);
  Reopen();
  EXPECT_EQ(ChunkFilesOnDisk(), ChunkFilesInFileSet());
  EXPECT_EQ(Answers(""), expected);
  held.reset();  // its files are gone already: a warning, no harm
  EXPECT_EQ(ChunkFilesOnDisk(), ChunkFilesInFileSet());
}

// The same answers whatever the layout of the output: columns merged in many small pieces
// (blocks cut at piece boundaries), and one output file per series.
class CompactionLayoutTest : public CompactionJobTest,
                             public ::testing::WithParamInterface<std::pair<size_t, uint64_t>> {};

TEST_P(CompactionLayoutTest, AnswersDoNotDependOnPiecesOrOutputFiles) {
  const std::vector<engine::SystemTime> times = WriteMessyHistory();
  std::vector<std::string> as_ofs = {""};
  for (engine::SystemTime t : times) as_ofs.push_back(std::to_string(t.ns));
  std::vector<std::vector<std::vector<std::string>>> before;
  for (const std::string& as_of : as_ofs) before.push_back(Answers(as_of));
  CompactionJobOptions options;
  options.piece_rows = GetParam().first;
  options.target_file_bytes = GetParam().second;
  auto result = CompactPartition(*engine_, PartitionKey{"eu", kBase / kDay}, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  if (options.target_file_bytes == 1) {
    EXPECT_EQ(result->files_out, 3u);  // hosts a, b and e
  }
  for (size_t i = 0; i < as_ofs.size(); ++i) {
    EXPECT_EQ(Answers(as_ofs[i]), before[i]) << "AS OF '" << as_ofs[i] << "'";
  }
  Reopen();
  for (size_t i = 0; i < as_ofs.size(); ++i) {
    EXPECT_EQ(Answers(as_ofs[i]), before[i]) << "after reopen, AS OF '" << as_ofs[i] << "'";
  }
  EXPECT_EQ(ChunkFilesOnDisk(), ChunkFilesInFileSet());
}

INSTANTIATE_TEST_SUITE_P(Layouts, CompactionLayoutTest,
                         ::testing::Values(std::make_pair(size_t{1}, uint64_t{512} << 20),
                                           std::make_pair(size_t{50}, uint64_t{512} << 20),
                                           std::make_pair(size_t{64} << 10, uint64_t{1})));

}  // namespace
}  // namespace strata::compaction
