#include "engine/version_column.h"

#include <algorithm>
#include <bit>
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
  // Grow by half rather than letting each vector double: memtable columns grow in lockstep, and
  // doubling them all at once would overshoot the memtable budget by up to 2x (engine.h).
  if (valid_ns.size() == valid_ns.capacity()) {
    Reserve(std::max<size_t>(16, valid_ns.capacity() + valid_ns.capacity() / 2));
  }
  valid_ns.push_back(valid);
  system_ns.push_back(system);
  tombstone.push_back(is_tombstone ? 1 : 0);
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
      bits.push_back(0);
      strings.emplace_back(value.s);
      break;
  }
}

void VersionColumn::AppendRow(const VersionColumn& other, size_t i) {
  valid_ns.push_back(other.valid_ns[i]);
  system_ns.push_back(other.system_ns[i]);
  bits.push_back(other.bits[i]);
  tombstone.push_back(other.tombstone[i]);
  if (type == FieldType::kString) strings.push_back(other.strings[i]);
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

size_t VersionColumn::MemoryBytes() const {
  size_t bytes = (valid_ns.capacity() + system_ns.capacity() + bits.capacity()) * 8 +
                 tombstone.capacity() + strings.capacity() * sizeof(std::string);
  for (const std::string& s : strings) {
    if (s.capacity() > 15) bytes += s.capacity();  // beyond the small-string buffer
  }
  return bytes;
}

namespace {

// Rows in (valid, system) order, keeping the given order among equal keys; with filter, only
// rows in [min_ns, max_ns) known at as_of_ns.
std::vector<uint32_t> SortedOrder(const VersionColumn& c, bool filter, int64_t min_ns,
                                  int64_t max_ns, int64_t as_of_ns) {
  std::vector<uint32_t> order;
  order.reserve(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    if (!filter ||
        (c.valid_ns[i] >= min_ns && c.valid_ns[i] < max_ns && c.system_ns[i] <= as_of_ns)) {
      order.push_back(static_cast<uint32_t>(i));
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (c.valid_ns[a] != c.valid_ns[b]) return c.valid_ns[a] < c.valid_ns[b];
    return c.system_ns[a] < c.system_ns[b];
  });
  return order;
}

}  // namespace

void ResolveVersions(const VersionColumn& column, int64_t min_ns, int64_t max_ns,
                     int64_t as_of_ns,
                     const std::function<void(int64_t valid_ns, const FieldValue& value)>& visit) {
  std::vector<uint32_t> order = SortedOrder(column, true, min_ns, max_ns, as_of_ns);
  for (size_t k = 0; k < order.size(); ++k) {
    uint32_t i = order[k];
    if (k + 1 < order.size() && column.valid_ns[order[k + 1]] == column.valid_ns[i]) continue;
    if (column.tombstone[i]) continue;
    visit(column.valid_ns[i], column.ValueAt(i));
  }
}

void SortVersions(VersionColumn* column) {
  std::vector<uint32_t> order = SortedOrder(*column, false, 0, 0, 0);
  VersionColumn sorted;
  sorted.type = column->type;
  sorted.Reserve(order.size());
  for (uint32_t i : order) sorted.AppendRow(*column, i);
  *column = std::move(sorted);
}

}  // namespace strata::engine
