#include "query/raw_select.h"

#include <algorithm>
#include <bit>
#include <optional>
#include <string>
#include <vector>

#include "query/aggregate.h"  // Int128
#include "query/field_filter.h"
#include "query/grouped_aggregate.h"

namespace strata::query {

namespace {

// One selected item: a field (with its type) or a tag of the series.
struct RawItem {
  bool is_field = false;
  bool known = false;  // a field of the measurement, or a tag key some series has
  std::string name;
  engine::FieldType type = engine::FieldType::kFloat;
};

// The valid-time extent of the points in range: clean blocks by their statistics alone.
class ExtentConsumer : public engine::FieldScanConsumer {
 public:
  bool TakeBlockStats(engine::FieldType, const engine::chunk::BlockStats& stats) override {
    Extend(stats.min_valid_ns, stats.max_valid_ns);
    return true;
  }
  void TakePoints(const engine::PointBatch& batch) override {
    if (batch.size > 0) Extend(batch.valid_ns[0], batch.valid_ns[batch.size - 1]);
  }
  void Extend(int64_t lo, int64_t hi) {
    min_ns = std::min(min_ns, lo);
    max_ns = std::max(max_ns, hi);
  }
  int64_t min_ns = INT64_MAX;
  int64_t max_ns = INT64_MIN;
};

std::string FormatCell(engine::FieldType type, uint64_t bits, const std::string* text) {
  switch (type) {
    case engine::FieldType::kFloat:
      return FormatFloat(std::bit_cast<double>(bits));
    case engine::FieldType::kInt:
      return std::to_string(static_cast<int64_t>(bits));
    case engine::FieldType::kUint:
      return std::to_string(bits);
    case engine::FieldType::kBool:
      return bits ? "true" : "false";
    case engine::FieldType::kString:
      return *text;
  }
  return std::string();
}

// A row of the slice: series s (index into the group's series) at time t.
struct RowRef {
  int64_t t;
  size_t series;
};

class GroupWriter {
 public:
  GroupWriter(const engine::Engine& engine, const SelectStatement& statement,
              const WhereClause& where, engine::SystemTime as_of, engine::ScanContext* counters,
              const std::vector<RawItem>& items, const std::vector<size_t>& field_items,
              const std::vector<std::string>& tag_values,
              const std::vector<const engine::SeriesInfo*>& series, ResultSink& sink)
      : engine_(engine),
        statement_(statement),
        where_(where),
        as_of_(as_of),
        counters_(counters),
        items_(items),
        field_items_(field_items),
        tag_values_(tag_values),
        series_(series),
        sink_(sink),
        columns_(series.size(), std::vector<PointColumn>(field_items.size())),
        matching_(series.size()) {}

  Status Run() {
    // The extent of the group's points in range, so slices cover data, not the whole int64 line.
    ExtentConsumer extent;
    for (const engine::SeriesInfo* s : series_) {
      for (size_t f : field_items_) {
        STRATA_RETURN_IF_ERROR(engine_.ScanFieldBatches(s->id, items_[f].name, where_.time.min_ns,
                                                        where_.time.max_ns, as_of_, extent,
                                                        counters_));
      }
    }
    if (extent.min_ns > extent.max_ns) return Status::OK();
    const Int128 lo = extent.min_ns;
    const Int128 hi = static_cast<Int128>(extent.max_ns) + 1;  // exclusive
    Int128 width = std::max<Int128>(1, (hi - lo) / 16);
    // Slices walk forward, or backward for ORDER BY time DESC.
    Int128 done_lo = lo, done_hi = hi;
    while (done_lo < done_hi && !LimitReached()) {
      Int128 slice_lo, slice_hi;
      if (statement_.descending) {
        slice_hi = done_hi;
        slice_lo = std::max(done_lo, done_hi - width);
        done_hi = slice_lo;
      } else {
        slice_lo = done_lo;
        slice_hi = std::min(done_hi, done_lo + width);
        done_lo = slice_hi;
      }
      size_t points = 0;
      STRATA_ASSIGN_OR_RETURN(
          points, Slice(static_cast<int64_t>(slice_lo), static_cast<int64_t>(slice_hi)));
      // Aim the next slice at the target size.
      if (points > kRawSliceTargetPoints) {
        width = std::max<Int128>(
            1, width * static_cast<Int128>(kRawSliceTargetPoints) / static_cast<Int128>(points));
      } else if (points < kRawSliceTargetPoints / 4) {
        width *= 2;
      }
    }
    return Status::OK();
  }

