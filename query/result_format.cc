#include "query/result_format.h"

#include <charconv>
#include <cmath>
#include <ctime>

namespace strata::query {

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}

std::string FormatTime(int64_t ns) {
  int64_t secs = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  ::gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

std::string FormatFieldValue(const engine::FieldValue& value) {
  switch (value.type) {
    case engine::FieldType::kFloat:
      return FormatFloat(value.f);
    case engine::FieldType::kInt:
      return std::to_string(value.i);
    case engine::FieldType::kUint:
      return std::to_string(value.u);
    case engine::FieldType::kBool:
      return value.b ? "true" : "false";
    case engine::FieldType::kString:
      return std::string(value.s);
  }
  return std::string();
}

}  // namespace strata::query
