#include "query/result_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "util/civil_time.h"

namespace strata::query {

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}

namespace {

// Writes v as exactly `width` decimal digits ending at end; returns the new end (its start).
char* PutDigits(char* end, uint64_t v, int width) {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return end;
}

}  // namespace

std::string FormatTime(int64_t ns) {
  char text[kMaxTimeTextBytes];
  return std::string(text, FormatTimeTo(ns, text));
}

size_t FormatTimeTo(int64_t ns, char* out) {
  // Every time cell of an answer goes through here: the calendar arithmetic is done by hand
  // because gmtime_r and snprintf were a fifth of a GROUP BY time query's server time.
  int64_t secs = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  int64_t days = secs / 86'400;
  int64_t day_secs = secs % 86'400;
  if (day_secs < 0) {
    day_secs += 86'400;
    --days;
  }
  // An answer's times mostly share their day: its date text is kept, not computed again.
  thread_local int64_t cached_days = INT64_MIN;
  thread_local char cached_date[10];
  if (days != cached_days) {
    int64_t year = 0;
    unsigned month = 0, day = 0;
    CivilFromDays(days, &year, &month, &day);
    // int64 nanoseconds span the years 1677 to 2262: always four digits.
    PutDigits(cached_date + 4, static_cast<uint64_t>(year), 4);
    cached_date[4] = '-';
    PutDigits(cached_date + 7, month, 2);
    cached_date[7] = '-';
    PutDigits(cached_date + 10, day, 2);
    cached_days = days;
  }
  // yyyy-mm-ddThh:mm:ss.nnnnnnnnnZ
  std::memcpy(out, cached_date, sizeof(cached_date));
  out[10] = 'T';
  PutDigits(out + 13, static_cast<uint64_t>(day_secs / 3600), 2);
  out[13] = ':';
  PutDigits(out + 16, static_cast<uint64_t>(day_secs / 60 % 60), 2);
  out[16] = ':';
  PutDigits(out + 19, static_cast<uint64_t>(day_secs % 60), 2);
  out[19] = '.';
  PutDigits(out + 29, static_cast<uint64_t>(frac), 9);
  out[29] = 'Z';
  return 30;
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
