// Start-up: catalog, chunk files, orphan removal, WAL replay after the checkpoint.

#include <algorithm>
#include <map>
#include <set>

#include "engine/engine.h"
#include "engine/replay_pipeline.h"
#include "util/logging.h"
#include "wal/recovery.h"
#include "wal/segment.h"

namespace strata::engine {

Status Engine::Recover() {
  int64_t checkpoint_ns = 0, high_water_ns = 0;
  STRATA_RETURN_IF_ERROR(LoadCatalog(&checkpoint_ns, &high_water_ns));
  int64_t last_system_time_ns = 0;
  STRATA_RETURN_IF_ERROR(ReplayWal(checkpoint_ns, &last_system_time_ns));
  last_system_time_ns = std::max(last_system_time_ns, high_water_ns);
  last_values_.StartAt(last_system_time_ns);
  {
    MutexLock lock(&mu_);
    visible_upto_ns_ = last_system_time_ns;
    checkpoint_ns_ = checkpoint_ns;
    active_since_ = std::chrono::steady_clock::now();
  }
  return Status::OK();
}

Status Engine::LoadCatalog(int64_t* checkpoint_ns, int64_t* high_water_ns) {
  Env& env = *options_.env;
  STRATA_ASSIGN_OR_RETURN(catalog_, Catalog::Open(JoinPath(options_.data_dir, "catalog"),
                                                  options_.partition_tag));
  STRATA_ASSIGN_OR_RETURN(CatalogState state, catalog_->Load());
  partition_tag_ = state.partition_tag;
  *checkpoint_ns = state.checkpoint_ns;
  *high_water_ns = state.high_water_ns;
  uint64_t next_file_id = state.next_file_id;
  for (const SeriesRecord& s : state.series) {
    STRATA_RETURN_IF_ERROR(series_.Restore(s.id, s.key));
  }
  persisted_series_ = series_.size();
  for (const auto& [measurement, field] : state.fields) {
    STRATA_RETURN_IF_ERROR(schema_.CheckAndRegister(measurement, field.first, field.second));
  }
  auto files = std::make_shared<FileSet>();
  for (const ChunkFileMeta& meta : state.files) {
    PartitionKey key{meta.region, 0};
    if (!ParseDay(meta.date, &key.day)) {
      return Status::Corruption("catalog: bad partition date '" + meta.date + "'");
    }
    const std::string path = ChunkPath(key, meta.file_id);
    auto reader = chunk::ChunkReader::Open(env, path);
    if (!reader.ok()) {
      return reader.status().WithContext("chunk file named by the catalog cannot be opened");
    }
    files->partitions[key].push_back(ChunkFile::Make(env, meta, std::move(reader).value()));
    // Ids are unique even if a stored next id lagged behind (it is written with every commit).
    next_file_id = std::max(next_file_id, meta.file_id + 1);
  }
  next_file_id_.store(next_file_id);
  // The catalog lists a partition's files by id; a compaction output has a newer id than
  // flushes that committed while it ran, yet holds older versions. Flush order is system-time
  // order, and file system-time ranges within a partition do not overlap.
  for (auto& [key, list] : files->partitions) {
    std::stable_sort(list.begin(), list.end(), [](const ChunkFile& a, const ChunkFile& b) {
      return a.meta.min_system_ns < b.meta.min_system_ns;
    });
  }
  STRATA_RETURN_IF_ERROR(RemoveOrphanFiles(*files));
  {
    MutexLock drop_lock(&drop_mu_);
    next_rollup_id_ = state.next_rollup_id;
    for (const RollupDef& r : state.rollups) next_rollup_id_ = std::max(next_rollup_id_, r.id + 1);
  }
  MutexLock lock(&mu_);
  rollups_ = std::make_shared<const std::vector<RollupDef>>(std::move(state.rollups));
  files_ = std::move(files);
  active_ = std::make_shared<MemTable>(row_blocks_);
  return Status::OK();
}

// A chunk file the catalog does not name is left over from a flush or compaction that did not
// commit, or was replaced by a compaction while a snapshot still used it: garbage by definition
// (DESIGN §4).
Status Engine::RemoveOrphanFiles(const FileSet& files) {
  Env& env = *options_.env;
  std::set<std::string> known;
  for (const auto& [key, list] : files.partitions) {
    for (const ChunkFile& f : list) known.insert(f.reader->path());
  }
  const std::string root = JoinPath(options_.data_dir, "chunks");
  if (!env.FileExists(root)) return Status::OK();
  STRATA_ASSIGN_OR_RETURN(auto regions, env.GetChildren(root));
  for (const std::string& region : regions) {
    const std::string region_dir = JoinPath(root, region);
    auto dates = env.GetChildren(region_dir);
    if (!dates.ok()) continue;  // a stray file, not a directory
    for (const std::string& date : *dates) {
      const std::string date_dir = JoinPath(region_dir, date);
      auto names = env.GetChildren(date_dir);
      if (!names.ok()) continue;
      for (const std::string& name : *names) {
        const std::string path = JoinPath(date_dir, name);
        if (known.count(path)) continue;
        STRATA_LOG(kWarn, "removing {}: not in the catalog (left by an unfinished flush or compaction)", path);
        STRATA_RETURN_IF_ERROR(env.RemoveFile(path));
      }
    }
  }
  return Status::OK();
}

Status Engine::ReplayWal(int64_t checkpoint_ns, int64_t* last_system_time_ns) {
  const std::string wal_dir = JoinPath(options_.data_dir, "wal");
  std::shared_ptr<MemTable> target;
  {
    MutexLock lock(&mu_);
    target = active_;
  }
  std::map<uint64_t, int64_t> segment_last;  // every segment seen, with its newest record
  // The fields (by position) of the last line whose types were registered: WAL lines mostly
  // repeat their predecessor's fields, which then need no Schema lookup.
  std::string known_measurement;
  std::vector<std::pair<std::string, FieldType>> known_fields;
  // The series of the record being replayed and their measurements, by series_number (each
  // key of a record is resolved once); reused.
  std::vector<SeriesId> series_by_number;
  std::vector<std::string_view> measurement_by_number;
  wal::RecoveryReport report;
  uint64_t replayed = 0;
  ReplayPipeline pipeline(target.get(), &last_values_, row_blocks_.get());
  Status status = wal::ReplayWal(
      *options_.env, wal_dir, /*first_segment=*/1,
      [&](uint64_t segment, const wal::Record& record) -> Status {
        segment_last[segment] = record.system_time_ns;
        if (record.system_time_ns <= checkpoint_ns) return Status::OK();  // in chunk files
        ++replayed;
        // Field types of data not yet flushed are known only from the WAL.
        std::string_view measurement;
        size_t field_no = 0;
        bool line_registered = false;  // every field of the line so far has its type registered
        bool skip_fields = false;      // the line repeats the keys of a registered line
        Status typed;
        Status resolved;
        series_by_number.clear();
        measurement_by_number.clear();
        Status decoded = DecodeWriteBatchInline(
            record.payload,
            [&](const BatchLine& line) {
              if (line.new_series) {
                auto info = series_.GetOrCreate(line.series_key);
                if (!info.ok() && resolved.ok()) resolved = info.status();
                series_by_number.push_back(info.ok() ? (*info)->id : SeriesId{0});
                measurement_by_number.push_back(info.ok() ? std::string_view((*info)->measurement)
                                                          : std::string_view());
              }
              const std::string_view line_measurement = measurement_by_number[line.series_number];
              // A repeat has the previous line's keys and types: registered if its were.
              skip_fields = line.repeats_fields && line_registered &&
                            line_measurement == measurement;
              measurement = line_measurement;
              line_registered = !measurement.empty();
              if (measurement != known_measurement) {
                known_measurement.assign(measurement);
                known_fields.clear();
              }
              field_no = 0;
            },
            [&](std::string_view key, const FieldValue& value, bool) {
              if (skip_fields || measurement.empty()) return;
              const size_t i = field_no++;
              if (i < known_fields.size() && known_fields[i].first == key &&
                  known_fields[i].second == value.type) {
                return;
              }
              Status s = schema_.CheckAndRegister(measurement, key, value.type);
              if (!s.ok()) {
                line_registered = false;
                if (typed.ok()) typed = s;
                return;
              }
              if (i >= known_fields.size()) known_fields.resize(i + 1);
              known_fields[i] = {std::string(key), value.type};
            });
        if (decoded.ok()) decoded = resolved;
        if (!decoded.ok()) {
          return decoded.WithContext("wal segment " + std::to_string(segment) + " offset " +
                                     std::to_string(record.offset));
        }
        if (!typed.ok()) {
          STRATA_LOG(kWarn, "wal segment {} offset {}: {}", segment, record.offset,
                     typed.ToString());
        }
        return pipeline.Add(segment, record.offset, record.system_time_ns, record.payload,
                            series_by_number);
      },
      &report);
  // Every record read must be applied (or have failed) before the memtable is anyone else's.
  Status applied = pipeline.Finish();
  STRATA_RETURN_IF_ERROR(status);
  STRATA_RETURN_IF_ERROR(applied);
  *last_system_time_ns = report.last_system_time_ns;
  {
    MutexLock lock(&mu_);
    recovered_records_ = replayed;
    recovered_truncated_bytes_ = report.truncated_bytes;
  }
  if (replayed > 0 || report.truncated_bytes > 0) {
    STRATA_LOG(kInfo, "replayed {} WAL records after the checkpoint ({} torn bytes cut)", replayed,
               report.truncated_bytes);
  }

  wal::WalOptions wal_options;
  wal_options.env = options_.env;
  wal_options.dir = wal_dir;
  wal_options.fsync = options_.fsync;
  wal_options.fsync_interval = options_.fsync_interval;
  wal_options.segment_bytes = options_.wal_segment_bytes;
  // Queued WAL records are memory on their way into a memtable: keep them within the budget's
  // reach too, so a small budget bounds the process, not just its memtables.
  wal_options.max_queued_bytes =
      std::min(options_.wal_max_queued_bytes, std::max<uint64_t>(options_.memtable_budget_bytes / 8, 1 << 20));
  STRATA_ASSIGN_OR_RETURN(wal_, wal::WalWriter::Open(wal_options, std::max(
                                                                       *last_system_time_ns,
                                                                       checkpoint_ns)));
  // Segments found now are closed; those the checkpoint covers go at once (a crash after the
  // catalog commit can leave them), the rest when a later flush covers them.
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> segments, wal::ListSegments(*options_.env, wal_dir));
  for (uint64_t number : segments) {
    if (number == wal_->current_segment()) continue;
    auto it = segment_last.find(number);
    wal_->AdoptClosedSegment(number, it == segment_last.end() ? 0 : it->second);
  }
  return wal_->DeleteSegmentsCoveredBy(checkpoint_ns);
}

}  // namespace strata::engine
