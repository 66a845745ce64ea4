#pragma once

// Parsing of human-written sizes and durations for command-line flags.
// Pure functions, thread-safe.

#include <chrono>
#include <cstdint>
#include <string_view>

#include "util/status.h"

namespace strata {

// "268435456", "256MiB", "64M", "1GiB", "512KiB", "100KB" (K/M/G and KiB/MiB/GiB are powers of
// 1024; KB/MB/GB powers of 1000). InvalidArgument naming the text otherwise.
Result<uint64_t> ParseByteSize(std::string_view text);

// "0", "250ms", "10s", "5m", "1h", "7d". InvalidArgument naming the text otherwise.
Result<std::chrono::milliseconds> ParseMilliseconds(std::string_view text);

}  // namespace strata