 private:
  bool LimitReached() const { return statement_.limit && emitted_ >= *statement_.limit; }

  // Reads and emits the rows in [lo, hi); returns the points read.
  Result<size_t> Slice(int64_t lo, int64_t hi) {
    size_t points = 0;
    rows_.clear();
    for (size_t s = 0; s < series_.size(); ++s) {
      if (!where_.fields.empty()) {
        STRATA_ASSIGN_OR_RETURN(
            matching_[s],
            where_.fields.MatchingTimes(engine_, series_[s]->id, lo, hi, as_of_, counters_));
        if (matching_[s].empty()) continue;
      }
      std::vector<int64_t> times;
      for (size_t k = 0; k < field_items_.size(); ++k) {
        PointColumn& column = columns_[s][k];
        column.Clear();
        STRATA_RETURN_IF_ERROR(engine_.ScanFieldBatches(
            series_[s]->id, items_[field_items_[k]].name, lo, hi, as_of_, column, counters_));
        points += column.times.size();
        times.insert(times.end(), column.times.begin(), column.times.end());
      }
      std::sort(times.begin(), times.end());
      times.erase(std::unique(times.begin(), times.end()), times.end());
      if (!where_.fields.empty()) {
        std::vector<int64_t> kept;
        std::set_intersection(times.begin(), times.end(), matching_[s].begin(), matching_[s].end(),
                              std::back_inserter(kept));
        times.swap(kept);
      }
      for (int64_t t : times) rows_.push_back(RowRef{t, s});
    }
    // Series are in key order, so (time, series index) is the row order.
    std::sort(rows_.begin(), rows_.end(), [](const RowRef& a, const RowRef& b) {
      return a.t != b.t ? a.t < b.t : a.series < b.series;
    });
    if (statement_.descending) std::reverse(rows_.begin(), rows_.end());
    for (const RowRef& row : rows_) {
      if (LimitReached()) break;
      STRATA_RETURN_IF_ERROR(Emit(row));
    }
    return points;
  }

  Status Emit(const RowRef& row) {
    cells_.clear();
    cells_.push_back(FormatTime(row.t));
    cells_.insert(cells_.end(), tag_values_.begin(), tag_values_.end());
    size_t k = 0;  // index into field_items_
    for (const RawItem& item : items_) {
      if (!item.is_field) {
        cells_.emplace_back(item.known ? series_[row.series]->TagValue(item.name) : "");
        continue;
      }
      const PointColumn& column = columns_[row.series][k++];
      auto at = std::lower_bound(column.times.begin(), column.times.end(), row.t);
      if (at == column.times.end() || *at != row.t) {
        cells_.emplace_back();
        continue;
      }
      const size_t i = static_cast<size_t>(at - column.times.begin());
      cells_.push_back(FormatCell(item.type, column.bits[i],
                                  column.strings.empty() ? nullptr : &column.strings[i]));
    }
    ++emitted_;
    return sink_.Row(cells_);
  }

