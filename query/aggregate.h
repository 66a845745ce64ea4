#pragma once

// Streaming aggregators over one column of field values (DESIGN §7): count, sum, mean, min, max,
// first, last, median, percentile (nearest rank), stddev (sample) and spread. Sums use Neumaier
// compensated summation so the answer does not depend on the order points or blocks arrive in;
// integer sums stay exact integers. Values come one at a time, as batches of raw bits, or as a
// chunk block's statistics where those stand for the points (CanUseStats).
// Thread-safety: single-threaded value type.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chunk/chunk_format.h"
#include "engine/types.h"
#include "util/neumaier_sum.h"
#include "util/status.h"

namespace strata::query {

// Exact sums of 64-bit integers need 128 bits; __extension__ keeps -Wpedantic quiet.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 Uint128;

enum class AggregateKind {
  kCount,
  kSum,
  kMean,
  kMin,
  kMax,
  kFirst,
  kLast,
  kMedian,
  kPercentile,
  kStddev,
  kSpread
};

// InvalidArgument naming the function if it is not an aggregate we know.
Result<AggregateKind> ParseAggregateKind(std::string_view name);
std::string_view AggregateName(AggregateKind kind);

// The extremes of a float batch, found in one pass and shared by the min, max and spread
// aggregates of a column (so several of them read a block once). NaN: whether one is in it.
struct FloatExtremes {
  double min = 0, max = 0;  // -0.0 orders below 0.0
  bool nan = false;
  size_t count = 0;
};
FloatExtremes ComputeFloatExtremes(const uint64_t* bits, size_t n);

class Aggregator {
 public:
  // percentile: the p of percentile(f, p), 0..100.
  Aggregator(AggregateKind kind, engine::FieldType type, double percentile = 50)
      : kind_(kind), type_(type), percentile_(percentile) {}

  // InvalidArgument if the aggregate is not defined for the field's type.
  Status CheckType(std::string_view field) const;

  void Add(int64_t time_ns, const engine::FieldValue& value);
  void Add(const engine::FieldValue& value) { Add(0, value); }
  // Points of this column's type in time order; strings only for kString.
  void AddBatch(const int64_t* time_ns, const uint64_t* bits, const std::string* strings, size_t n);
  // True when a block's statistics give exactly what its points would (so AddStats may stand
  // in for them): the aggregate needs only count/sum/min/max, and the statistics are exact for
  // this aggregate's rules (an integer sum that fits; no NaN, no zero whose sign could matter).
  bool CanUseStats(const engine::chunk::BlockStats& stats) const;

  // Whether this aggregate needs only a batch's extremes and count (min, max, spread of a float
  // column); then AddFloatExtremes stands for AddBatch.
  bool TakesFloatExtremes() const {
    return type_ == engine::FieldType::kFloat &&
           (kind_ == AggregateKind::kMin || kind_ == AggregateKind::kMax ||
            kind_ == AggregateKind::kSpread);
  }
  void AddFloatExtremes(const FloatExtremes& extremes);
  void AddStats(const engine::chunk::BlockStats& stats);

  uint64_t count() const { return count_; }
  // The formatted answer cell ("" for null); InvalidArgument if an integer sum overflowed.
  Result<std::string> Finish() const;
  // The answer as a double, for FILL(linear); false when null or not numeric.
  bool NumericValue(double* out) const;

 private:
  void AddFloat(int64_t t, double v);
  // min/max/spread of a batch: the per-point rules of AddFloat in one tight loop.
  void AddFloatExtremes(const uint64_t* bits, size_t n);
  void AddInt(int64_t t, int64_t v);
  void AddUint(int64_t t, uint64_t v);
  // AddInt and AddUint: one integer point, tracked in the given min/max/values.
  template <typename T>
  void AddInteger(int64_t t, T v, T* min, T* max, std::vector<T>* values,
                  const engine::FieldValue& as_value);
  void TrackFirstLast(int64_t t, const engine::FieldValue& v);
  bool KeepsValues() const {
    return kind_ == AggregateKind::kMedian || kind_ == AggregateKind::kPercentile;
  }

  AggregateKind kind_;
  engine::FieldType type_;
  double percentile_;
  uint64_t count_ = 0;
  NeumaierSum float_sum_;
  Int128 int_sum_ = 0;  // exact for int and uint fields
  double min_ = 0, max_ = 0;
  int64_t min_i_ = 0, max_i_ = 0;
  uint64_t min_u_ = 0, max_u_ = 0;
  // stddev: Welford's running mean and sum of squared deviations.
  double welford_mean_ = 0, welford_m2_ = 0;
  // first/last: the value at the earliest / latest time; ties (points of several series at one
  // time) go by arrival order, series in key order: first() the first seen, last() the last, as
  // in the (time, series key) order of raw rows.
  int64_t first_time_ = 0, last_time_ = 0;
  engine::FieldValue first_, last_;
  std::string first_string_, last_string_;
  // median/percentile: every value, selected with nth_element at the end.
  mutable std::vector<double> floats_;
  mutable std::vector<int64_t> ints_;
  mutable std::vector<uint64_t> uints_;
};

}  // namespace strata::query
