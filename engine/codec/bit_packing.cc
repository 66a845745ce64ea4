#include "engine/codec/bit_packing.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "engine/codec/bit_stream.h"
#include "util/coding.h"

namespace strata::engine::codec {
namespace {

struct Frame {
  int64_t min;
  int width;
};

// The reference (minimum) and bit width of one miniblock.
Frame FrameOf(std::span<const int64_t> values) {
  int64_t lo = values[0];
  int64_t hi = values[0];
  for (const int64_t v : values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  return Frame{lo, BitWidth(static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo))};
}

size_t VarintLength(uint64_t v) { return static_cast<size_t>(std::max(1, (BitWidth(v) + 6) / 7)); }

// Loads up to 8 bytes at p (fewer if the range ends), little-endian, zero-extended.
inline uint64_t LoadWord(const uint8_t* p, size_t avail) {
  if (avail >= 8) return DecodeFixed64(reinterpret_cast<const char*>(p));
  uint64_t w = 0;
  for (size_t i = 0; i < avail; ++i) w |= static_cast<uint64_t>(p[i]) << (8 * i);
  return w;
}

}  // namespace

uint64_t CommonDivisor(std::span<const int64_t> values) {
  uint64_t g = 0;
  for (const int64_t v : values) {
    if (v == 0) continue;
    const uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    if (g != 0 && magnitude % g == 0) continue;  // the common case, cheaper than gcd
    g = std::gcd(g, magnitude);
    if (g == 1) return 1;
  }
  return g == 0 ? 1 : g;
}

void PackBits(std::span<const uint64_t> values, int width, std::string* out) {
  if (width == 0) return;
  BitWriter writer(out);
  for (const uint64_t v : values) writer.Write(v, width);
  writer.Finish();
}

bool UnpackBits(std::string_view in, int width, std::span<uint64_t> out) {
  if (width == 0) {
    std::fill(out.begin(), out.end(), 0);
    return true;
  }
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  const size_t nbytes = in.size();
  const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  size_t bit = 0;
  for (uint64_t& v : out) {
    const size_t byte = bit / 8;
    const int shift = static_cast<int>(bit % 8);
    uint64_t word = LoadWord(p + byte, nbytes - byte) >> shift;
    // A value may straddle 9 bytes when shift + width > 64; that ninth byte exists because
    // the caller sized `in` as PackedBytes(out.size(), width).
    if (shift + width > 64) word |= static_cast<uint64_t>(p[byte + 8]) << (64 - shift);
    v = word & mask;
    bit += static_cast<size_t>(width);
  }
  const int tail_bits = static_cast<int>(bit % 8);
  return tail_bits == 0 || (p[nbytes - 1] >> tail_bits) == 0;
}

void PackMiniblocks(std::span<const int64_t> values, std::string* out) {
  uint64_t offsets[kMiniblockValues];
  for (size_t start = 0; start < values.size(); start += kMiniblockValues) {
    const auto block = values.subspan(start, std::min(kMiniblockValues, values.size() - start));
    const Frame frame = FrameOf(block);
    PutVarint64(out, ZigZagEncode(frame.min));
    out->push_back(static_cast<char>(frame.width));
    for (size_t i = 0; i < block.size(); ++i) {
      offsets[i] = static_cast<uint64_t>(block[i]) - static_cast<uint64_t>(frame.min);
    }
    PackBits(std::span<const uint64_t>(offsets, block.size()), frame.width, out);
  }
}

size_t PackedMiniblocksSize(std::span<const int64_t> values) {
  size_t bytes = 0;
  for (size_t start = 0; start < values.size(); start += kMiniblockValues) {
    const auto block = values.subspan(start, std::min(kMiniblockValues, values.size() - start));
    const Frame frame = FrameOf(block);
    bytes += VarintLength(ZigZagEncode(frame.min)) + 1 + PackedBytes(block.size(), frame.width);
  }
  return bytes;
}

Status UnpackMiniblocks(CodecId id, ByteReader* in, std::span<int64_t> out) {
  for (size_t start = 0; start < out.size(); start += kMiniblockValues) {
    const auto block = out.subspan(start, std::min(kMiniblockValues, out.size() - start));
    int64_t min;
    uint8_t width;
    if (!in->ReadZigZag(&min) || !in->ReadByte(&width)) {
      return CodecCorruption(id, "truncated miniblock header", in->offset());
    }
    if (width > 64) return CodecCorruption(id, "miniblock bit width above 64", in->offset() - 1);
    std::string_view packed;
    if (!in->ReadBytes(PackedBytes(block.size(), width), &packed)) {
      return CodecCorruption(id, "truncated miniblock", in->offset());
    }
    // int64_t and uint64_t may alias each other (they are the signed/unsigned pair).
    const std::span<uint64_t> raw(reinterpret_cast<uint64_t*>(block.data()), block.size());
    if (!UnpackBits(packed, width, raw)) {
      return CodecCorruption(id, "nonzero miniblock padding bits", in->offset() - 1);
    }
    for (int64_t& v : block) v = WrapAdd(v, min);
  }
  return Status::OK();
}

}  // namespace strata::engine::codec
