// Rollups (DESIGN §8): built from the chunk files when created, rewritten bucket by bucket by
// each flush in its own catalog batch, and read together with the memtables' rows so an answer
// from a rollup is exactly the answer from raw data.

#include <algorithm>
#include <cctype>

#include "engine/engine.h"
#include "util/logging.h"

namespace strata::engine {
namespace {

__extension__ typedef __int128 Int128;

// Catalog batches of a rollup's creation are committed every this many rows, so building a
// fine rollup over a large directory does not hold every row in memory at once.
constexpr size_t kRowsPerCreateBatch = 64 * 1024;

// The first bucket start >= t.
int64_t AlignUp(int64_t t, int64_t interval_ns) {
  const int64_t start = RollupBucketStart(t, interval_ns);
  return start == t ? t : RollupBucketEnd(start, interval_ns);
}

bool ValidRollupName(std::string_view name) {
  return !name.empty() && name.size() <= 255 &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '_' || c == '-' || c == '.';
         });
}

}  // namespace

Status Engine::ComputeRollupBuckets(const RollupDef& rollup, const Snapshot& on_disk,
                                    const SeriesInfo& info, const std::string& field,
                                    const VersionColumn* fresh, int64_t lo, int64_t hi,
                                    bool record_empty, RollupScratch* scratch) const {
  VersionColumn& rows = scratch->rows;
  rows.Clear();
  STRATA_RETURN_IF_ERROR(CollectVersions(on_disk, info, field, lo, hi, kNoEndNs, &rows));
  if (fresh != nullptr) {
    if (rows.empty()) rows.type = fresh->type;
    auto first = std::lower_bound(fresh->valid_ns.begin(), fresh->valid_ns.end(), lo);
    for (size_t i = first - fresh->valid_ns.begin();
         i < fresh->size() && BeforeRangeEnd(fresh->valid_ns[i], hi); ++i) {
      rows.AppendRow(*fresh, i);
    }
  }
  VersionColumn& points = scratch->points;
  points.Clear();
  points.type = rows.type;
  ResolveVersionSpans(rows, lo, hi, kNoEndNs, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) points.AppendRow(rows, i);
  });
  const int64_t interval = rollup.interval_ns;
  int64_t next = lo;  // the first bucket not yet recorded
  auto record_empty_until = [&](int64_t until) {
    if (!record_empty) return;
    for (; next != kNoEndNs && BeforeRangeEnd(next, until); next = RollupBucketEnd(next, interval)) {
      scratch->changes[next] = std::nullopt;
    }
  };
  ForEachRollupBucket(points, interval, [&](int64_t start, const RollupBucket& bucket) {
    record_empty_until(start);
    scratch->changes[start] = bucket;
    next = RollupBucketEnd(start, interval);
  });
  record_empty_until(hi);
  return Status::OK();
}

Status Engine::WriteRollupSegments(const RollupDef& rollup, const SeriesInfo& info,
                                   const std::string& field, int64_t before, bool merge,
                                   RollupScratch* scratch, CatalogBatch* batch) const {
  auto& changes = scratch->changes;
  while (!changes.empty()) {
    const int64_t segment = RollupSegmentStart(changes.begin()->first, rollup.interval_ns);
    if (segment >= before) break;
    RollupSegment buckets;
    if (merge) {
      STRATA_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                              catalog_->GetRollupRow(rollup.id, info.id, field, segment));
      if (stored && !ForEachBucketOfSegment(*stored, [&](int64_t start, const RollupBucket& b) {
            buckets[start] = b;
          })) {
        return Status::Corruption("catalog: rollup " + rollup.name + " has a bad row for " +
                                  info.key + " " + field + " at " + std::to_string(segment));
      }
    }
    auto it = changes.begin();
    for (; it != changes.end() &&
           RollupSegmentStart(it->first, rollup.interval_ns) == segment;
         ++it) {
      if (it->second) {
        buckets[it->first] = *it->second;
      } else {
        buckets.erase(it->first);
      }
    }
    changes.erase(changes.begin(), it);
    if (buckets.empty()) {
      if (merge) batch->DeleteRollupRow(rollup.id, info.id, field, segment);
    } else {
      batch->PutRollupRow(rollup.id, info.id, field, segment, EncodeRollupSegment(buckets));
    }
  }
  return Status::OK();
}

