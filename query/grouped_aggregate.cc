#include "query/grouped_aggregate.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "query/aggregate.h"  // Int128
#include "query/fill.h"

namespace strata::query {

int64_t BucketStart(int64_t t, int64_t interval_ns, int64_t offset_ns) {
  // In int64 when nothing overflows (every bucket of a scan goes through here)...
  int64_t shifted64 = 0, start64 = 0;
  if (!__builtin_sub_overflow(t, offset_ns, &shifted64)) {
    int64_t k = shifted64 / interval_ns;
    if (shifted64 % interval_ns < 0) --k;  // floor, not truncation, before the epoch
    if (!__builtin_mul_overflow(k, interval_ns, &start64) &&
        !__builtin_add_overflow(start64, offset_ns, &start64)) {
      return start64;
    }
  }
  // ...else in 128 bits: t - offset and the rounding may leave int64 near its ends.
  const Int128 shifted = static_cast<Int128>(t) - offset_ns;
  Int128 k = shifted / interval_ns;
  if (shifted % interval_ns < 0) --k;  // floor, not truncation, before the epoch
  const Int128 start = k * interval_ns + offset_ns;
  if (start < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(start);
}

Status BucketRange(const TimeRange& range, int64_t interval_ns, int64_t offset_ns, int64_t* first,
                   int64_t* last) {
  if (range.min_ns != INT64_MIN) *first = BucketStart(range.min_ns, interval_ns, offset_ns);
  if (range.max_ns != INT64_MAX) *last = BucketStart(range.max_ns - 1, interval_ns, offset_ns);
  if (*first <= *last &&
      (static_cast<Int128>(*last) - *first) / interval_ns >= kMaxBucketsPerGroup) {
    return Status::InvalidArgument("GROUP BY time(" + std::to_string(interval_ns) +
                                   "ns) makes more than " + std::to_string(kMaxBucketsPerGroup) +
                                   " buckets; use a wider interval or a narrower time range");
  }
  return Status::OK();
}

SeriesGroups GroupSeriesByTags(std::vector<const engine::SeriesInfo*> series,
                               const GroupBy& group_by) {
  SeriesGroups out;
  out.tag_keys = group_by.tags;
  if (group_by.all_tags) {
    for (const engine::SeriesInfo* s : series) {
      for (const auto& [key, value] : s->tags) out.tag_keys.push_back(key);
    }
    std::sort(out.tag_keys.begin(), out.tag_keys.end());
    out.tag_keys.erase(std::unique(out.tag_keys.begin(), out.tag_keys.end()), out.tag_keys.end());
  }
  // Within a group, series in key order: ties in time then never depend on id assignment.
  std::sort(
      series.begin(), series.end(),
      [](const engine::SeriesInfo* a, const engine::SeriesInfo* b) { return a->key < b->key; });
  for (const engine::SeriesInfo* s : series) {
    std::vector<std::string> values;
    for (const std::string& key : out.tag_keys) values.emplace_back(s->TagValue(key));
    out.groups[values].push_back(s);
  }
  return out;
}

namespace {

struct ItemPlan {
  AggregateKind kind;
  engine::FieldType type;
  std::string field;
  double percentile = 50;
};

// One tag group's aggregators: per bucket start (0 without GROUP BY time), one per item. They
// live in their group's arena: GROUP BY time makes a map node and a vector per bucket, and
// allocating and freeing those one by one was a fifth of a one-series query's server time.
using BucketAggregators = std::pmr::vector<Aggregator>;
using Buckets = std::pmr::map<int64_t, BucketAggregators>;

// Feeds one (series, field) scan into a group's buckets for the items on that field.
class BucketConsumer : public engine::FieldScanConsumer {
 public:
  // context (may be null) is charged for new buckets and for values kept for medians.
  BucketConsumer(const std::vector<ItemPlan>& items, const std::vector<size_t>& on_field,
                 int64_t interval_ns, int64_t offset_ns, Buckets* buckets,
                 engine::ScanContext* context)
      : items_(items),
        on_field_(on_field),
        interval_ns_(interval_ns),
        offset_ns_(offset_ns),
        buckets_(buckets),
        context_(context) {
    for (size_t i : on_field_) {
      keeps_values_ +=
          items_[i].kind == AggregateKind::kMedian || items_[i].kind == AggregateKind::kPercentile;
    }
  }

  bool TakeBlockStats(engine::FieldType, const engine::chunk::BlockStats& stats) override {
    const int64_t start = Start(stats.min_valid_ns);
    if (interval_ns_ > 0 && Start(stats.max_valid_ns) != start) return false;
    BucketAggregators& aggs = BucketAt(start);
    for (size_t i : on_field_) {
      if (!aggs[i].CanUseStats(stats)) return false;
    }
    for (size_t i : on_field_) aggs[i].AddStats(stats);
    return true;
  }

  void TakePoints(const engine::PointBatch& batch) override {
    size_t begin = 0;
    while (begin < batch.size) {
      const int64_t start = Start(batch.valid_ns[begin]);
      size_t end = batch.size;
      if (interval_ns_ > 0) {
        // Points come in time order: the bucket's run ends at the first point past it.
        const int64_t bucket_end =
            start > INT64_MAX - interval_ns_ ? INT64_MAX : start + interval_ns_;
        end = static_cast<size_t>(
            std::lower_bound(batch.valid_ns + begin, batch.valid_ns + batch.size, bucket_end) -
            batch.valid_ns);
        if (end == begin) end = batch.size;  // the last bucket reaches int64 max
      }
      BucketAggregators& aggs = BucketAt(start);
      if (context_ != nullptr && keeps_values_ > 0) {
        context_->Charge((end - begin) * keeps_values_ * sizeof(double));
      }
      // min, max and spread of a float column share one pass over the run.
      std::optional<FloatExtremes> extremes;
      for (size_t i : on_field_) {
        if (aggs[i].TakesFloatExtremes()) {
          if (!extremes) extremes = ComputeFloatExtremes(batch.bits + begin, end - begin);
          aggs[i].AddFloatExtremes(*extremes);
          continue;
        }
        aggs[i].AddBatch(batch.valid_ns + begin, batch.bits + begin,
                         batch.strings ? batch.strings + begin : nullptr, end - begin);
      }
      begin = end;
    }
  }

 private:
  int64_t Start(int64_t t) const {
    return interval_ns_ > 0 ? BucketStart(t, interval_ns_, offset_ns_) : 0;
  }
  BucketAggregators& BucketAt(int64_t start) {
    if (cached_ != nullptr && cached_start_ == start) return *cached_;
    // A series' points come in time order, so a new bucket usually goes last: hinting the end
    // makes that insert constant time.
    const size_t before = buckets_->size();
    auto it = buckets_->try_emplace(buckets_->end(), start);
    if (buckets_->size() != before) {
      // A map node, its vector and the aggregators.
      if (context_ != nullptr) context_->Charge(96 + items_.size() * sizeof(Aggregator));
      BucketAggregators& aggs = it->second;
      aggs.reserve(items_.size());
      for (const ItemPlan& item : items_) aggs.emplace_back(item.kind, item.type, item.percentile);
    }
    cached_start_ = start;
    cached_ = &it->second;
    return it->second;
  }

  const std::vector<ItemPlan>& items_;
  const std::vector<size_t>& on_field_;
  const int64_t interval_ns_, offset_ns_;
  Buckets* buckets_;
  engine::ScanContext* context_;
  size_t keeps_values_ = 0;  // items on this field that keep every value
  int64_t cached_start_ = 0;
  BucketAggregators* cached_ = nullptr;
};

struct Group {
  std::vector<std::string> tag_values;
  std::vector<const engine::SeriesInfo*> series;
  // Declared before buckets, so it outlives them. Each group is scanned by one thread at a time.
  std::unique_ptr<std::pmr::monotonic_buffer_resource> arena =
      std::make_unique<std::pmr::monotonic_buffer_resource>(4096);
  Buckets buckets{arena.get()};
  bool points_before_scan = false;  // points before a narrowed scan range (see NarrowedStart)
};

// Whether any point lies in the range: clean blocks answer from their statistics.
class AnyPointConsumer : public engine::FieldScanConsumer {
 public:
  bool TakeBlockStats(engine::FieldType, const engine::chunk::BlockStats& stats) override {
    found |= stats.count > 0;
    return true;
  }
  void TakePoints(const engine::PointBatch& batch) override { found |= batch.size > 0; }
  bool found = false;
};

// ORDER BY time DESC LIMIT n with GROUP BY time, a bounded end and FILL(null) or FILL(<value>)
// (whose empty buckets do not depend on their neighbours): the answer is the n buckets that end
// at the range's last bucket, so only they need reading. Returns their first bucket's start when
// that narrows the scan. Points before it matter only through which buckets and groups have
// rows at all, which ExecuteAggregates asks of cheap AnyPointConsumer scans.
std::optional<int64_t> NarrowedStart(const SelectStatement& statement, const TimeRange& range) {
  const GroupBy& group_by = statement.group_by;
  if (group_by.interval_ns == 0 || !statement.descending || !statement.limit ||
      *statement.limit == 0 || range.max_ns == INT64_MAX ||
      (statement.fill.mode != Fill::Mode::kNull && statement.fill.mode != Fill::Mode::kValue)) {
    return std::nullopt;
  }
  const int64_t last = BucketStart(range.max_ns - 1, group_by.interval_ns, group_by.offset_ns);
  const Int128 start =
      static_cast<Int128>(last) - static_cast<Int128>(*statement.limit - 1) * group_by.interval_ns;
  if (start <= range.min_ns) return std::nullopt;
  return static_cast<int64_t>(start);
}

// Only last() of fields, over whole ranges, without field conditions, as of now: the newest
// point of each (series, field) answers it, and the engine keeps those in its last-value cache
// (DESIGN §7: the "last point per series" dashboard query is not a scan). last() across a
// group's series is then the last of their newest points, fed in the same order as scans feed
// them, so ties between series resolve as they would from raw data.
bool AnsweredByLastValues(const SelectStatement& statement, const WhereClause& where,
                          const std::vector<ItemPlan>& items) {
  if (statement.as_of_ns || statement.group_by.interval_ns != 0 || !where.fields.empty()) {
    return false;
  }
  return std::all_of(items.begin(), items.end(),
                     [](const ItemPlan& item) { return item.kind == AggregateKind::kLast; });
}

// A rollup bucket's statistics give these aggregates exactly (count, sum and mean from count and
// sum; spread from min and max); median, percentile and stddev need every point.
bool RollupAnswers(AggregateKind kind) {
  switch (kind) {
    case AggregateKind::kCount:
    case AggregateKind::kSum:
    case AggregateKind::kMean:
    case AggregateKind::kMin:
    case AggregateKind::kMax:
    case AggregateKind::kFirst:
    case AggregateKind::kLast:
    case AggregateKind::kSpread:
      return true;
    default:
      return false;
  }
}

// Whether the statement may read a rollup at all (DESIGN §8): no AS OF (rollups know no
// history), no field condition (it picks points, not buckets), and only aggregates of numeric
// fields that bucket statistics give.
bool MayReadRollup(const SelectStatement& statement, const WhereClause& where,
                   const std::vector<ItemPlan>& items) {
  if (statement.as_of_ns || !where.fields.empty() || items.empty()) return false;
  return std::all_of(items.begin(), items.end(), [](const ItemPlan& item) {
    return RollupAnswers(item.kind) && engine::RollupKeeps(item.type);
  });
}

// The coarsest rollup whose buckets tile the statement's: GROUP BY time's interval and offset
// are multiples of its interval (any rollup serves a whole-range aggregate).
std::optional<engine::RollupDef> PickRollup(const std::vector<engine::RollupDef>& rollups,
                                            const GroupBy& group_by) {
  std::optional<engine::RollupDef> best;
  for (const engine::RollupDef& r : rollups) {
    if (group_by.interval_ns % r.interval_ns != 0 || group_by.offset_ns % r.interval_ns != 0) {
      continue;
    }
    if (!best || r.interval_ns > best->interval_ns) best = r;
  }
  return best;
}

// Scans order[0] on this thread first (its first scan puts the statement's view into
// *counters, which the helper thread then shares), then order[1, half) on a helper thread while
// this one scans the rest. Each thread may hold half of the memory the statement has left.
template <typename ScanGroup>
Status ScanGroupsOnTwoThreads(const std::vector<Group*>& order, const ScanGroup& scan_group,
                              engine::ScanContext* counters) {
  STRATA_RETURN_IF_ERROR(scan_group(*order[0], counters));
  engine::ScanContext helper;
  helper.view = counters->view;
  helper.deadline = counters->deadline;
  const uint64_t limit = counters->memory_limit_bytes;
  if (limit != 0) {
    const uint64_t left = limit > counters->memory_bytes ? limit - counters->memory_bytes : 0;
    helper.memory_limit_bytes = std::max<uint64_t>(left / 2, 1);
    counters->memory_limit_bytes = std::max<uint64_t>(counters->memory_bytes + left - left / 2, 1);
  }
  const size_t half = 1 + (order.size() - 1) / 2;
  Status helper_status;
  std::thread thread([&] {
    for (size_t i = 1; i < half && helper_status.ok(); ++i) {
      helper_status = scan_group(*order[i], &helper);
    }
  });
  Status own;
  for (size_t i = half; i < order.size() && own.ok(); ++i) own = scan_group(*order[i], counters);
  thread.join();
  const bool over_memory = counters->OverMemory() || helper.OverMemory();
  counters->memory_limit_bytes = limit;
  *counters += helper;
  counters->memory_bytes += helper.memory_bytes;
  if (over_memory) return engine::MemoryExceeded(*counters);  // the statement's figures
  STRATA_RETURN_IF_ERROR(helper_status);
  return own;
}

}  // namespace

Status ExecuteAggregates(const engine::Engine& engine, const SelectStatement& statement,
                         const WhereClause& where, engine::SystemTime as_of, ResultSink& sink,
                         engine::ScanContext* counters) {
  std::vector<ItemPlan> items;
  std::vector<std::string> fields;  // distinct, in first-use order
  for (const SelectItem& item : statement.items) {
    if (item.function.empty()) {
      return ErrorAt(item, "raw field selection is not supported yet; use an aggregate");
    }
    if (item.field == "*") return ErrorAt(item, item.function + "(*) is not supported yet");
    auto kind = ParseAggregateKind(item.function);
    if (!kind.ok()) return ErrorAt(item, kind.status().message());
    ItemPlan plan{*kind, engine::FieldType::kFloat, item.field};
    const size_t expected_args = *kind == AggregateKind::kPercentile ? 1 : 0;
    if (item.args.size() != expected_args) {
      return ErrorAt(
          item, item.function + "() takes " +
                    (expected_args ? "a field and a percentile" : "one argument, the field"));
    }
    if (*kind == AggregateKind::kPercentile) plan.percentile = item.args[0].number;
    auto type = engine.schema().Lookup(statement.measurement, item.field);
    if (type.ok()) plan.type = *type;
    if (Status typed = Aggregator(plan.kind, plan.type).CheckType(item.field); !typed.ok()) {
      return ErrorAt(item, typed.message());
    }
    items.push_back(plan);
    if (std::find(fields.begin(), fields.end(), item.field) == fields.end()) {
      fields.push_back(item.field);
    }
  }
  const GroupBy& group_by = statement.group_by;
  const int64_t interval = group_by.interval_ns;

  SeriesGroups grouping = GroupSeriesByTags(
      where.series.Select(engine.series_index(), statement.measurement), group_by);
  const std::vector<std::string>& tag_keys = grouping.tag_keys;
  std::map<std::vector<std::string>, Group> groups;
  for (auto& [values, members] : grouping.groups) {
    Group& g = groups[values];
    g.tag_values = values;
    g.series = std::move(members);
  }

  std::vector<std::vector<size_t>> items_on_field(fields.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const size_t f = std::find(fields.begin(), fields.end(), items[i].field) - fields.begin();
    items_on_field[f].push_back(i);
  }
  // Not with field conditions: points before the narrowed range might all fail them.
  const std::optional<int64_t> narrowed =
      where.fields.empty() ? NarrowedStart(statement, where.time) : std::nullopt;
  const int64_t scan_min_ns = narrowed ? *narrowed : where.time.min_ns;
  const bool from_last_values = AnsweredByLastValues(statement, where, items);
  // Rollup reads need a context to carry their view; a caller without counters gets a local one.
  engine::ScanContext local_context;
  if (counters == nullptr) counters = &local_context;
  std::optional<engine::RollupDef> rollup;
  if (!from_last_values && MayReadRollup(statement, where, items)) {
    engine::Engine::RollupRead read = engine.BeginRollupRead(statement.measurement, counters);
    rollup = PickRollup(read.rollups, group_by);
    // Raw parts read as of the view's newest commit, which the rollup rows never pass.
    if (!read.rollups.empty()) as_of = read.as_of;
    if (rollup) counters->rollup = rollup->name;
  }
  // One group's scans: its buckets are its own, so groups can be scanned side by side.
  auto scan_group = [&](Group& group, engine::ScanContext* ctx) -> Status {
    for (const engine::SeriesInfo* s : group.series) {
      if (narrowed && !group.points_before_scan) {
        for (size_t f = 0; f < fields.size() && !group.points_before_scan; ++f) {
          AnyPointConsumer before;
          STRATA_RETURN_IF_ERROR(engine.ScanFieldBatches(s->id, fields[f], where.time.min_ns,
                                                         *narrowed, as_of, before, ctx));
          group.points_before_scan = before.found;
        }
      }
      // Field conditions pick rows first; only points at those times are aggregated.
      std::vector<int64_t> matching;
      if (!where.fields.empty()) {
        STRATA_ASSIGN_OR_RETURN(matching,
                                where.fields.MatchingTimes(engine, s->id, where.time.min_ns,
                                                           where.time.max_ns, as_of, ctx));
        if (matching.empty()) continue;
      }
      for (size_t f = 0; f < fields.size(); ++f) {
        BucketConsumer consumer(items, items_on_field[f], interval, group_by.offset_ns,
                                &group.buckets, ctx);
        if (from_last_values) {
          STRATA_ASSIGN_OR_RETURN(std::optional<engine::LastPoint> last,
                                  engine.LastPointOf(s->id, fields[f], ctx));
          if (!last || last->valid_ns < where.time.min_ns) continue;  // nothing in range
          if (engine::BeforeRangeEnd(last->valid_ns, where.time.max_ns)) {
            consumer.TakePoints(engine::PointBatch{last->type, &last->valid_ns, &last->bits,
                                                   &last->str, 1});
            continue;
          }
          // The newest point lies past the range: the range's last one needs a scan.
        }
        TimeFilteringConsumer filtered(matching, consumer);
        engine::FieldScanConsumer& sink_for_scan =
            where.fields.empty() ? static_cast<engine::FieldScanConsumer&>(consumer) : filtered;
        if (rollup) {
          STRATA_RETURN_IF_ERROR(engine.ScanFieldRollup(*rollup, s->id, fields[f], scan_min_ns,
                                                        where.time.max_ns, as_of, consumer,
                                                        ctx));
        } else {
          STRATA_RETURN_IF_ERROR(engine.ScanFieldBatches(s->id, fields[f], scan_min_ns,
                                                         where.time.max_ns, as_of,
                                                         sink_for_scan, ctx));
        }
        if (ctx->OverMemory()) {
          return engine::MemoryExceeded(*ctx);
        }
      }
    }
    return Status::OK();
  };
  if (where.time.min_ns < where.time.max_ns) {
    std::vector<Group*> order;
    size_t scans = 0;
    for (auto& [key, group] : groups) {
      order.push_back(&group);
      scans += group.series.size() * fields.size();
    }
    // Decoding blocks is the cost of a statement over many series: a statement with many
    // groups scans half of them on a second thread. Rollup and last-value reads share state
    // through the context, and field conditions are rare there: those stay on one thread.
    constexpr size_t kMinScansForTwoThreads = 64;
    if (rollup || from_last_values || !where.fields.empty() || order.size() < 3 ||
        scans < kMinScansForTwoThreads) {
      for (Group* group : order) STRATA_RETURN_IF_ERROR(scan_group(*group, counters));
    } else {
      STRATA_RETURN_IF_ERROR(ScanGroupsOnTwoThreads(order, scan_group, counters));
    }
  }

  std::vector<std::string> columns;
  if (interval > 0) columns.push_back("time");
  columns.insert(columns.end(), tag_keys.begin(), tag_keys.end());
  for (const SelectItem& item : statement.items) columns.push_back(item.column_name);
  STRATA_RETURN_IF_ERROR(sink.Header(columns));

  // The bucket range: the WHERE range's buckets, or from the first to the last non-empty one.
  int64_t first_bucket = INT64_MAX, last_bucket = INT64_MIN;
  for (const auto& [key, group] : groups) {
    // Points before a narrowed scan put the first non-empty bucket before it: the answer's
    // buckets then reach down to the narrowed start, as LIMIT allows.
    if (group.points_before_scan) first_bucket = std::min(first_bucket, *narrowed);
    if (group.buckets.empty()) continue;
    first_bucket = std::min(first_bucket, group.buckets.begin()->first);
    last_bucket = std::max(last_bucket, group.buckets.rbegin()->first);
  }
  if (interval > 0) {
    STRATA_RETURN_IF_ERROR(
        BucketRange(where.time, interval, group_by.offset_ns, &first_bucket, &last_bucket));
  }

  // Reused: assigning into its strings keeps their memory, where a fresh row allocated a time
  // text and a copy of every long cell for each bucket.
  std::vector<std::string> row(columns.size());
  for (const auto& [key, group] : groups) {
    // A group without points has no rows.
    if (group.buckets.empty() && !group.points_before_scan) continue;
    std::vector<int64_t> starts;
    std::vector<bool> present;
    std::vector<std::vector<std::string>> cells;
    // A group's rows are built whole (FILL looks at neighbours): every 4096 buckets, charge
    // them to the statement's memory and check its deadline, so a wide GROUP BY time over a long
    // range ends with a clear error instead of running on.
    constexpr size_t kCheckEvery = 4096;
    const uint64_t bytes_per_bucket =
        sizeof(int64_t) + sizeof(std::vector<std::string>) + items.size() * sizeof(std::string) + 1;
    uint64_t charged = 0;
    auto add_bucket = [&](int64_t start, const BucketAggregators* aggs) -> Status {
      if (counters != nullptr && starts.size() % kCheckEvery == kCheckEvery - 1) {
        counters->Charge(kCheckEvery * bytes_per_bucket);
        charged += kCheckEvery * bytes_per_bucket;
        if (counters->OverMemory()) return engine::MemoryExceeded(*counters);
        if (std::chrono::steady_clock::now() > counters->deadline) {
          return Status::ResourceExhausted("query timed out");
        }
      }
      starts.push_back(start);
      present.push_back(aggs != nullptr);
      cells.emplace_back(items.size());
      if (aggs == nullptr) return Status::OK();
      for (size_t i = 0; i < items.size(); ++i) {
        STRATA_ASSIGN_OR_RETURN(cells.back()[i], (*aggs)[i].Finish());
      }
      return Status::OK();
    };
    if (interval == 0) {
      STRATA_RETURN_IF_ERROR(add_bucket(0, &group.buckets.begin()->second));
    } else if (first_bucket <= last_bucket) {
      for (Int128 start = first_bucket; start <= last_bucket; start += interval) {
        auto it = group.buckets.find(static_cast<int64_t>(start));
        STRATA_RETURN_IF_ERROR(add_bucket(static_cast<int64_t>(start),
                                          it == group.buckets.end() ? nullptr : &it->second));
      }
    }
    ApplyFill(statement.fill, starts, present, &cells);

    uint64_t emitted = 0;
    for (size_t k = 0; k < starts.size(); ++k) {
      const size_t b = statement.descending ? starts.size() - 1 - k : k;
      if (!present[b] && statement.fill.mode == Fill::Mode::kNone) continue;
      if (statement.limit && emitted >= *statement.limit) break;
      size_t column = 0;
      if (interval > 0) {
        char time_text[kMaxTimeTextBytes];
        row[column++].assign(time_text, FormatTimeTo(starts[b], time_text));
      }
      for (const std::string& value : group.tag_values) row[column++] = value;
      for (const std::string& cell : cells[b]) row[column++] = cell;
      STRATA_RETURN_IF_ERROR(sink.Row(row));
      ++emitted;
    }
    if (counters != nullptr) counters->Release(charged);
  }
  return Status::OK();
}

}  // namespace strata::query
