#include "engine/version_column.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <numeric>

namespace strata::engine {

void VersionColumn::Clear() {
  valid_ns.clear();
  system_ns.clear();
  bits.clear();
  strings.clear();
  tombstone.clear();
}

void VersionColumn::Reserve(size_t n) {
  valid_ns.reserve(n);
  system_ns.reserve(n);
  bits.reserve(n);
  tombstone.reserve(n);
  if (type == FieldType::kString) strings.reserve(n);
}

void VersionColumn::Append(int64_t valid, int64_t system, const FieldValue& value,
                           bool is_tombstone) {
  valid_ns.push_back(valid);
  system_ns.push_back(system);
  tombstone.push_back(is_tombstone ? 1 : 0);
  bits.push_back(value.Bits());
  if (type == FieldType::kString) strings.emplace_back(value.s);
}

void VersionColumn::AppendRow(const VersionColumn& other, size_t i) {
  valid_ns.push_back(other.valid_ns[i]);
  system_ns.push_back(other.system_ns[i]);
  bits.push_back(other.bits[i]);
  tombstone.push_back(other.tombstone[i]);
  if (type == FieldType::kString) strings.push_back(other.strings[i]);
}

void VersionColumn::AppendRows(const VersionColumn& other, size_t begin, size_t end) {
  valid_ns.insert(valid_ns.end(), other.valid_ns.begin() + begin, other.valid_ns.begin() + end);
  system_ns.insert(system_ns.end(), other.system_ns.begin() + begin,
                   other.system_ns.begin() + end);
  bits.insert(bits.end(), other.bits.begin() + begin, other.bits.begin() + end);
  tombstone.insert(tombstone.end(), other.tombstone.begin() + begin,
                   other.tombstone.begin() + end);
  if (type == FieldType::kString) {
    strings.insert(strings.end(), other.strings.begin() + begin, other.strings.begin() + end);
  }
}

FieldValue VersionColumn::ValueAt(size_t i) const {
  switch (type) {
    case FieldType::kFloat:
      return FieldValue::Float(std::bit_cast<double>(bits[i]));
    case FieldType::kInt:
      return FieldValue::Int(static_cast<int64_t>(bits[i]));
    case FieldType::kUint:
      return FieldValue::Uint(bits[i]);
    case FieldType::kBool:
      return FieldValue::Bool(bits[i] != 0);
    case FieldType::kString:
      return FieldValue::String(strings[i]);
  }
  return FieldValue();
}

bool SameVersionContent(const VersionColumn& a, size_t i, const VersionColumn& b, size_t j) {
  if (a.tombstone[i] != b.tombstone[j]) return false;
  if (a.tombstone[i]) return true;
  if (a.bits[i] != b.bits[j]) return false;
  return a.type != FieldType::kString || a.strings[i] == b.strings[j];
}

namespace {

bool KeyLess(const VersionColumn& c, size_t a, size_t b) {
  if (c.valid_ns[a] != c.valid_ns[b]) return c.valid_ns[a] < c.valid_ns[b];
  return c.system_ns[a] < c.system_ns[b];
}

// Calls emit(row) for every row with valid time in [min_ns, max_ns) and system time <= as_of_ns,
// in (valid, system, given) order. Scans gather rows as sorted runs (one per chunk file or
// memtable, consecutive files often forming one run), so the runs are merged rather than the
// rows sorted: one pass without allocation for a single run, a k-way merge for a few (1%
// corrections in a newer file cost a second run, not a sort). Many runs (a memtable written
// out of order) fall back to walking the longest run and sorting the rest.
template <typename Emit>
void ForEachRowInOrder(const VersionColumn& c, int64_t min_ns, int64_t max_ns, int64_t as_of_ns,
                       Emit&& emit) {
  struct Run {
    size_t next, end;
  };
  constexpr size_t kMaxMergedRuns = 8;
  const size_t n = c.size();
  std::vector<Run> runs;
  for (size_t begin = 0; begin < n;) {
    size_t end = begin + 1;
    while (end < n && !KeyLess(c, end, end - 1)) ++end;
    runs.push_back({begin, end});
    begin = end;
  }
  auto below_max = [max_ns](int64_t v) { return BeforeRangeEnd(v, max_ns); };
  auto first_in_range = [&](const Run& run) {
    return static_cast<size_t>(std::lower_bound(c.valid_ns.begin() + run.next,
                                                c.valid_ns.begin() + run.end, min_ns) -
                               c.valid_ns.begin());
  };

  if (runs.size() == 1) {
    for (size_t i = first_in_range(runs[0]); i < n && below_max(c.valid_ns[i]); ++i) {
      if (c.system_ns[i] <= as_of_ns) emit(i);
    }
    return;
  }
  if (runs.size() <= kMaxMergedRuns) {
    for (Run& run : runs) run.next = first_in_range(run);
    constexpr size_t kNone = static_cast<size_t>(-1);
    // Row x goes before row y: smaller key, or the same key given earlier.
    auto before = [&](size_t x, size_t y) {
      return KeyLess(c, x, y) || (!KeyLess(c, y, x) && x < y);
    };
    while (true) {
      // The smallest head, and the next smallest: the best run's rows are emitted in one
      // stretch until they pass the runner-up, so long stretches cost one comparison a row.
      size_t best = kNone, runner_up = kNone;
      Run* best_run = nullptr;
      for (Run& run : runs) {
        while (run.next < run.end && c.system_ns[run.next] > as_of_ns &&
               below_max(c.valid_ns[run.next])) {
          ++run.next;
        }
        if (run.next == run.end || !below_max(c.valid_ns[run.next])) continue;
        if (best == kNone || before(run.next, best)) {
          runner_up = best;
          best = run.next;
          best_run = &run;
        } else if (runner_up == kNone || before(run.next, runner_up)) {
          runner_up = run.next;
        }
      }
      if (best == kNone) return;
      size_t& i = best_run->next;
      do {
        if (c.system_ns[i] <= as_of_ns) emit(i);
        ++i;
      } while (i < best_run->end && below_max(c.valid_ns[i]) &&
               (runner_up == kNone || before(i, runner_up)));
    }
  }

  const Run* base = &runs[0];
  for (const Run& run : runs) {
    if (run.end - run.next > base->end - base->next) base = &run;
  }
  std::vector<uint32_t> rest;
  for (size_t i = 0; i < n; ++i) {
    if ((i < base->next || i >= base->end) && c.valid_ns[i] >= min_ns &&
        below_max(c.valid_ns[i]) && c.system_ns[i] <= as_of_ns) {
      rest.push_back(static_cast<uint32_t>(i));
    }
  }
  std::stable_sort(rest.begin(), rest.end(),
                   [&](uint32_t x, uint32_t y) { return KeyLess(c, x, y); });
  size_t b = first_in_range(*base);
  size_t r = 0;
  while (true) {
    while (b < base->end && below_max(c.valid_ns[b]) && c.system_ns[b] > as_of_ns) ++b;
    const bool base_left = b < base->end && below_max(c.valid_ns[b]);
    if (!base_left && r == rest.size()) break;
    // Ties on (valid, system) go to the row given first, as a stable sort of all rows would.
    const bool take_base =
        base_left && (r == rest.size() || KeyLess(c, b, rest[r]) ||
                      (!KeyLess(c, rest[r], b) && b < rest[r]));
    emit(take_base ? b++ : rest[r++]);
  }
}

}  // namespace

void ResolveVersions(const VersionColumn& column, int64_t min_ns, int64_t max_ns,
                     int64_t as_of_ns,
                     const std::function<void(int64_t valid_ns, const FieldValue& value)>& visit) {
  // The last row of each valid time (greatest system time, later given) is the visible one.
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t pending = kNone;
  auto finish = [&] {
    if (pending != kNone && !column.tombstone[pending]) {
      visit(column.valid_ns[pending], column.ValueAt(pending));
    }
  };
  ForEachRowInOrder(column, min_ns, max_ns, as_of_ns, [&](size_t i) {
    if (pending != kNone && column.valid_ns[pending] != column.valid_ns[i]) finish();
    pending = i;
  });
  finish();
}

void ResolveVersionSpans(const VersionColumn& column, int64_t min_ns, int64_t max_ns,
                         int64_t as_of_ns,
                         const std::function<void(size_t begin, size_t end)>& visit) {
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t pending = kNone;
  size_t span_begin = kNone, span_end = kNone;
  auto finish = [&] {
    if (pending == kNone || column.tombstone[pending]) return;
    if (span_begin != kNone && pending == span_end) {
      ++span_end;
      return;
    }
    if (span_begin != kNone) visit(span_begin, span_end);
    span_begin = pending;
    span_end = pending + 1;
  };
  ForEachRowInOrder(column, min_ns, max_ns, as_of_ns, [&](size_t i) {
    if (pending != kNone && column.valid_ns[pending] != column.valid_ns[i]) finish();
    pending = i;
  });
  finish();
  if (span_begin != kNone) visit(span_begin, span_end);
}

namespace {

// Versions of one point, oldest first, as ForEachVersion defines them. `previous` is the content
// the point had before these rows (kNone: no version, which a tombstone does not change).
class VersionGroup {
 public:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  explicit VersionGroup(const VersionColumn& column) : column_(column) {}

