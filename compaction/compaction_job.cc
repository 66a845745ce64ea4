#include "compaction/compaction_job.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/chunk/chunk_writer.h"
#include "util/logging.h"

namespace strata::compaction {
namespace {

using engine::ChunkFile;
using engine::ChunkFileMeta;
using engine::PartitionKey;
using engine::VersionColumn;

// One (series, field) column of the merge, with the files that hold it.
struct ColumnKey {
  uint64_t series;
  std::string field;
  auto operator<=>(const ColumnKey&) const = default;
};
struct ColumnSources {
  std::string series_key;
  engine::FieldType type;
  std::vector<const ChunkFile*> files;  // in file-set order
};

struct Output {
  engine::Engine::NewChunkFile place;
  std::unique_ptr<engine::chunk::ChunkWriter> writer;
  ChunkFileMeta meta;
};

Status Cancelled() { return Status::Unavailable("compaction cancelled: the server is stopping"); }

}  // namespace

Result<CompactionResult> CompactPartition(engine::Engine& engine, const PartitionKey& partition,
                                          const CompactionJobOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  CompactionResult result;
  result.partition = partition;
  // The snapshot pins the inputs for the whole job, even past the swap.
  const std::shared_ptr<const engine::FileSet> snapshot = engine.FileSetSnapshot();
  auto found = snapshot->partitions.find(partition);
  if (found == snapshot->partitions.end()) {
    return Status::NotFound("no chunk files in partition " + partition.ToString());
  }
  const std::vector<ChunkFile>& inputs = found->second;
  const bool drop_history = options.history_retention.count() > 0;
  if (inputs.size() < 2 && !drop_history) {
    result.skipped = true;
    result.files_in = result.files_out = inputs.size();
    for (const ChunkFile& f : inputs) result.bytes_in = result.bytes_out += f.meta.size_bytes;
    return result;
  }
  const int64_t now_ns = options.now_ns != 0 ? options.now_ns : engine.NowNanos();
  const int64_t horizon_ns =
      drop_history ? now_ns - static_cast<int64_t>(options.history_retention.count())
                   : kKeepAllHistory;

  // The union of the inputs' columns, in the order the writer takes them.
  std::map<ColumnKey, ColumnSources> columns;
  for (const ChunkFile& file : inputs) {
    result.bytes_in += file.meta.size_bytes;
    result.versions_in += file.meta.points;
    for (const engine::chunk::SeriesEntry& series : file.reader->series()) {
      for (const engine::chunk::FieldEntry& field : series.fields) {
        auto [it, added] = columns.try_emplace(ColumnKey{series.id.value, field.name});
        if (added) {
          it->second.series_key = series.key;
          it->second.type = field.type;
        } else if (it->second.type != field.type) {
          return Status::Corruption("partition " + partition.ToString() + ": field '" +
                                    field.name + "' of " + series.key +
                                    " has different types in different files; not compacting");
        }
        it->second.files.push_back(&file);
      }
    }
  }
  result.files_in = inputs.size();

  std::vector<Output> outputs;
  auto cleanup = [&] {
    // Best effort: whatever is left is an orphan the next start removes.
    for (Output& out : outputs) {
      out.writer.reset();
      if (engine.env().FileExists(out.place.tmp_path)) {
        engine.env().RemoveFile(out.place.tmp_path).IgnoreError();  // an orphan either way
      }
      if (engine.env().FileExists(out.place.path)) {
        engine.env().RemoveFile(out.place.path).IgnoreError();  // not in the catalog
      }
    }
  };
  auto charge = [&](uint64_t bytes) {
    return options.throttle == nullptr || options.throttle->Charge(bytes);
  };
  auto finish_output = [&](Output& out) -> Status {
    STRATA_ASSIGN_OR_RETURN(engine::chunk::ChunkSummary summary, out.writer->Finish());
    out.writer.reset();
    ChunkFileMeta& meta = out.meta;
    meta.region = partition.region;
    meta.date = partition.Date();
    meta.file_id = out.place.file_id;
    meta.size_bytes = summary.size_bytes;
    meta.points = summary.points;
    meta.min_valid_ns = summary.min_valid_ns;
    meta.max_valid_ns = summary.max_valid_ns;
    meta.min_system_ns = summary.min_system_ns;
    meta.max_system_ns = summary.max_system_ns;
    return Status::OK();
  };

  Status status;
  VersionColumn rows, versions;
  uint64_t previous_series = 0;
  for (const auto& [key, sources] : columns) {
    rows.Clear();
    rows.type = sources.type;
    uint64_t read_bytes = 0;
    for (const ChunkFile* file : sources.files) {
      const engine::chunk::SeriesEntry* series = file->reader->FindSeries(engine::SeriesId{key.series});
      const engine::chunk::FieldEntry* field = file->reader->Find(engine::SeriesId{key.series}, key.field);
      for (size_t b = 0; b < field->blocks.size() && status.ok(); ++b) {
        status = file->reader->ReadBlock(*series, *field, b, &rows);
        read_bytes += field->blocks[b].stored_size;
      }
      if (!status.ok()) break;
    }
    if (!status.ok()) break;
    if (!charge(read_bytes)) {
      status = Cancelled();
      break;
    }
    CollapseVersions(rows, horizon_ns, &versions, &result.dropped);
    if (versions.empty()) continue;
    // A new output once the current one is big enough, at a series boundary only: every
    // version of a (series, field) must stay in one file (see the file comment).
    if (!outputs.empty() && key.series != previous_series &&
        outputs.back().writer->bytes_written() >= options.target_file_bytes) {
      status = finish_output(outputs.back());
      if (!status.ok()) break;
    }
    if (outputs.empty() || outputs.back().writer == nullptr) {
      auto place = engine.ReserveChunkFile(partition);
      if (!place.ok()) {
        status = place.status();
        break;
      }
      auto writer = engine::chunk::ChunkWriter::Create(engine.env(), place->tmp_path, partition,
                                                       engine::codec::Compression::kZstd,
                                                       options.zstd_level);
      if (!writer.ok()) {
        status = writer.status();
        break;
      }
      outputs.push_back(Output{*place, std::move(writer).value(), {}});
    }
    engine::chunk::ChunkWriter& writer = *outputs.back().writer;
    const uint64_t before = writer.bytes_written();
    status = writer.AddColumn(engine::SeriesId{key.series}, sources.series_key, key.field,
                              versions);
    if (!status.ok()) break;
    previous_series = key.series;
    if (!charge(writer.bytes_written() - before)) {
      status = Cancelled();
      break;
    }
  }
  if (status.ok() && !outputs.empty() && outputs.back().writer != nullptr) {
    status = finish_output(outputs.back());
  }
  if (status.ok() && options.hook) status = options.hook("after_write");
  for (Output& out : outputs) {
    if (!status.ok()) break;
    status = engine.env().RenameFile(out.place.tmp_path, out.place.path);
    if (status.ok()) status = engine.env().SyncDir(DirName(out.place.path));
  }
  if (status.ok() && options.hook) status = options.hook("after_rename");
  std::vector<ChunkFileMeta> added;
  for (const Output& out : outputs) {
    added.push_back(out.meta);
    result.bytes_out += out.meta.size_bytes;
    result.versions_out += out.meta.points;
  }
  std::vector<uint64_t> replaced;
  for (const ChunkFile& file : inputs) replaced.push_back(file.meta.file_id);
  if (status.ok()) status = engine.ReplaceFiles(partition, replaced, added);
  if (!status.ok()) {
    cleanup();
    return status.WithContext("compaction of " + partition.ToString());
  }
  result.files_out = outputs.size();
  if (options.hook) STRATA_RETURN_IF_ERROR(options.hook("after_commit"));
  result.elapsed = std::chrono::steady_clock::now() - started;
  return result;
}

}  // namespace strata::compaction
