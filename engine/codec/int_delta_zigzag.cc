#include "engine/codec/int_delta_zigzag.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "engine/codec/bit_packing.h"
#include "engine/codec/split_huffman.h"
#include "util/coding.h"

namespace strata::engine::codec {
namespace {

// Wrapping deltas v[i] - v[i-1] for i >= 1.
std::vector<int64_t> Deltas(std::span<const int64_t> values) {
  std::vector<int64_t> deltas(values.size() - 1);
  for (size_t i = 1; i < values.size(); ++i) deltas[i - 1] = WrapSub(values[i], values[i - 1]);
  return deltas;
}

size_t VarintBytes(uint64_t v) { return static_cast<size_t>(std::max(1, (BitWidth(v) + 6) / 7)); }

}  // namespace

void EncodeIntSequence(std::span<const int64_t> values, std::string* out, EncodeEffort effort) {
  if (values.empty()) return;
  std::vector<int64_t> deltas = Deltas(values);
  const uint64_t delta_divisor = DivideByCommonDivisor(deltas);
  std::vector<int64_t> scaled(values.begin(), values.end());
  const uint64_t value_divisor = DivideByCommonDivisor(scaled);
  const size_t delta_header_bytes =
      VarintBytes(delta_divisor) + VarintBytes(ZigZagEncode(values[0]));
  const size_t delta_bytes = delta_header_bytes + PackedMiniblocksSize(deltas);
  const size_t value_bytes = VarintBytes(value_divisor) + PackedMiniblocksSize(scaled);

  std::vector<uint64_t> zigzag(deltas.size());
  for (size_t i = 0; i < deltas.size(); ++i) zigzag[i] = ZigZagEncode(deltas[i]);
  // A handful of deltas never repays a code table, and planning one costs microseconds: with a
  // million series of three points each, flushes spent a sixth of their time here.
  constexpr size_t kMinHuffmanDeltas = 8;
  const std::optional<SplitHuffmanPlan> plan =
      zigzag.size() >= kMinHuffmanDeltas && effort == EncodeEffort::kSmall
          ? PlanSplitHuffman(zigzag)
          : std::nullopt;
  if (plan && delta_header_bytes + plan->encoded_bytes < std::min(value_bytes, delta_bytes)) {
    out->push_back(static_cast<char>(IntSequenceMode::kHuffmanDeltas));
    PutVarint64(out, delta_divisor);
    PutVarint64(out, ZigZagEncode(values[0]));
    EncodeSplitHuffman(zigzag, *plan, out);
    return;
  }
  if (value_bytes < delta_bytes) {
    out->push_back(static_cast<char>(IntSequenceMode::kValues));
    PutVarint64(out, value_divisor);
    PackMiniblocks(scaled, out);
  } else {
    out->push_back(static_cast<char>(IntSequenceMode::kDeltas));
    PutVarint64(out, delta_divisor);
    PutVarint64(out, ZigZagEncode(values[0]));
    PackMiniblocks(deltas, out);
  }
}

Status DecodeIntSequence(CodecId id, ByteReader* in, std::span<int64_t> out) {
  if (out.empty()) return Status::OK();
  uint8_t mode;
  if (!in->ReadByte(&mode)) return CodecCorruption(id, "missing sequence mode", in->offset());
  if (mode > static_cast<uint8_t>(IntSequenceMode::kHuffmanDeltas)) {
    return CodecCorruption(id, "unknown sequence mode", in->offset() - 1);
  }
  uint64_t divisor;
  if (!in->ReadVarint(&divisor)) return CodecCorruption(id, "truncated divisor", in->offset());
  if (divisor == 0) return CodecCorruption(id, "zero divisor", in->offset() - 1);
  if (static_cast<IntSequenceMode>(mode) == IntSequenceMode::kValues) {
    STRATA_RETURN_IF_ERROR(UnpackMiniblocks(id, in, out));
    if (divisor != 1) {
      for (int64_t& v : out) v = WrapMul(v, divisor);
    }
    return Status::OK();
  }
  if (!in->ReadZigZag(&out[0])) return CodecCorruption(id, "truncated first value", in->offset());
  if (static_cast<IntSequenceMode>(mode) == IntSequenceMode::kHuffmanDeltas) {
    // int64_t and uint64_t may alias each other (they are the signed/unsigned pair).
    const std::span<uint64_t> zigzag(reinterpret_cast<uint64_t*>(out.data()) + 1, out.size() - 1);
    STRATA_RETURN_IF_ERROR(DecodeSplitHuffman(id, in, zigzag));
    for (size_t i = 1; i < out.size(); ++i) {
      out[i] = WrapAdd(out[i - 1], WrapMul(ZigZagDecode(zigzag[i - 1]), divisor));
    }
    return Status::OK();
  }
  STRATA_RETURN_IF_ERROR(UnpackMiniblocks(id, in, out.subspan(1)));
  for (size_t i = 1; i < out.size(); ++i) out[i] = WrapAdd(out[i - 1], WrapMul(out[i], divisor));
  return Status::OK();
}

void EncodeDeltaZigZag(std::span<const int64_t> values, std::string* out, EncodeEffort effort) {
  out->push_back(static_cast<char>(CodecId::kDeltaZigZag));
  EncodeIntSequence(values, out, effort);
}

Status DecodeDeltaZigZag(std::string_view in, std::span<int64_t> out) {
  ByteReader r(in);
  STRATA_RETURN_IF_ERROR(ReadCodecId(CodecId::kDeltaZigZag, &r));
  STRATA_RETURN_IF_ERROR(DecodeIntSequence(CodecId::kDeltaZigZag, &r, out));
  return ExpectEnd(CodecId::kDeltaZigZag, r);
}

}  // namespace strata::engine::codec