  // Rows must come in (system, given) order for one valid time.
  void Add(size_t row) {
    if (!rows_.empty() && column_.system_ns[rows_.back()] == column_.system_ns[row]) {
      rows_.back() = row;  // same batch: the later line wins
    } else {
      rows_.push_back(row);
    }
  }

  // Calls keep(row) for each row that is a version, given the content before them.
  template <typename Keep>
  void Finish(const VersionColumn* previous_column, size_t previous_row, Keep&& keep) {
    const VersionColumn* prev_column = previous_column;
    size_t prev = previous_row;
    for (size_t row : rows_) {
      const bool redundant =
          prev == kNone ? column_.tombstone[row] != 0
                        : SameVersionContent(*prev_column, prev, column_, row);
      if (redundant) continue;
      keep(row);
      prev_column = &column_;
      prev = row;
    }
    rows_.clear();
  }

  bool empty() const { return rows_.empty(); }
  size_t front() const { return rows_.front(); }

 private:
  const VersionColumn& column_;
  std::vector<size_t> rows_;
};

}  // namespace

void ForEachVersion(const VersionColumn& column, int64_t min_ns, int64_t max_ns,
                    int64_t as_of_ns, const std::function<void(const VersionView&)>& visit) {
  VersionGroup group(column);
  std::vector<size_t> kept;
  auto finish = [&] {
    if (group.empty()) return;
    group.Finish(nullptr, VersionGroup::kNone, [&](size_t row) { kept.push_back(row); });
    for (size_t k = 0; k < kept.size(); ++k) {
      const size_t row = kept[k];
      VersionView view;
      view.valid_ns = column.valid_ns[row];
      view.tombstone = column.tombstone[row] != 0;
      if (!view.tombstone) view.value = column.ValueAt(row);
      view.system_from_ns = column.system_ns[row];
      view.system_to_ns = k + 1 < kept.size() ? column.system_ns[kept[k + 1]] : kOpenSystemTo;
      visit(view);
    }
    kept.clear();
  };
  ForEachRowInOrder(column, min_ns, max_ns, as_of_ns, [&](size_t i) {
    if (!group.empty() && column.valid_ns[group.front()] != column.valid_ns[i]) finish();
    group.Add(i);
  });
  finish();
}

bool IsPlainAppend(const VersionColumn& column) {
  const auto& valid = column.valid_ns;
  return std::adjacent_find(valid.begin(), valid.end(), std::greater_equal<>()) == valid.end() &&
         std::find(column.tombstone.begin(), column.tombstone.end(), 1) ==
             column.tombstone.end();
}

void DropRedundantVersions(const VersionColumn& base, VersionColumn* fresh) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // Nothing to drop: no duplicates within fresh, no tombstone, no older version to repeat.
  if (base.empty() && IsPlainAppend(*fresh)) return;
  // The current content of each valid time in base: its last row in (system, given) order.
  std::vector<size_t> base_last;
  ForEachRowInOrder(base, kMin, kMax, kMax, [&](size_t i) {
    if (!base_last.empty() && base.valid_ns[base_last.back()] == base.valid_ns[i]) {
      base_last.back() = i;
    } else {
      base_last.push_back(i);
    }
  });