Status Engine::PutFlushedRollupBuckets(const std::vector<RollupDef>& rollups,
                                       const Snapshot& on_disk, const SeriesInfo& info,
                                       const std::string& field, const VersionColumn& sorted,
                                       RollupScratch* scratch, CatalogBatch* batch) const {
  if (!RollupKeeps(sorted.type)) return Status::OK();
  for (const RollupDef& rollup : rollups) {
    if (rollup.measurement != info.measurement) continue;
    const int64_t interval = rollup.interval_ns;
    scratch->changes.clear();
    // Runs of adjacent touched buckets, each recomputed from one scan of its range.
    for (size_t i = 0; i < sorted.size();) {
      const int64_t lo = RollupBucketStart(sorted.valid_ns[i], interval);
      int64_t hi = RollupBucketEnd(lo, interval);
      while (i < sorted.size()) {
        if (BeforeRangeEnd(sorted.valid_ns[i], hi)) {
          ++i;
        } else if (RollupBucketStart(sorted.valid_ns[i], interval) == hi) {
          hi = RollupBucketEnd(hi, interval);
        } else {
          break;
        }
      }
      STRATA_RETURN_IF_ERROR(ComputeRollupBuckets(rollup, on_disk, info, field, &sorted, lo, hi,
                                                  /*record_empty=*/true, scratch));
    }
    // Every touched segment at once: several runs may share one.
    STRATA_RETURN_IF_ERROR(WriteRollupSegments(rollup, info, field, kNoEndNs, /*merge=*/true,
                                               scratch, batch));
  }
  return Status::OK();
}

