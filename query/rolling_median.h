#pragma once

// RollingMedian: the median of a sliding window of float64 points in time order, the building
// block of `rolling_median(f, <n> | <dur>)` (DESIGN §7). Thread-safety: single-threaded; it owns
// its nodes, nothing is borrowed.
//
// How: two Boost.Intrusive multisets (red-black trees) split the window's values into a low half
// and a high half, |low| == |high| or |low| == |high| + 1, every low value <= every high value;
// the median is max(low) or the mean of max(low) and min(high), each the first node of its tree
// (low is ordered largest first), so O(1) to read. The tree nodes live in a ring buffer in time
// order, so the oldest point is found at the ring's head and unlinked through its own hook, never
// searched for by value. Push, EvictOldest and each point EvictUpTo drops cost O(log w) for a
// window of w points; Median is O(1).
//
// Memory: a count window allocates its ring (one node per point, 48 bytes) once, in its
// constructor, and never again. A time window's ring starts small and doubles when full; the
// doubling relinks both trees in O(w) (the trees are walked in order and rebuilt by appending,
// no comparisons), which is amortized O(1) per point. Once the ring has reached the window's
// largest size no step allocates.
//
// Semantics, chosen so the answer never depends on the order points arrive in:
// - NaN propagates: while the window holds a NaN, Median() is NaN. NaNs are counted, not put in
//   the trees, so they leave the window like any other point and the answer recovers.
// - Values are ordered by IEEE totalOrder, which is the usual order except that -0.0 sorts before
//   0.0. An odd-count median that lands on a zero is therefore the zero at the middle of that
//   order; an even-count median of -0.0 and 0.0 is their IEEE mean, 0.0.
// - The median of an even count is (a + b) / 2 of the two middle values a <= b, exactly as
//   DESIGN §7 says; only when that sum overflows to infinity for finite a and b it is
//   a / 2 + b / 2 instead. So {-inf, inf} gives NaN and {x, inf} gives inf, as in numpy.

#include <boost/intrusive/set.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace strata::query {

class RollingMedian {
 public:
  // `rolling_median(f, n)`: holds at most max_points (>= 1) points; Push drops the oldest point
  // when the window is full. The ring of max_points nodes is allocated here.
  static RollingMedian CountWindow(size_t max_points);

  // `rolling_median(f, dur)`: no count bound; the caller drops old points with EvictUpTo (for
  // the window (t - w, t], EvictUpTo(t - w)). The ring starts with initial_capacity (>= 1) nodes
  // and doubles whenever a Push finds it full.
  static RollingMedian TimeWindow(size_t initial_capacity = 64);

  // The moved-from window may only be destroyed.
  RollingMedian(RollingMedian&& other) noexcept;
  RollingMedian(const RollingMedian&) = delete;
  RollingMedian& operator=(const RollingMedian&) = delete;
  RollingMedian& operator=(RollingMedian&&) = delete;
  ~RollingMedian();

  // Adds the newest point. time_ns must not be before the previous Push's (checked: aborts).
  // O(log w); a count window that is full drops its oldest point first.
  void Push(int64_t time_ns, double value);

  // Drops every point with time <= time_ns. O(log w) per dropped point.
  void EvictUpTo(int64_t time_ns);

  // Drops the oldest point. The window must not be empty (checked: aborts).
  void EvictOldest();

  // Empties the window, keeping the ring for reuse (e.g. by the next group); the next Push may
  // have any time. O(1).
  void Clear();

  // The median of the points in the window, NaNs included (see the header comment). The window
  // must not be empty (checked: aborts). O(1).
  double Median() const;

  // Points in the window, NaNs included.
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Nodes the ring holds; it changes only when a time window grows.
  size_t capacity() const { return ring_.size(); }

 private:
  enum class Half : uint8_t { kLow, kHigh, kNaN };

  // Normal link mode: no unlinked-state bookkeeping, and clearing a tree is O(1). The colour
  // bit lives in the parent pointer (optimize_size), so a node is 48 bytes.
  using Hook =
      boost::intrusive::set_member_hook<boost::intrusive::link_mode<boost::intrusive::normal_link>,
                                        boost::intrusive::optimize_size<true>>;

  // One point. The ring owns it; at most one tree links it through hook.
  struct Node {
    // The value as an integer whose signed order is IEEE totalOrder (see OrderKey in the .cc):
    // one integer comparison per tree step, and -0.0 / 0.0 get a fixed order.
    int64_t order_key = 0;
    int64_t time_ns = 0;
    Hook hook;
    Half half = Half::kNaN;
  };
  struct KeyOf {
    using type = int64_t;
    int64_t operator()(const Node& node) const { return node.order_key; }
  };
  template <typename Order>
  using Tree =
      boost::intrusive::multiset<Node, boost::intrusive::member_hook<Node, Hook, &Node::hook>,
                                 boost::intrusive::key_of_value<KeyOf>,
                                 boost::intrusive::compare<Order>,
                                 boost::intrusive::constant_time_size<true>>;
  // Both halves keep the value next to the median first: Boost.Intrusive finds a tree's first
  // element in O(1) but walks from the root to find its last (prev_node of the header).
  using LowTree = Tree<std::greater<int64_t>>;  // largest first
  using HighTree = Tree<std::less<int64_t>>;    // smallest first

  RollingMedian(size_t capacity, bool count_bounded);

  // Links node into the half its value belongs to; the halves' sizes are left to Rebalance.
  void Insert(Node& node);
  // Unlinks the oldest point, if in a tree, and advances the head; no rebalancing.
  void RemoveOldest();
  // Restores |low| == |high| or |low| == |high| + 1 after at most one removal and one insertion.
  void Rebalance();
  // Doubles the ring, keeping the points in time order and relinking the trees.
  void Grow();
  size_t Next(size_t index) const { return index + 1 == ring_.size() ? 0 : index + 1; }

  bool count_bounded_;
  std::vector<Node> ring_;  // ring_[head_] is the oldest point; size_ nodes follow it, wrapping
  size_t head_ = 0;
  size_t size_ = 0;
  size_t nan_count_ = 0;
  int64_t last_time_ns_ = INT64_MIN;
  LowTree low_;    // the smaller half; its maximum is the odd-count median
  HighTree high_;  // the larger half
};

}  // namespace strata::query
