#include "query/aggregate.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "query/result_format.h"

namespace strata::query {
namespace {

constexpr std::string_view kNames[] = {"count", "sum",    "mean",       "min",    "max",   "first",
                                       "last",  "median", "percentile", "stddev", "spread"};

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

// The mean of two middle values; halves first only where the sum would overflow.
double Midpoint(double a, double b) {
  const double sum = a + b;
  if (std::isinf(sum) && std::isfinite(a) && std::isfinite(b)) return a / 2 + b / 2;
  return sum / 2;
}

// Nearest rank (DESIGN §7): the value at index ceil(p/100 * n) - 1 of the sorted values.
size_t NearestRank(double percentile, size_t n) {
  const double rank = std::ceil(percentile / 100.0 * static_cast<double>(n));
  if (rank < 1) return 0;
  return std::min(n - 1, static_cast<size_t>(rank) - 1);
}

}  // namespace

Result<AggregateKind> ParseAggregateKind(std::string_view name) {
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (name == kNames[i]) return static_cast<AggregateKind>(i);
  }
  return Status::InvalidArgument(
      "unknown function '" + std::string(name) +
      "()' (aggregates: count, sum, mean, min, max, first, last, median, percentile, stddev, "
      "spread)");
}

std::string_view AggregateName(AggregateKind kind) { return kNames[static_cast<int>(kind)]; }

Status Aggregator::CheckType(std::string_view field) const {
  switch (kind_) {
    case AggregateKind::kCount:
    case AggregateKind::kFirst:
    case AggregateKind::kLast:
      return Status::OK();
    default:
      break;
  }
  const bool numeric = type_ == engine::FieldType::kFloat || type_ == engine::FieldType::kInt ||
                       type_ == engine::FieldType::kUint;
  if (numeric) return Status::OK();
  return Status::InvalidArgument(std::string(AggregateName(kind_)) + "() needs a numeric field; '" +
                                 std::string(field) + "' is " +
                                 std::string(engine::FieldTypeName(type_)));
}

void Aggregator::TrackFirstLast(int64_t t, const engine::FieldValue& v) {
  if (kind_ != AggregateKind::kFirst && kind_ != AggregateKind::kLast) return;
  const bool first_point = count_ == 1;
  if (kind_ == AggregateKind::kFirst && (first_point || t < first_time_)) {
    first_time_ = t;
    first_ = v;
    if (v.type == engine::FieldType::kString) first_string_.assign(v.s);
  }
  if (kind_ == AggregateKind::kLast && (first_point || t >= last_time_)) {
    last_time_ = t;
    last_ = v;
    if (v.type == engine::FieldType::kString) last_string_.assign(v.s);
  }
}

void Aggregator::AddFloat(int64_t t, double v) {
  ++count_;
  float_sum_.Add(v);
  // NaN propagates into min and max as it does into sum (numpy's rule), rather than vanishing
  // or depending on the order points arrive in.
  if (count_ == 1 || std::isnan(v)) {
    min_ = max_ = v;
  } else if (!std::isnan(min_)) {
    // -0.0 counts as below 0.0, so which zero is reported does not depend on arrival order.
    if (v < min_ || (v == min_ && std::signbit(v))) min_ = v;
    if (v > max_ || (v == max_ && !std::signbit(v))) max_ = v;
  }
  if (kind_ == AggregateKind::kStddev) {
    const double delta = v - welford_mean_;
    welford_mean_ += delta / static_cast<double>(count_);
    welford_m2_ += delta * (v - welford_mean_);
  } else if (KeepsValues()) {
    floats_.push_back(v);
  } else if (kind_ == AggregateKind::kFirst || kind_ == AggregateKind::kLast) {
    TrackFirstLast(t, engine::FieldValue::Float(v));
  }
}

