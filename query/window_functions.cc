#include "query/window_functions.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "query/aggregate.h"  // Int128
#include "query/fill.h"
#include "query/grouped_aggregate.h"  // BucketStart, kMaxBucketsPerGroup
#include "query/rolling_median.h"

namespace strata::query {
namespace {

constexpr std::string_view kRollingMedian = "rolling_median";
constexpr std::string_view kMovingAverage = "moving_average";

bool IsWindowFunction(const SelectItem& item) {
  return item.function == kRollingMedian || item.function == kMovingAverage;
}

// t - w, or nullopt when that is below int64's range (then the window reaches back to the
// start of time and nothing leaves it).
std::optional<int64_t> WindowStart(int64_t t, int64_t w) {
  if (t < std::numeric_limits<int64_t>::min() + w) return std::nullopt;
  return t - w;
}

// What one item computes.
struct WindowSpec {
  enum class Kind { kMedianOverDuration, kMedianOverPoints, kMeanOverPoints };
  Kind kind = Kind::kMedianOverPoints;
  int64_t duration_ns = 0;  // kMedianOverDuration
  uint64_t points = 0;      // kMedianOverPoints, kMeanOverPoints
};

// The parser checks the arguments already; this keeps a hand-built statement from reaching
// RollingMedian's CHECKs.
Result<WindowSpec> PlanItem(const SelectItem& item) {
  const bool median = item.function == kRollingMedian;
  if (item.field == "*") return ErrorAt(item, item.function + "() takes one field name, not '*'");
  if (item.args.size() == 1) {
    const Literal& window = item.args[0];
    if (median && window.kind == Literal::Kind::kDuration && window.integer > 0) {
      return WindowSpec{WindowSpec::Kind::kMedianOverDuration, window.integer, 0};
    }
    if (window.kind == Literal::Kind::kInteger && window.integer > 0) {
      return WindowSpec{
          median ? WindowSpec::Kind::kMedianOverPoints : WindowSpec::Kind::kMeanOverPoints, 0,
          static_cast<uint64_t>(window.integer)};
    }
  }
  return ErrorAt(item, median ? "rolling_median() takes a field and a window: a duration or a "
                                  "whole number of points, greater than zero"
                                : "moving_average() takes a field and a whole number of points, "
                                  "at least 1");
}

// The windows of the items, or the error of the first item that cannot run here.
Result<std::vector<WindowSpec>> PlanItems(const SelectStatement& statement,
                                          const SelectItem& first_window,
                                          const Result<engine::FieldType>& type) {
  for (const SelectItem& item : statement.items) {
    if (IsWindowFunction(item)) continue;
    if (item.function.empty()) {
      return ErrorAt(item,
                       "cannot mix raw fields and window functions "
                       "(rolling_median, moving_average)");
    }
    return ErrorAt(first_window, "mixing aggregates and window functions is not supported yet");
  }
  std::vector<WindowSpec> specs;
  for (const SelectItem& item : statement.items) {
    STRATA_ASSIGN_OR_RETURN(WindowSpec spec, PlanItem(item));
    if (item.field != first_window.field) {
      return ErrorAt(item, "window functions over different fields cannot share a statement");
    }
    if (type.ok() && *type != engine::FieldType::kFloat && *type != engine::FieldType::kInt &&
        *type != engine::FieldType::kUint) {
      return ErrorAt(item, item.function + "() needs a numeric field, '" + item.field + "' is " +
                                 std::string(engine::FieldTypeName(*type)));
    }
    specs.push_back(spec);
  }
  return specs;
}

// The mean of the last n values pushed, O(1) amortized per Push. Finite values are summed with
// Neumaier's compensation, adding the newest and subtracting the oldest; every `capacity`
// pushes the sum is recomputed from the window, so the rounding of the subtractions cannot
// accumulate. NaN and infinities are counted instead of summed, so they leave no trace once out
// of the window.
class MovingAverage {
 public:
  // capacity = min(n, points the stream will push), >= 1: a window that never reaches n points
  // never has a mean, so it needs no more room than the stream has points.
  MovingAverage(uint64_t n, size_t capacity) : points_(n), ring_(capacity) {}

