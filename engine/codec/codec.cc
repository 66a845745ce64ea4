// Dispatch from the column-level interface (codec.h) to the codec implementations, and the
// choice of codec per block.

#include "engine/codec/codec.h"

#include <bit>
#include <string>

#include "engine/codec/bool_bitmap.h"
#include "engine/codec/codec_internal.h"
#include "engine/codec/decimal_float.h"
#include "engine/codec/delta_of_delta.h"
#include "engine/codec/int_delta_zigzag.h"
#include "engine/codec/run_length_delta.h"
#include "engine/codec/string_dict.h"
#include "engine/codec/xor_float.h"

namespace strata::engine::codec {
namespace {

Status CheckCount(size_t count) {
  if (count > kMaxBlockPoints) {
    return Status::Corruption("column codec: count " + std::to_string(count) +
                              " exceeds the block limit " + std::to_string(kMaxBlockPoints));
  }
  return Status::OK();
}

Status WrongCodec(CodecId id, std::string_view column) {
  return CodecCorruption(id, "cannot hold a " + std::string(column) + " column", 0);
}

// Every int64 codec can be read as any int64 column, so a writer may pick per block.
Status DecodeInt64Column(std::string_view in, size_t count, std::string_view column,
                         std::vector<int64_t>* out) {
  out->clear();
  STRATA_RETURN_IF_ERROR(CheckCount(count));
  STRATA_ASSIGN_OR_RETURN(const CodecId id, PeekCodec(in));
  out->resize(count);
  Status s;
  switch (id) {
    case CodecId::kDeltaOfDelta:
      s = DecodeDeltaOfDelta(in, *out);
      break;
    case CodecId::kRunLengthDelta:
      s = DecodeRunLengthDelta(in, *out);
      break;
    case CodecId::kDeltaZigZag:
      s = DecodeDeltaZigZag(in, *out);
      break;
    default:
      s = WrongCodec(id, column);
      break;
  }
  if (!s.ok()) out->clear();
  return s;
}

// XorFloatSize is at least this: 9 bytes for the id and first value, 2 bits per repeated
// value and 12 bits per changed one (a kTrailing entry with one significant bit is the
// shortest; see xor_float.cc).
size_t XorFloatSizeLowerBound(std::span<const double> values) {
  if (values.size() < 2) return 1;
  size_t changes = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    changes += std::bit_cast<uint64_t>(values[i]) != std::bit_cast<uint64_t>(values[i - 1]);
  }
  return 9 + (2 * (values.size() - 1) + 10 * changes) / 8;
}

}  // namespace

Status CodecCorruption(CodecId id, std::string_view what, size_t offset) {
  std::string msg = "codec ";
  msg += CodecName(id);
  msg += ": ";
  msg += what;
  msg += " at byte ";
  msg += std::to_string(offset);
  return Status::Corruption(std::move(msg));
}

Result<CodecId> PeekCodec(std::string_view encoded) {
  if (encoded.empty()) return Status::Corruption("column codec: empty column");
  const auto b = static_cast<uint8_t>(encoded[0]);
  if (b < static_cast<uint8_t>(CodecId::kDeltaOfDelta) ||
      b > static_cast<uint8_t>(CodecId::kDictionary)) {
    return Status::Corruption("column codec: unknown codec id " + std::to_string(b));
  }
  return static_cast<CodecId>(b);
}

std::string_view CodecName(CodecId id) {
  switch (id) {
    case CodecId::kDeltaOfDelta:
      return "delta-of-delta";
    case CodecId::kRunLengthDelta:
      return "run-length-delta";
    case CodecId::kDecimalFloat:
      return "decimal-float";
    case CodecId::kXorFloat:
      return "xor-float";
    case CodecId::kDeltaZigZag:
      return "delta-zigzag";
    case CodecId::kBitmap:
      return "bitmap";
    case CodecId::kDictionary:
      return "dictionary";
  }
  return "unknown";
}

void EncodeTimestamps(std::span<const int64_t> values, std::string* out) {
  EncodeDeltaOfDelta(values, out);
}

Status DecodeTimestamps(std::string_view in, size_t count, std::vector<int64_t>* out) {
  return DecodeInt64Column(in, count, "timestamp", out);
}

