#pragma once

// xxh3-64 checksums for every persisted record, block and index (DESIGN §3, §4).
// Pure functions, thread-safe.

#include <cstdint>
#include <string_view>

namespace strata {

uint64_t Checksum64(std::string_view data);

// Checksum of the concatenation a + b, without building it.
uint64_t Checksum64(std::string_view a, std::string_view b);

}  // namespace strata