  const engine::Engine& engine_;
  const SelectStatement& statement_;
  const WhereClause& where_;
  const engine::SystemTime as_of_;
  engine::ScanContext* counters_;
  const std::vector<RawItem>& items_;
  const std::vector<size_t>& field_items_;
  const std::vector<std::string>& tag_values_;
  const std::vector<const engine::SeriesInfo*>& series_;
  ResultSink& sink_;
  std::vector<std::vector<PointColumn>> columns_;  // [series][field item]
  std::vector<std::vector<int64_t>> matching_;        // [series]: times the field filter keeps
  std::vector<RowRef> rows_;
  std::vector<std::string> cells_;
  uint64_t emitted_ = 0;
};

// LIMIT 1 without field conditions (the "last point per host" dashboard query with ORDER BY
// time DESC): the group's one row is its latest (or earliest) timestamp, found from each
// (series, field)'s edge point instead of reading slices. Ties between series go as in the
// general path: ascending (time, series key) order, reversed for DESC.
Status EdgeRow(const engine::Engine& engine, const SelectStatement& statement,
               const WhereClause& where, engine::SystemTime as_of, engine::ScanContext* counters,
               const std::vector<RawItem>& items, const std::vector<size_t>& field_items,
               const std::vector<std::string>& tag_values,
               const std::vector<const engine::SeriesInfo*>& series, ResultSink& sink) {
  const bool latest = statement.descending;
  // As of now, the latest point of each (series, field) is in the engine's last-value cache.
  const bool from_last_values = latest && !statement.as_of_ns;
  std::optional<size_t> best_series;
  int64_t best_time = 0;
  std::vector<engine::EdgePointConsumer> best_edges;
  for (size_t s = 0; s < series.size(); ++s) {
    std::vector<engine::EdgePointConsumer> edges(field_items.size(), engine::EdgePointConsumer(latest));
    std::optional<int64_t> row_time;
    for (size_t k = 0; k < field_items.size(); ++k) {
      const std::string& field = items[field_items[k]].name;
      if (from_last_values) {
        STRATA_ASSIGN_OR_RETURN(std::optional<engine::LastPoint> last,
                                engine.LastPointOf(series[s]->id, field, counters));
        if (!last || last->valid_ns < where.time.min_ns) continue;  // nothing in range
        if (engine::BeforeRangeEnd(last->valid_ns, where.time.max_ns)) {
          edges[k].Offer(last->valid_ns, last->bits, &last->str);
        }
      }
      if (!edges[k].found) {
        STRATA_RETURN_IF_ERROR(engine.ScanFieldBatches(series[s]->id, field, where.time.min_ns,
                                                       where.time.max_ns, as_of, edges[k],
                                                       counters));
      }
      if (!edges[k].found) continue;
      if (!row_time || (latest ? edges[k].time > *row_time : edges[k].time < *row_time)) {
        row_time = edges[k].time;
      }
    }
    if (!row_time) continue;
    // Later series win ties when descending (their rows come first), earlier ones otherwise.
    const bool better = !best_series || (latest ? *row_time >= best_time : *row_time < best_time);
    if (better) {
      best_series = s;
      best_time = *row_time;
      best_edges = std::move(edges);
    }
  }
  if (!best_series) return Status::OK();
  std::vector<std::string> cells{FormatTime(best_time)};
  cells.insert(cells.end(), tag_values.begin(), tag_values.end());
  size_t k = 0;
  for (const RawItem& item : items) {
    if (!item.is_field) {
      cells.emplace_back(item.known ? series[*best_series]->TagValue(item.name) : "");
      continue;
    }
    const engine::EdgePointConsumer& edge = best_edges[k++];
    cells.push_back(edge.found && edge.time == best_time
                        ? FormatCell(item.type, edge.bits, &edge.text)
                        : std::string());
  }
  return sink.Row(cells);
}

}  // namespace

bool IsRawSelection(const SelectStatement& statement) {
  return std::all_of(statement.items.begin(), statement.items.end(),
                     [](const SelectItem& item) { return item.function.empty(); });
}

Status ExecuteRawSelect(const engine::Engine& engine, const SelectStatement& statement,
                        const WhereClause& where, engine::SystemTime as_of, ResultSink& sink,
                        engine::ScanContext* counters) {
  SeriesGroups grouping = GroupSeriesByTags(
      where.series.Select(engine.series_index(), statement.measurement), statement.group_by);

  std::vector<RawItem> items;
  std::vector<size_t> field_items;  // indexes of the field items, scanned per series
  for (const SelectItem& selected : statement.items) {
    RawItem item;
    item.name = selected.field;
    auto type = engine.schema().Lookup(statement.measurement, selected.field);
    if (type.ok()) {
      item.is_field = item.known = true;
      item.type = *type;
      field_items.push_back(items.size());
    } else {
      for (const auto& [values, members] : grouping.groups) {
        for (const engine::SeriesInfo* s : members) {
          for (const auto& tag : s->tags) item.known |= tag.first == selected.field;
        }
      }
    }
    items.push_back(std::move(item));
  }

  std::vector<std::string> columns{"time"};
  columns.insert(columns.end(), grouping.tag_keys.begin(), grouping.tag_keys.end());
  for (const SelectItem& item : statement.items) columns.push_back(item.column_name);
  STRATA_RETURN_IF_ERROR(sink.Header(columns));
  // Rows exist only where a selected field has a value.
  if (field_items.empty() || where.time.min_ns >= where.time.max_ns) return Status::OK();

  for (const auto& [tag_values, members] : grouping.groups) {
    if (statement.limit == 1u && where.fields.empty()) {
      STRATA_RETURN_IF_ERROR(EdgeRow(engine, statement, where, as_of, counters, items, field_items,
                                     tag_values, members, sink));
      continue;
    }
    GroupWriter writer(engine, statement, where, as_of, counters, items, field_items, tag_values,
                       members, sink);
    STRATA_RETURN_IF_ERROR(writer.Run());
  }
  return Status::OK();
}

}  // namespace strata::query