void EncodeSystemTimes(std::span<const int64_t> values, std::string* out) {
  EncodeRunLengthDelta(values, out);
}

Status DecodeSystemTimes(std::string_view in, size_t count, std::vector<int64_t>* out) {
  return DecodeInt64Column(in, count, "system time", out);
}

void EncodeFloats(std::span<const double> values, std::string* out, EncodeEffort effort) {
  std::vector<int64_t> scaled;
  const std::optional<int> exponent = FindDecimalExponent(values, &scaled);
  if (!exponent) {
    EncodeXorFloat(values, out);
    return;
  }
  // Even a valid decimal form can lose to XOR: long fractions (74.93588199999998) need a large
  // exponent, and long runs of one value cost XOR 2 bits each. Compare sizes, skipping the
  // exact XOR size when a lower bound on it already loses.
  const size_t start = out->size();
  EncodeDecimalFloat(*exponent, scaled, out, effort);
  const size_t decimal_bytes = out->size() - start;
  if (XorFloatSizeLowerBound(values) < decimal_bytes && XorFloatSize(values) < decimal_bytes) {
    out->resize(start);
    EncodeXorFloat(values, out);
  }
}

Status DecodeFloats(std::string_view in, size_t count, std::vector<double>* out) {
  out->clear();
  STRATA_RETURN_IF_ERROR(CheckCount(count));
  STRATA_ASSIGN_OR_RETURN(const CodecId id, PeekCodec(in));
  out->resize(count);
  Status s;
  switch (id) {
    case CodecId::kDecimalFloat:
      s = DecodeDecimalFloat(in, *out);
      break;
    case CodecId::kXorFloat:
      s = DecodeXorFloat(in, *out);
      break;
    default:
      s = WrongCodec(id, "float");
      break;
  }
  if (!s.ok()) out->clear();
  return s;
}

void EncodeInts(std::span<const int64_t> values, std::string* out, EncodeEffort effort) {
  EncodeDeltaZigZag(values, out, effort);
}

Status DecodeInts(std::string_view in, size_t count, std::vector<int64_t>* out) {
  return DecodeInt64Column(in, count, "int", out);
}

void EncodeUints(std::span<const uint64_t> values, std::string* out, EncodeEffort effort) {
  // int64_t and uint64_t may alias each other (they are the signed/unsigned pair), and the
  // codec's wrapping arithmetic makes the bit cast exact.
  EncodeDeltaZigZag(
      std::span<const int64_t>(reinterpret_cast<const int64_t*>(values.data()), values.size()),
      out, effort);
}

Status DecodeUints(std::string_view in, size_t count, std::vector<uint64_t>* out) {
  out->clear();
  std::vector<int64_t> signed_values;
  STRATA_RETURN_IF_ERROR(DecodeInt64Column(in, count, "uint", &signed_values));
  out->assign(signed_values.begin(), signed_values.end());  // modular conversion: a bit cast
  return Status::OK();
}

void EncodeBools(std::span<const uint8_t> values, std::string* out) { EncodeBitmap(values, out); }

Status DecodeBools(std::string_view in, size_t count, std::vector<uint8_t>* out) {
  out->clear();
  STRATA_RETURN_IF_ERROR(CheckCount(count));
  STRATA_ASSIGN_OR_RETURN(const CodecId id, PeekCodec(in));
  if (id != CodecId::kBitmap) return WrongCodec(id, "bool");
  out->resize(count);
  const Status s = DecodeBitmap(in, *out);
  if (!s.ok()) out->clear();
  return s;
}

void EncodeStrings(std::span<const std::string_view> values, std::string* out) {
  EncodeDictionary(values, out);
}

Status DecodeStrings(std::string_view in, size_t count, std::vector<std::string_view>* out) {
  out->clear();
  STRATA_RETURN_IF_ERROR(CheckCount(count));
  STRATA_ASSIGN_OR_RETURN(const CodecId id, PeekCodec(in));
  if (id != CodecId::kDictionary) return WrongCodec(id, "string");
  out->resize(count);
  const Status s = DecodeDictionary(in, *out);
  if (!s.ok()) out->clear();
  return s;
}

}  // namespace strata::engine::codec
