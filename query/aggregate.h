#pragma once

// Streaming aggregators over field values: count, sum, mean, min, max. Sums use Neumaier
// compensated summation so the answer does not depend on the order points arrive in (DESIGN §7).
// Integer sums stay exact integers. Thread-safety: single-threaded value type.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/types.h"
#include "util/neumaier_sum.h"
#include "util/status.h"

namespace strata::query {

// Exact sums of 64-bit integers need 128 bits; __extension__ keeps -Wpedantic quiet.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 Uint128;

enum class AggregateKind { kCount, kSum, kMean, kMin, kMax };

// InvalidArgument naming the function if it is not an aggregate we know.
Result<AggregateKind> ParseAggregateKind(std::string_view name);

class Aggregator {
 public:
  Aggregator(AggregateKind kind, engine::FieldType type) : kind_(kind), type_(type) {}

  // InvalidArgument if the aggregate is not defined for the field's type.
  Status CheckType(std::string_view field) const;
  void Add(const engine::FieldValue& value);
  uint64_t count() const { return count_; }
  // The formatted answer cell; InvalidArgument if an integer sum overflowed.
  Result<std::string> Finish() const;

 private:
  AggregateKind kind_;
  engine::FieldType type_;
  uint64_t count_ = 0;
  NeumaierSum float_sum_;
  Int128 int_sum_ = 0;  // exact for int and uint fields
  double min_ = 0, max_ = 0;
  int64_t min_i_ = 0, max_i_ = 0;
  uint64_t min_u_ = 0, max_u_ = 0;
};

}  // namespace strata::query
