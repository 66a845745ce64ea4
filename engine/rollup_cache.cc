#include "engine/rollup_cache.h"

#include "util/coding.h"

namespace strata::engine {

std::string RollupCache::Key(uint64_t rollup_id, SeriesId series, std::string_view field) {
  std::string key;
  PutFixed64(&key, rollup_id);
  PutFixed64(&key, series.value);
  key.append(field);
  return key;
}

std::shared_ptr<const RollupCache::Rows> RollupCache::Find(uint64_t epoch, uint64_t rollup_id,
                                                           SeriesId series,
                                                           std::string_view field) {
  const std::string key = Key(rollup_id, series, field);
  MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.epoch != epoch) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.rows;
}

void RollupCache::Insert(uint64_t epoch, uint64_t rollup_id, SeriesId series,
                         std::string_view field, std::shared_ptr<const Rows> rows) {
  std::string key = Key(rollup_id, series, field);
  const size_t bytes = 128 + key.size() + rows->buckets.size() * sizeof(rows->buckets[0]);
  if (bytes > capacity_bytes_) return;
  MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    // An entry of a newer epoch stays: statements of older epochs are on their way out.
    if (it->second.epoch > epoch) return;
    bytes_ -= it->second.bytes;
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }
  while (bytes_ + bytes > capacity_bytes_ && !lru_.empty()) {
    auto victim = entries_.find(lru_.back());
    bytes_ -= victim->second.bytes;
    entries_.erase(victim);
    lru_.pop_back();
  }
  lru_.push_front(key);
  entries_.emplace(std::move(key), Entry{epoch, std::move(rows), bytes, lru_.begin()});
  bytes_ += bytes;
}

size_t RollupCache::bytes() const {
  MutexLock lock(&mu_);
  return bytes_;
}

}  // namespace strata::engine
