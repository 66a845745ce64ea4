#include "engine/memtable.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "engine/write_batch.h"

namespace strata::engine {

namespace {

// Heap bytes of a string beyond its small-string buffer.
size_t StringHeapBytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() : 0; }

}  // namespace

Status ResolveBatchSeries(std::string_view payload, SeriesIndex& index,
                          std::vector<SeriesId>* series_by_number) {
  series_by_number->clear();
  Status first_error;
  STRATA_RETURN_IF_ERROR(DecodeWriteBatchInline(
      payload,
      [&](const BatchLine& line) {
        if (!line.new_series) return;
        auto info = index.GetOrCreate(line.series_key);
        if (!info.ok() && first_error.ok()) first_error = info.status();
        series_by_number->push_back(info.ok() ? (*info)->id : SeriesId{0});
      },
      [](std::string_view, const FieldValue&, bool) {}));
  return first_error;
}

Status MemTable::Apply(int64_t system_time_ns, std::string_view payload, SeriesIndex& index,
                       LastValueCache* last_values) {
  // Resolve series first, outside the memtable lock, so a corrupt payload changes nothing here.
  std::vector<SeriesId> series_by_number;
  STRATA_RETURN_IF_ERROR(ResolveBatchSeries(payload, index, &series_by_number));
  return ApplyResolved(system_time_ns, payload, series_by_number, last_values);
}

