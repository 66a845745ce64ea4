#include "query/rolling_median.h"

#include <bit>
#include <cassert>
#include <cmath>
#include <limits>
#include <utility>

#include "util/logging.h"

namespace strata::query {
namespace {

// Maps a non-NaN double to an integer whose signed order is IEEE totalOrder: non-negative
// doubles already order like their bit patterns; for negative ones the magnitude bits are
// flipped so a larger magnitude sorts lower. -0.0 maps to -1, just below 0.0's 0. The mapping is
// its own inverse, because it never changes the sign bit.
int64_t OrderKey(double value) {
  const int64_t bits = std::bit_cast<int64_t>(value);
  return bits ^ ((bits >> 63) & std::numeric_limits<int64_t>::max());
}

double ValueOf(int64_t order_key) {
  const int64_t bits = order_key ^ ((order_key >> 63) & std::numeric_limits<int64_t>::max());
  return std::bit_cast<double>(bits);
}

}  // namespace

RollingMedian RollingMedian::CountWindow(size_t max_points) {
  STRATA_CHECK(max_points >= 1);
  return RollingMedian(max_points, /*count_bounded=*/true);
}

RollingMedian RollingMedian::TimeWindow(size_t initial_capacity) {
  STRATA_CHECK(initial_capacity >= 1);
  return RollingMedian(initial_capacity, /*count_bounded=*/false);
}

RollingMedian::RollingMedian(size_t capacity, bool count_bounded)
    : count_bounded_(count_bounded), ring_(capacity) {
  static_assert(sizeof(Node) == 48, "the header's memory figure counts 48-byte nodes");
}

RollingMedian::RollingMedian(RollingMedian&& other) noexcept
    : count_bounded_(other.count_bounded_),
      ring_(std::move(other.ring_)),  // a moved vector keeps its buffer, so the links stay valid
      head_(other.head_),
      size_(other.size_),
      nan_count_(other.nan_count_),
      last_time_ns_(other.last_time_ns_) {
  low_.swap(other.low_);
  high_.swap(other.high_);
  other.head_ = other.size_ = other.nan_count_ = 0;
}

// The trees use normal (not safe-mode) hooks, so destroying them just forgets the links.
RollingMedian::~RollingMedian() = default;

void RollingMedian::Push(int64_t time_ns, double value) {
  STRATA_CHECK(time_ns >= last_time_ns_);
  last_time_ns_ = time_ns;
  if (size_ == ring_.size()) {
    if (count_bounded_) {
      // The new point reuses the oldest one's node; rebalancing once after both changes saves
      // the tree moves that often cancel out.
      RemoveOldest();
    } else {
      Grow();
    }
  }
  size_t slot = head_ + size_;
  if (slot >= ring_.size()) slot -= ring_.size();
  Node& node = ring_[slot];
  node.time_ns = time_ns;
  ++size_;
  if (std::isnan(value)) {
    // NaN has no place in an order; counting it is enough to make Median() NaN meanwhile.
    node.half = Half::kNaN;
    ++nan_count_;
  } else {
    node.order_key = OrderKey(value);
    Insert(node);
  }
  Rebalance();
}

void RollingMedian::EvictUpTo(int64_t time_ns) {
  while (size_ > 0 && ring_[head_].time_ns <= time_ns) EvictOldest();
}

void RollingMedian::EvictOldest() {
  STRATA_CHECK(size_ > 0);
  RemoveOldest();
  Rebalance();
}

void RollingMedian::RemoveOldest() {
  Node& oldest = ring_[head_];
  head_ = Next(head_);
  --size_;
  if (oldest.half == Half::kNaN) {
    --nan_count_;
    return;
  }
  if (oldest.half == Half::kLow) {
    low_.erase(low_.iterator_to(oldest));
  } else {
    high_.erase(high_.iterator_to(oldest));
  }
}

void RollingMedian::Clear() {
  low_.clear();
  high_.clear();
  head_ = size_ = nan_count_ = 0;
  last_time_ns_ = INT64_MIN;
}

double RollingMedian::Median() const {
  STRATA_CHECK(size_ > 0);
  if (nan_count_ > 0) return std::numeric_limits<double>::quiet_NaN();
  assert(!low_.empty());
  const double lower = ValueOf(low_.begin()->order_key);
  if (low_.size() > high_.size()) return lower;
  const double upper = ValueOf(high_.begin()->order_key);
  const double mean = (lower + upper) / 2;
  // Halving first would round differently for some finite values, so it is only the fallback
  // for the overflow that the plain formula cannot represent.
  if (std::isinf(mean) && std::isfinite(lower) && std::isfinite(upper)) {
    return lower / 2 + upper / 2;
  }
  return mean;
}

void RollingMedian::Insert(Node& node) {
  // Low may be empty while high is not, between a count window's removal and Rebalance.
  const bool belongs_low = !low_.empty()
                               ? node.order_key <= low_.begin()->order_key
                               : high_.empty() || node.order_key <= high_.begin()->order_key;
  if (belongs_low) {
    node.half = Half::kLow;
    low_.insert(node);
  } else {
    node.half = Half::kHigh;
    high_.insert(node);
  }
}

void RollingMedian::Rebalance() {
  // Before, |low| - |high| was 0 or 1; one removal plus one insertion leave it between -2 and
  // 3, which one move brings back. The moved node is the new extreme of the other tree, so it
  // is put first in it without comparisons.
  if (low_.size() > high_.size() + 1) {
    Node& top = *low_.begin();
    low_.erase(low_.begin());
    top.half = Half::kHigh;
    high_.push_front(top);
  } else if (high_.size() > low_.size()) {
    Node& bottom = *high_.begin();
    high_.erase(high_.begin());
    bottom.half = Half::kLow;
    low_.push_front(bottom);
  }
  assert(low_.size() == high_.size() || low_.size() == high_.size() + 1);
}

void RollingMedian::Grow() {
  const size_t old_capacity = ring_.size();
  std::vector<Node> grown(old_capacity * 2);
  // The grown ring starts at the oldest point, so a node's new slot is its rank in time order.
  auto new_slot = [&](const Node& node) {
    const size_t slot = static_cast<size_t>(&node - ring_.data());
    return slot >= head_ ? slot - head_ : slot + old_capacity - head_;
  };
  for (size_t i = 0, slot = head_; i < size_; ++i, slot = Next(slot)) {
    grown[i].order_key = ring_[slot].order_key;
    grown[i].time_ns = ring_[slot].time_ns;
    grown[i].half = ring_[slot].half;
  }
  // Walking each tree in its order and appending keeps it sorted: O(w) in all, no comparisons.
  LowTree low;
  HighTree high;
  for (const Node& node : low_) low.push_back(grown[new_slot(node)]);
  for (const Node& node : high_) high.push_back(grown[new_slot(node)]);
  low_.clear();
  high_.clear();
  low_.swap(low);
  high_.swap(high);
  ring_ = std::move(grown);  // the buffer moves, so the new links stay valid
  head_ = 0;
}

}  // namespace strata::query
