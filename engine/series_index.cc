#include "engine/series_index.h"

#include <algorithm>
#include <mutex>

#include "engine/line_protocol.h"

namespace strata::engine {

std::string_view SeriesInfo::TagValue(std::string_view tag_key) const {
  for (const auto& [k, v] : tags) {
    if (k == tag_key) return v;
  }
  return {};
}

namespace {

std::string TagPostingKey(std::string_view measurement, std::string_view key,
                          std::string_view value) {
  std::string posting;
  posting.reserve(measurement.size() + key.size() + value.size() + 2);
  posting.append(measurement).push_back('\0');
  posting.append(key).push_back('\0');
  posting.append(value);
  return posting;
}

}  // namespace

Result<const SeriesInfo*> SeriesIndex::GetOrCreate(std::string_view series_key) {
  if (const SeriesInfo* found = Find(series_key)) return found;
  SeriesInfo info;
  info.key = std::string(series_key);
  Status parsed = ParseSeriesKey(series_key, &info.measurement, &info.tags);
  if (!parsed.ok()) return Status::Corruption("series key '" + info.key + "': " + parsed.message());

  std::unique_lock lock(mu_);
  if (auto it = by_key_.find(series_key); it != by_key_.end()) return &series_[it->second.value - 1];
  info.id = SeriesId{series_.size() + 1};
  by_measurement_[info.measurement].push_back(info.id);
  for (const auto& [key, value] : info.tags) {
    by_tag_[TagPostingKey(info.measurement, key, value)].push_back(info.id);
  }
  series_.push_back(std::move(info));
  by_key_.emplace(series_.back().key, series_.back().id);
  return &series_.back();
}

Status SeriesIndex::Restore(SeriesId id, std::string_view series_key) {
  if (id.value != size() + 1) {
    return Status::Corruption("catalog series ids are not contiguous at " +
                              std::to_string(id.value));
  }
  auto created = GetOrCreate(series_key);
  if (!created.ok()) return created.status();
  if ((*created)->id != id) {
    return Status::Corruption("catalog names series '" + std::string(series_key) + "' twice");
  }
  return Status::OK();
}

const SeriesInfo* SeriesIndex::Find(std::string_view series_key) const {
  std::shared_lock lock(mu_);
  auto it = by_key_.find(series_key);
  return it == by_key_.end() ? nullptr : &series_[it->second.value - 1];
}

const SeriesInfo* SeriesIndex::Get(SeriesId id) const {
  std::shared_lock lock(mu_);
  if (id.value == 0 || id.value > series_.size()) return nullptr;
  return &series_[id.value - 1];
}

std::vector<const SeriesInfo*> SeriesIndex::SeriesWithTag(std::string_view measurement,
                                                          std::string_view tag_key,
                                                          std::string_view tag_value) const {
  std::vector<const SeriesInfo*> out;
  const std::string posting = TagPostingKey(measurement, tag_key, tag_value);
  std::shared_lock lock(mu_);
  auto it = by_tag_.find(posting);
  if (it == by_tag_.end()) return out;
  out.reserve(it->second.size());
  for (SeriesId id : it->second) out.push_back(&series_[id.value - 1]);
  return out;
}

std::vector<const SeriesInfo*> SeriesIndex::SeriesOf(std::string_view measurement) const {
  std::vector<const SeriesInfo*> out;
  std::shared_lock lock(mu_);
  auto it = by_measurement_.find(measurement);
  if (it == by_measurement_.end()) return out;
  out.reserve(it->second.size());
  for (SeriesId id : it->second) out.push_back(&series_[id.value - 1]);
  return out;
}

std::vector<std::string> SeriesIndex::Measurements() const {
  std::vector<std::string> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, ids] : by_measurement_) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

size_t SeriesIndex::size() const {
  std::shared_lock lock(mu_);
  return series_.size();
}

}  // namespace strata::engine
