#pragma once

// Minimal leveled logging to stderr with fmt formatting, and STRATA_CHECK for programmer errors
// (always on; aborts with file:line). Thread-safe: each message is written with one call.

#include <fmt/core.h>

#include <string_view>

namespace strata {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Messages below this level are dropped. Default kInfo.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void LogMessage(LogLevel level, std::string_view message);

[[noreturn]] void CheckFailed(const char* file, int line, const char* expr);

}  // namespace strata

#define STRATA_LOG(level, ...)                                                     \
  do {                                                                             \
    if (::strata::LogLevel::level >= ::strata::GetLogLevel()) {                    \
      ::strata::LogMessage(::strata::LogLevel::level, fmt::format(__VA_ARGS__));   \
    }                                                                              \
  } while (false)

#define STRATA_CHECK(cond)                                                     \
  do {                                                                         \
    if (!(cond)) ::strata::CheckFailed(__FILE__, __LINE__, #cond);             \
  } while (false)
