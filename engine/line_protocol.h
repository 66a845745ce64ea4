#pragma once

// InfluxDB line protocol parser (DESIGN §3 step 1; full grammar in docs/format/line_protocol.md).
//
//   <measurement>[,<tag_key>=<tag_value>...] <field_key>=<field_value>[,...] [<timestamp>]
//
// The parser is zero-copy on the common path: the views in a ParsedLine point into the input
// line, or into the parser's scratch buffer when a name needed unescaping. They stay valid until
// the next Parse() call on the same parser or until the input line is freed, whichever is first.
// Thread-safety: a LineParser is single-threaded; use one per connection or thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/types.h"
#include "util/status.h"

namespace strata::engine {

enum class Precision { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds };

// Parses "ns", "us", "ms", "s" (also "n", "u" as InfluxDB does). Error names the bad value.
Result<Precision> ParsePrecision(std::string_view text);

struct Tag {
  std::string_view key;    // unescaped
  std::string_view value;  // unescaped
};

struct Field {
  std::string_view key;  // unescaped
  FieldValue value;      // strings unescaped; borrowed like the other views
};

struct ParsedLine {
  std::string_view measurement;  // unescaped
  std::vector<Tag> tags;         // sorted by key; keys are unique
  std::vector<Field> fields;     // in line order; keys are unique; never empty
  // Nanoseconds since the epoch after applying the precision; nullopt when the line has none.
  std::optional<int64_t> timestamp_ns;
  // Canonical series key: escaped measurement, then ",key=value" for each tag in key order,
  // escaped as docs/format/line_protocol.md says. Equal series always give equal keys.
  std::string_view series_key;
  // Lines with the same nonzero shape id have the same field keys with the same types in the
  // same order (ids are unique across parsers). 0: unknown (a line not made by LineParser).
  uint64_t shape_id = 0;
  // Lines with the same nonzero series token have the same series_key (tokens are unique
  // across parsers and never reused), so a consumer may key what it derived from a series key
  // by the token instead of hashing the key. 0: unknown.
  uint64_t series_token = 0;
};

class LineParser {
 public:
  explicit LineParser(Precision precision = Precision::kNanoseconds);

  // Parses one line without its '\n' (a trailing '\r' is ignored). On failure returns
  // InvalidArgument whose message says what was expected where, as
  // "column <n>: <reason>" (columns count bytes from 1), and *out is unspecified.
  // Lines holding a '\n' or invalid UTF-8 are rejected too (DESIGN §6.1). `line` must not
  // point into views this parser returned earlier (its scratch buffer is rewritten).
  Status Parse(std::string_view line, ParsedLine* out);

  void set_precision(Precision precision) { precision_ = precision; }

 private:
  class Scanner;  // one Parse() call; defined in line_protocol.cc

  // What parsing a line's measurement and tags gave, kept per raw prefix: lines of one series
  // repeat their prefix byte for byte, so a match skips the tag scan, sort and key building.
  struct CachedPrefix {
    std::string prefix;      // raw bytes before the first space; empty: unused slot
    std::string series_key;  // canonical
    std::string measurement;
    std::string tag_text;    // every tag key and value, back to back; tags view into it
    std::vector<Tag> tags;
    uint64_t series_token = 0;  // ParsedLine::series_token of the lines this slot parsed
  };
  // Direct-mapped by hash of the raw prefix: a miss overwrites the slot, reusing its strings.
  static constexpr size_t kPrefixCacheSlots = 4096;

  Precision precision_;
  // The field keys and types of the last line whose field set parsed, and its shape id: a line
  // repeating them is known to have unique keys without comparing them pairwise.
  std::string shape_keys_;  // the keys back to back
  std::vector<std::pair<uint32_t, FieldType>> shape_fields_;  // (key length, type)
  uint64_t shape_id_ = 0;
  // No shape key holds a byte that ends or escapes a name: then input bytes equal to a key and
  // followed by '=' are exactly what scanning the name would find, and the scan is skipped.
  bool shape_keys_plain_ = false;
  std::vector<CachedPrefix> prefix_cache_;  // kPrefixCacheSlots once the first line is parsed
  std::string scratch_;  // unescaped names and the canonical series key when it is not a view
  // Reused across calls so the common path does not allocate.
  std::vector<uint32_t> tag_columns_;    // 1-based column of each tag key, in line order
  std::vector<uint32_t> field_columns_;  // 1-based column of each field key, in line order
  std::vector<std::pair<std::string_view, uint32_t>> key_refs_;  // (key, index in line order)
  std::vector<Tag> tag_tmp_;
  // The order (indices in line order) that sorted the last unsorted tag set; lines of one
  // series repeat it, so checking it first usually replaces a sort.
  std::vector<uint32_t> tag_order_;
};

// True for an empty line, one of only spaces/tabs/'\r', or a comment ('#' first non-blank).
// Parse() does not skip these itself. Thread-safe.
bool IsBlankOrComment(std::string_view line);

// Splits a canonical series key (ParsedLine::series_key) back into its unescaped measurement
// and tags, in key order; used when replaying the WAL. Fails with InvalidArgument
// ("series key column <n>: <reason>") when the key is not canonical: empty names, an unescaped
// ' ' or '=' where it cannot be, tags out of order or repeated. *measurement and *tags are
// overwritten; on failure their contents are unspecified. Thread-safe.
Status ParseSeriesKey(std::string_view series_key, std::string* measurement,
                      std::vector<std::pair<std::string, std::string>>* tags);

// Escapes an unescaped measurement name as the canonical series key does: ',' ' ' and '\' get
// a backslash. Thread-safe.
std::string EscapeMeasurement(std::string_view name);

// Escapes an unescaped tag key, tag value or field key: ',' '=' ' ' and '\' get a backslash.
// Thread-safe.
std::string EscapeTagPart(std::string_view name);

}  // namespace strata::engine
