#include "engine/codec/bool_bitmap.h"

#include <algorithm>

#include "engine/codec/codec_internal.h"

namespace strata::engine::codec {
namespace {
constexpr CodecId kId = CodecId::kBitmap;
}  // namespace

void EncodeBitmap(std::span<const uint8_t> values, std::string* out) {
  out->push_back(static_cast<char>(kId));
  if (values.empty()) return;
  const bool first = values[0] != 0;
  const bool uniform =
      std::all_of(values.begin(), values.end(), [&](uint8_t v) { return (v != 0) == first; });
  if (uniform) {
    out->push_back(static_cast<char>(first ? BitmapMode::kAllTrue : BitmapMode::kAllFalse));
    return;
  }
  out->push_back(static_cast<char>(BitmapMode::kBits));
  const size_t start = out->size();
  out->resize(start + (values.size() + 7) / 8, '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] != 0)
      (*out)[start + i / 8] = static_cast<char>((*out)[start + i / 8] | (1 << (i % 8)));
  }
}

Status DecodeBitmap(std::string_view in, std::span<uint8_t> out) {
  ByteReader r(in);
  STRATA_RETURN_IF_ERROR(ReadCodecId(kId, &r));
  if (out.empty()) return ExpectEnd(kId, r);
  uint8_t mode;
  if (!r.ReadByte(&mode)) return CodecCorruption(kId, "missing mode", r.offset());
  switch (static_cast<BitmapMode>(mode)) {
    case BitmapMode::kAllFalse:
    case BitmapMode::kAllTrue:
      std::fill(out.begin(), out.end(), mode == static_cast<uint8_t>(BitmapMode::kAllTrue));
      return ExpectEnd(kId, r);
    case BitmapMode::kBits: {
      std::string_view bits;
      if (!r.ReadBytes((out.size() + 7) / 8, &bits)) {
        return CodecCorruption(kId, "truncated bitmap", r.offset());
      }
      for (size_t i = 0; i < out.size(); ++i) {
        out[i] = (static_cast<uint8_t>(bits[i / 8]) >> (i % 8)) & 1;
      }
      if (out.size() % 8 != 0 && (static_cast<uint8_t>(bits.back()) >> (out.size() % 8)) != 0) {
        return CodecCorruption(kId, "nonzero padding bits", r.offset() - 1);
      }
      return ExpectEnd(kId, r);
    }
  }
  return CodecCorruption(kId, "unknown mode", r.offset() - 1);
}

}  // namespace strata::engine::codec
