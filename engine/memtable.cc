#include "engine/memtable.h"

#include <algorithm>
#include <mutex>

#include "engine/write_batch.h"

namespace strata::engine {

Status ResolveBatchSeries(std::string_view payload, SeriesIndex& index,
                          std::vector<SeriesId>* line_series) {
  line_series->clear();
  Status first_error;
  STRATA_RETURN_IF_ERROR(DecodeWriteBatchInline(
      payload,
      [&](const BatchLine& line) {
        auto info = index.GetOrCreate(line.series_key);
        if (!info.ok()) {
          if (first_error.ok()) first_error = info.status();
          line_series->push_back(SeriesId{0});
          return;
        }
        line_series->push_back((*info)->id);
      },
      [](std::string_view, const FieldValue&, bool) {}));
  return first_error;
}

Status MemTable::Apply(int64_t system_time_ns, std::string_view payload, SeriesIndex& index,
                       LastValueCache* last_values) {
  // Resolve series first, outside the memtable lock, so a corrupt payload changes nothing here.
  std::vector<SeriesId> line_series;
  STRATA_RETURN_IF_ERROR(ResolveBatchSeries(payload, index, &line_series));
  return ApplyResolved(system_time_ns, payload, line_series, last_values);
}

Status MemTable::ApplyResolved(int64_t system_time_ns, std::string_view payload,
                               std::span<const SeriesId> line_series,
                               LastValueCache* last_values) {
  std::unique_lock lock(mu_);
  // Released before the memtable lock: a fill's scan then sees the whole batch.
  LastValueCache::Applier observed(last_values, system_time_ns);
  size_t line_no = 0;
  SeriesColumns* current = nullptr;
  size_t field_no = 0;  // position of the field in its line
  int64_t valid = 0;
  uint64_t points = 0;
  int64_t bytes_delta = 0;
  Status applied = DecodeWriteBatchInline(
      payload,
      [&](const BatchLine& line) {
        if (line_no >= line_series.size()) {
          current = nullptr;
          ++line_no;
          return;
        }
        const SeriesId series = line_series[line_no++];
        current = &series_[series.value];
        field_no = 0;
        valid = line.valid_time_ns;
        observed.Line(series);
      },
      [&](std::string_view key, const FieldValue& value, bool tombstone) {
        if (current == nullptr) return;
        auto& last_line = current->last_line;
        Columns::iterator it;
        if (field_no < last_line.size() && last_line[field_no]->first == key) {
          it = last_line[field_no];
        } else {
          it = current->by_field.find(key);
          if (it == current->by_field.end()) {
            it = current->by_field.emplace(std::string(key), Column{}).first;
            it->second.data.type = value.type;
          }
          if (field_no < last_line.size()) {
            last_line[field_no] = it;
          } else {
            last_line.push_back(it);
          }
        }
        ++field_no;
        Column& column = it->second;
        // The schema check before commit guarantees the type; a mismatch here can only come
        // from a WAL written before the check existed, and the value is skipped.
        if (column.data.type != value.type) return;
        // Accounted by growth, never by walking the column (its strings made that quadratic);
        // the vectors only grow when they are full.
        const bool grows = column.data.size() == column.data.valid_ns.capacity();
        const size_t before = grows ? column.data.VectorBytes() : 0;
        if (!column.data.empty() && valid <= column.last_valid_ns) {
          column.strictly_increasing = false;
        }
        column.last_valid_ns = valid;
        column.data.Append(valid, system_time_ns, value, tombstone);
        observed.Field(key, valid, value, tombstone);
        if (grows) bytes_delta += static_cast<int64_t>(column.data.VectorBytes() - before);
        if (value.type == FieldType::kString) {
          bytes_delta += static_cast<int64_t>(column.data.StringHeapBytes(column.data.size() - 1));
        }
        ++points;
      });
  if (points > 0) {
    if (min_system_ns_ == 0) min_system_ns_ = system_time_ns;
    max_system_ns_ = system_time_ns;
  }
  points_.fetch_add(points, std::memory_order_relaxed);
  bytes_.fetch_add(static_cast<uint64_t>(bytes_delta), std::memory_order_relaxed);
  if (applied.ok() && line_no > line_series.size()) {
    return Status::Corruption("write batch has " + std::to_string(line_no) + " lines, " +
                              std::to_string(line_series.size()) + " resolved series");
  }
  return applied;
}

void MemTable::CollectVersions(SeriesId series, std::string_view field, int64_t min_ns,
                               int64_t max_ns, VersionColumn* out) const {
  std::shared_lock lock(mu_);
  auto s = series_.find(series.value);
  if (s == series_.end()) return;
  auto c = s->second.by_field.find(field);
  if (c == s->second.by_field.end()) return;
  const Column& column = c->second;
  const auto& valid = column.data.valid_ns;
  if (out->empty()) out->type = column.data.type;
  if (out->type != column.data.type) return;
  size_t lo = 0, hi = valid.size();
  if (column.strictly_increasing) {
    lo = std::lower_bound(valid.begin(), valid.end(), min_ns) - valid.begin();
    if (max_ns != kNoEndNs) {
      hi = std::lower_bound(valid.begin(), valid.end(), max_ns) - valid.begin();
    }
  }
  for (size_t i = lo; i < hi; ++i) {
    if (valid[i] >= min_ns && BeforeRangeEnd(valid[i], max_ns)) out->AppendRow(column.data, i);
  }
}

void MemTable::ForEachColumn(
    const std::function<void(SeriesId, const std::string& field, const VersionColumn& column)>&
        visit) const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<uint64_t, const SeriesColumns*>> by_id;
  by_id.reserve(series_.size());
  for (const auto& [id, columns] : series_) by_id.emplace_back(id, &columns);
  std::sort(by_id.begin(), by_id.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [id, columns] : by_id) {
    for (const auto& [field, column] : columns->by_field) visit(SeriesId{id}, field, column.data);
  }
}

int64_t MemTable::min_system_ns() const {
  std::shared_lock lock(mu_);
  return min_system_ns_;
}

int64_t MemTable::max_system_ns() const {
  std::shared_lock lock(mu_);
  return max_system_ns_;
}

}  // namespace strata::engine
