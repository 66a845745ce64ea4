// Reads: one scan gathers the version rows of a (series, field) from the chunk files of the
// partitions a range touches and from the memtables, then resolves versions.

#include <algorithm>

#include "engine/engine.h"

namespace strata::engine {

void Engine::FillView(ReadView* view) const {
  view->files = files_;
  view->oldest_kept_ns = OldestKeptNs();
  view->memtables = immutables_;
  view->memtables.push_back(active_);
  view->visible_ns = visible_upto_ns_;
  view->rollup_epoch = rollup_epoch_;
}

Engine::Snapshot Engine::GetSnapshot() const {
  Snapshot snapshot;
  MutexLock lock(&mu_);
  FillView(&snapshot);
  return snapshot;
}

std::vector<ChunkFileMeta> Engine::ChunkFiles() const {
  std::shared_ptr<const FileSet> files;
  {
    MutexLock lock(&mu_);
    files = files_;
  }
  std::vector<ChunkFileMeta> out;
  for (const auto& [partition, chunk_files] : files->partitions) {
    for (const ChunkFile& file : chunk_files) out.push_back(file.meta);
  }
  return out;
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
  const SeriesInfo* info = series_.Get(series);
  if (info == nullptr) return Status::OK();
  const Snapshot snapshot = GetSnapshot();
  min_ns = std::max(min_ns, snapshot.oldest_kept_ns);  // expired days are invisible, whole
  if (min_ns >= max_ns) return Status::OK();
  VersionColumn rows;
  STRATA_RETURN_IF_ERROR(CollectVersions(snapshot, *info, field, min_ns, max_ns, as_of.ns, &rows));
  ResolveVersions(rows, min_ns, max_ns, as_of.ns, visit);
  return Status::OK();
}

Status Engine::ScanFieldVersions(SeriesId series, std::string_view field, int64_t min_ns,
                                 int64_t max_ns, SystemTime as_of,
                                 const std::function<void(const VersionView&)>& visit) const {
  const SeriesInfo* info = series_.Get(series);
  if (info == nullptr) return Status::OK();
  const Snapshot snapshot = GetSnapshot();
  min_ns = std::max(min_ns, snapshot.oldest_kept_ns);  // expired days are invisible, whole
  if (min_ns >= max_ns) return Status::OK();
  VersionColumn rows;
  STRATA_RETURN_IF_ERROR(CollectVersions(snapshot, *info, field, min_ns, max_ns, as_of.ns, &rows));
  ForEachVersion(rows, min_ns, max_ns, as_of.ns, visit);
  return Status::OK();
}

namespace {

// One source of version rows for a batch scan: a chunk block, or the memtables' rows.
struct ScanSource {
  int64_t min_valid_ns = 0, max_valid_ns = 0;
  const chunk::ChunkReader* reader = nullptr;  // null: the memtable rows
  const chunk::SeriesEntry* series = nullptr;
  const chunk::FieldEntry* field = nullptr;
  size_t block = 0;
};

void EmitRows(const VersionColumn& rows, size_t begin, size_t end, FieldScanConsumer& consumer) {
  if (begin >= end) return;
  PointBatch batch;
  batch.type = rows.type;
  batch.valid_ns = rows.valid_ns.data() + begin;
  batch.bits = rows.bits.data() + begin;
  batch.strings = rows.type == FieldType::kString ? rows.strings.data() + begin : nullptr;
  batch.size = end - begin;
  consumer.TakePoints(batch);
}

// Whether rows (in range already) hold one version per point, every one live and visible as of
// as_of_ns: valid times strictly increasing, no tombstone, no system time after as_of_ns. Then
// they are the answer as they are, with nothing to resolve.
bool OneVisibleVersionPerPoint(const VersionColumn& rows, int64_t as_of_ns) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows.tombstone[i] != 0 || rows.system_ns[i] > as_of_ns) return false;
    if (i > 0 && rows.valid_ns[i] <= rows.valid_ns[i - 1]) return false;
  }
  return true;
}

}  // namespace

Status MemoryExceeded(const ScanContext& context) {
  auto size = [](uint64_t bytes) {
    return bytes >= (uint64_t{1} << 20) ? std::to_string(bytes >> 20) + " MiB"
                                        : std::to_string(bytes) + " bytes";
  };
  return Status::ResourceExhausted("query memory limit exceeded: it holds " +
                                   size(context.memory_bytes) + ", the limit is " +
                                   size(context.memory_limit_bytes) +
                                   " (stratad --query-memory)");
}