Result<RollupDef> Engine::CreateRollup(std::string_view name, std::string_view measurement,
                                       int64_t interval_ns) {
  if (!ValidRollupName(name)) {
    return Status::InvalidArgument("a rollup name is 1 to 255 letters, digits, '_', '-' or '.'");
  }
  if (measurement.empty()) return Status::InvalidArgument("a rollup needs a measurement");
  if (interval_ns <= 0 || interval_ns > kMaxRollupIntervalNs) {
    return Status::InvalidArgument("a rollup's interval is more than 0 and at most 366d");
  }
  // No flush runs while the rollup is built: the files and the checkpoint stay as read here, and
  // the next flush rewrites the buckets its memtable touches, this rollup's included.
  MutexLock drop_lock(&drop_mu_);
  Snapshot on_disk;
  RollupDef rollup;
  {
    MutexLock lock(&mu_);
    for (const RollupDef& r : *rollups_) {
      if (r.name == name) return Status::InvalidArgument("rollup " + r.name + " already exists");
    }
    on_disk.files = files_;
    rollup.created_system_ns = checkpoint_ns_;
  }
  rollup.id = next_rollup_id_;
  rollup.name = std::string(name);
  rollup.measurement = std::string(measurement);
  rollup.interval_ns = interval_ns;

  auto batch = std::make_unique<CatalogBatch>();
  // Rows left by a create that failed before its last commit. Only then: a range deletion
  // slows every later read of the rows.
  STRATA_ASSIGN_OR_RETURN(const bool leftovers, catalog_->HasRollupRows(rollup.id));
  if (leftovers) batch->DeleteRollupRows(rollup.id);
  RollupScratch scratch;
  for (const SeriesInfo* info : series_.SeriesOf(measurement)) {
    const std::string region(RegionOf(*info));
    for (const auto& [field, type] : schema_.Fields(measurement)) {
      if (!RollupKeeps(type)) continue;
      // Day by day over the region's partitions, each day widened to whole buckets.
      int64_t done = INT64_MIN;  // buckets before it are written
      for (auto it = on_disk.files->partitions.lower_bound(PartitionKey{region, INT64_MIN});
           it != on_disk.files->partitions.end() && it->first.region == region; ++it) {
        const Int128 day_start = static_cast<Int128>(it->first.day) * kNanosPerDay;
        const int64_t first = day_start < INT64_MIN ? INT64_MIN : static_cast<int64_t>(day_start);
        const int64_t last = day_start + kNanosPerDay - 1 > INT64_MAX
                                 ? INT64_MAX
                                 : static_cast<int64_t>(day_start + kNanosPerDay - 1);
        const int64_t lo = std::max(RollupBucketStart(first, interval_ns), done);
        const int64_t hi = RollupBucketEnd(RollupBucketStart(last, interval_ns), interval_ns);
        if (lo != INT64_MIN && !BeforeRangeEnd(lo, hi)) continue;
        STRATA_RETURN_IF_ERROR(ComputeRollupBuckets(rollup, on_disk, *info, field, nullptr, lo,
                                                    hi, /*record_empty=*/false, &scratch));
        // Segments before the one holding hi are complete: later days start at hi or after.
        STRATA_RETURN_IF_ERROR(WriteRollupSegments(
            rollup, *info, field, hi == kNoEndNs ? kNoEndNs : RollupSegmentStart(hi, interval_ns),
            /*merge=*/false, &scratch, batch.get()));
        done = hi;
        if (batch->count() >= kRowsPerCreateBatch) {
          STRATA_RETURN_IF_ERROR(catalog_->Commit(*batch));
          batch = std::make_unique<CatalogBatch>();
        }
        if (hi == kNoEndNs) break;
      }
      STRATA_RETURN_IF_ERROR(WriteRollupSegments(rollup, *info, field, kNoEndNs, /*merge=*/false,
                                                 &scratch, batch.get()));
    }
  }
  // The definition last: until it is committed the rows belong to no rollup.
  batch->PutRollup(rollup);
  batch->SetNextRollupId(rollup.id + 1);
  {
    // A backup (StageBackup) then sees the rollup whole or not at all.
    MutexLock commit_lock(&catalog_commit_mu_);
    STRATA_RETURN_IF_ERROR(catalog_->Commit(*batch));
  }
  next_rollup_id_ = rollup.id + 1;
  // Best effort: the rows are committed either way; only read speed depends on it.
  if (Status compacted = catalog_->CompactRollupRows(rollup.id); !compacted.ok()) {
    STRATA_LOG(kWarn, "rollup {}: compacting its rows failed: {}", rollup.name,
               compacted.ToString());
  }
  MutexLock lock(&mu_);
  auto rollups = std::make_shared<std::vector<RollupDef>>(*rollups_);
  rollups->push_back(rollup);
  std::sort(rollups->begin(), rollups->end(),
            [](const RollupDef& a, const RollupDef& b) { return a.name < b.name; });
  rollups_ = std::move(rollups);
  return rollup;
}

Status Engine::DropRollup(std::string_view name) {
  MutexLock drop_lock(&drop_mu_);
  std::shared_ptr<const std::vector<RollupDef>> before;
  RollupDef dropped;
  {
    MutexLock lock(&mu_);
    before = rollups_;
    auto it = std::find_if(before->begin(), before->end(),
                           [&](const RollupDef& r) { return r.name == name; });
    if (it == before->end()) return Status::NotFound("no rollup named " + std::string(name));
    dropped = *it;
    // Out of the list before its rows go: a statement taking its view from now on reads raw
    // data, and one that took it earlier holds a catalog snapshot that still has the rows.
    auto after = std::make_shared<std::vector<RollupDef>>(*before);
    after->erase(after->begin() + (it - before->begin()));
    rollups_ = std::move(after);
  }
  CatalogBatch batch;
  batch.DeleteRollup(dropped);
  Status status;
  {
    MutexLock commit_lock(&catalog_commit_mu_);
    status = catalog_->Commit(batch);
  }
  if (!status.ok()) {
    // Still in the catalog, and no flush ran meanwhile (drop_mu_): its rows are still exact.
    MutexLock lock(&mu_);
    rollups_ = before;
  }
  return status;
}

std::vector<RollupDef> Engine::Rollups() const {
  MutexLock lock(&mu_);
  return *rollups_;
}

