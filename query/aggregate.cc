#include "query/aggregate.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "query/result_format.h"

namespace strata::query {

Result<AggregateKind> ParseAggregateKind(std::string_view name) {
  if (name == "count") return AggregateKind::kCount;
  if (name == "sum") return AggregateKind::kSum;
  if (name == "mean") return AggregateKind::kMean;
  if (name == "min") return AggregateKind::kMin;
  if (name == "max") return AggregateKind::kMax;
  return Status::InvalidArgument("unknown or not yet supported function '" + std::string(name) +
                                 "()' (supported: count, sum, mean, min, max)");
}

Status Aggregator::CheckType(std::string_view field) const {
  if (kind_ == AggregateKind::kCount) return Status::OK();
  bool numeric = type_ == engine::FieldType::kFloat || type_ == engine::FieldType::kInt ||
                 type_ == engine::FieldType::kUint;
  if (numeric) return Status::OK();
  static constexpr const char* kNames[] = {"count", "sum", "mean", "min", "max"};
  return Status::InvalidArgument(std::string(kNames[static_cast<int>(kind_)]) +
                                 "() needs a numeric field; '" + std::string(field) + "' is " +
                                 std::string(engine::FieldTypeName(type_)));
}

void Aggregator::Add(const engine::FieldValue& v) {
  ++count_;
  switch (v.type) {
    case engine::FieldType::kFloat:
      float_sum_.Add(v.f);
      // NaN propagates into min and max as it does into sum (numpy's rule), rather than
      // vanishing or depending on the order points arrive in.
      if (count_ == 1 || std::isnan(v.f)) {
        min_ = max_ = v.f;
      } else if (!std::isnan(min_)) {
        // -0.0 counts as below 0.0, so which zero is reported does not depend on arrival order.
        if (v.f < min_ || (v.f == min_ && std::signbit(v.f))) min_ = v.f;
        if (v.f > max_ || (v.f == max_ && !std::signbit(v.f))) max_ = v.f;
      }
      break;
    case engine::FieldType::kInt:
      int_sum_ += v.i;
      if (count_ == 1 || v.i < min_i_) min_i_ = v.i;
      if (count_ == 1 || v.i > max_i_) max_i_ = v.i;
      break;
    case engine::FieldType::kUint:
      int_sum_ += v.u;
      if (count_ == 1 || v.u < min_u_) min_u_ = v.u;
      if (count_ == 1 || v.u > max_u_) max_u_ = v.u;
      break;
    case engine::FieldType::kBool:
    case engine::FieldType::kString:
      break;  // only counted
  }
}

namespace {

std::string Int128ToString(Int128 v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  Uint128 u = negative ? -static_cast<Uint128>(v) : static_cast<Uint128>(v);
  std::string digits;
  while (u > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return negative ? "-" + digits : digits;
}

}  // namespace

Result<std::string> Aggregator::Finish() const {
  if (kind_ == AggregateKind::kCount) return std::to_string(count_);
  if (count_ == 0) return std::string();  // null cell
  const bool is_float = type_ == engine::FieldType::kFloat;
  switch (kind_) {
    case AggregateKind::kSum:
      if (is_float) return FormatFloat(float_sum_.Total());
      if (type_ == engine::FieldType::kInt &&
          (int_sum_ > std::numeric_limits<int64_t>::max() ||
           int_sum_ < std::numeric_limits<int64_t>::min())) {
        return Status::InvalidArgument("sum() overflows a 64-bit integer");
      }
      if (int_sum_ > static_cast<Int128>(std::numeric_limits<uint64_t>::max())) {
        return Status::InvalidArgument("sum() overflows a 64-bit unsigned integer");
      }
      return Int128ToString(int_sum_);
    case AggregateKind::kMean:
      if (is_float) return FormatFloat(float_sum_.Total() / static_cast<double>(count_));
      return FormatFloat(static_cast<double>(int_sum_) / static_cast<double>(count_));
    case AggregateKind::kMin:
      if (is_float) return FormatFloat(min_);
      return type_ == engine::FieldType::kInt ? std::to_string(min_i_) : std::to_string(min_u_);
    case AggregateKind::kMax:
      if (is_float) return FormatFloat(max_);
      return type_ == engine::FieldType::kInt ? std::to_string(max_i_) : std::to_string(max_u_);
    case AggregateKind::kCount:
      break;
  }
  return std::string();
}

}  // namespace strata::query
