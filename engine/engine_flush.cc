// Flush (DESIGN §3 step 5): freeze the active memtable, write one chunk file per partition,
// commit them to the catalog with the new checkpoint, then delete covered WAL segments.
// Every step is crash-safe: a file is only data once the catalog names it, and the WAL keeps
// everything after the catalog's checkpoint.

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <map>
#include <system_error>
#include <thread>

#include "engine/chunk/chunk_writer.h"
#include "engine/engine.h"
#include "util/logging.h"
#include "util/thread_name.h"

namespace strata::engine {

std::string Engine::ChunkDir(const PartitionKey& partition) const {
  return ChunkDirOf(options_.data_dir, partition);
}

std::string Engine::ChunkPath(const PartitionKey& partition, uint64_t file_id) const {
  return ChunkPathOf(options_.data_dir, partition, file_id);
}

Status Engine::Flush() {
  MutexLock lock(&mu_);
  if (closed_) return Status::Unavailable("engine is closed");
  const uint64_t generation = ++flush_requested_;
  flush_cv_.SignalAll();
  while (flush_completed_ < generation && !stopping_) flush_cv_.Wait();
  if (flush_completed_ < generation) return Status::Unavailable("engine is closing");
  return flush_error_;
}

void Engine::FlushLoop() {
  MutexLock lock(&mu_);
  while (!stopping_) {
    const bool age_due = options_.flush_age.count() > 0 && active_->points() > 0 &&
                         std::chrono::steady_clock::now() - active_since_ >= options_.flush_age;
    if (flush_requested_ == flush_completed_ && !age_due) {
      if (options_.flush_age.count() > 0) {
        flush_cv_.WaitFor(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::min<std::chrono::milliseconds>(options_.flush_age, std::chrono::seconds(1))));
      } else {
        flush_cv_.Wait();
      }
      continue;
    }
    const uint64_t generation = flush_requested_;

    // A memtable whose flush failed is retried first, with its own checkpoint: a newer
    // checkpoint would cover its commits, and the WAL segments holding them could go.
    std::shared_ptr<MemTable> frozen;
    int64_t checkpoint_ns = frozen_checkpoint_ns_;
    if (!immutables_.empty()) {
      frozen = immutables_.front();
    } else {
      // Freeze: under apply_mu_ no commit is half applied, so the frozen memtable holds exactly
      // the commits up to visible_upto_ns_, which becomes its checkpoint.
      mu_.Unlock();
      {
        MutexLock apply_lock(&apply_mu_);
        MutexLock inner(&mu_);
        checkpoint_ns = visible_upto_ns_;
        if (active_->points() > 0) {
          frozen = active_;
          immutables_.push_back(frozen);
          frozen_checkpoint_ns_ = checkpoint_ns;
          active_ = std::make_shared<MemTable>(row_blocks_);
          active_since_ = std::chrono::steady_clock::now();
        }
      }
      mu_.Lock();
    }

    Status status;
    bool committed = false;
    if (frozen) {
      mu_.Unlock();
      // The segment being written holds frozen commits; closing it lets the checkpoint delete
      // it once the flush commits (later commits go to the next segment).
      status = wal_->Rotate();
      if (status.ok()) status = FlushMemTable(*frozen, checkpoint_ns, &committed);
      if (status.ok()) status = wal_->DeleteSegmentsCoveredBy(checkpoint_ns);
      mu_.Lock();
      if (!status.ok()) {
        STRATA_LOG(kError, "flush failed{}: {}",
                   committed ? " after its catalog commit" : " (data stays in the WAL and memory)",
                   status.ToString());
      }
      if (committed) {
        // The files are in the catalog: never flush this memtable again. If publishing them
        // failed, the engine cannot trust its own state: refuse writes until restarted.
        ++flushes_;
        std::erase(immutables_, frozen);
        if (!status.ok() && bg_error_.ok()) bg_error_ = status;
      }
    }
    flush_error_ = status;
    flush_completed_ = generation;
    if (!status.ok()) flush_requested_ = flush_completed_;  // retry on the next request
    flush_cv_.SignalAll();
  }
}

