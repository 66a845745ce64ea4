#pragma once

// WriteBatch: the WAL payload of one commit, encoded once on the write path and decoded by the
// memtable, both live and at recovery, so there is exactly one apply path.
// Format: docs/format/write_batch.md v3.
// Thread-safety: single-threaded (one per connection batch); Decode is a pure function.

#include <bit>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/line_protocol.h"
#include "engine/types.h"
#include "util/coding.h"
#include "util/status.h"

namespace strata::engine {

// Version 2 added tombstones, version 3 lines that repeat the previous line's field keys,
// version 4 lines that refer to a series key written earlier in the batch; older batches still
// decode.
inline constexpr uint8_t kWriteBatchVersion = 4;

class WriteBatch {
 public:
  WriteBatch();

  // Appends one parsed line with its final valid time. A line whose series_token an earlier
  // line of this batch had refers to that line's series key instead of repeating it.
  void Add(const ParsedLine& line, int64_t valid_time_ns);
  // Appends a tombstone for one point: (series, field, valid time) of the given field type.
  void AddTombstone(std::string_view series_key, int64_t valid_time_ns, std::string_view field,
                    FieldType type);

  size_t lines() const { return lines_; }
  size_t points() const { return points_; }
  bool empty() const { return lines_ == 0; }
  size_t bytes() const { return rep_.size(); }

  // Where one series key the batch wrote out lies in its payload.
  struct KeySpan {
    size_t offset;
    size_t length;
  };
  // Hands out the encoded payload and leaves the batch empty. *series_keys (optional) gets where
  // each series key the payload writes out lies in it, by number (BatchLine::series_number):
  // the writer resolves series from them without decoding the payload.
  std::string Release(std::vector<KeySpan>* series_keys = nullptr);

 private:
  // Whether the line's fields have the keys and types, in order, of the last line whose keys
  // were written out (then only its values are written).
  bool RepeatsShape(const ParsedLine& line) const;

  std::string rep_;
  size_t lines_ = 0;
  size_t points_ = 0;
  // The last written-out field keys, as (offset in rep_, length) of each key, and their types;
  // empty after a tombstone.
  struct ShapeField {
    uint32_t key_offset;
    uint32_t key_length;
    FieldType type;
  };
  std::vector<ShapeField> shape_;
  uint64_t shape_id_ = 0;  // ParsedLine::shape_id of the line shape_ came from (0: none)

  // The numbers of the series keys written out, by ParsedLine::series_token: open addressing
  // with linear probing, token 0 marks a free slot, at most half full.
  struct TokenSlot {
    uint64_t token;
    uint32_t number;
  };
  // Writes the line's series: a reference when its token's key is in the batch already
  // (token 0: always the key).
  void PutSeries(std::string_view series_key, uint64_t series_token);
  // The slot holding token, or the free slot where it belongs. The table has a free slot.
  TokenSlot* FindToken(uint64_t token);

