#include "engine/memtable.h"

#include <algorithm>
#include <bit>
#include <mutex>
#include <numeric>

#include "engine/write_batch.h"

namespace strata::engine {

void MemTable::Column::Append(int64_t valid, int64_t system, const FieldValue& value) {
  if (!valid_ns.empty() && valid <= valid_ns.back()) strictly_increasing = false;
  valid_ns.push_back(valid);
  system_ns.push_back(system);
  switch (type) {
    case FieldType::kFloat:
      bits.push_back(std::bit_cast<uint64_t>(value.f));
      break;
    case FieldType::kInt:
      bits.push_back(static_cast<uint64_t>(value.i));
      break;
    case FieldType::kUint:
      bits.push_back(value.u);
      break;
    case FieldType::kBool:
      bits.push_back(value.b ? 1 : 0);
      break;
    case FieldType::kString:
      bits.push_back(strings.size());
      strings.emplace_back(value.s);
      break;
  }
}

FieldValue MemTable::Column::ValueAt(size_t i) const {
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
      return FieldValue::String(strings[bits[i]]);
  }
  return FieldValue();
}

MemTable::Column* MemTable::SeriesColumns::Find(std::string_view field) {
  for (Column& c : columns) {
    if (c.field == field) return &c;
  }
  return nullptr;
}

Status MemTable::Apply(int64_t system_time_ns, std::string_view payload, SeriesIndex& index) {
  // Resolve series first, outside the memtable lock, so a corrupt payload changes nothing here.
  std::vector<SeriesId> line_series;
  Status first_error;
  STRATA_RETURN_IF_ERROR(DecodeWriteBatch(
      payload,
      [&](const BatchLine& line) {
        auto info = index.GetOrCreate(line.series_key);
        if (!info.ok()) {
          if (first_error.ok()) first_error = info.status();
          line_series.push_back(SeriesId{0});
          return;
        }
        line_series.push_back((*info)->id);
      },
      [](std::string_view, const FieldValue&) {}));
  STRATA_RETURN_IF_ERROR(first_error);

  std::unique_lock lock(mu_);
  size_t line_no = 0;
  SeriesColumns* current = nullptr;
  int64_t valid = 0;
  // The payload decoded once already, so this pass cannot fail.
  Status applied = DecodeWriteBatch(
      payload,
      [&](const BatchLine& line) {
        current = &series_[line_series[line_no++].value];
        valid = line.valid_time_ns;
      },
      [&](std::string_view key, const FieldValue& value) {
        Column* column = current->Find(key);
        if (column == nullptr) {
          current->columns.push_back(Column{std::string(key), value.type, {}, {}, {}, {}, true});
          column = &current->columns.back();
        }
        // The schema check before commit guarantees the type; a mismatch here means two types
        // slipped in through a WAL written by an older build, and the value is skipped.
        if (column->type != value.type) return;
        column->Append(valid, system_time_ns, value);
        ++points_;
        bytes_ += 24 + (value.type == FieldType::kString ? value.s.size() + 32 : 0);
      });
  return applied;
}

void MemTable::ScanField(SeriesId series, std::string_view field, int64_t min_ns, int64_t max_ns,
                         int64_t as_of_ns, const PointVisitor& visit) const {
  std::shared_lock lock(mu_);
  auto it = series_.find(series.value);
  if (it == series_.end()) return;
  const Column* column = nullptr;
  for (const Column& c : it->second.columns) {
    if (c.field == field) column = &c;
  }
  if (column == nullptr) return;
  const auto& valid = column->valid_ns;
  const auto& system = column->system_ns;

  if (column->strictly_increasing) {
    auto lo = std::lower_bound(valid.begin(), valid.end(), min_ns) - valid.begin();
    auto hi = std::lower_bound(valid.begin(), valid.end(), max_ns) - valid.begin();
    for (auto i = lo; i < hi; ++i) {
      if (system[i] <= as_of_ns) visit(valid[i], column->ValueAt(i));
    }
    return;
  }

  std::vector<uint32_t> order;
  for (size_t i = 0; i < valid.size(); ++i) {
    if (valid[i] >= min_ns && valid[i] < max_ns && system[i] <= as_of_ns) {
      order.push_back(static_cast<uint32_t>(i));
    }
  }
  // Append order breaks ties of equal system time: the later line of a batch wins.
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (valid[a] != valid[b]) return valid[a] < valid[b];
    if (system[a] != system[b]) return system[a] < system[b];
    return a < b;
  });
  for (size_t k = 0; k < order.size(); ++k) {
    uint32_t i = order[k];
    if (k + 1 < order.size() && valid[order[k + 1]] == valid[i]) continue;  // superseded
    visit(valid[i], column->ValueAt(i));
  }
}

uint64_t MemTable::points() const {
  std::shared_lock lock(mu_);
  return points_;
}

uint64_t MemTable::ApproximateBytes() const {
  std::shared_lock lock(mu_);
  return bytes_;
}

}  // namespace strata::engine
