// Reads: one scan merges the chunk files of the partitions a range touches with the memtables,
// then resolves versions.

#include "engine/engine.h"

namespace strata::engine {

Engine::Snapshot Engine::GetSnapshot() const {
  Snapshot snapshot;
  MutexLock lock(&mu_);
  snapshot.files = files_;
  snapshot.memtables = immutables_;
  snapshot.memtables.push_back(active_);
  return snapshot;
}

Status Engine::ScanField(SeriesId series, std::string_view field, int64_t min_ns, int64_t max_ns,
                         SystemTime as_of, const PointVisitor& visit) const {
  if (min_ns >= max_ns) return Status::OK();
  const SeriesInfo* info = series_.Get(series);
  if (info == nullptr) return Status::OK();
  const Snapshot snapshot = GetSnapshot();

  VersionColumn merged;
  auto type = schema_.Lookup(info->measurement, field);
  if (!type.ok()) return Status::OK();  // the field was never written
  merged.type = *type;

  // Only this series' region, and only the days the range touches.
  const std::string region(RegionOf(*info));
  const PartitionKey first{region, DayOf(min_ns)};
  const PartitionKey last{region, DayOf(max_ns - 1)};
  for (auto it = snapshot.files->partitions.lower_bound(first);
       it != snapshot.files->partitions.end() && !(last < it->first); ++it) {
    for (const ChunkFile& file : it->second) {
      if (file.meta.max_valid_ns < min_ns || file.meta.min_valid_ns >= max_ns ||
          file.meta.min_system_ns > as_of.ns) {
        continue;
      }
      const chunk::ChunkReader& reader = *file.reader;
      const chunk::SeriesEntry* series_entry = reader.FindSeries(series);
      const chunk::FieldEntry* entry = reader.Find(series, field);
      if (entry == nullptr || entry->type != merged.type) continue;
      for (size_t b = 0; b < entry->blocks.size(); ++b) {
        const chunk::BlockStats& stats = entry->blocks[b].stats;
        // Skip blocks outside the range, or recorded entirely after as_of.
        if (stats.max_valid_ns < min_ns || stats.min_valid_ns >= max_ns ||
            stats.min_system_ns > as_of.ns) {
          continue;
        }
        STRATA_RETURN_IF_ERROR(reader.ReadBlock(*series_entry, *entry, b, &merged));
      }
    }
  }
  for (const auto& memtable : snapshot.memtables) {
    memtable->CollectVersions(series, field, min_ns, max_ns, &merged);
  }
  ResolveVersions(merged, min_ns, max_ns, as_of.ns, visit);
  return Status::OK();
}

}  // namespace strata::engine
