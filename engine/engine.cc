#include "engine/engine.h"

#include <algorithm>
#include <utility>

#include "util/logging.h"
#include "util/thread_name.h"

namespace strata::engine {

Engine::Engine(const EngineOptions& options) : options_(options) {}

Engine::~Engine() {
  Close().IgnoreError();  // the owner that cares calls Close() itself and checks it
}

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("no data directory given");
  static_assert(MemTable::kMaxBudgetBytes == uint64_t{16} << 30, "the message names it");
  if (options.memtable_budget_bytes > MemTable::kMaxBudgetBytes) {
    return Status::InvalidArgument("memtable budget of " +
                                   std::to_string(options.memtable_budget_bytes) +
                                   " bytes is above the limit of 16GiB");
  }
  std::unique_ptr<Engine> engine(new Engine(options));
  Env& env = *options.env;
  STRATA_RETURN_IF_ERROR(env.CreateDirs(options.data_dir));
  STRATA_ASSIGN_OR_RETURN(engine->lock_, env.LockFile(JoinPath(options.data_dir, "LOCK")));
  // Left by a backup that did not finish (StageBackup): links only, never data.
  STRATA_RETURN_IF_ERROR(RemoveTree(env, engine->BackupStagingRoot()));
  STRATA_RETURN_IF_ERROR(engine->Recover());
  engine->flush_thread_ = std::thread([e = engine.get()] {
    SetCurrentThreadName("strata-flush");
    e->FlushLoop();
  });
  return engine;
}

std::string_view Engine::RegionOf(const SeriesInfo& series) const {
  std::string_view region = series.TagValue(partition_tag_);
  return region.empty() ? kNoRegion : region;
}

EngineStats Engine::Stats() const {
  EngineStats stats;
  stats.series = series_.size();
  MutexLock lock(&mu_);
  stats.memtable_points = active_->points();
  stats.memtable_bytes = active_->MemoryBytes();
  for (const auto& m : immutables_) {
    stats.memtable_points += m->points();
    stats.memtable_bytes += m->MemoryBytes();
  }
  stats.immutable_memtables = immutables_.size();
  stats.commits = commits_;
  stats.last_system_time_ns = visible_upto_ns_;
  stats.recovered_records = recovered_records_;
  stats.recovered_truncated_bytes = recovered_truncated_bytes_;
  stats.flushes = flushes_;
  stats.write_stalls = write_stalls_;
  stats.write_stall_ns = write_stall_ns_;
  stats.checkpoint_ns = checkpoint_ns_;
  stats.retention_ns = options_.retention.count();
  stats.oldest_kept_ns = OldestKeptNs();
  stats.partitions_dropped = partitions_dropped_;
  stats.files_dropped = files_dropped_;
  stats.bytes_dropped = bytes_dropped_;
  stats.rollups = rollups_->size();
  stats.rollup_system_time_ns = checkpoint_ns_;
  stats.partitions = files_->partitions.size();
  for (const auto& [key, files] : files_->partitions) {
    stats.chunk_files += files.size();
    stats.max_files_per_partition = std::max<uint64_t>(stats.max_files_per_partition, files.size());
    for (const ChunkFile& f : files) {
      stats.chunk_bytes += f.meta.size_bytes;
      stats.chunk_versions += f.meta.points;
    }
  }
  return stats;
}

Status Engine::Close() {
  {
    MutexLock lock(&mu_);
    if (closed_) return Status::OK();
    closed_ = true;
    stopping_ = true;
    flush_cv_.SignalAll();
  }
  if (flush_thread_.joinable()) flush_thread_.join();
  return wal_ ? wal_->Close() : Status::OK();
}

}  // namespace strata::engine
