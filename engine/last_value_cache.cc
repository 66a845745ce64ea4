#include "engine/last_value_cache.h"

#include <algorithm>

namespace strata::engine {
namespace {

// Entry or const Entry, as entries is.
template <typename Entries>
auto* FindField(Entries& entries, std::string_view field) {
  for (auto& entry : entries.fields) {
    if (entry.field == field) return &entry;
  }
  return static_cast<decltype(&entries.fields[0])>(nullptr);
}

}  // namespace

void LastValueCache::StartAt(int64_t system_time_ns) {
  std::lock_guard lock(mu_);
  applied_system_ns_ = std::max(applied_system_ns_, system_time_ns);
}

std::optional<std::optional<LastPoint>> LastValueCache::Get(SeriesId series,
                                                           std::string_view field) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(series.value);
  if (it == series_.end()) return std::nullopt;
  const SeriesEntries::Entry* entry = FindField(it->second, field);
  if (entry == nullptr) return std::nullopt;
  return entry->point;
}

LastValueCache::FillTicket LastValueCache::BeginFill(SeriesId series) {
  std::lock_guard lock(mu_);
  Pending& pending = pending_[series.value];
  ++pending.fills;
  return FillTicket{series, pending.writes, applied_system_ns_};
}

void LastValueCache::Install(const FillTicket& ticket, std::string_view field,
                             const std::optional<LastPoint>& point) {
  std::lock_guard lock(mu_);
  auto pending = pending_.find(ticket.series.value);
  if (pending == pending_.end() || pending->second.writes != ticket.writes_seen) return;
  auto it = series_.find(ticket.series.value);
  if (it != series_.end()) {
    if (SeriesEntries::Entry* existing = FindField(it->second, field)) {
      // Another fill of the same series got here first with the same commits applied.
      existing->point = point;
      return;
    }
  }
  if (entries_ >= max_entries_) return;
  series_[ticket.series.value].fields.push_back({std::string(field), point});
  ++entries_;
}

void LastValueCache::EndFill(const FillTicket& ticket) {
  std::lock_guard lock(mu_);
  auto pending = pending_.find(ticket.series.value);
  if (pending != pending_.end() && --pending->second.fills == 0) pending_.erase(pending);
}

size_t LastValueCache::entries() const {
  std::lock_guard lock(mu_);
  return entries_;
}

LastValueCache::Applier::Applier(LastValueCache* cache, int64_t system_time_ns)
    : cache_(cache), system_time_ns_(system_time_ns) {
  if (cache_ == nullptr) return;
  lock_ = std::unique_lock(cache_->mu_);
  cache_->applied_system_ns_ = std::max(cache_->applied_system_ns_, system_time_ns_);
  tracking_ = !cache_->series_.empty() || !cache_->pending_.empty();
  // Nothing to keep current: let fills and lookups proceed while the batch is applied. A fill
  // that begins meanwhile scans as of this batch's system time, and its scan waits for the
  // memtable, which the batch holds until every row is in.
  if (!tracking_) lock_.unlock();
}

LastValueCache::Applier::~Applier() = default;

void LastValueCache::Applier::Line(SeriesId series) {
  if (!tracking_) return;
  if (!cache_->pending_.empty()) {
    auto pending = cache_->pending_.find(series.value);
    if (pending != cache_->pending_.end()) ++pending->second.writes;
  }
  auto it = cache_->series_.find(series.value);
  current_ = it == cache_->series_.end() ? nullptr : &it->second;
  next_field_ = 0;
}

void LastValueCache::Applier::Update(std::string_view field, int64_t valid_ns,
                                     const FieldValue& value, bool tombstone) {
  // Lines of a series name their fields in the same order, and a fill of last(*) caches them in
  // schema order: searching on from the previous match makes one comparison the usual cost.
  std::vector<SeriesEntries::Entry>& fields = current_->fields;
  SeriesEntries::Entry* entry = nullptr;
  for (size_t k = 0; k < fields.size(); ++k) {
    const size_t i = (next_field_ + k) % fields.size();
    if (fields[i].field == field) {
      entry = &fields[i];
      next_field_ = i + 1;
      break;
    }
  }
  if (entry == nullptr) return;  // not asked for yet: the first query fills it
  std::optional<LastPoint>& point = entry->point;
  if (tombstone) {
    // The cached point is deleted: the new last point is older, and only a scan finds it.
    if (point && point->valid_ns == valid_ns) {
      current_->fields.erase(current_->fields.begin() + (entry - current_->fields.data()));
      --cache_->entries_;
    }
    return;
  }
  if (point && valid_ns < point->valid_ns) return;
  if (value.type != (point ? point->type : value.type)) return;  // the schema forbids it
  LastPoint& last = point.emplace();
  last.valid_ns = valid_ns;
  last.type = value.type;
  last.bits = value.Bits();
  if (value.type == FieldType::kString) last.str.assign(value.s);
}

}  // namespace strata::engine
