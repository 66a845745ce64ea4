#pragma once

// The data model's vocabulary (DESIGN §1) as distinct types, so valid time, system time and
// series ids cannot be mixed up by accident. Value types; thread-safe to copy.

#include <bit>
#include <compare>
#include <cstdint>
#include <string_view>

namespace strata::engine {

// Valid-time ranges are [min, end): end is exclusive, except that int64 max means "no upper
// bound", so a point stamped with the greatest timestamp is still reachable.
inline constexpr int64_t kNoEndNs = INT64_MAX;
inline bool BeforeRangeEnd(int64_t valid_ns, int64_t end_ns) {
  return valid_ns < end_ns || end_ns == kNoEndNs;
}

// The point's own timestamp: nanoseconds since the Unix epoch.
struct ValidTime {
  int64_t ns = 0;
  auto operator<=>(const ValidTime&) const = default;
};

// When the engine recorded a version: nanoseconds, strictly increasing per data directory.
struct SystemTime {
  int64_t ns = 0;
  auto operator<=>(const SystemTime&) const = default;
};

struct SeriesId {
  uint64_t value = 0;
  auto operator<=>(const SeriesId&) const = default;
};

// Persisted in the WAL and chunk files: never renumber.
enum class FieldType : uint8_t {
  kFloat = 1,
  kInt = 2,
  kUint = 3,
  kBool = 4,
  kString = 5,
};

std::string_view FieldTypeName(FieldType type);

// A field value as parsed or stored. For kString, `s` borrows bytes owned elsewhere (the parsed
// line, a write batch or the memtable's arena); the owner is named where the value is produced.
struct FieldValue {
  FieldType type = FieldType::kFloat;
  union {
    double f;
    int64_t i;
    uint64_t u;
    bool b;
  };
  std::string_view s;

  FieldValue() : f(0) {}
  static FieldValue Float(double v) {
    FieldValue x;
    x.type = FieldType::kFloat;
    x.f = v;
    return x;
  }
  static FieldValue Int(int64_t v) {
    FieldValue x;
    x.type = FieldType::kInt;
    x.i = v;
    return x;
  }
  static FieldValue Uint(uint64_t v) {
    FieldValue x;
    x.type = FieldType::kUint;
    x.u = v;
    return x;
  }
  static FieldValue Bool(bool v) {
    FieldValue x;
    x.type = FieldType::kBool;
    x.b = v;
    return x;
  }
  static FieldValue String(std::string_view v) {
    FieldValue x;
    x.type = FieldType::kString;
    x.u = 0;
    x.s = v;
    return x;
  }

  // The 64 bits a column stores for this value: a float's bit pattern, the int or uint, 0/1 for
  // a bool, 0 for a string (whose text is kept beside).
  uint64_t Bits() const {
    switch (type) {
      case FieldType::kFloat:
        return std::bit_cast<uint64_t>(f);
      case FieldType::kInt:
        return static_cast<uint64_t>(i);
      case FieldType::kUint:
        return u;
      case FieldType::kBool:
        return b ? 1 : 0;
      case FieldType::kString:
        return 0;
    }
    return 0;
  }
};

}  // namespace strata::engine
