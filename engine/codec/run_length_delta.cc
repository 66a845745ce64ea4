#include "engine/codec/run_length_delta.h"

#include <vector>

#include "engine/codec/bit_packing.h"
#include "engine/codec/codec_internal.h"
#include "util/coding.h"

namespace strata::engine::codec {

namespace {
constexpr CodecId kId = CodecId::kRunLengthDelta;
}  // namespace

void EncodeRunLengthDelta(std::span<const int64_t> values, std::string* out) {
  out->push_back(static_cast<char>(kId));
  if (values.empty()) return;
  std::vector<int64_t> jumps;       // run value minus the previous run's value, runs 1..R-1
  std::vector<int64_t> extra_runs;  // run length minus one, runs 0..R-1
  int64_t length = 1;
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i] == values[i - 1]) {
      ++length;
      continue;
    }
    jumps.push_back(WrapSub(values[i], values[i - 1]));
    extra_runs.push_back(length - 1);
    length = 1;
  }
  extra_runs.push_back(length - 1);
  PutVarint64(out, extra_runs.size());
  PutVarint64(out, ZigZagEncode(values[0]));
  PackMiniblocks(jumps, out);
  PackMiniblocks(extra_runs, out);
}

Status DecodeRunLengthDelta(std::string_view in, std::span<int64_t> out) {
  ByteReader r(in);
  STRATA_RETURN_IF_ERROR(ReadCodecId(kId, &r));
  if (out.empty()) return ExpectEnd(kId, r);
  uint64_t runs;
  if (!r.ReadVarint(&runs)) return CodecCorruption(kId, "truncated run count", r.offset());
  if (runs == 0 || runs > out.size()) {
    return CodecCorruption(kId, "run count not in [1, count]", r.offset());
  }
  int64_t value;
  if (!r.ReadZigZag(&value)) return CodecCorruption(kId, "truncated first value", r.offset());
  // Both staging vectors are bounded by count, since runs <= count.
  std::vector<int64_t> jumps(runs - 1);
  STRATA_RETURN_IF_ERROR(UnpackMiniblocks(kId, &r, jumps));
  std::vector<int64_t> extra_runs(runs);
  STRATA_RETURN_IF_ERROR(UnpackMiniblocks(kId, &r, extra_runs));
  STRATA_RETURN_IF_ERROR(ExpectEnd(kId, r));
  size_t pos = 0;
  for (size_t run = 0; run < runs; ++run) {
    if (run > 0) value = WrapAdd(value, jumps[run - 1]);
    const int64_t extra = extra_runs[run];
    if (extra < 0 || static_cast<uint64_t>(extra) >= out.size() - pos) {
      return CodecCorruption(kId, "runs cover more points than the block holds", r.offset());
    }
    const size_t end = pos + static_cast<size_t>(extra) + 1;
    for (; pos < end; ++pos) out[pos] = value;
  }
  if (pos != out.size()) {
    return CodecCorruption(kId, "runs cover fewer points than the block holds", r.offset());
  }
  return Status::OK();
}

}  // namespace strata::engine::codec