  std::vector<TokenSlot> token_slots_;
  size_t tokens_ = 0;
  std::vector<KeySpan> series_keys_;  // written out, by number
};

// One line of a decoded batch; views borrow the payload.
struct BatchLine {
  std::string_view series_key;
  // Lines with the same number have the same series key. Numbers count the keys a batch writes
  // out, 0, 1, 2, ...; the first line of each number is new_series, so a consumer can resolve a
  // key once per number and look later lines up by number (v4: by reference, see the format).
  uint32_t series_number = 0;
  bool new_series = true;
  int64_t valid_time_ns = 0;
  // The line's field keys and types are those of the previous line, in the same order (a v3
  // repeat): a consumer that mapped those keys once can reuse the mapping.
  bool repeats_fields = false;
};

// Decodes payload, calling on_line once per line and on_field for each of its fields, in order.
// A tombstone comes with a value of the field's type and no content.
// Corruption (naming the byte offset) if the payload is malformed.
Status DecodeWriteBatch(
    std::string_view payload, const std::function<void(const BatchLine&)>& on_line,
    const std::function<void(std::string_view key, const FieldValue& value, bool tombstone)>&
        on_field);

// The same decoder with the callbacks inlined, for the apply paths that run once per point.
template <typename OnLine, typename OnField>
Status DecodeWriteBatchInline(std::string_view payload, OnLine&& on_line, OnField&& on_field);

// ---- implementation ----

// Set in a field's type byte: the field is a tombstone of that type and carries no value.
inline constexpr uint8_t kTombstoneTypeBit = 0x80;

namespace write_batch_internal {
Status BadBatch(std::string_view payload, std::string_view rest, std::string_view what);
}  // namespace write_batch_internal

template <typename OnLine, typename OnField>
Status DecodeWriteBatchInline(std::string_view payload, OnLine&& on_line, OnField&& on_field) {
  using write_batch_internal::BadBatch;
  std::string_view in = payload;
  if (in.empty() || static_cast<uint8_t>(in[0]) == 0 ||
      static_cast<uint8_t>(in[0]) > kWriteBatchVersion) {
    return BadBatch(payload, in, "unknown write batch version");
  }
  const bool series_refs = static_cast<uint8_t>(in[0]) >= 4;
  in.remove_prefix(1);
  // The field keys and types of the last line that wrote them out (v3 repeats them).
  std::vector<std::pair<std::string_view, FieldType>> shape;
  bool shape_usable = false;  // no tombstone in that line
  // The series keys written out so far, by number (v4 refers to them; before v4 every line
  // writes its key out).
  std::vector<std::string_view> series_keys;
  while (!in.empty()) {
    BatchLine line;
    uint64_t time_bits;
    uint64_t field_count;
    uint64_t series_ref = 0;
    if (series_refs && !GetVarint64(&in, &series_ref)) {
      return BadBatch(payload, in, "bad series reference");
    }
    if (series_ref != 0) {
      if (series_ref > series_keys.size()) {
        return BadBatch(payload, in, "series reference to a key not yet written");
      }
      line.series_number = static_cast<uint32_t>(series_ref - 1);
      line.series_key = series_keys[line.series_number];
      line.new_series = false;
    } else {
      if (!GetLengthPrefixed(&in, &line.series_key) || line.series_key.empty()) {
        return BadBatch(payload, in, "bad series key");
      }
      line.series_number = static_cast<uint32_t>(series_keys.size());
      series_keys.push_back(line.series_key);
    }
    if (!GetFixed64(&in, &time_bits)) return BadBatch(payload, in, "truncated valid time");
    if (!GetVarint64(&in, &field_count)) return BadBatch(payload, in, "bad field count");
    const bool repeat = field_count == 0;
    if (repeat) {
      if (static_cast<uint8_t>(payload[0]) < 3) return BadBatch(payload, in, "bad field count");
      if (!shape_usable) return BadBatch(payload, in, "no field keys to repeat");
      field_count = shape.size();
    } else {
      shape.clear();
      shape_usable = true;
    }
    line.valid_time_ns = static_cast<int64_t>(time_bits);
    line.repeats_fields = repeat;
    on_line(line);
    for (uint64_t i = 0; i < field_count; ++i) {
      std::string_view key;
      uint8_t type_byte;
      if (repeat) {
        key = shape[i].first;
        type_byte = static_cast<uint8_t>(shape[i].second);
      } else {
        if (!GetLengthPrefixed(&in, &key) || key.empty() || in.empty()) {
          return BadBatch(payload, in, "bad field key");
        }
        type_byte = static_cast<uint8_t>(in[0]);
        in.remove_prefix(1);
      }
      if (type_byte & kTombstoneTypeBit) {
        const auto type = static_cast<FieldType>(type_byte & ~kTombstoneTypeBit);
        if (type < FieldType::kFloat || type > FieldType::kString) {
          return BadBatch(payload, in, "unknown tombstone type");
        }
        shape_usable = false;  // a tombstone line's keys are never repeated
        FieldValue none;
        none.type = type;
        on_field(key, none, true);
        continue;
      }
      const auto type = static_cast<FieldType>(type_byte);
      FieldValue value;
      uint64_t bits;
      switch (type) {
        case FieldType::kFloat:
          if (!GetFixed64(&in, &bits)) return BadBatch(payload, in, "truncated float");
          value = FieldValue::Float(std::bit_cast<double>(bits));
          break;
        case FieldType::kInt:
          if (!GetVarint64(&in, &bits)) return BadBatch(payload, in, "truncated integer");
          value = FieldValue::Int(ZigZagDecode(bits));
          break;
        case FieldType::kUint:
          if (!GetVarint64(&in, &bits)) return BadBatch(payload, in, "truncated unsigned");
          value = FieldValue::Uint(bits);
          break;
        case FieldType::kBool:
          if (in.empty()) return BadBatch(payload, in, "truncated boolean");
          value = FieldValue::Bool(in[0] != 0);
          in.remove_prefix(1);
          break;
        case FieldType::kString: {
          std::string_view s;
          if (!GetLengthPrefixed(&in, &s)) return BadBatch(payload, in, "truncated string");
          value = FieldValue::String(s);
          break;
        }
        default:
          return BadBatch(payload, in, "unknown field type");
      }
      if (!repeat) shape.emplace_back(key, type);
      on_field(key, value, false);
    }
  }
  return Status::OK();
}

}  // namespace strata::engine
