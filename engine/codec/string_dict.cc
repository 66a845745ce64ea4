#include "engine/codec/string_dict.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "engine/codec/bit_packing.h"
#include "engine/codec/codec_internal.h"
#include "util/coding.h"

namespace strata::engine::codec {
namespace {
constexpr CodecId kId = CodecId::kDictionary;

// Bits per index for a dictionary of `entries` (>= 1) values.
int IndexWidth(size_t entries) { return BitWidth(entries - 1); }
}  // namespace

void EncodeDictionary(std::span<const std::string_view> values, std::string* out) {
  out->push_back(static_cast<char>(kId));
  if (values.empty()) return;
  std::unordered_map<std::string_view, uint64_t> index_of;
  std::vector<std::string_view> entries;
  std::vector<uint64_t> indexes;
  indexes.reserve(values.size());
  for (const std::string_view v : values) {
    const auto [it, inserted] = index_of.try_emplace(v, entries.size());
    if (inserted) entries.push_back(v);
    indexes.push_back(it->second);
  }
  PutVarint64(out, entries.size());
  for (const std::string_view e : entries) PutLengthPrefixed(out, e);
  PackBits(indexes, IndexWidth(entries.size()), out);
}

Status DecodeDictionary(std::string_view in, std::span<std::string_view> out) {
  ByteReader r(in);
  STRATA_RETURN_IF_ERROR(ReadCodecId(kId, &r));
  if (out.empty()) return ExpectEnd(kId, r);
  uint64_t count;
  if (!r.ReadVarint(&count)) return CodecCorruption(kId, "truncated entry count", r.offset());
  if (count == 0 || count > out.size()) {
    return CodecCorruption(kId, "entry count not in [1, count]", r.offset());
  }
  std::vector<std::string_view> entries(count);
  for (std::string_view& e : entries) {
    uint64_t len;
    if (!r.ReadVarint(&len) || !r.ReadBytes(len, &e)) {
      return CodecCorruption(kId, "truncated entry", r.offset());
    }
  }
  const int width = IndexWidth(count);
  std::string_view packed;
  if (!r.ReadBytes(PackedBytes(out.size(), width), &packed)) {
    return CodecCorruption(kId, "truncated indexes", r.offset());
  }
  std::vector<uint64_t> indexes(out.size());
  if (!UnpackBits(packed, width, indexes)) {
    return CodecCorruption(kId, "nonzero index padding bits", r.offset() - 1);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (indexes[i] >= count) return CodecCorruption(kId, "index beyond the dictionary", r.offset());
    out[i] = entries[indexes[i]];
  }
  return ExpectEnd(kId, r);
}

}  // namespace strata::engine::codec
