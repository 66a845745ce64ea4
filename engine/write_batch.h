#pragma once

// WriteBatch: the WAL payload of one commit, encoded once on the write path and decoded by the
// memtable, both live and at recovery, so there is exactly one apply path.
// Format: docs/format/write_batch.md v1.
// Thread-safety: single-threaded (one per connection batch); Decode is a pure function.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/line_protocol.h"
#include "engine/types.h"
#include "util/status.h"

namespace strata::engine {

// Version 2 added tombstones; version 1 batches (no tombstones) still decode.
inline constexpr uint8_t kWriteBatchVersion = 2;

class WriteBatch {
 public:
  WriteBatch();

  // Appends one parsed line with its final valid time.
  void Add(const ParsedLine& line, int64_t valid_time_ns);
  // Appends a tombstone for one point: (series, field, valid time) of the given field type.
  void AddTombstone(std::string_view series_key, int64_t valid_time_ns, std::string_view field,
                    FieldType type);

  size_t lines() const { return lines_; }
  size_t points() const { return points_; }
  bool empty() const { return lines_ == 0; }
  size_t bytes() const { return rep_.size(); }

  // Hands out the encoded payload and leaves the batch empty.
  std::string Release();

 private:
  std::string rep_;
  size_t lines_ = 0;
  size_t points_ = 0;
};

// One line of a decoded batch; views borrow the payload.
struct BatchLine {
  std::string_view series_key;
  int64_t valid_time_ns = 0;
};

// Decodes payload, calling on_line once per line and on_field for each of its fields, in order.
// A tombstone comes with a value of the field's type and no content.
// Corruption (naming the byte offset) if the payload is malformed.
Status DecodeWriteBatch(
    std::string_view payload, const std::function<void(const BatchLine&)>& on_line,
    const std::function<void(std::string_view key, const FieldValue& value, bool tombstone)>&
        on_field);

}  // namespace strata::engine