struct Engine::FlushPart {
  // The regions whose series this part writes; empty: every region.
  std::vector<std::string> regions;
  uint64_t rows = 0;
  struct Output {
    std::unique_ptr<chunk::ChunkWriter> writer;
    uint64_t file_id;
    std::string tmp_path;
  };
  std::map<PartitionKey, Output> outputs;
  std::vector<ChunkFileMeta> metas;  // of the finished outputs
  Status status;
};

std::vector<Engine::FlushPart> Engine::SplitFlush(const FlushInputs& in) const {
  std::vector<FlushPart> parts(1);
  // Rollup rows go into the one catalog batch as the columns are written, so they take one
  // part. So does a small memtable: a thread costs more than it saves there.
  constexpr uint64_t kMinRowsToSplit = 1 << 16;
  if (!in.rollups->empty() || in.frozen->points() < kMinRowsToSplit) return parts;
  std::map<std::string, uint64_t, std::less<>> rows_by_region;
  in.frozen->ForEachSeries([&](SeriesId id, uint64_t rows) {
    const SeriesInfo* info = series_.Get(id);
    if (info == nullptr) return;
    const std::string_view region = RegionOf(*info);
    auto it = rows_by_region.find(region);  // no key string built per series
    if (it == rows_by_region.end()) it = rows_by_region.emplace(region, 0).first;
    it->second += rows;
  });
  if (rows_by_region.size() < 2) return parts;
  // Largest first, each to the part with fewer rows so far.
  std::vector<std::pair<uint64_t, std::string>> by_rows;
  for (auto& [region, rows] : rows_by_region) by_rows.emplace_back(rows, region);
  std::sort(by_rows.begin(), by_rows.end(), std::greater<>());
  parts.resize(2);
  for (auto& [rows, region] : by_rows) {
    FlushPart& lighter = parts[0].rows <= parts[1].rows ? parts[0] : parts[1];
    lighter.rows += rows;
    lighter.regions.push_back(std::move(region));
  }
  return parts;
}

