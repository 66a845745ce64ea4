#pragma once

// Segment file naming and listing. Thread-safe (pure functions over the Env).

#include <cstdint>
#include <string>
#include <vector>

#include "util/env.h"
#include "util/status.h"

namespace strata::wal {

// "<dir>/00000000000000000007.log" for number 7.
std::string SegmentPath(const std::string& dir, uint64_t number);

// Parses a segment file name (not a path); false for anything else.
bool ParseSegmentName(const std::string& name, uint64_t* number);

// Numbers of the segments in dir, ascending. A missing dir is an empty list.
Result<std::vector<uint64_t>> ListSegments(Env& env, const std::string& dir);

}  // namespace strata::wal
