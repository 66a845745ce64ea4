#include "compaction/compaction_job.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/chunk/chunk_writer.h"

namespace strata::compaction {
namespace {

using engine::ChunkFile;
using engine::ChunkFileMeta;
using engine::PartitionKey;
using engine::VersionColumn;

// One (series, field) column of the merge, with the blocks that hold it.
struct ColumnKey {
  uint64_t series;
  std::string field;
  auto operator<=>(const ColumnKey&) const = default;
};
struct SourceBlock {
  const engine::chunk::ChunkReader* reader;
  const engine::chunk::SeriesEntry* series;
  const engine::chunk::FieldEntry* field;
  size_t index;
  int64_t min_valid_ns, max_valid_ns;
};
struct ColumnSources {
  std::string series_key;
  engine::FieldType type;
  std::vector<SourceBlock> blocks;  // file-set order, then block order
};

Status Cancelled() { return Status::Unavailable("compaction cancelled: the server is stopping"); }

class CompactionJob {
 public:
  CompactionJob(engine::Engine& engine, const PartitionKey& partition,
                const CompactionJobOptions& options, int64_t horizon_ns, CompactionResult* result)
      : engine_(engine),
        env_(engine.env()),
        partition_(partition),
        options_(options),
        horizon_ns_(horizon_ns),
        result_(*result) {}
  ~CompactionJob() { Cleanup(); }

  // The union of the inputs' columns, in the order the writer takes them.
  Status CollectColumns(const std::vector<ChunkFile>& inputs);
  // Merges every column into the outputs, then renames them into place and swaps them for the
  // inputs in the catalog.
  Status MergeAndCommit(const std::vector<ChunkFile>& inputs);

 private:
  struct Output {
    engine::Engine::NewChunkFile place;
    std::unique_ptr<engine::chunk::ChunkWriter> writer;
    ChunkFileMeta meta;
  };

  Status MergeColumn(const ColumnKey& key, const ColumnSources& sources);
  // The output the next column of `series` goes to: a new one once the current one is past
  // the target size, at a series boundary only (all versions of a column stay in one file).
  Result<engine::chunk::ChunkWriter*> OutputFor(uint64_t series);
  Status FinishOutput(Output& out);
  bool Charge(uint64_t bytes) {
    return options_.throttle == nullptr || options_.throttle->Charge(bytes);
  }
  // Removes what a failed job leaves: temporary files always, renamed outputs only while the
  // catalog cannot have recorded them (a failed catalog write may still have).
  void Cleanup();