  const VersionColumn& in = *fresh;
  VersionColumn out;
  out.type = in.type;
  out.Reserve(in.size());
  VersionGroup group(in);
  size_t next_base = 0;
  auto finish = [&] {
    if (group.empty()) return;
    const int64_t valid = in.valid_ns[group.front()];
    while (next_base < base_last.size() && base.valid_ns[base_last[next_base]] < valid) {
      ++next_base;
    }
    const bool in_base =
        next_base < base_last.size() && base.valid_ns[base_last[next_base]] == valid;
    group.Finish(&base, in_base ? base_last[next_base] : VersionGroup::kNone,
                 [&](size_t row) { out.AppendRow(in, row); });
  };
  ForEachRowInOrder(in, kMin, kMax, kMax, [&](size_t i) {
    if (!group.empty() && in.valid_ns[group.front()] != in.valid_ns[i]) finish();
    group.Add(i);
  });
  finish();
  *fresh = std::move(out);
}

void SortVersions(VersionColumn* column) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const size_t n = column->size();
  size_t in_order = 1;
  while (in_order < n && !KeyLess(*column, in_order, in_order - 1)) ++in_order;
  if (in_order >= n) return;  // already in order: the common case, a writer appending in time order
  VersionColumn sorted;
  sorted.type = column->type;
  sorted.Reserve(column->size());
  ForEachRowInOrder(*column, kMin, kMax, kMax, [&](size_t i) { sorted.AppendRow(*column, i); });
  *column = std::move(sorted);
}

}  // namespace strata::engine
