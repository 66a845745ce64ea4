#pragma once

// What `strata load` needs of a line of line protocol without parsing it: where its series
// (measurement and tags) ends, so each series keeps to one connection, and how many points
// (fields) it has, for the points/s it reports. The server parses the line; this only counts.
// Thread-safety: pure functions.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata::tools {

struct LineShape {
  size_t series_end = 0;  // the first unescaped space (or the line's end)
  uint32_t points = 0;    // commas outside quoted strings in the field set, plus one
};

// line excludes its '\n'. Zero points for blank lines, comments and lines without fields.
LineShape ScanLine(std::string_view line);

}  // namespace strata::tools
