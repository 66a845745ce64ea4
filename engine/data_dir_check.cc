#include "engine/data_dir_check.h"

#include <map>
#include <set>

#include "engine/catalog.h"
#include "engine/chunk/chunk_reader.h"
#include "engine/partition.h"
#include "engine/write_batch.h"
#include "wal/log_reader.h"
#include "wal/segment.h"

namespace strata::engine {
namespace {

void CheckChunkFile(Env& env, const std::string& data_dir, const ChunkFileMeta& meta,
                    DataDirReport* report) {
  PartitionKey partition{meta.region, 0};
  if (!ParseDay(meta.date, &partition.day)) {
    report->problems.push_back("catalog: file " + std::to_string(meta.file_id) +
                               " has a bad partition date '" + meta.date + "'");
    return;
  }
  const std::string path = ChunkPathOf(data_dir, partition, meta.file_id);
  if (!env.FileExists(path)) {
    report->problems.push_back(path + ": missing (the catalog names it)");
    return;
  }
  auto size = env.GetFileSize(path);
  if (!size.ok()) {
    report->problems.push_back(path + ": " + size.status().message());
    return;
  }
  if (*size != meta.size_bytes) {
    report->problems.push_back(path + ": " + std::to_string(*size) + " bytes, the catalog says " +
                               std::to_string(meta.size_bytes));
    return;  // truncated or grown: the footer is not where the reader looks
  }
  auto opened = chunk::ChunkReader::Open(env, path);
  if (!opened.ok()) {
    report->problems.push_back(opened.status().message());
    return;
  }
  const chunk::ChunkReader& reader = **opened;
  report->chunk_bytes += reader.size_bytes();
  if (reader.partition() != partition) {
    report->problems.push_back(path + ": holds partition " + reader.partition().ToString() +
                               ", the catalog says " + partition.ToString());
  }
  uint64_t points = 0;
  for (const chunk::SeriesEntry& series : reader.series()) {
    for (const chunk::FieldEntry& field : series.fields) {
      for (size_t b = 0; b < field.blocks.size(); ++b) {
        VersionColumn column;
        column.type = field.type;
        ++report->blocks;
        points += field.blocks[b].stats.count;
        Status read = reader.ReadBlock(series, field, b, &column);
        if (!read.ok()) report->problems.push_back(read.message());
      }
    }
  }
  report->points += points;
  if (points != meta.points) {
    report->problems.push_back(path + ": " + std::to_string(points) +
                               " points in its blocks, the catalog says " +
                               std::to_string(meta.points));
  }
}

// Every file under chunks/ the catalog does not name.
void FindUnreferencedFiles(Env& env, const std::string& data_dir,
                           const std::set<std::string>& named, DataDirReport* report) {
  const std::string root = JoinPath(data_dir, "chunks");
  if (!env.FileExists(root)) return;
  auto regions = env.GetChildren(root);
  if (!regions.ok()) {
    report->problems.push_back(root + ": " + regions.status().message());
    return;
  }
  for (const std::string& region : *regions) {
    const std::string region_dir = JoinPath(root, region);
    auto dates = env.GetChildren(region_dir);
    if (!dates.ok()) {
      report->problems.push_back(region_dir + ": unreferenced file (not a partition directory)");
      continue;
    }
    for (const std::string& date : *dates) {
      const std::string date_dir = JoinPath(region_dir, date);
      auto names = env.GetChildren(date_dir);
      if (!names.ok()) {
        report->problems.push_back(date_dir + ": unreferenced file (not a partition directory)");
        continue;
      }
      for (const std::string& name : *names) {
        const std::string path = JoinPath(date_dir, name);
        if (!named.count(path)) {
          report->problems.push_back(path + ": unreferenced file (the catalog does not name it)");
        }
      }
    }
  }
}

class TailReporter final : public wal::LogReader::Reporter {
 public:
  void BadTail(uint64_t offset, uint64_t bytes, std::string_view reason) override {
    bad_tail = std::string(reason) + " at offset " + std::to_string(offset) + " (" +
               std::to_string(bytes) + " bytes after the last good record; the next start cuts them)";
  }
  std::string bad_tail;  // empty: the segment ended cleanly
};

void CheckWal(Env& env, const std::string& data_dir, int64_t checkpoint_ns,
              DataDirReport* report) {
  const std::string dir = JoinPath(data_dir, "wal");
  if (!env.FileExists(dir)) return;
  auto segments = wal::ListSegments(env, dir);
  if (!segments.ok()) {
    report->problems.push_back(dir + ": " + segments.status().message());
    return;
  }
  int64_t previous_ns = 0;
  for (uint64_t number : *segments) {
    const std::string path = wal::SegmentPath(dir, number);
    auto file = env.NewRandomAccessFile(path);
    if (!file.ok()) {
      report->problems.push_back(path + ": " + file.status().message());
      continue;
    }
    ++report->wal_segments;
    report->wal_bytes += (*file)->Size();
    TailReporter tail;
    wal::LogReader reader(**file, &tail);
    wal::Record record;
    while (reader.ReadRecord(&record)) {
      ++report->wal_records;
      const std::string where =
          path + " offset " + std::to_string(record.offset) + ": ";
      if (record.system_time_ns <= previous_ns) {
        report->problems.push_back(where + "system time " + std::to_string(record.system_time_ns) +
                                   " does not follow " + std::to_string(previous_ns));
      }
      previous_ns = record.system_time_ns;
      if (record.system_time_ns <= checkpoint_ns) continue;  // already in chunk files
      Status decoded = DecodeWriteBatch(
          record.payload, [](const BatchLine&) {},
          [](std::string_view, const FieldValue&, bool) {});
      if (!decoded.ok()) report->problems.push_back(where + decoded.message());
    }
    if (!reader.status().ok()) {
      report->problems.push_back(path + ": " + reader.status().message());
    } else if (!tail.bad_tail.empty()) {
      report->problems.push_back(path + ": " + tail.bad_tail);
    }
  }
}

}  // namespace

Result<DataDirReport> VerifyDataDir(Env& env, const std::string& data_dir) {
  if (!env.FileExists(JoinPath(data_dir, "catalog"))) {
    return Status::NotFound(data_dir + " is not a Strata data directory (no catalog/)");
  }
  auto lock = env.LockFile(JoinPath(data_dir, "LOCK"));
  if (!lock.ok()) {
    if (lock.status().code() != StatusCode::kUnavailable) return lock.status();
    return Status::Unavailable(data_dir + " is in use by a running stratad: stop it first");
  }
  DataDirReport report;
  auto catalog = Catalog::OpenReadOnly(JoinPath(data_dir, "catalog"));
  if (!catalog.ok()) {
    report.problems.push_back(catalog.status().message());
    return report;
  }
  if (Status checked = (*catalog)->VerifyChecksums(); !checked.ok()) {
    report.problems.push_back(checked.message());
  }
  auto state = (*catalog)->Load();
  if (!state.ok()) {
    report.problems.push_back(state.status().message());
    return report;
  }
  report.series = state->series.size();
  report.catalog_files = state->files.size();
  std::set<std::string> named;
  for (const ChunkFileMeta& meta : state->files) {
    PartitionKey partition{meta.region, 0};
    if (ParseDay(meta.date, &partition.day)) {
      named.insert(ChunkPathOf(data_dir, partition, meta.file_id));
    }
    CheckChunkFile(env, data_dir, meta, &report);
  }
  FindUnreferencedFiles(env, data_dir, named, &report);
  CheckWal(env, data_dir, state->checkpoint_ns, &report);
  return report;
}

}  // namespace strata::engine