Status Engine::ScanFieldBatches(SeriesId series, std::string_view field, int64_t min_ns,
                                int64_t max_ns, SystemTime as_of, FieldScanConsumer& consumer,
                                ScanContext* counters) const {
  ScanContext local;
  ScanContext& count = counters != nullptr ? *counters : local;
  const SeriesInfo* info = series_.Get(series);
  if (info == nullptr) return Status::OK();
  auto type = schema_.Lookup(info->measurement, field);
  if (!type.ok()) return Status::OK();
  // One view for the whole statement (see ScanContext::view); a lone scan takes its own.
  std::shared_ptr<const ReadView> view = count.view;
  if (view == nullptr) {
    view = std::make_shared<const ReadView>(GetSnapshot());
    if (counters != nullptr) counters->view = view;
  }
  const ReadView& snapshot = *view;
  min_ns = std::max(min_ns, snapshot.oldest_kept_ns);  // expired days are invisible, whole
  if (min_ns >= max_ns) return Status::OK();
  auto outside = [&](int64_t lo, int64_t hi, int64_t min_system) {
    return hi < min_ns || !BeforeRangeEnd(lo, max_ns) || min_system > as_of.ns;
  };

  // Every block of the range (files in flush order, so older versions come first), and the
  // memtables' rows as one more source.
  std::vector<ScanSource> sources;
  const std::string region(RegionOf(*info));
  const PartitionKey first{region, DayOf(min_ns)};
  const PartitionKey last{region, max_ns == kNoEndNs ? DayOf(max_ns) : DayOf(max_ns - 1)};
  ++count.scans;
  uint64_t partitions_opened = 0;
  for (auto it = snapshot.files->partitions.lower_bound(first);
       it != snapshot.files->partitions.end() && !(last < it->first); ++it) {
    ++partitions_opened;
    for (const ChunkFile& file : it->second) {
      if (outside(file.meta.min_valid_ns, file.meta.max_valid_ns, file.meta.min_system_ns)) {
        ++count.files_pruned;
        continue;
      }
      const chunk::FieldEntry* entry = file.reader->Find(info->id, field);
      if (entry == nullptr || entry->type != *type) continue;
      ++count.files_read;
      const chunk::SeriesEntry* series_entry = file.reader->FindSeries(info->id);
      for (size_t b = 0; b < entry->blocks.size(); ++b) {
        const chunk::BlockStats& stats = entry->blocks[b].stats;
        if (outside(stats.min_valid_ns, stats.max_valid_ns, stats.min_system_ns)) {
          ++count.blocks_skipped;
          continue;
        }
        sources.push_back(
            {stats.min_valid_ns, stats.max_valid_ns, file.reader.get(), series_entry, entry, b});
      }
    }
  }
  // The ordered map is searched only from (region, first day) to (region, last day): every
  // other partition of the file set is pruned without being looked at.
  count.partitions_read += partitions_opened;
  count.partitions_pruned += snapshot.files->partitions.size() - partitions_opened;
  VersionColumn memtable_rows;
  memtable_rows.type = *type;
  for (const auto& memtable : snapshot.memtables) {
    memtable->CollectVersions(info->id, field, min_ns, max_ns, &memtable_rows);
  }
  count.memtable_rows += memtable_rows.size();
  if (!memtable_rows.empty()) {
    const auto [lo, hi] =
        std::minmax_element(memtable_rows.valid_ns.begin(), memtable_rows.valid_ns.end());
    sources.push_back({*lo, *hi, nullptr, nullptr, nullptr, 0});
  }
  // By start; equal starts keep source order, so rows still arrive oldest source first.
  std::stable_sort(sources.begin(), sources.end(), [](const ScanSource& a, const ScanSource& b) {
    return a.min_valid_ns < b.min_valid_ns;
  });

  // Sources whose valid-time ranges overlap form one group, resolved together; groups are
  // disjoint and in order, so the points come out in valid-time order.
  VersionColumn rows;
  const bool timed = count.deadline != std::chrono::steady_clock::time_point::max();
  for (size_t begin = 0; begin < sources.size();) {
    if (timed && std::chrono::steady_clock::now() > count.deadline) {
      return Status::ResourceExhausted("query timed out");
    }
    if (count.OverMemory()) return MemoryExceeded(count);
    size_t end = begin + 1;
    int64_t group_max = sources[begin].max_valid_ns;
    while (end < sources.size() && sources[end].min_valid_ns <= group_max) {
      group_max = std::max(group_max, sources[end].max_valid_ns);
      ++end;
    }
    const ScanSource& only = sources[begin];
    if (end == begin + 1 && only.reader != nullptr) {
      const chunk::BlockStats& stats = only.field->blocks[only.block].stats;
      const bool clean = (stats.flags & (chunk::BlockStats::kMultipleVersions |
                                         chunk::BlockStats::kHasTombstones)) == 0 &&
                         stats.max_system_ns <= as_of.ns;
      const bool inside =
          stats.min_valid_ns >= min_ns && BeforeRangeEnd(stats.max_valid_ns, max_ns);
      if (clean && inside && consumer.TakeBlockStats(*type, stats)) {
        ++count.blocks_from_stats;
        begin = end;
        continue;
      }
      rows.Clear();
      rows.type = *type;
      STRATA_RETURN_IF_ERROR(only.reader->ReadBlock(*only.series, *only.field, only.block, &rows));
      ++count.blocks_decoded;
      if (clean) {
        // One version per point, all visible: the rows in range are the answer as they are.
        const auto lo = std::lower_bound(rows.valid_ns.begin(), rows.valid_ns.end(), min_ns);
        auto hi = rows.valid_ns.end();
        if (max_ns != kNoEndNs) hi = std::lower_bound(lo, rows.valid_ns.end(), max_ns);
        EmitRows(rows, lo - rows.valid_ns.begin(), hi - rows.valid_ns.begin(), consumer);
        begin = end;
        continue;
      }
    } else if (end == begin + 1 && OneVisibleVersionPerPoint(memtable_rows, as_of.ns)) {
      // The memtables' rows alone, as a load leaves them: emitted without being copied again
      // and resolved (a count over 100 M unflushed points took seconds that way).
      EmitRows(memtable_rows, 0, memtable_rows.size(), consumer);
      begin = end;
      continue;
    } else {
      rows.Clear();
      rows.type = *type;
      for (size_t i = begin; i < end; ++i) {
        const ScanSource& s = sources[i];
        if (s.reader == nullptr) continue;  // memtable rows go last: they are the newest
        STRATA_RETURN_IF_ERROR(s.reader->ReadBlock(*s.series, *s.field, s.block, &rows));
        ++count.blocks_decoded;
      }
      for (size_t i = begin; i < end; ++i) {
        if (sources[i].reader != nullptr) continue;
        for (size_t r = 0; r < memtable_rows.size(); ++r) rows.AppendRow(memtable_rows, r);
      }
    }
    ResolveVersionSpans(rows, min_ns, max_ns, as_of.ns, [&](size_t span_begin, size_t span_end) {
      EmitRows(rows, span_begin, span_end, consumer);
    });
    begin = end;
  }
  return Status::OK();
}