  void Push(double value) {
    if (size_ == ring_.size()) {
      Remove(ring_[head_]);
      head_ = head_ + 1 == ring_.size() ? 0 : head_ + 1;
      --size_;
    }
    size_t slot = head_ + size_;
    if (slot >= ring_.size()) slot -= ring_.size();
    ring_[slot] = value;
    ++size_;
    ++seen_;
    Add(value);
    if (++pushes_since_recompute_ >= ring_.size()) Recompute();
  }

  // Whether n points have been seen (then the window holds exactly n).
  bool ready() const { return seen_ >= points_; }

  // The mean of the window, as IEEE summation would give it for NaN and infinities.
  double Mean() {
    if (nan_count_ > 0 || (positive_infinities_ > 0 && negative_infinities_ > 0)) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    if (positive_infinities_ > 0) return std::numeric_limits<double>::infinity();
    if (negative_infinities_ > 0) return -std::numeric_limits<double>::infinity();
    if (!SumIsFinite()) {
      // An overflow leaves the sum or its compensation non-finite until the next recompute;
      // the window may have shed the huge values since.
      Recompute();
      if (!SumIsFinite()) return ScaledMean();
    }
    return (sum_ + compensation_) / static_cast<double>(size_);
  }

 private:
  void Add(double value) {
    if (std::isfinite(value)) {
      Accumulate(value);
    } else {
      ++(std::isnan(value) ? nan_count_ : value > 0 ? positive_infinities_ : negative_infinities_);
    }
  }
  void Remove(double value) {
    if (std::isfinite(value)) {
      Accumulate(-value);
    } else {
      --(std::isnan(value) ? nan_count_ : value > 0 ? positive_infinities_ : negative_infinities_);
    }
  }
  void Accumulate(double x) {
    const double t = sum_ + x;
    compensation_ += std::fabs(sum_) >= std::fabs(x) ? (sum_ - t) + x : (x - t) + sum_;
    sum_ = t;
  }
  bool SumIsFinite() const {
    return std::isfinite(sum_) && std::isfinite(compensation_) &&
           std::isfinite(sum_ + compensation_);
  }
  template <typename Visit>
  void ForEachFinite(Visit visit) const {
    for (size_t i = 0, slot = head_; i < size_;
         ++i, slot = slot + 1 == ring_.size() ? 0 : slot + 1) {
      if (std::isfinite(ring_[slot])) visit(ring_[slot]);
    }
  }
  void Recompute() {
    sum_ = compensation_ = 0;
    ForEachFinite([this](double v) { Accumulate(v); });
    pushes_since_recompute_ = 0;
  }
  // Sum of v / size: no partial sum can exceed the largest |v|, so it cannot overflow.
  double ScaledMean() const {
    const double n = static_cast<double>(size_);
    double sum = 0, compensation = 0;
    ForEachFinite([&](double v) {
      const double x = v / n, t = sum + x;
      compensation += std::fabs(sum) >= std::fabs(x) ? (sum - t) + x : (x - t) + sum;
      sum = t;
    });
    return sum + compensation;
  }

  const uint64_t points_;
  std::vector<double> ring_;  // ring_[head_] is the oldest value; size_ values follow, wrapping
  size_t head_ = 0, size_ = 0;
  uint64_t seen_ = 0;
  size_t pushes_since_recompute_ = 0;
  double sum_ = 0, compensation_ = 0;  // of the finite values in the window
  size_t nan_count_ = 0, positive_infinities_ = 0, negative_infinities_ = 0;
};

// One item's window over a group's stream.
class ItemWindow {
 public:
  ItemWindow(const WindowSpec& spec, size_t stream_size) : spec_(spec) {
    const size_t bound = std::max<size_t>(1, stream_size);
    const size_t count_capacity =
        static_cast<size_t>(std::min<uint64_t>(spec.points, static_cast<uint64_t>(bound)));
    switch (spec.kind) {
      case WindowSpec::Kind::kMedianOverDuration:
        median_.emplace(RollingMedian::TimeWindow(std::min<size_t>(64, bound)));
        break;
      case WindowSpec::Kind::kMedianOverPoints:
        median_.emplace(RollingMedian::CountWindow(count_capacity));
        break;
      case WindowSpec::Kind::kMeanOverPoints:
        mean_.emplace(spec.points, count_capacity);
        break;
    }
  }

