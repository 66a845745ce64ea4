#include "engine/memtable.h"

#include <algorithm>
#include <mutex>

#include "engine/write_batch.h"

namespace strata::engine {

namespace {

// Heap bytes of a string beyond its small-string buffer.
size_t StringHeapBytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() : 0; }

}  // namespace

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
  const auto commit = static_cast<uint32_t>(commit_system_ns_.size());
  const size_t commits_capacity = commit_system_ns_.capacity();
  commit_system_ns_.push_back(system_time_ns);
  int64_t bytes_delta =
      static_cast<int64_t>((commit_system_ns_.capacity() - commits_capacity) * sizeof(int64_t));
  size_t line_no = 0;
  SeriesColumns* current = nullptr;
  size_t field_no = 0;  // position of the field in its line
  int64_t valid = 0;
  uint64_t points = 0;
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
            it->second.type = value.type;
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
        if (column.type != value.type) return;
        if (!column.rows.empty() && valid <= column.last_valid_ns) {
          column.strictly_increasing = false;
        }
        column.last_valid_ns = valid;
        // Grow by half rather than doubling: memtable columns grow in lockstep, and doubling them
        // all at once would overshoot the memtable budget by up to 2x (engine.h). Start small:
        // with a million series a column may hold three points until its flush. Accounted by
        // growth, never by walking the column (its strings made that quadratic).
        if (column.rows.size() == column.rows.capacity()) {
          const size_t before = column.HeapBytes();
          const size_t grown = std::max<size_t>(4, column.rows.capacity() * 3 / 2);
          column.rows.reserve(grown);
          if (value.type == FieldType::kString) column.strings.reserve(grown);
          bytes_delta += static_cast<int64_t>(column.HeapBytes() - before);
        }
        if (value.type == FieldType::kString) {
          column.strings.emplace_back(tombstone ? std::string_view() : value.s);
          bytes_delta += static_cast<int64_t>(StringHeapBytes(column.strings.back()));
        }
        column.rows.push_back(
            Row{valid, value.Bits(), commit, static_cast<uint8_t>(tombstone ? 1 : 0)});
        observed.Field(key, valid, value, tombstone);
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

size_t MemTable::Column::HeapBytes() const {
  size_t bytes = rows.capacity() * sizeof(Row) + strings.capacity() * sizeof(std::string);
  for (const std::string& s : strings) bytes += StringHeapBytes(s);
  return bytes;
}

void MemTable::AppendVersions(const Column& column, size_t begin, size_t end,
                              VersionColumn* out) const {
  const size_t base = out->size();
  const size_t n = end - begin;
  out->valid_ns.resize(base + n);
  out->system_ns.resize(base + n);
  out->bits.resize(base + n);
  out->tombstone.resize(base + n);
  for (size_t i = 0; i < n; ++i) {
    const Row& row = column.rows[begin + i];
    out->valid_ns[base + i] = row.valid_ns;
    out->system_ns[base + i] = commit_system_ns_[row.commit];
    out->bits[base + i] = row.bits;
    out->tombstone[base + i] = row.tombstone;
  }
  if (column.type == FieldType::kString) {
    out->strings.insert(out->strings.end(), column.strings.begin() + begin,
                        column.strings.begin() + end);
  }
}

void MemTable::CollectVersions(SeriesId series, std::string_view field, int64_t min_ns,
                               int64_t max_ns, VersionColumn* out) const {
  std::shared_lock lock(mu_);
  auto s = series_.find(series.value);
  if (s == series_.end()) return;
  auto c = s->second.by_field.find(field);
  if (c == s->second.by_field.end()) return;
  const Column& column = c->second;
  const std::vector<Row>& rows = column.rows;
  if (out->empty()) out->type = column.type;
  if (out->type != column.type) return;
  size_t lo = 0, hi = rows.size();
  if (column.strictly_increasing) {
    auto before = [](const Row& row, int64_t t) { return row.valid_ns < t; };
    lo = std::lower_bound(rows.begin(), rows.end(), min_ns, before) - rows.begin();
    if (max_ns != kNoEndNs) {
      hi = std::lower_bound(rows.begin(), rows.end(), max_ns, before) - rows.begin();
    }
  }
  if (column.strictly_increasing) {
    AppendVersions(column, lo, hi, out);  // every row of [lo, hi) is in the range
    return;
  }
  for (size_t i = lo; i < hi; ++i) {
    const int64_t valid = rows[i].valid_ns;
    if (valid >= min_ns && BeforeRangeEnd(valid, max_ns)) AppendVersions(column, i, i + 1, out);
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
  VersionColumn versions;
  for (const auto& [id, columns] : by_id) {
    for (const auto& [field, column] : columns->by_field) {
      versions.Clear();
      versions.type = column.type;
      AppendVersions(column, 0, column.rows.size(), &versions);
      visit(SeriesId{id}, field, versions);
    }
  }
}

uint64_t MemTable::MemoryBytesByWalking() const {
  std::shared_lock lock(mu_);
  uint64_t bytes = commit_system_ns_.capacity() * sizeof(int64_t);
  for (const auto& [id, columns] : series_) {
    for (const auto& [field, column] : columns.by_field) bytes += column.HeapBytes();
  }
  return bytes;
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
