#include "engine/write_batch.h"

#include <bit>

#include "util/coding.h"

namespace strata::engine {

// Set in a field's type byte: the field is a tombstone of that type and carries no value.
static constexpr uint8_t kTombstoneTypeBit = 0x80;

WriteBatch::WriteBatch() { rep_.push_back(static_cast<char>(kWriteBatchVersion)); }

void WriteBatch::Add(const ParsedLine& line, int64_t valid_time_ns) {
  PutLengthPrefixed(&rep_, line.series_key);
  PutFixed64(&rep_, static_cast<uint64_t>(valid_time_ns));
  PutVarint64(&rep_, line.fields.size());
  for (const Field& field : line.fields) {
    PutLengthPrefixed(&rep_, field.key);
    rep_.push_back(static_cast<char>(field.value.type));
    switch (field.value.type) {
      case FieldType::kFloat:
        PutFixed64(&rep_, std::bit_cast<uint64_t>(field.value.f));
        break;
      case FieldType::kInt:
        PutVarint64(&rep_, ZigZagEncode(field.value.i));
        break;
      case FieldType::kUint:
        PutVarint64(&rep_, field.value.u);
        break;
      case FieldType::kBool:
        rep_.push_back(field.value.b ? 1 : 0);
        break;
      case FieldType::kString:
        PutLengthPrefixed(&rep_, field.value.s);
        break;
    }
  }
  ++lines_;
  points_ += line.fields.size();
}

void WriteBatch::AddTombstone(std::string_view series_key, int64_t valid_time_ns,
                              std::string_view field, FieldType type) {
  PutLengthPrefixed(&rep_, series_key);
  PutFixed64(&rep_, static_cast<uint64_t>(valid_time_ns));
  PutVarint64(&rep_, 1);
  PutLengthPrefixed(&rep_, field);
  rep_.push_back(static_cast<char>(kTombstoneTypeBit | static_cast<uint8_t>(type)));
  ++lines_;
  ++points_;
}

std::string WriteBatch::Release() {
  std::string out = std::move(rep_);
  rep_.clear();
  rep_.push_back(static_cast<char>(kWriteBatchVersion));
  lines_ = 0;
  points_ = 0;
  return out;
}

namespace {

Status BadBatch(std::string_view payload, std::string_view rest, std::string_view what) {
  return Status::Corruption("write batch offset " + std::to_string(payload.size() - rest.size()) +
                            ": " + std::string(what));
}

}  // namespace

Status DecodeWriteBatch(
    std::string_view payload, const std::function<void(const BatchLine&)>& on_line,
    const std::function<void(std::string_view key, const FieldValue& value, bool tombstone)>&
        on_field) {
  std::string_view in = payload;
  if (in.empty() || static_cast<uint8_t>(in[0]) == 0 ||
      static_cast<uint8_t>(in[0]) > kWriteBatchVersion) {
    return BadBatch(payload, in, "unknown write batch version");
  }
  in.remove_prefix(1);
  while (!in.empty()) {
    BatchLine line;
    uint64_t time_bits;
    uint64_t field_count;
    if (!GetLengthPrefixed(&in, &line.series_key) || line.series_key.empty()) {
      return BadBatch(payload, in, "bad series key");
    }
    if (!GetFixed64(&in, &time_bits)) return BadBatch(payload, in, "truncated valid time");
    if (!GetVarint64(&in, &field_count) || field_count == 0) {
      return BadBatch(payload, in, "bad field count");
    }
    line.valid_time_ns = static_cast<int64_t>(time_bits);
    on_line(line);
    for (uint64_t i = 0; i < field_count; ++i) {
      std::string_view key;
      if (!GetLengthPrefixed(&in, &key) || key.empty() || in.empty()) {
        return BadBatch(payload, in, "bad field key");
      }
      const uint8_t type_byte = static_cast<uint8_t>(in[0]);
      in.remove_prefix(1);
      if (type_byte & kTombstoneTypeBit) {
        const auto type = static_cast<FieldType>(type_byte & ~kTombstoneTypeBit);
        if (type < FieldType::kFloat || type > FieldType::kString) {
          return BadBatch(payload, in, "unknown tombstone type");
        }
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
      on_field(key, value, false);
    }
  }
  return Status::OK();
}

}  // namespace strata::engine