Engine::RollupRead Engine::BeginRollupRead(std::string_view measurement,
                                          ScanContext* context) const {
  if (context->view != nullptr) return {};
  auto view = std::make_shared<ReadView>();
  {
    MutexLock lock(&mu_);
    for (const RollupDef& r : *rollups_) {
      if (r.measurement == measurement) view->rollups.push_back(r);
    }
    if (view->rollups.empty()) return {};
    FillView(view.get());
    // Under mu_, with the view: a flush commits its rollup rows before it swaps its memtable
    // out of the view, so the rows never reflect a commit that is in neither.
    view->catalog = catalog_->NewSnapshot();
  }
  context->view = view;
  return {view->rollups, SystemTime{view->visible_ns}};
}

Result<std::shared_ptr<const RollupCache::Rows>> Engine::CachedRollupRows(
    const RollupDef& rollup, const SeriesInfo& info, std::string_view field, const ReadView& view,
    ScanContext* context) const {
  std::shared_ptr<const RollupCache::Rows> rows =
      rollup_cache_.Find(view.rollup_epoch, rollup.id, info.id, field);
  if (rows == nullptr) {
    auto loaded = std::make_shared<RollupCache::Rows>();
    if (context->rollup_cursor == nullptr) {
      context->rollup_cursor = catalog_->NewRollupCursor(view.catalog);
    }
    Status walked = Catalog::ForEachRollupRow(
        *context->rollup_cursor, rollup.id, info.id, field, INT64_MIN, INT64_MAX,
        [&](int64_t segment, std::string_view value) -> Status {
          const bool decoded =
              ForEachBucketOfSegment(value, [&](int64_t start, const RollupBucket& bucket) {
                loaded->buckets.emplace_back(start, bucket);
              });
          if (!decoded) {
            return Status::Corruption("catalog: rollup " + rollup.name + " has a bad row for " +
                                      info.key + " " + std::string(field) + " at " +
                                      std::to_string(segment));
          }
          // Too many to keep: stop reading; the caller reads its range instead.
          if (loaded->buckets.size() > RollupCache::kMaxBucketsPerEntry) {
            return Status::ResourceExhausted("");
          }
          return Status::OK();
        });
    if (loaded->buckets.size() > RollupCache::kMaxBucketsPerEntry) {
      loaded->buckets.clear();
      loaded->too_many = true;
    } else {
      STRATA_RETURN_IF_ERROR(walked);
    }
    rollup_cache_.Insert(view.rollup_epoch, rollup.id, info.id, field, loaded);
    rows = std::move(loaded);
  } else {
    ++context->rollup_cache_hits;
  }
  if (rows->too_many) return std::shared_ptr<const RollupCache::Rows>();
  return rows;
}

