#include "query/grouped_aggregate.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "query/aggregate.h"  // Int128

namespace strata::query {

int64_t BucketStart(int64_t t, int64_t interval_ns, int64_t offset_ns) {
  // 128-bit arithmetic: t - offset and the rounding may leave int64 near its ends.
  const Int128 shifted = static_cast<Int128>(t) - offset_ns;
  Int128 k = shifted / interval_ns;
  if (shifted % interval_ns < 0) --k;  // floor, not truncation, before the epoch
  const Int128 start = k * interval_ns + offset_ns;
  if (start < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(start);
}

namespace {

Status ItemError(const SelectItem& item, const std::string& what) {
  return Status::InvalidArgument(std::to_string(item.line) + ":" + std::to_string(item.column) +
                                 " " + what);
}

struct ItemPlan {
  AggregateKind kind;
  engine::FieldType type;
  std::string field;
  double percentile = 50;
};

// One tag group's aggregators: per bucket start (0 without GROUP BY time), one per item.
using Buckets = std::map<int64_t, std::vector<Aggregator>>;

// Feeds one (series, field) scan into a group's buckets for the items on that field.
class BucketConsumer : public engine::FieldScanConsumer {
 public:
  BucketConsumer(const std::vector<ItemPlan>& items, const std::vector<size_t>& on_field,
                 int64_t interval_ns, int64_t offset_ns, Buckets* buckets)
      : items_(items), on_field_(on_field), interval_ns_(interval_ns), offset_ns_(offset_ns),
        buckets_(buckets) {}

  bool TakeBlockStats(engine::FieldType, const engine::chunk::BlockStats& stats) override {
    const int64_t start = Start(stats.min_valid_ns);
    if (interval_ns_ > 0 && Start(stats.max_valid_ns) != start) return false;
    std::vector<Aggregator>& aggs = BucketAt(start);
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
        end = static_cast<size_t>(std::lower_bound(batch.valid_ns + begin,
                                                   batch.valid_ns + batch.size, bucket_end) -
                                  batch.valid_ns);
        if (end == begin) end = batch.size;  // the last bucket reaches int64 max
      }
      std::vector<Aggregator>& aggs = BucketAt(start);
      for (size_t i : on_field_) {
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
  std::vector<Aggregator>& BucketAt(int64_t start) {
    if (cached_ != nullptr && cached_start_ == start) return *cached_;
    auto it = buckets_->find(start);
    if (it == buckets_->end()) {
      std::vector<Aggregator> aggs;
      aggs.reserve(items_.size());
      for (const ItemPlan& item : items_) aggs.emplace_back(item.kind, item.type, item.percentile);
      it = buckets_->emplace(start, std::move(aggs)).first;
    }
    cached_start_ = start;
    cached_ = &it->second;
    return it->second;
  }

  const std::vector<ItemPlan>& items_;
  const std::vector<size_t>& on_field_;
  const int64_t interval_ns_, offset_ns_;
  Buckets* buckets_;
  int64_t cached_start_ = 0;
  std::vector<Aggregator>* cached_ = nullptr;
};

struct Group {
  std::vector<std::string> tag_values;
  std::vector<const engine::SeriesInfo*> series;
  Buckets buckets;
};

// Fills the cells of buckets without points (present[b] false) per the FILL mode.
void ApplyFill(const Fill& fill, const std::vector<int64_t>& starts,
               const std::vector<bool>& present, std::vector<std::vector<std::string>>* cells) {
  const size_t n = starts.size();
  if (n == 0 || fill.mode == Fill::Mode::kNull || fill.mode == Fill::Mode::kNone) return;
  const size_t columns = (*cells)[0].size();
  for (size_t c = 0; c < columns; ++c) {
    auto empty = [&](size_t b) { return !present[b] || (*cells)[b][c].empty(); };
    if (fill.mode == Fill::Mode::kValue) {
      for (size_t b = 0; b < n; ++b) {
        if (!present[b]) (*cells)[b][c] = fill.text;
      }
    } else if (fill.mode == Fill::Mode::kPrevious) {
      for (size_t b = 1; b < n; ++b) {
        if (!present[b]) (*cells)[b][c] = (*cells)[b - 1][c];
      }
    } else {  // linear, between the nearest buckets with a numeric value on both sides
      std::optional<size_t> previous;
      for (size_t b = 0; b < n; ++b) {
        if (!empty(b)) {
          previous = b;
          continue;
        }
        if (present[b] || !previous) continue;
        size_t next = b + 1;
        while (next < n && empty(next)) ++next;
        if (next == n) break;
        char* end = nullptr;
        const double y0 = std::strtod((*cells)[*previous][c].c_str(), &end);
        const double y1 = std::strtod((*cells)[next][c].c_str(), &end);
        const double x = static_cast<double>(starts[b] - starts[*previous]) /
                         static_cast<double>(starts[next] - starts[*previous]);
        (*cells)[b][c] = FormatFloat(y0 + (y1 - y0) * x);
      }
    }
  }
}

}  // namespace

Status ExecuteAggregates(const engine::Engine& engine, const SelectStatement& statement,
                         const WhereClause& where, engine::SystemTime as_of, ResultSink& sink,
                         engine::ScanCounters* counters) {
  std::vector<ItemPlan> items;
  std::vector<std::string> fields;  // distinct, in first-use order
  for (const SelectItem& item : statement.items) {
    if (item.function.empty()) {
      return ItemError(item, "raw field selection is not supported yet; use an aggregate");
    }
    if (item.field == "*") return ItemError(item, item.function + "(*) is not supported yet");
    auto kind = ParseAggregateKind(item.function);
    if (!kind.ok()) return ItemError(item, kind.status().message());
    ItemPlan plan{*kind, engine::FieldType::kFloat, item.field};
    const size_t expected_args = *kind == AggregateKind::kPercentile ? 1 : 0;
    if (item.args.size() != expected_args) {
      return ItemError(item, item.function + "() takes " +
                                 (expected_args ? "a field and a percentile" : "one argument, the field"));
    }
    if (*kind == AggregateKind::kPercentile) plan.percentile = item.args[0].number;
    auto type = engine.schema().Lookup(statement.measurement, item.field);
    if (type.ok()) plan.type = *type;
    if (Status typed = Aggregator(plan.kind, plan.type).CheckType(item.field); !typed.ok()) {
      return ItemError(item, typed.message());
    }
    items.push_back(plan);
    if (std::find(fields.begin(), fields.end(), item.field) == fields.end()) {
      fields.push_back(item.field);
    }
  }
  const GroupBy& group_by = statement.group_by;
  const int64_t interval = group_by.interval_ns;

  // Tag groups, ordered by their tag values.
  const auto series = where.series.Select(engine.series_index(), statement.measurement);
  std::vector<std::string> tag_keys = group_by.tags;
  if (group_by.all_tags) {
    for (const engine::SeriesInfo* s : series) {
      for (const auto& [key, value] : s->tags) tag_keys.push_back(key);
    }
    std::sort(tag_keys.begin(), tag_keys.end());
    tag_keys.erase(std::unique(tag_keys.begin(), tag_keys.end()), tag_keys.end());
  }
  std::map<std::vector<std::string>, Group> groups;
  for (const engine::SeriesInfo* s : series) {
    std::vector<std::string> values;
    for (const std::string& key : tag_keys) values.emplace_back(s->TagValue(key));
    Group& g = groups[values];
    g.tag_values = values;
    g.series.push_back(s);
  }

  std::vector<std::vector<size_t>> items_on_field(fields.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const size_t f = std::find(fields.begin(), fields.end(), items[i].field) - fields.begin();
    items_on_field[f].push_back(i);
  }
  if (where.time.min_ns < where.time.max_ns) {
    for (auto& [key, group] : groups) {
      for (const engine::SeriesInfo* s : group.series) {
        for (size_t f = 0; f < fields.size(); ++f) {
          BucketConsumer consumer(items, items_on_field[f], interval, group_by.offset_ns,
                                  &group.buckets);
          STRATA_RETURN_IF_ERROR(engine.ScanFieldBatches(s->id, fields[f], where.time.min_ns,
                                                         where.time.max_ns, as_of, consumer,
                                                         counters));
        }
      }
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
    if (group.buckets.empty()) continue;
    first_bucket = std::min(first_bucket, group.buckets.begin()->first);
    last_bucket = std::max(last_bucket, group.buckets.rbegin()->first);
  }
  if (interval > 0) {
    if (where.time.min_ns != INT64_MIN) {
      first_bucket = BucketStart(where.time.min_ns, interval, group_by.offset_ns);
    }
    if (where.time.max_ns != INT64_MAX) {
      last_bucket = BucketStart(where.time.max_ns - 1, interval, group_by.offset_ns);
    }
    if (first_bucket <= last_bucket &&
        (static_cast<Int128>(last_bucket) - first_bucket) / interval >= kMaxBucketsPerGroup) {
      return Status::InvalidArgument("GROUP BY time(" + std::to_string(interval) +
                                     "ns) makes more than " +
                                     std::to_string(kMaxBucketsPerGroup) +
                                     " buckets; use a wider interval or a narrower time range");
    }
  }

  std::vector<std::string> row;
  for (const auto& [key, group] : groups) {
    if (group.buckets.empty()) continue;  // a group without points has no rows
    std::vector<int64_t> starts;
    std::vector<bool> present;
    std::vector<std::vector<std::string>> cells;
    auto add_bucket = [&](int64_t start, const std::vector<Aggregator>* aggs) -> Status {
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
      row.clear();
      if (interval > 0) row.push_back(FormatTime(starts[b]));
      row.insert(row.end(), group.tag_values.begin(), group.tag_values.end());
      row.insert(row.end(), cells[b].begin(), cells[b].end());
      STRATA_RETURN_IF_ERROR(sink.Row(row));
      ++emitted;
    }
  }
  return Status::OK();
}

}  // namespace strata::query
