#include "engine/codec/delta_of_delta.h"

#include <vector>

#include "engine/codec/bit_packing.h"
#include "engine/codec/codec_internal.h"
#include "util/coding.h"

namespace strata::engine::codec {

namespace {
constexpr CodecId kId = CodecId::kDeltaOfDelta;
}  // namespace

void EncodeDeltaOfDelta(std::span<const int64_t> values, std::string* out) {
  out->push_back(static_cast<char>(kId));
  if (values.empty()) return;
  PutVarint64(out, ZigZagEncode(values[0]));
  if (values.size() == 1) return;
  int64_t prev_delta = WrapSub(values[1], values[0]);
  PutVarint64(out, ZigZagEncode(prev_delta));
  if (values.size() == 2) return;
  std::vector<int64_t> dods;
  dods.reserve(values.size() - 2);
  for (size_t i = 2; i < values.size(); ++i) {
    const int64_t delta = WrapSub(values[i], values[i - 1]);
    dods.push_back(WrapSub(delta, prev_delta));
    prev_delta = delta;
  }
  PutVarint64(out, DivideByCommonDivisor(dods));
  PackMiniblocks(dods, out);
}

Status DecodeDeltaOfDelta(std::string_view in, std::span<int64_t> out) {
  ByteReader r(in);
  STRATA_RETURN_IF_ERROR(ReadCodecId(kId, &r));
  if (!out.empty()) {
    if (!r.ReadZigZag(&out[0])) return CodecCorruption(kId, "truncated first value", r.offset());
  }
  if (out.size() >= 2) {
    int64_t delta;
    if (!r.ReadZigZag(&delta)) return CodecCorruption(kId, "truncated first delta", r.offset());
    out[1] = WrapAdd(out[0], delta);
  }
  if (out.size() >= 3) {
    uint64_t divisor;
    if (!r.ReadVarint(&divisor)) return CodecCorruption(kId, "truncated divisor", r.offset());
    if (divisor == 0) return CodecCorruption(kId, "zero divisor", r.offset() - 1);
    // Unpack the delta-of-deltas in place, then integrate twice.
    STRATA_RETURN_IF_ERROR(UnpackMiniblocks(kId, &r, out.subspan(2)));
    int64_t delta = WrapSub(out[1], out[0]);
    for (size_t i = 2; i < out.size(); ++i) {
      delta = WrapAdd(delta, WrapMul(out[i], divisor));
      out[i] = WrapAdd(out[i - 1], delta);
    }
  }
  return ExpectEnd(kId, r);
}

}  // namespace strata::engine::codec