Status Engine::ScanFieldRollup(const RollupDef& rollup, SeriesId series, std::string_view field,
                               int64_t min_ns, int64_t max_ns, SystemTime as_of,
                               FieldScanConsumer& consumer, ScanContext* context) const {
  const std::shared_ptr<const ReadView> view = context->view;
  if (view == nullptr || view->catalog == nullptr ||
      std::none_of(view->rollups.begin(), view->rollups.end(),
                   [&](const RollupDef& r) { return r.id == rollup.id; })) {
    return Status::InvalidArgument("rollup " + rollup.name + " is not in the statement's view");
  }
  const SeriesInfo* info = series_.Get(series);
  if (info == nullptr) return Status::OK();
  auto type = schema_.Lookup(info->measurement, field);
  if (!type.ok()) return Status::OK();
  const int64_t lo = std::max(min_ns, view->oldest_kept_ns);
  if (!RollupKeeps(*type) || info->measurement != rollup.measurement) {
    return ScanFieldBatches(series, field, lo, max_ns, as_of, consumer, context);
  }
  if (lo >= max_ns) return Status::OK();
  const int64_t interval = rollup.interval_ns;
  // Buckets lying wholly inside [lo, max_ns) start in [first, end).
  const int64_t first = lo == INT64_MIN ? INT64_MIN : AlignUp(lo, interval);
  const int64_t end = max_ns == kNoEndNs ? kNoEndNs : RollupBucketStart(max_ns, interval);
  if (first >= end) return ScanFieldBatches(series, field, lo, max_ns, as_of, consumer, context);

  // Buckets with memtable rows (any system time: a row newer than as_of is invisible, but the
  // rollup may already hold it once that memtable is flushed) are read raw.
  VersionColumn memtable_rows;
  for (const auto& memtable : view->memtables) {
    memtable->CollectVersions(info->id, field, first, end, &memtable_rows);
  }
  std::vector<int64_t> dirty;
  dirty.reserve(memtable_rows.size());
  for (int64_t t : memtable_rows.valid_ns) dirty.push_back(RollupBucketStart(t, interval));
  std::sort(dirty.begin(), dirty.end());
  dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());

  // Raw ranges in time order, adjacent ones joined into one scan. Inside [first, end) a bucket
  // with neither a row nor memtable rows has no point (the rows cover the files): no scan.
  int64_t pending_lo = 0, pending_hi = 0;
  bool pending = false;
  auto flush_raw = [&]() -> Status {
    if (!pending) return Status::OK();
    pending = false;
    ++context->rollup_raw_scans;
    return ScanFieldBatches(series, field, pending_lo, pending_hi, as_of, consumer, context);
  };
  auto add_raw = [&](int64_t from, int64_t to) -> Status {
    if (pending && pending_hi == from) {
      pending_hi = to;
      return Status::OK();
    }
    STRATA_RETURN_IF_ERROR(flush_raw());
    pending = true;
    pending_lo = from;
    pending_hi = to;
    return Status::OK();
  };
  size_t next_dirty = 0;
  auto add_dirty_before = [&](int64_t start) -> Status {
    for (; next_dirty < dirty.size() && dirty[next_dirty] < start; ++next_dirty) {
      STRATA_RETURN_IF_ERROR(
          add_raw(dirty[next_dirty], RollupBucketEnd(dirty[next_dirty], interval)));
    }
    return Status::OK();
  };

  if (lo < first) STRATA_RETURN_IF_ERROR(add_raw(lo, first));  // the partial first bucket
  auto take_bucket = [&](int64_t start, const RollupBucket& bucket) -> Status {
    if (start < first || (end != kNoEndNs && start >= end)) return Status::OK();
    STRATA_RETURN_IF_ERROR(add_dirty_before(start));
    const int64_t stop = RollupBucketEnd(start, interval);
    if (next_dirty < dirty.size() && dirty[next_dirty] == start) {
      ++next_dirty;
      return add_raw(start, stop);
    }
    if (!bucket.usable || bucket.type != *type) return add_raw(start, stop);
    STRATA_RETURN_IF_ERROR(flush_raw());
    if (!consumer.TakeBlockStats(*type, bucket.stats)) return add_raw(start, stop);
    ++context->rollup_buckets;
    return Status::OK();
  };
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const RollupCache::Rows> cached,
                          CachedRollupRows(rollup, *info, field, *view, context));
  Status walked;
  if (cached != nullptr) {
    const auto& buckets = cached->buckets;
    auto it = std::lower_bound(buckets.begin(), buckets.end(), first,
                               [](const auto& b, int64_t t) { return b.first < t; });
    for (; it != buckets.end() && (end == kNoEndNs || it->first < end) && walked.ok(); ++it) {
      walked = take_bucket(it->first, it->second);
    }
  } else {
    const int64_t first_segment =
        first == INT64_MIN ? INT64_MIN : RollupSegmentStart(first, interval);
    if (context->rollup_cursor == nullptr) {
      context->rollup_cursor = catalog_->NewRollupCursor(view->catalog);
    }
    walked = Catalog::ForEachRollupRow(
        *context->rollup_cursor, rollup.id, info->id, field, first_segment, end,
        [&](int64_t segment, std::string_view value) -> Status {
          Status taken;
          const bool decoded = ForEachBucketOfSegment(value, [&](int64_t start,
                                                                 const RollupBucket& bucket) {
            if (taken.ok()) taken = take_bucket(start, bucket);
          });
          if (!decoded) {
            return Status::Corruption("catalog: rollup " + rollup.name + " has a bad row for " +
                                      info->key + " " + std::string(field) + " at " +
                                      std::to_string(segment));
          }
          return taken;
        });
  }
  STRATA_RETURN_IF_ERROR(walked);
  STRATA_RETURN_IF_ERROR(add_dirty_before(end));
  if (end < max_ns) STRATA_RETURN_IF_ERROR(add_raw(end, max_ns));  // the partial last bucket
  return flush_raw();
}

}  // namespace strata::engine