  engine::Engine& engine_;
  Env& env_;
  const PartitionKey& partition_;
  const CompactionJobOptions& options_;
  const int64_t horizon_ns_;
  CompactionResult& result_;
  std::map<ColumnKey, ColumnSources> columns_;
  std::vector<Output> outputs_;
  uint64_t current_series_ = 0;
  bool done_ = false;
  bool swap_attempted_ = false;
  VersionColumn rows_, versions_;  // reused per piece
};

Status CompactionJob::CollectColumns(const std::vector<ChunkFile>& inputs) {
  for (const ChunkFile& file : inputs) {
    for (const engine::chunk::SeriesEntry& series : file.reader->series()) {
      for (const engine::chunk::FieldEntry& field : series.fields) {
        auto [it, added] = columns_.try_emplace(ColumnKey{series.id.value, std::string(field.name)});
        if (added) {
          it->second.series_key = series.key;
          it->second.type = field.type;
        } else if (it->second.type != field.type) {
          return Status::Corruption("partition " + partition_.ToString() + ": field '" +
                                    std::string(field.name) + "' of " + series.key +
                                    " has different types in different files; not compacting");
        }
        for (size_t b = 0; b < field.blocks.size(); ++b) {
          const engine::chunk::BlockStats& stats = field.blocks[b].stats;
          it->second.blocks.push_back({file.reader.get(), &series, &field, b,
                                       stats.min_valid_ns, stats.max_valid_ns});
        }
      }
    }
  }
  return Status::OK();
}

Status CompactionJob::MergeColumn(const ColumnKey& key, const ColumnSources& sources) {
  std::vector<SourceBlock> blocks = sources.blocks;
  // By first valid time; equal starts keep file order (older rows first).
  std::stable_sort(blocks.begin(), blocks.end(), [](const SourceBlock& a, const SourceBlock& b) {
    return a.min_valid_ns < b.min_valid_ns;
  });
  for (size_t next = 0; next < blocks.size();) {
    rows_.Clear();
    rows_.type = sources.type;
    uint64_t read_bytes = 0;
    int64_t read_max = std::numeric_limits<int64_t>::min();
    // A piece ends only where the next block starts after every valid time read so far: all
    // rows of a point (versions from every file) are then in one piece.
    do {
      const SourceBlock& block = blocks[next++];
      STRATA_RETURN_IF_ERROR(
          block.reader->ReadBlock(*block.series, *block.field, block.index, &rows_));
      read_bytes += block.field->blocks[block.index].stored_size;
      read_max = std::max(read_max, block.max_valid_ns);
    } while (next < blocks.size() &&
             (blocks[next].min_valid_ns <= read_max || rows_.size() < options_.piece_rows));
    if (!Charge(read_bytes)) return Cancelled();
    CollapseVersions(rows_, horizon_ns_, &versions_, &result_.dropped);
    if (versions_.empty()) continue;
    STRATA_ASSIGN_OR_RETURN(engine::chunk::ChunkWriter * writer, OutputFor(key.series));
    const uint64_t written_before = writer->bytes_written();
    STRATA_RETURN_IF_ERROR(writer->AddColumn(engine::SeriesId{key.series}, sources.series_key,
                                             key.field, versions_));
    if (!Charge(writer->bytes_written() - written_before)) return Cancelled();
  }
  return Status::OK();
}

Result<engine::chunk::ChunkWriter*> CompactionJob::OutputFor(uint64_t series) {
  if (!outputs_.empty() && outputs_.back().writer != nullptr && series != current_series_ &&
      outputs_.back().writer->bytes_written() >= options_.target_file_bytes) {
    STRATA_RETURN_IF_ERROR(FinishOutput(outputs_.back()));
  }
  current_series_ = series;
  if (outputs_.empty() || outputs_.back().writer == nullptr) {
    STRATA_ASSIGN_OR_RETURN(engine::Engine::NewChunkFile place,
                            engine_.ReserveChunkFile(partition_));
    outputs_.push_back(Output{place, nullptr, {}});
    STRATA_ASSIGN_OR_RETURN(outputs_.back().writer,
                            engine::chunk::ChunkWriter::Create(
                                env_, place.tmp_path, partition_,
                                engine::codec::Compression::kZstd, options_.zstd_level));
  }
  return outputs_.back().writer.get();
}

Status CompactionJob::FinishOutput(Output& out) {
  STRATA_ASSIGN_OR_RETURN(engine::chunk::ChunkSummary summary, out.writer->Finish());
  out.writer.reset();
  ChunkFileMeta& meta = out.meta;
  meta.region = partition_.region;
  meta.date = partition_.Date();
  meta.file_id = out.place.file_id;
  meta.size_bytes = summary.size_bytes;
  meta.points = summary.points;
  meta.min_valid_ns = summary.min_valid_ns;
  meta.max_valid_ns = summary.max_valid_ns;
  meta.min_system_ns = summary.min_system_ns;
  meta.max_system_ns = summary.max_system_ns;
  return Status::OK();
}

Status CompactionJob::MergeAndCommit(const std::vector<ChunkFile>& inputs) {
  for (const auto& [key, sources] : columns_) STRATA_RETURN_IF_ERROR(MergeColumn(key, sources));
  if (!outputs_.empty() && outputs_.back().writer != nullptr) {
    STRATA_RETURN_IF_ERROR(FinishOutput(outputs_.back()));
  }
  if (options_.hook) STRATA_RETURN_IF_ERROR(options_.hook("after_write"));
  for (const Output& out : outputs_) {
    STRATA_RETURN_IF_ERROR(env_.RenameFile(out.place.tmp_path, out.place.path));
    STRATA_RETURN_IF_ERROR(env_.SyncDir(DirName(out.place.path)));
  }
  if (options_.hook) STRATA_RETURN_IF_ERROR(options_.hook("after_rename"));
  std::vector<ChunkFileMeta> added;
  for (const Output& out : outputs_) {
    added.push_back(out.meta);
    result_.bytes_out += out.meta.size_bytes;
    result_.versions_out += out.meta.points;
  }
  std::vector<uint64_t> replaced;
  for (const ChunkFile& file : inputs) replaced.push_back(file.meta.file_id);
  swap_attempted_ = true;
  STRATA_RETURN_IF_ERROR(engine_.ReplaceFiles(partition_, replaced, added));
  done_ = true;
  result_.files_out = outputs_.size();
  return Status::OK();
}

void CompactionJob::Cleanup() {
  if (done_) return;
  for (Output& out : outputs_) {
    out.writer.reset();
    if (env_.FileExists(out.place.tmp_path)) {
      env_.RemoveFile(out.place.tmp_path).IgnoreError();  // an orphan at the next start anyway
    }
    if (!swap_attempted_ && env_.FileExists(out.place.path)) {
      env_.RemoveFile(out.place.path).IgnoreError();  // likewise
    }
  }
}

}  // namespace

Result<CompactionResult> CompactPartition(engine::Engine& engine, const PartitionKey& partition,
                                          const CompactionJobOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (options.throttle != nullptr) options.throttle->StartJob();
  CompactionResult result;
  result.partition = partition;
  // The snapshot pins the inputs for the whole job, even past the swap.
  const std::shared_ptr<const engine::FileSet> snapshot = engine.FileSetSnapshot();
  auto found = snapshot->partitions.find(partition);
  if (found == snapshot->partitions.end()) {
    return Status::NotFound("no chunk files in partition " + partition.ToString());
  }
  const std::vector<ChunkFile>& inputs = found->second;
  result.files_in = inputs.size();
  for (const ChunkFile& file : inputs) {
    result.bytes_in += file.meta.size_bytes;
    result.versions_in += file.meta.points;
  }
  const bool drop_history = options.history_retention.count() > 0;
  if (inputs.size() < 2 && !drop_history) {
    result.skipped = true;
    result.files_out = result.files_in;
    result.bytes_out = result.bytes_in;
    result.versions_out = result.versions_in;
    return result;
  }
  const int64_t now_ns = options.now_ns != 0 ? options.now_ns : engine.NowNanos();
  const int64_t horizon_ns =
      drop_history ? now_ns - static_cast<int64_t>(options.history_retention.count())
                   : kKeepAllHistory;

  Status status;
  {
    CompactionJob job(engine, partition, options, horizon_ns, &result);
    status = job.CollectColumns(inputs);
    if (status.ok()) status = job.MergeAndCommit(inputs);
  }
  if (!status.ok()) return status.WithContext("compaction of " + partition.ToString());
  if (options.hook) STRATA_RETURN_IF_ERROR(options.hook("after_commit"));
  result.elapsed = std::chrono::steady_clock::now() - started;
  return result;
}

CompactionTotals SumResults(const std::vector<CompactionResult>& results) {
  CompactionTotals totals;
  for (const CompactionResult& r : results) {
    if (r.skipped) continue;
    ++totals.partitions;
    totals.files_in += r.files_in;
    totals.files_out += r.files_out;
    totals.bytes_in += r.bytes_in;
    totals.bytes_out += r.bytes_out;
  }
  return totals;
}

}  // namespace strata::compaction