Status MemTable::ApplyResolved(int64_t system_time_ns, std::string_view payload,
                               std::span<const SeriesId> series_by_number,
                               LastValueCache* last_values) {
  std::unique_lock lock(mu_);
  if (commit_system_ns_.size() >= kMaxPoints ||
      points_.load(std::memory_order_relaxed) >= kMaxPoints) {
    return Status::ResourceExhausted("memtable holds " + std::to_string(points()) + " points of " +
                                     std::to_string(commit_system_ns_.size()) +
                                     " commits: its limit is " + std::to_string(kMaxPoints));
  }
  // Released before the memtable lock: a fill's scan then sees the whole batch.
  LastValueCache::Applier observed(last_values, system_time_ns);
  const auto commit = static_cast<uint32_t>(commit_system_ns_.size());
  const size_t commits_capacity = commit_system_ns_.capacity();
  commit_system_ns_.push_back(system_time_ns);
  int64_t bytes_delta =
      static_cast<int64_t>((commit_system_ns_.capacity() - commits_capacity) * sizeof(int64_t));
  size_t unresolved_lines = 0;
  SeriesColumns* current = nullptr;
  size_t field_no = 0;  // position of the field in its line
  int64_t valid = 0;
  uint64_t points = 0;
  uint64_t shape = 0;        // last_shape_ of the field keys the current line has
  bool known_shape = false;  // the current series' last_line maps exactly those keys
  // Each series' columns, looked up once per batch; filled as numbers first appear.
  std::vector<SeriesColumns*> columns_by_number(series_by_number.size(), nullptr);
  Status applied = DecodeWriteBatchInline(
      payload,
      [&](const BatchLine& line) {
        if (line.series_number >= series_by_number.size()) {
          current = nullptr;
          ++unresolved_lines;
          return;
        }
        const SeriesId series = series_by_number[line.series_number];
        SeriesColumns*& columns = columns_by_number[line.series_number];
        if (columns == nullptr) columns = &series_[series.value];
        current = columns;
        field_no = 0;
        valid = line.valid_time_ns;
        if (!line.repeats_fields) shape = ++last_shape_;
        // The series' last line had these very keys: its columns are in last_line already.
        known_shape = current->last_line_shape == shape;
        current->last_line_shape = shape;
        if (known_shape) {
          // Each field's column header is a cache miss (a series' columns are map nodes apart,
          // and thousands of columns take turns): ask for them all now, so the misses overlap
          // instead of stalling field by field.
          for (Columns::iterator it : current->last_line) {
            __builtin_prefetch(&it->second);
            __builtin_prefetch(reinterpret_cast<const char*>(&it->second) + sizeof(Column) - 1);
          }
        }
        observed.Line(series);
      },
      // Runs once per point; left out of line, its call and frame cost more than its body.
      [&](std::string_view key, const FieldValue& value, bool tombstone) __attribute__((always_inline)) {
        if (current == nullptr) return;
        auto& last_line = current->last_line;
        Columns::iterator it;
        if (known_shape ||
            (field_no < last_line.size() && last_line[field_no]->first == key)) {
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
        // Accounted by growth, never by walking the column (its strings made that quadratic).
        if (value.type == FieldType::kString) {
          if (column.strings == nullptr) {
            column.strings = std::make_unique<std::vector<std::string>>();
          }
          std::vector<std::string>& strings = *column.strings;
          if (strings.size() == strings.capacity()) {
            const size_t before = strings.capacity();
            strings.reserve(std::max<size_t>(4, before * 3 / 2));
            bytes_delta +=
                static_cast<int64_t>((strings.capacity() - before) * sizeof(std::string));
          }
          strings.emplace_back(tombstone ? std::string_view() : value.s);
          bytes_delta += static_cast<int64_t>(StringHeapBytes(strings.back()));
        }
        const uint32_t tag = Tag(commit, tombstone);
        if (column.rows.empty() || tag != column.last_tag) {
          bytes_delta += static_cast<int64_t>(column.runs.Append(
              CommitRun{static_cast<uint32_t>(column.rows.size()), tag}, row_arena_));
          column.last_tag = tag;
        }
        bytes_delta += static_cast<int64_t>(column.rows.Append(valid, value.Bits(), row_arena_));
        observed.Field(key, valid, value, tombstone);
        ++points;
      });
  if (points > 0) {
    if (min_system_ns_ == 0) min_system_ns_ = system_time_ns;
    max_system_ns_ = system_time_ns;
  }
  points_.fetch_add(points, std::memory_order_relaxed);
  bytes_.fetch_add(static_cast<uint64_t>(bytes_delta), std::memory_order_relaxed);
  if (applied.ok() && unresolved_lines > 0) {
    return Status::Corruption("write batch has " + std::to_string(unresolved_lines) +
                              " lines of series not resolved (" +
                              std::to_string(series_by_number.size()) + " resolved)");
  }
  return applied;
}

MemTable::RowLog::RowLog(RowLog&& other) noexcept
    : head_(std::exchange(other.head_, nullptr)),
      last_(std::exchange(other.last_, nullptr)),
      tail_(std::exchange(other.tail_, nullptr)),
      tail_end_(std::exchange(other.tail_end_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MemTable::RowLog& MemTable::RowLog::operator=(RowLog&& other) noexcept {
  if (this != &other) {
    head_ = std::exchange(other.head_, nullptr);
    last_ = std::exchange(other.last_, nullptr);
    tail_ = std::exchange(other.tail_, nullptr);
    tail_end_ = std::exchange(other.tail_end_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

size_t MemTable::RowLog::Grow(int64_t valid_ns, uint64_t bits, BlockArena& arena) {
  // Grow by half rather than doubling: memtable columns grow in lockstep, and doubling them all
  // at once would overshoot the memtable budget by up to 2x (engine.h). Start small: with a
  // million series a column may hold three points until its flush.
  const size_t capacity = last_ == nullptr ? 0 : last_->start + last_->capacity;
  const size_t grown = std::min(kMaxSegmentRows, std::max<size_t>(4, capacity / 2));
  const size_t bytes = sizeof(Segment) + grown * sizeof(Row);
  auto* segment = static_cast<Segment*>(arena.Allocate(bytes));
  segment->next = nullptr;
  segment->start = size_;
  segment->capacity = grown;
  (last_ == nullptr ? head_ : last_->next) = segment;
  last_ = segment;
  tail_ = segment->rows();
  tail_end_ = tail_ + grown;
  return bytes + Append(valid_ns, bits, arena);
}

size_t MemTable::RowLog::HeapBytes() const {
  size_t bytes = 0;
  for (const Segment* s = head_; s != nullptr; s = s->next) {
    bytes += sizeof(Segment) + s->capacity * sizeof(Row);
  }
  return bytes;
}

template <typename Visit>
void MemTable::RowLog::ForEachRun(size_t begin, size_t end, Visit&& visit) const {
  for (const Segment* segment = head_; segment != nullptr && begin < end; segment = segment->next) {
    const size_t segment_end = segment->start + segment->Filled(size_);
    if (begin >= segment_end) continue;
    const size_t stop = std::min(end, segment_end);
    visit(segment->rows() + (begin - segment->start), stop - begin);
    begin = stop;
  }
}

size_t MemTable::RowLog::LowerBound(int64_t t) const {
  for (const Segment* segment = head_; segment != nullptr; segment = segment->next) {
    const size_t n = segment->Filled(size_);
    const Row* rows = segment->rows();
    if (rows[n - 1].valid_ns < t) continue;  // the whole segment is below t
    const Row* at = std::lower_bound(rows, rows + n, t,
                                     [](const Row& row, int64_t v) { return row.valid_ns < v; });
    return segment->start + static_cast<size_t>(at - rows);
  }
  return size_;
}

size_t MemTable::CommitRuns::Grow(BlockArena& arena) {
  const uint32_t grown = GrownCapacity(capacity_);
  auto* data = static_cast<CommitRun*>(arena.Allocate(grown * sizeof(CommitRun)));
  std::copy(data_, data_ + size_, data);
  data_ = data;
  capacity_ = grown;
  return AllocationBytes(grown);
}

size_t MemTable::CommitRuns::HeapBytes() const {
  size_t bytes = 0;
  for (uint32_t capacity = 0; capacity < capacity_;) {
    capacity = GrownCapacity(capacity);
    bytes += AllocationBytes(capacity);
  }
  return bytes;
}

size_t MemTable::CommitRuns::RunOf(size_t row) const {
  const CommitRun* after = std::upper_bound(
      data_, data_ + size_, row, [](size_t r, const CommitRun& run) { return r < run.first_row; });
  return static_cast<size_t>(after - data_) - 1;  // the first run starts at row 0
}

size_t MemTable::Column::HeapBytes() const {
  size_t bytes = rows.HeapBytes() + runs.HeapBytes();
  if (strings != nullptr) {
    bytes += strings->capacity() * sizeof(std::string);
    for (const std::string& s : *strings) bytes += StringHeapBytes(s);
  }
  return bytes;
}

void MemTable::AppendVersions(const Column& column, size_t begin, size_t end,
                              VersionColumn* out) const {
  const size_t at = out->size();
  const size_t n = end - begin;
  out->valid_ns.resize(at + n);
  out->system_ns.resize(at + n);
  out->bits.resize(at + n);
  out->tombstone.resize(at + n);
  // Raw pointers and a local index: a store through bits (uint64_t) could otherwise alias the
  // index and the vectors' own pointers, and force a reload of each per row.
  int64_t* const valid_ns = out->valid_ns.data() + at;
  uint64_t* const bits = out->bits.data() + at;
  size_t done = 0;
  column.rows.ForEachRun(begin, end, [&](const Row* rows, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      valid_ns[done + i] = rows[i].valid_ns;
      bits[done + i] = rows[i].bits;
    }
    done += count;
  });
  // System times and tombstone flags are constant over each commit run.
  int64_t* const system_ns = out->system_ns.data() + at;
  uint8_t* const tombstone = out->tombstone.data() + at;
  const CommitRun* const runs = column.runs.data();
  const size_t run_count = column.runs.size();
  for (size_t r = column.runs.RunOf(begin), from = begin; from < end; ++r) {
    const size_t to = r + 1 < run_count ? std::min<size_t>(end, runs[r + 1].first_row) : end;
    std::fill(system_ns + (from - begin), system_ns + (to - begin),
              commit_system_ns_[runs[r].tag >> 1]);
    std::fill(tombstone + (from - begin), tombstone + (to - begin),
              static_cast<uint8_t>(runs[r].tag & 1));
    from = to;
  }
  if (column.strings != nullptr) {
    out->strings.insert(out->strings.end(), column.strings->begin() + static_cast<ptrdiff_t>(begin),
                        column.strings->begin() + static_cast<ptrdiff_t>(end));
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
  if (out->empty()) out->type = column.type;
  if (out->type != column.type) return;
  if (column.strictly_increasing) {
    const size_t lo = column.rows.LowerBound(min_ns);
    const size_t hi = max_ns == kNoEndNs ? column.rows.size() : column.rows.LowerBound(max_ns);
    if (lo < hi) AppendVersions(column, lo, hi, out);  // every row of [lo, hi) is in the range
    return;
  }
  // Unsorted: every row is checked, and each run of rows in the range is appended at once.
  std::vector<std::pair<size_t, size_t>> runs;
  size_t i = 0;
  column.rows.ForEachRun(0, column.rows.size(), [&](const Row* rows, size_t count) {
    for (size_t k = 0; k < count; ++k, ++i) {
      const int64_t valid = rows[k].valid_ns;
      if (valid < min_ns || !BeforeRangeEnd(valid, max_ns)) continue;
      if (!runs.empty() && runs.back().second == i) {
        ++runs.back().second;
      } else {
        runs.emplace_back(i, i + 1);
      }
    }
  });
  for (const auto& [begin, end] : runs) AppendVersions(column, begin, end, out);
}

void MemTable::ForEachColumn(
    const std::function<void(SeriesId, const std::string& field, const VersionColumn& column)>&
        visit,
    const std::function<bool(SeriesId)>& wanted) const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<uint64_t, const SeriesColumns*>> by_id;
  by_id.reserve(series_.size());
  for (const auto& [id, columns] : series_) {
    if (!wanted || wanted(SeriesId{id})) by_id.emplace_back(id, &columns);
  }
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

void MemTable::ForEachSeries(const std::function<void(SeriesId, uint64_t rows)>& visit) const {
  std::shared_lock lock(mu_);
  for (const auto& [id, columns] : series_) {
    uint64_t rows = 0;
    for (const auto& [field, column] : columns.by_field) rows += column.rows.size();
    visit(SeriesId{id}, rows);
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