FloatExtremes ComputeFloatExtremes(const uint64_t* bits, size_t n) {
  FloatExtremes e;
  e.count = n;
  if (n == 0) return e;
  // Branch-free on integer keys that order doubles as IEEE totalOrder does for non-NaN values
  // (-0.0 below 0.0, as AddFloat), four independent lanes; NaNs are only detected here.
  auto key = [](uint64_t b) {
    const auto s = static_cast<int64_t>(b);
    return s ^ static_cast<int64_t>(static_cast<uint64_t>(s >> 63) >> 1);
  };
  auto unkey = [&key](int64_t k) {
    return std::bit_cast<double>(static_cast<uint64_t>(key(static_cast<uint64_t>(k))));
  };
  constexpr uint64_t kAbs = ~(uint64_t{1} << 63), kInf = 0x7ff0000000000000;
  int64_t lo[4], hi[4];
  for (int l = 0; l < 4; ++l) lo[l] = hi[l] = key(bits[0]);
  uint64_t nan = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int l = 0; l < 4; ++l) {
      const uint64_t b = bits[i + l];
      nan |= static_cast<uint64_t>((b & kAbs) > kInf);
      const int64_t k = key(b);
      lo[l] = k < lo[l] ? k : lo[l];
      hi[l] = k > hi[l] ? k : hi[l];
    }
  }
  for (; i < n; ++i) {
    nan |= static_cast<uint64_t>((bits[i] & kAbs) > kInf);
    const int64_t k = key(bits[i]);
    lo[0] = k < lo[0] ? k : lo[0];
    hi[0] = k > hi[0] ? k : hi[0];
  }
  e.nan = nan != 0;
  e.min = unkey(std::min({lo[0], lo[1], lo[2], lo[3]}));
  e.max = unkey(std::max({hi[0], hi[1], hi[2], hi[3]}));
  return e;
}

void Aggregator::AddFloatExtremes(const uint64_t* bits, size_t n) {
  AddFloatExtremes(ComputeFloatExtremes(bits, n));
}