  bool is_time_window() const { return spec_.kind == WindowSpec::Kind::kMedianOverDuration; }

  // Whether a point at time_ns lies before the window ending at end_ns, (end - w, end]; such a
  // point is never pushed, so a time window holds no more than its window.
  bool BeforeWindowEndingAt(int64_t time_ns, int64_t end_ns) const {
    if (!is_time_window()) return false;
    const std::optional<int64_t> start = WindowStart(end_ns, spec_.duration_ns);
    return start && time_ns <= *start;
  }

  // Takes the next point of the stream (time order).
  void Push(int64_t time_ns, double value) {
    if (mean_) {
      mean_->Push(value);
    } else {
      median_->Push(time_ns, value);
    }
  }

  // Makes the window end at end_ns: a time window drops its points at or before end - w.
  void EndAt(int64_t end_ns) {
    if (!is_time_window()) return;
    if (const std::optional<int64_t> start = WindowStart(end_ns, spec_.duration_ns)) {
      median_->EvictUpTo(*start);
    }
  }

  bool has_value() const { return mean_ ? mean_->ready() : !median_->empty(); }
  // Only when has_value().
  double value() { return mean_ ? mean_->Mean() : median_->Median(); }

 private:
  WindowSpec spec_;
  std::optional<RollingMedian> median_;
  std::optional<MovingAverage> mean_;
};

// One series' points in time order, converted to double.
struct SeriesPoints {
  std::vector<int64_t> times;
  std::vector<double> values;
};

// Every point is needed, so block statistics are declined.
class CollectingConsumer : public engine::FieldScanConsumer {
 public:
  // context (may be null) is charged for the points kept.
  CollectingConsumer(SeriesPoints* out, engine::ScanContext* context)
      : out_(out), context_(context) {}

  bool TakeBlockStats(engine::FieldType, const engine::chunk::BlockStats&) override {
    return false;
  }

  void TakePoints(const engine::PointBatch& batch) override {
    if (context_ != nullptr) context_->Charge(batch.size * (sizeof(int64_t) + sizeof(double)));
    out_->times.insert(out_->times.end(), batch.valid_ns, batch.valid_ns + batch.size);
    for (size_t i = 0; i < batch.size; ++i) {
      const uint64_t bits = batch.bits[i];
      switch (batch.type) {
        case engine::FieldType::kFloat:
          out_->values.push_back(std::bit_cast<double>(bits));
          break;
        case engine::FieldType::kInt:
          out_->values.push_back(static_cast<double>(static_cast<int64_t>(bits)));
          break;
        default:  // uint (bool and string fields are refused before the scan)
          out_->values.push_back(static_cast<double>(bits));
          break;
      }
    }
  }

 private:
  SeriesPoints* out_;
  engine::ScanContext* context_;
};

// A group's points in time order, points at the same time in series order (the group's series
// are sorted by key): a k-way merge over the per-series vectors through a binary heap of
// series cursors, O(log k) per point.
class PooledStream {
 public:
  explicit PooledStream(const std::vector<SeriesPoints>& series)
      : series_(series), next_(series.size(), 0) {
    for (size_t s = 0; s < series.size(); ++s) {
      if (!series[s].times.empty()) heap_.push_back(s);
    }
    std::make_heap(heap_.begin(), heap_.end(), Later{this});
  }

  bool done() const { return heap_.empty(); }
  int64_t time() const { return TimeOf(heap_.front()); }
  double value() const { return series_[heap_.front()].values[next_[heap_.front()]]; }