void Engine::WriteFlushPart(const FlushInputs& in, FlushPart* part) {
  Env& env = *options_.env;
  Status& status = part->status;
  VersionColumn sorted, piece, flushed;
  RollupScratch rollup_scratch;
  std::function<bool(SeriesId)> wanted;
  if (!part->regions.empty()) {
    wanted = [&](SeriesId id) {
      const SeriesInfo* info = series_.Get(id);
      if (info == nullptr) return true;  // reported below
      const std::string_view region = RegionOf(*info);
      return std::find(part->regions.begin(), part->regions.end(), region) != part->regions.end();
    };
  }
  const auto write_column = [&](SeriesId id, const std::string& field,
                                const VersionColumn& column) {
    if (!status.ok()) return;
    const SeriesInfo* info = series_.Get(id);
    if (info == nullptr) {
      status = Status::Internal("flush: unknown series id " + std::to_string(id.value));
      return;
    }
    // A column written in time order is written as the memtable hands it over: not copied,
    // sorted or de-duplicated again.
    const VersionColumn* rows = &column;
    if (!IsPlainAppend(column)) {
      sorted = column;
      SortVersions(&sorted);
      rows = &sorted;
    }
    if (!in.rollups->empty()) {
      status = PutFlushedRollupBuckets(*in.rollups, *in.on_disk, *info, field, *rows,
                                       &rollup_scratch, in.batch);
      if (!status.ok()) return;
    }
    // Rows are in valid-time order, so each UTC day is one contiguous run.
    const auto& valid = rows->valid_ns;
    for (size_t begin = 0; begin < rows->size() && status.ok();) {
      const int64_t day = DayOf(valid[begin]);
      const size_t end = std::partition_point(valid.begin() + begin, valid.end(),
                                              [day](int64_t t) { return DayOf(t) == day; }) -
                         valid.begin();
      const int64_t first_valid = valid[begin];
      const int64_t last_valid = valid[end - 1];
      const bool whole_column = begin == 0 && end == rows->size();
      const size_t piece_begin = begin;
      begin = end;
      // An expired day (the bound is a day start, so the whole piece is on one side of it):
      // invisible already, and writing it would bring back a partition retention dropped.
      if (last_valid < in.oldest_kept_ns) continue;
      status = CollectVersions(*in.on_disk, *info, field, first_valid,
                               last_valid == kNoEndNs ? kNoEndNs : last_valid + 1, kNoEndNs,
                               &flushed);
      if (!status.ok()) return;
      const VersionColumn* out_rows = rows;
      if (!whole_column || !flushed.empty() || rows == &sorted) {
        piece.Clear();
        piece.type = rows->type;
        piece.AppendRows(*rows, piece_begin, end);
        DropRedundantVersions(flushed, &piece);
        out_rows = &piece;
      }
      if (out_rows->empty()) continue;
      PartitionKey key{std::string(RegionOf(*info)), day};
      auto it = part->outputs.find(key);
      if (it == part->outputs.end()) {
        FlushPart::Output out;
        out.file_id = next_file_id_.fetch_add(1);
        status = env.CreateDirs(ChunkDir(key));
        if (!status.ok()) return;
        out.tmp_path = ChunkPath(key, out.file_id) + ".tmp";
        auto writer = chunk::ChunkWriter::Create(env, out.tmp_path, key, codec::Compression::kLz4);
        if (!writer.ok()) {
          status = writer.status();
          return;
        }
        out.writer = std::move(writer).value();
        it = part->outputs.emplace(key, std::move(out)).first;
      }
      status = it->second.writer->AddColumn(id, info->key, field, *out_rows);
    }
  };
  in.frozen->ForEachColumn(write_column, wanted);

  // Finish every file: written and fsynced under a temporary name (renamed into place later).
  for (auto& [key, out] : part->outputs) {
    if (!status.ok()) break;
    auto summary = out.writer->Finish();
    if (!summary.ok()) {
      status = summary.status();
      break;
    }
    ChunkFileMeta meta;
    meta.region = key.region;
    meta.date = key.Date();
    meta.file_id = out.file_id;
    meta.size_bytes = summary->size_bytes;
    meta.points = summary->points;
    meta.min_valid_ns = summary->min_valid_ns;
    meta.max_valid_ns = summary->max_valid_ns;
    meta.min_system_ns = summary->min_system_ns;
    meta.max_system_ns = summary->max_system_ns;
    part->metas.push_back(meta);
  }
}