void Aggregator::AddFloatExtremes(const FloatExtremes& e) {
  if (e.count == 0) return;
  const bool first = count_ == 0;
  count_ += e.count;
  if (!first && std::isnan(min_)) return;  // NaN has already won
  if (e.nan) {
    min_ = max_ = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  // The same order as AddFloat: -0.0 below 0.0.
  if (first || e.min < min_ || (e.min == min_ && std::signbit(e.min))) min_ = e.min;
  if (first || e.max > max_ || (e.max == max_ && !std::signbit(e.max))) max_ = e.max;
}

template <typename T>
void Aggregator::AddInteger(int64_t t, T v, T* min, T* max, std::vector<T>* values,
                            const engine::FieldValue& as_value) {
  ++count_;
  int_sum_ += v;
  if (count_ == 1 || v < *min) *min = v;
  if (count_ == 1 || v > *max) *max = v;
  if (kind_ == AggregateKind::kStddev) {
    const double x = static_cast<double>(v);
    const double delta = x - welford_mean_;
    welford_mean_ += delta / static_cast<double>(count_);
    welford_m2_ += delta * (x - welford_mean_);
  } else if (KeepsValues()) {
    values->push_back(v);
  } else {
    TrackFirstLast(t, as_value);
  }
}

void Aggregator::AddInt(int64_t t, int64_t v) {
  AddInteger(t, v, &min_i_, &max_i_, &ints_, engine::FieldValue::Int(v));
}

void Aggregator::AddUint(int64_t t, uint64_t v) {
  AddInteger(t, v, &min_u_, &max_u_, &uints_, engine::FieldValue::Uint(v));
}

void Aggregator::Add(int64_t time_ns, const engine::FieldValue& value) {
  switch (value.type) {
    case engine::FieldType::kFloat:
      AddFloat(time_ns, value.f);
      break;
    case engine::FieldType::kInt:
      AddInt(time_ns, value.i);
      break;
    case engine::FieldType::kUint:
      AddUint(time_ns, value.u);
      break;
    case engine::FieldType::kBool:
    case engine::FieldType::kString:
      ++count_;  // only counted, or first/last
      TrackFirstLast(time_ns, value);
      break;
  }
}

void Aggregator::AddBatch(const int64_t* time_ns, const uint64_t* bits, const std::string* strings,
                          size_t n) {
  switch (type_) {
    case engine::FieldType::kFloat:
      switch (kind_) {
        case AggregateKind::kCount:
          count_ += n;
          return;
        case AggregateKind::kSum:
        case AggregateKind::kMean:
          // The hot loop of full scans: only the sum is needed.
          float_sum_.AddBits(bits, n);
          count_ += n;
          return;
        case AggregateKind::kMin:
        case AggregateKind::kMax:
        case AggregateKind::kSpread:
          AddFloatExtremes(bits, n);
          return;
        default:
          for (size_t i = 0; i < n; ++i) AddFloat(time_ns[i], std::bit_cast<double>(bits[i]));
          return;
      }
    case engine::FieldType::kInt:
      for (size_t i = 0; i < n; ++i) AddInt(time_ns[i], static_cast<int64_t>(bits[i]));
      return;
    case engine::FieldType::kUint:
      for (size_t i = 0; i < n; ++i) AddUint(time_ns[i], bits[i]);
      return;
    case engine::FieldType::kBool:
      for (size_t i = 0; i < n; ++i) Add(time_ns[i], engine::FieldValue::Bool(bits[i] != 0));
      return;
    case engine::FieldType::kString:
      for (size_t i = 0; i < n; ++i) Add(time_ns[i], engine::FieldValue::String(strings[i]));
      return;
  }
}

bool Aggregator::CanUseStats(const engine::chunk::BlockStats& stats) const {
  using engine::chunk::BlockStats;
  switch (kind_) {
    case AggregateKind::kCount:
      return true;
    case AggregateKind::kFirst:
    case AggregateKind::kLast:
      return type_ != engine::FieldType::kString && (stats.flags & BlockStats::kFirstLast) != 0;
    case AggregateKind::kSum:
    case AggregateKind::kMean:
    case AggregateKind::kMin:
    case AggregateKind::kMax:
    case AggregateKind::kSpread:
      break;
    default:
      return false;
  }
  switch (type_) {
    case engine::FieldType::kFloat: {
      const double sum = std::bit_cast<double>(stats.sum_bits);
      const double lo = std::bit_cast<double>(stats.min_bits);
      const double hi = std::bit_cast<double>(stats.max_bits);
      // A NaN makes the sum NaN; which zero is the minimum or maximum (-0.0 counts below 0.0)
      // is known only from blocks written with kZeroSignsOrdered.
      const bool needs_min = kind_ == AggregateKind::kMin || kind_ == AggregateKind::kSpread;
      const bool needs_max = kind_ == AggregateKind::kMax || kind_ == AggregateKind::kSpread;
      const bool zeros_ordered = (stats.flags & BlockStats::kZeroSignsOrdered) != 0;
      return !std::isnan(sum) && (zeros_ordered || !(needs_min && lo == 0)) &&
             (zeros_ordered || !(needs_max && hi == 0));
    }
    case engine::FieldType::kInt:
    case engine::FieldType::kUint:
      return (kind_ != AggregateKind::kSum && kind_ != AggregateKind::kMean) ||
             (stats.flags & BlockStats::kSumExact) != 0;
    default:
      return false;
  }
}

void Aggregator::AddStats(const engine::chunk::BlockStats& stats) {
  if (kind_ == AggregateKind::kFirst || kind_ == AggregateKind::kLast) {
    // Only offered when CanUseStats saw kFirstLast: one version per valid time, so the block's
    // first and last rows are its earliest and latest points.
    if (stats.count == 0) return;
    const bool had_points = count_ > 0;
    count_ += stats.count;
    auto value = [this](uint64_t bits) {
      switch (type_) {
        case engine::FieldType::kFloat:
          return engine::FieldValue::Float(std::bit_cast<double>(bits));
        case engine::FieldType::kInt:
          return engine::FieldValue::Int(static_cast<int64_t>(bits));
        case engine::FieldType::kUint:
          return engine::FieldValue::Uint(bits);
        default:
          return engine::FieldValue::Bool(bits != 0);
      }
    };
    // Ties: first() keeps the value seen first, last() takes the last seen (TrackFirstLast).
    if (kind_ == AggregateKind::kFirst && (!had_points || stats.min_valid_ns < first_time_)) {
      first_time_ = stats.min_valid_ns;
      first_ = value(stats.first_bits);
    }
    if (kind_ == AggregateKind::kLast && (!had_points || stats.max_valid_ns >= last_time_)) {
      last_time_ = stats.max_valid_ns;
      last_ = value(stats.last_bits);
    }
    return;
  }
  if (stats.count == 0) return;
  const bool first = count_ == 0;
  count_ += stats.count;
  switch (type_) {
    case engine::FieldType::kFloat: {
      float_sum_.Add(std::bit_cast<double>(stats.sum_bits));
      const double lo = std::bit_cast<double>(stats.min_bits);
      const double hi = std::bit_cast<double>(stats.max_bits);
      if (first) {
        min_ = lo;
        max_ = hi;
      } else if (!std::isnan(min_)) {
        // The same order as AddFloat: -0.0 below 0.0.
        if (lo < min_ || (lo == min_ && std::signbit(lo))) min_ = lo;
        if (hi > max_ || (hi == max_ && !std::signbit(hi))) max_ = hi;
      }
      break;
    }
    case engine::FieldType::kInt: {
      int_sum_ += static_cast<int64_t>(stats.sum_bits);
      const auto lo = static_cast<int64_t>(stats.min_bits);
      const auto hi = static_cast<int64_t>(stats.max_bits);
      min_i_ = first ? lo : std::min(min_i_, lo);
      max_i_ = first ? hi : std::max(max_i_, hi);
      break;
    }
    case engine::FieldType::kUint:
      int_sum_ += static_cast<int64_t>(stats.sum_bits);
      min_u_ = first ? stats.min_bits : std::min(min_u_, stats.min_bits);
      max_u_ = first ? stats.max_bits : std::max(max_u_, stats.max_bits);
      break;
    default:
      break;
  }
}

namespace {

// sum / 2 written exactly: the median of an even count of integers, which a double could round
// (above 2^53).
std::string ExactHalf(Int128 sum) {
  const Int128 half = sum / 2;  // truncates toward zero
  auto text = [](Int128 v) {
    const bool negative = v < 0;
    Uint128 magnitude = negative ? -static_cast<Uint128>(v) : static_cast<Uint128>(v);
    std::string digits;
    do {
      digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
      magnitude /= 10;
    } while (magnitude != 0);
    return (negative ? "-" : "") + digits;
  };
  if (sum % 2 == 0) return text(half);
  return (sum < 0 && half == 0 ? "-" : "") + text(half) + ".5";
}

}  // namespace

Result<std::string> Aggregator::Finish() const {
  if (kind_ == AggregateKind::kCount) return std::to_string(count_);
  if (count_ == 0) return std::string();  // null cell
  const bool is_float = type_ == engine::FieldType::kFloat;
  const bool is_int = type_ == engine::FieldType::kInt;
  switch (kind_) {
    case AggregateKind::kSum:
      if (is_float) return FormatFloat(float_sum_.Total());
      if (is_int && (int_sum_ > std::numeric_limits<int64_t>::max() ||
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
      return is_int ? std::to_string(min_i_) : std::to_string(min_u_);
    case AggregateKind::kMax:
      if (is_float) return FormatFloat(max_);
      return is_int ? std::to_string(max_i_) : std::to_string(max_u_);
    case AggregateKind::kSpread:
      if (is_float) return FormatFloat(max_ - min_);
      if (is_int) return Int128ToString(static_cast<Int128>(max_i_) - min_i_);
      return std::to_string(max_u_ - min_u_);
    case AggregateKind::kStddev:
      if (count_ < 2) return std::string();  // a sample deviation needs two points
      return FormatFloat(std::sqrt(welford_m2_ / static_cast<double>(count_ - 1)));
    case AggregateKind::kFirst:
    case AggregateKind::kLast: {
      const engine::FieldValue& v = kind_ == AggregateKind::kFirst ? first_ : last_;
      if (v.type == engine::FieldType::kString) {
        return kind_ == AggregateKind::kFirst ? first_string_ : last_string_;
      }
      return FormatFieldValue(v);
    }
    case AggregateKind::kMedian:
    case AggregateKind::kPercentile: {
      const bool median = kind_ == AggregateKind::kMedian;
      const size_t n = count_;
      if (is_float) {
        if (std::any_of(floats_.begin(), floats_.end(), [](double x) { return std::isnan(x); })) {
          return FormatFloat(std::numeric_limits<double>::quiet_NaN());
        }
        const size_t k = median ? (n - 1) / 2 : NearestRank(percentile_, n);
        std::nth_element(floats_.begin(), floats_.begin() + k, floats_.end());
        const double at_k = floats_[k];
        if (!median || n % 2 == 1) return FormatFloat(at_k);
        return FormatFloat(
            Midpoint(at_k, *std::min_element(floats_.begin() + k + 1, floats_.end())));
      }
      if (is_int) {
        const size_t k = median ? (n - 1) / 2 : NearestRank(percentile_, n);
        std::nth_element(ints_.begin(), ints_.begin() + k, ints_.end());
        if (!median || n % 2 == 1) return std::to_string(ints_[k]);
        return ExactHalf(static_cast<Int128>(ints_[k]) +
                         *std::min_element(ints_.begin() + k + 1, ints_.end()));
      }
      const size_t k = median ? (n - 1) / 2 : NearestRank(percentile_, n);
      std::nth_element(uints_.begin(), uints_.begin() + k, uints_.end());
      if (!median || n % 2 == 1) return std::to_string(uints_[k]);
      return ExactHalf(static_cast<Int128>(uints_[k]) +
                       *std::min_element(uints_.begin() + k + 1, uints_.end()));
    }
    case AggregateKind::kCount:
      break;
  }
  return std::string();
}

bool Aggregator::NumericValue(double* out) const {
  auto cell = Finish();
  if (!cell.ok() || cell->empty()) return false;
  if (type_ != engine::FieldType::kFloat && type_ != engine::FieldType::kInt &&
      type_ != engine::FieldType::kUint && kind_ != AggregateKind::kCount) {
    return false;
  }
  char* end = nullptr;
  *out = std::strtod(cell->c_str(), &end);
  return end != cell->c_str();
}

}  // namespace strata::query
