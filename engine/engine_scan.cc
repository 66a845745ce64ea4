// Reads: one scan gathers the version rows of a (series, field) from the chunk files of the
// partitions a range touches and from the memtables, then resolves versions.

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

Status Engine::CollectVersions(const Snapshot& snapshot, const SeriesInfo& info,
                               std::string_view field, int64_t min_ns, int64_t max_ns,
                               int64_t as_of_ns, VersionColumn* out) const {
  auto type = schema_.Lookup(info.measurement, field);
  if (!type.ok()) return Status::OK();  // the field was never written
  out->Clear();
  out->type = *type;

  // Only this series' region, and only the days the range touches. Files come in flush order,
  // so the rows arrive as one sorted run per file, oldest first.
  const std::string region(RegionOf(info));
  const PartitionKey first{region, DayOf(min_ns)};
  const PartitionKey last{region, max_ns == kNoEndNs ? DayOf(max_ns) : DayOf(max_ns - 1)};
  auto outside = [&](int64_t lo, int64_t hi, int64_t min_system) {
    return hi < min_ns || !BeforeRangeEnd(lo, max_ns) || min_system > as_of_ns;
  };
  for (auto it = snapshot.files->partitions.lower_bound(first);
       it != snapshot.files->partitions.end() && !(last < it->first); ++it) {
    for (const ChunkFile& file : it->second) {
      if (outside(file.meta.min_valid_ns, file.meta.max_valid_ns, file.meta.min_system_ns)) {
        continue;
      }
      const chunk::ChunkReader& reader = *file.reader;
      const chunk::SeriesEntry* series_entry = reader.FindSeries(info.id);
      const chunk::FieldEntry* entry = reader.Find(info.id, field);
      if (entry == nullptr || entry->type != out->type) continue;
      for (size_t b = 0; b < entry->blocks.size(); ++b) {
        const chunk::BlockStats& stats = entry->blocks[b].stats;
        if (outside(stats.min_valid_ns, stats.max_valid_ns, stats.min_system_ns)) continue;
        STRATA_RETURN_IF_ERROR(reader.ReadBlock(*series_entry, *entry, b, out));
      }
    }
  }
  for (const auto& memtable : snapshot.memtables) {
    memtable->CollectVersions(info.id, field, min_ns, max_ns, out);
  }
  return Status::OK();
}

Status Engine::ScanField(SeriesId series, std::string_view field, int64_t min_ns, int64_t max_ns,
                         SystemTime as_of, const PointVisitor& visit) const {
  if (min_ns >= max_ns) return Status::OK();
  const SeriesInfo* info = series_.Get(series);
  if (info == nullptr) return Status::OK();
  VersionColumn rows;
  STRATA_RETURN_IF_ERROR(
      CollectVersions(GetSnapshot(), *info, field, min_ns, max_ns, as_of.ns, &rows));
  ResolveVersions(rows, min_ns, max_ns, as_of.ns, visit);
  return Status::OK();
}

Status Engine::ScanFieldVersions(SeriesId series, std::string_view field, int64_t min_ns,
                                 int64_t max_ns, SystemTime as_of,
                                 const std::function<void(const VersionView&)>& visit) const {
  if (min_ns >= max_ns) return Status::OK();
  const SeriesInfo* info = series_.Get(series);
  if (info == nullptr) return Status::OK();
  VersionColumn rows;
  STRATA_RETURN_IF_ERROR(
      CollectVersions(GetSnapshot(), *info, field, min_ns, max_ns, as_of.ns, &rows));
  ForEachVersion(rows, min_ns, max_ns, as_of.ns, visit);
  return Status::OK();
}

}  // namespace strata::engine