  void Advance() {
    std::pop_heap(heap_.begin(), heap_.end(), Later{this});
    const size_t s = heap_.back();
    if (++next_[s] < series_[s].times.size()) {
      std::push_heap(heap_.begin(), heap_.end(), Later{this});
    } else {
      heap_.pop_back();
    }
  }

 private:
  int64_t TimeOf(size_t s) const { return series_[s].times[next_[s]]; }
  // The std heap keeps its greatest element first; ordering by "later" puts the earliest
  // point, then the lowest series rank, there.
  struct Later {
    const PooledStream* stream;
    bool operator()(size_t a, size_t b) const {
      const int64_t ta = stream->TimeOf(a), tb = stream->TimeOf(b);
      return ta != tb ? ta > tb : a > b;
    }
  };

  const std::vector<SeriesPoints>& series_;
  std::vector<size_t> next_;  // per series, the index of its next point
  std::vector<size_t> heap_;  // series with points left
};

// A group's rows as numbers, before they are written: per row, one value per item and whether
// it has one.
struct GroupRows {
  size_t items = 0;
  std::vector<int64_t> times;
  std::vector<double> values;      // row-major
  std::vector<uint8_t> has_value;  // row-major
};

// One row per point of the stream; stops once max_rows rows are complete.
void EvaluatePerPoint(PooledStream& stream, std::vector<ItemWindow>& windows, uint64_t max_rows,
                      GroupRows* rows) {
  const size_t k = windows.size();
  while (!stream.done() && rows->times.size() < max_rows) {
    // A run of points at one time: a time window's median covers all of them, so it is known
    // only after the run, and every row of the run gets it.
    const int64_t t = stream.time();
    const size_t run_begin = rows->times.size();
    do {
      const double v = stream.value();
      rows->times.push_back(t);
      for (ItemWindow& window : windows) {
        window.Push(t, v);
        const bool has = !window.is_time_window() && window.has_value();
        rows->values.push_back(has ? window.value() : 0);
        rows->has_value.push_back(has);
      }
      stream.Advance();
    } while (!stream.done() && stream.time() == t);
    for (size_t i = 0; i < k; ++i) {
      if (!windows[i].is_time_window()) continue;
      windows[i].EndAt(t);
      const double median = windows[i].value();
      for (size_t r = run_begin; r < rows->times.size(); ++r) {
        rows->values[r * k + i] = median;
        rows->has_value[r * k + i] = 1;
      }
    }
  }
}

// One row per step label first, first + step, ..., last.
void EvaluatePerStep(PooledStream& stream, std::vector<ItemWindow>& windows, int64_t first,
                     int64_t last, int64_t step, GroupRows* rows) {
  for (Int128 label = first; label <= last; label += step) {
    const int64_t t = static_cast<int64_t>(label);
    for (ItemWindow& window : windows) window.EndAt(t);
    for (; !stream.done() && stream.time() <= t; stream.Advance()) {
      for (ItemWindow& window : windows) {
        if (!window.BeforeWindowEndingAt(stream.time(), t)) {
          window.Push(stream.time(), stream.value());
        }
      }
    }
    rows->times.push_back(t);
    for (ItemWindow& window : windows) {
      const bool has = window.has_value();
      rows->values.push_back(has ? window.value() : 0);
      rows->has_value.push_back(has);
    }
  }
}

// The text of a row's cells; an item without a value is a null (empty) cell.
void FormatCells(const GroupRows& rows, size_t r, std::vector<std::string>* cells) {
  for (size_t i = 0; i < rows.items; ++i) {
    const size_t at = r * rows.items + i;
    (*cells)[i] = rows.has_value[at] ? FormatFloat(rows.values[at]) : std::string();
  }
}

// Writes a group's rows in the order ORDER BY asks, at most LIMIT of them. Per step, FILL has
// filled the cells (filled_cells) and FILL(none) drops the rows without any value; per point,
// cells are formatted as they are written (filled_cells null).
Status WriteRows(const SelectStatement& statement, const std::vector<std::string>& tag_values,
                 const GroupRows& rows, const std::vector<std::vector<std::string>>* filled_cells,
                 ResultSink& sink) {
  const size_t n = rows.times.size(), k = rows.items;
  const bool drop_empty = filled_cells != nullptr && statement.fill.mode == Fill::Mode::kNone;
  std::vector<std::string> cells(k), row;
  uint64_t emitted = 0;
  for (size_t j = 0; j < n; ++j) {
    const size_t r = statement.descending ? n - 1 - j : j;
    if (drop_empty && std::none_of(rows.has_value.begin() + static_cast<ptrdiff_t>(r * k),
                                   rows.has_value.begin() + static_cast<ptrdiff_t>(r * k + k),
                                   [](uint8_t has) { return has != 0; })) {
      continue;
    }
    if (statement.limit && emitted >= *statement.limit) break;
    row.clear();
    row.push_back(FormatTime(rows.times[r]));
    row.insert(row.end(), tag_values.begin(), tag_values.end());
    if (filled_cells != nullptr) {
      row.insert(row.end(), (*filled_cells)[r].begin(), (*filled_cells)[r].end());
    } else {
      FormatCells(rows, r, &cells);
      row.insert(row.end(), cells.begin(), cells.end());
    }
    STRATA_RETURN_IF_ERROR(sink.Row(row));
    ++emitted;
  }
  return Status::OK();
}

// The cells of per-step rows with FILL applied to the cells without a value, each item's column
// on its own, since its windows are empty at other steps than another item's.
std::vector<std::vector<std::string>> FilledCells(const Fill& fill, const GroupRows& rows) {
  const size_t n = rows.times.size(), k = rows.items;
  std::vector<std::vector<std::string>> cells(n, std::vector<std::string>(k));
  for (size_t r = 0; r < n; ++r) FormatCells(rows, r, &cells[r]);
  if (fill.mode == Fill::Mode::kNull || fill.mode == Fill::Mode::kNone) return cells;
  std::vector<std::vector<std::string>> column(n, std::vector<std::string>(1));
  std::vector<bool> present(n);
  for (size_t i = 0; i < k; ++i) {
    for (size_t r = 0; r < n; ++r) {
      column[r][0] = std::move(cells[r][i]);
      present[r] = rows.has_value[r * k + i] != 0;
    }
    ApplyFill(fill, rows.times, present, &column);
    for (size_t r = 0; r < n; ++r) cells[r][i] = std::move(column[r][0]);
  }
  return cells;
}

struct Group {
  std::vector<std::string> tag_values;
  std::vector<const engine::SeriesInfo*> series;  // sorted by key
  std::vector<SeriesPoints> points;               // per series, once read
  bool read = false;
};

}  // namespace

bool HasWindowFunction(const SelectStatement& statement) {
  return std::any_of(statement.items.begin(), statement.items.end(), IsWindowFunction);
}

Status ExecuteWindowFunctions(const engine::Engine& engine, const SelectStatement& statement,
                              const WhereClause& where, engine::SystemTime as_of, ResultSink& sink,
                              engine::ScanContext* counters) {
  const auto first_window =
      std::find_if(statement.items.begin(), statement.items.end(), IsWindowFunction);
  if (first_window == statement.items.end()) {
    return Status::InvalidArgument("the statement has no window function");
  }
  const std::string& field = first_window->field;
  const auto type = engine.schema().Lookup(statement.measurement, field);
  STRATA_ASSIGN_OR_RETURN(const std::vector<WindowSpec> specs,
                          PlanItems(statement, *first_window, type));

  // Tag groups, ordered by their tag values; in each, the series ordered by key.
  const GroupBy& group_by = statement.group_by;
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
  for (auto& [key, group] : groups) {
    std::sort(
        group.series.begin(), group.series.end(),
        [](const engine::SeriesInfo* a, const engine::SeriesInfo* b) { return a->key < b->key; });
  }
  auto read_group = [&](Group& group) -> Status {
    group.points.resize(group.series.size());
    for (size_t s = 0; s < group.series.size(); ++s) {
      CollectingConsumer consumer(&group.points[s], counters);
      // Field conditions restrict the stream to the rows that match, like the time range.
      std::vector<int64_t> matching;
      if (!where.fields.empty()) {
        STRATA_ASSIGN_OR_RETURN(
            matching, where.fields.MatchingTimes(engine, group.series[s]->id, where.time.min_ns,
                                                 where.time.max_ns, as_of, counters));
      }
      TimeFilteringConsumer filtered(matching, consumer);
      engine::FieldScanConsumer& scan_consumer =
          where.fields.empty() ? static_cast<engine::FieldScanConsumer&>(consumer) : filtered;
      STRATA_RETURN_IF_ERROR(engine.ScanFieldBatches(group.series[s]->id, field, where.time.min_ns,
                                                     where.time.max_ns, as_of, scan_consumer,
                                                     counters));
      if (counters != nullptr && counters->OverMemory()) return engine::MemoryExceeded(*counters);
    }
    group.read = true;
    return Status::OK();
  };
  // An unknown field has no points (and a bool or string one was refused above).
  const bool read_nothing = !type.ok() || (statement.limit && *statement.limit == 0);

  // Step labels: those of the WHERE range, or from the step of the first point to the step of
  // the last one over every group.
  const int64_t step = group_by.interval_ns;
  int64_t first_label = INT64_MAX, last_label = INT64_MIN;
  if (step > 0 && !read_nothing) {
    const bool bounded = where.time.min_ns != INT64_MIN && where.time.max_ns != INT64_MAX;
    int64_t first_point = INT64_MAX, last_point = INT64_MIN;
    if (!bounded) {
      for (auto& [key, group] : groups) {
        STRATA_RETURN_IF_ERROR(read_group(group));
        for (const SeriesPoints& points : group.points) {
          if (points.times.empty()) continue;
          first_point = std::min(first_point, points.times.front());
          last_point = std::max(last_point, points.times.back());
        }
      }
      if (first_point <= last_point) {
        first_label = BucketStart(first_point, step, group_by.offset_ns);
        last_label = BucketStart(last_point, step, group_by.offset_ns);
      }
    }
    STRATA_RETURN_IF_ERROR(
        BucketRange(where.time, step, group_by.offset_ns, &first_label, &last_label));
  }

  std::vector<std::string> columns = {"time"};
  columns.insert(columns.end(), tag_keys.begin(), tag_keys.end());
  for (const SelectItem& item : statement.items) columns.push_back(item.column_name);
  STRATA_RETURN_IF_ERROR(sink.Header(columns));
  if (read_nothing) return Status::OK();

  // Rows per point in ascending order can stop at LIMIT; descending ones need every row.
  const uint64_t max_rows = statement.limit && !statement.descending
                                ? *statement.limit
                                : std::numeric_limits<uint64_t>::max();
  for (auto& [key, group] : groups) {
    if (!group.read) STRATA_RETURN_IF_ERROR(read_group(group));
    size_t stream_size = 0;
    for (const SeriesPoints& points : group.points) stream_size += points.times.size();
    if (stream_size > 0) {  // a group without points has no rows
      std::vector<ItemWindow> windows;
      windows.reserve(specs.size());
      for (const WindowSpec& spec : specs) windows.emplace_back(spec, stream_size);
      PooledStream stream(group.points);
      GroupRows rows;
      rows.items = specs.size();
      if (step > 0) {
        if (first_label <= last_label) {
          EvaluatePerStep(stream, windows, first_label, last_label, step, &rows);
        }
        const auto cells = FilledCells(statement.fill, rows);
        STRATA_RETURN_IF_ERROR(WriteRows(statement, group.tag_values, rows, &cells, sink));
      } else {
        EvaluatePerPoint(stream, windows, max_rows, &rows);
        STRATA_RETURN_IF_ERROR(WriteRows(statement, group.tag_values, rows, nullptr, sink));
      }
    }
    std::vector<SeriesPoints>().swap(group.points);  // done with this group: free its points
  }
  return Status::OK();
}

}  // namespace strata::query