Status Engine::FlushMemTable(const MemTable& frozen, int64_t checkpoint_ns, bool* committed) {
  Env& env = *options_.env;
  // Held until the files are published: a partition drop cannot slip in between reading the
  // oldest time kept and recording files, so a dropped day is never recreated.
  MutexLock drop_lock(&drop_mu_);
  // Rows already in chunk files decide which memtable rows are new versions: an identical
  // rewrite (a retried batch) must cost nothing on disk. Only this flush changes the file set.
  Snapshot on_disk;
  std::shared_ptr<const std::vector<RollupDef>> rollups;  // fixed while drop_mu_ is held
  {
    MutexLock lock(&mu_);
    on_disk.files = files_;
    rollups = rollups_;
  }
  // One atomic catalog batch: the new files, new series and fields, the checkpoint, and the
  // rollup buckets this memtable touches, rewritten as the new files make them.
  CatalogBatch batch;
  const FlushInputs in{&frozen, &on_disk, rollups.get(), OldestKeptNs(), &batch};
  // Two parts write their regions' files side by side. Writes wait while a flush is behind
  // (BENCHMARKS.md): one flush thread left a core idle through every such wait.
  std::vector<FlushPart> parts = SplitFlush(in);
  if (parts.size() == 2) {
    std::thread helper;
    try {
      helper = std::thread([&] {
        SetCurrentThreadName("strata-flush2");
        WriteFlushPart(in, &parts[1]);
      });
    } catch (const std::system_error&) {
      WriteFlushPart(in, &parts[1]);  // no thread to be had: one after the other
    }
    WriteFlushPart(in, &parts[0]);
    if (helper.joinable()) helper.join();
  } else {
    WriteFlushPart(in, &parts[0]);
  }
  Status status;
  std::vector<ChunkFileMeta> metas;
  for (FlushPart& part : parts) {
    if (status.ok()) status = part.status;
    metas.insert(metas.end(), part.metas.begin(), part.metas.end());
  }
  if (status.ok() && options_.flush_hook) status = options_.flush_hook("after_write");
  for (FlushPart& part : parts) {
    for (auto& [key, out] : part.outputs) {
      if (!status.ok()) break;
      status = env.RenameFile(out.tmp_path, ChunkPath(key, out.file_id));
      if (status.ok()) status = env.SyncDir(ChunkDir(key));
    }
  }
  if (status.ok() && options_.flush_hook) status = options_.flush_hook("after_rename");
  if (!status.ok()) return status;  // leftovers are orphans: removed at the next start

  for (const ChunkFileMeta& meta : metas) batch.AddFile(meta);
  const size_t series_now = series_.size();
  for (uint64_t id = persisted_series_ + 1; id <= series_now; ++id) {
    const SeriesInfo* info = series_.Get(SeriesId{id});
    batch.PutSeries(info->id, info->key, info->measurement, info->tags);
  }
  for (const std::string& measurement : series_.Measurements()) {
    for (const auto& [field, type] : schema_.Fields(measurement)) {
      batch.PutField(measurement, field, type);
    }
  }
  batch.SetCheckpoint(checkpoint_ns);
  batch.SetHighWater(wal_->last_system_time());
  {
    MutexLock commit_lock(&catalog_commit_mu_);
    batch.SetNextFileId(next_file_id_.load());
    STRATA_RETURN_IF_ERROR(catalog_->Commit(batch));
  }
  *committed = true;
  persisted_series_ = series_now;
  if (options_.flush_hook) STRATA_RETURN_IF_ERROR(options_.flush_hook("after_catalog"));

  // Publish the new file set; readers holding the old one keep it alive. It is built from the
  // file set current at the swap, under the lock: a compaction may have replaced files since.
  std::vector<std::pair<PartitionKey, ChunkFile>> opened;
  for (const ChunkFileMeta& meta : metas) {
    PartitionKey key{meta.region, 0};
    ParseDay(meta.date, &key.day);
    STRATA_ASSIGN_OR_RETURN(auto reader, chunk::ChunkReader::Open(env, ChunkPath(key, meta.file_id)));
    opened.emplace_back(key, ChunkFile::Make(env, meta, std::move(reader)));
  }
  MutexLock lock(&mu_);
  auto files = std::make_shared<FileSet>(*files_);
  for (auto& [key, file] : opened) files->partitions[key].push_back(std::move(file));
  files_ = std::move(files);
  checkpoint_ns_ = checkpoint_ns;
  // This flush's catalog batch rewrote rollup rows: cached copies of them are stale from now.
  ++rollup_epoch_;
  return Status::OK();
}

Result<Engine::NewChunkFile> Engine::ReserveChunkFile(const PartitionKey& partition) {
  NewChunkFile file;
  file.file_id = next_file_id_.fetch_add(1);
  file.path = ChunkPath(partition, file.file_id);
  file.tmp_path = file.path + ".tmp";
  STRATA_RETURN_IF_ERROR(options_.env->CreateDirs(ChunkDir(partition)));
  return file;
}

}  // namespace strata::engine
