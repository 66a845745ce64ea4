#include "engine/write_batch.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "util/coding.h"

namespace strata::engine {

WriteBatch::WriteBatch() { rep_.push_back(static_cast<char>(kWriteBatchVersion)); }

bool WriteBatch::RepeatsShape(const ParsedLine& line) const {
  if (shape_.size() != line.fields.size()) return false;
  if (line.shape_id != 0 && line.shape_id == shape_id_) return true;
  for (size_t i = 0; i < shape_.size(); ++i) {
    const Field& field = line.fields[i];
    if (field.value.type != shape_[i].type || field.key.size() != shape_[i].key_length ||
        std::memcmp(rep_.data() + shape_[i].key_offset, field.key.data(), field.key.size()) != 0) {
      return false;
    }
  }
  return true;
}

void WriteBatch::PutSeries(std::string_view series_key, uint64_t series_token) {
  if (series_token != 0) {
    if ((tokens_ + 1) * 2 > token_slots_.size()) {
      std::vector<TokenSlot> old(std::max<size_t>(64, token_slots_.size() * 2), TokenSlot{0, 0});
      old.swap(token_slots_);
      for (const TokenSlot& slot : old) {
        if (slot.token != 0) *FindToken(slot.token) = slot;
      }
    }
    TokenSlot* slot = FindToken(series_token);
    if (slot->token == series_token) {
      PutVarint64(&rep_, uint64_t{slot->number} + 1);
      return;
    }
    *slot = TokenSlot{series_token, static_cast<uint32_t>(series_keys_.size())};
    ++tokens_;
  }
  PutVarint64(&rep_, 0);
  PutLengthPrefixed(&rep_, series_key);
  series_keys_.push_back(KeySpan{rep_.size() - series_key.size(), series_key.size()});
}

WriteBatch::TokenSlot* WriteBatch::FindToken(uint64_t token) {
  // Tokens count up, so a multiplicative hash spreads neighbours across the table.
  const size_t mask = token_slots_.size() - 1;
  size_t i = static_cast<size_t>((token * 0x9E3779B97F4A7C15ull) >> 32) & mask;
  while (token_slots_[i].token != 0 && token_slots_[i].token != token) i = (i + 1) & mask;
  return &token_slots_[i];
}

void WriteBatch::Add(const ParsedLine& line, int64_t valid_time_ns) {
  PutSeries(line.series_key, line.series_token);
  PutFixed64(&rep_, static_cast<uint64_t>(valid_time_ns));
  // Lines of one batch mostly carry the same fields (each writer sends one kind of line): then
  // a field count of 0 stands for the previous keys, a third of a TSBS line's bytes.
  const bool repeat = RepeatsShape(line);
  PutVarint64(&rep_, repeat ? 0 : line.fields.size());
  if (!repeat) {
    shape_.clear();
    shape_id_ = line.shape_id;
  }
  for (const Field& field : line.fields) {
    if (!repeat) {
      PutVarint64(&rep_, field.key.size());
      shape_.push_back({static_cast<uint32_t>(rep_.size()), static_cast<uint32_t>(field.key.size()),
                        field.value.type});
      rep_.append(field.key);
      rep_.push_back(static_cast<char>(field.value.type));
    }
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
  PutSeries(series_key, 0);
  PutFixed64(&rep_, static_cast<uint64_t>(valid_time_ns));
  PutVarint64(&rep_, 1);
  PutLengthPrefixed(&rep_, field);
  rep_.push_back(static_cast<char>(kTombstoneTypeBit | static_cast<uint8_t>(type)));
  shape_.clear();
  shape_id_ = 0;
  ++lines_;
  ++points_;
}

std::string WriteBatch::Release(std::vector<KeySpan>* series_keys) {
  std::string out = std::move(rep_);
  rep_.clear();
  rep_.push_back(static_cast<char>(kWriteBatchVersion));
  lines_ = 0;
  points_ = 0;
  shape_.clear();
  shape_id_ = 0;
  if (tokens_ != 0) {
    // Sized for a batch like this one, so a large one does not make every later one clear a
    // large table.
    token_slots_.assign(std::max<size_t>(64, std::bit_ceil(tokens_ * 2)), TokenSlot{0, 0});
    tokens_ = 0;
  }
  if (series_keys != nullptr) {
    series_keys->swap(series_keys_);
  }
  series_keys_.clear();
  return out;
}

namespace write_batch_internal {

Status BadBatch(std::string_view payload, std::string_view rest, std::string_view what) {
  return Status::Corruption("write batch offset " + std::to_string(payload.size() - rest.size()) +
                            ": " + std::string(what));
}

}  // namespace write_batch_internal

Status DecodeWriteBatch(
    std::string_view payload, const std::function<void(const BatchLine&)>& on_line,
    const std::function<void(std::string_view key, const FieldValue& value, bool tombstone)>&
        on_field) {
  return DecodeWriteBatchInline(payload, on_line, on_field);
}

}  // namespace strata::engine