Result<std::optional<LastPoint>> Engine::LastPointOf(SeriesId series, std::string_view field,
                                                     ScanContext* context) const {
  if (auto cached = last_values_.Get(series, field)) {
    if (context != nullptr) ++context->last_value_hits;
    // The newest point has expired (retention): so has every other point of the field.
    if (*cached && (*cached)->valid_ns < OldestKeptNs()) return std::optional<LastPoint>();
    return *cached;
  }
  const LastValueCache::FillTicket ticket = last_values_.BeginFill(series);
  // The fill scans as of the ticket's time, which may be newer than the statement's view (a
  // memtable swapped in since then holds commits up to it): it reads a view of its own, taken
  // now, after BeginFill.
  ScanContext fill;
  if (context != nullptr) fill.deadline = context->deadline;
  EdgePointConsumer newest(/*latest=*/true);
  Status scanned = ScanFieldBatches(series, field, INT64_MIN, kNoEndNs,
                                    SystemTime{ticket.system_time_ns}, newest, &fill);
  std::optional<LastPoint> point;
  if (newest.found) point = LastPoint{newest.time, newest.type, newest.bits, newest.text};
  if (scanned.ok()) last_values_.Install(ticket, field, point);
  last_values_.EndFill(ticket);
  STRATA_RETURN_IF_ERROR(scanned);
  if (context != nullptr) {
    *context += fill;
    ++context->last_value_fills;
  }
  return point;
}

}  // namespace strata::engine
