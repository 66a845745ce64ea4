#include "engine/codec/bit_packing.h"

#include <algorithm>
#include <array>
#include <bit>
#include <numeric>
#include <utility>

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

uint64_t Magnitude(int64_t v) {
  return v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
}

// Divisibility test and exact division by a fixed divisor without a hardware divide, which
// costs tens of cycles per value (Granlund & Montgomery, PLDI 1994, section 9): with
// d = 2^shift * odd, x is a multiple of d iff its low `shift` bits are zero and
// (x >> shift) * odd^-1 mod 2^64 <= (2^64 - 1) / odd; the product is then the quotient.
class ExactDivisor {
 public:
  explicit ExactDivisor(uint64_t d)
      : shift_(std::countr_zero(d)), odd_(d >> shift_), limit_(~uint64_t{0} / odd_) {
    inverse_ = odd_;  // correct to 3 bits: odd * odd == 1 mod 8
    for (int i = 0; i < 5; ++i) inverse_ *= 2 - odd_ * inverse_;  // doubles the correct bits
  }
  bool Divides(uint64_t x) const {
    return (x & ((uint64_t{1} << shift_) - 1)) == 0 && (x >> shift_) * inverse_ <= limit_;
  }
  // x / d for a multiple x of d.
  uint64_t Quotient(uint64_t x) const { return (x >> shift_) * inverse_; }

 private:
  int shift_;
  uint64_t odd_;
  uint64_t limit_;
  uint64_t inverse_;
};

// Unpacks 64 values of W bits from 8 * W bytes (W little-endian words).
template <int W>
void Unpack64(const char* in, uint64_t* out) {
  if constexpr (W == 0) {
    std::fill(out, out + 64, 0);
  } else if constexpr (W == 64) {
    for (int i = 0; i < 64; ++i) out[i] = LoadLittleEndian64(in + 8 * i);
  } else {
    uint64_t words[W];
    for (int j = 0; j < W; ++j) words[j] = LoadLittleEndian64(in + 8 * j);
    constexpr uint64_t kMask = (uint64_t{1} << W) - 1;
#pragma GCC unroll 64
    for (int i = 0; i < 64; ++i) {
      const int word = i * W / 64;
      const int shift = i * W % 64;
      uint64_t v = words[word] >> shift;
      if (shift + W > 64) v |= words[word + 1] << (64 - shift);  // shift > 0 here
      out[i] = v & kMask;
    }
  }
}

template <size_t... W>
constexpr auto MakeUnpack64Table(std::index_sequence<W...>) {
  return std::array<void (*)(const char*, uint64_t*), sizeof...(W)>{&Unpack64<int{W}>...};
}

// Indexed by width.
constexpr auto kUnpack64 = MakeUnpack64Table(std::make_index_sequence<65>{});

size_t VarintLength(uint64_t v) { return static_cast<size_t>(std::max(1, (BitWidth(v) + 6) / 7)); }

// Loads up to 8 bytes at p (fewer if the range ends), little-endian, zero-extended.
inline uint64_t LoadWord(const uint8_t* p, size_t avail) {
  if (avail >= 8) return LoadLittleEndian64(reinterpret_cast<const char*>(p));
  uint64_t w = 0;
  for (size_t i = 0; i < avail; ++i) w |= static_cast<uint64_t>(p[i]) << (8 * i);
  return w;
}

}  // namespace

uint64_t DivideByCommonDivisor(std::span<int64_t> values) {
  uint64_t g = 0;
  ExactDivisor test(1);
  for (const int64_t v : values) {
    const uint64_t magnitude = Magnitude(v);
    if (magnitude == 0 || (g != 0 && test.Divides(magnitude))) continue;
    g = std::gcd(g, magnitude);
    if (g == 1) return 1;
    test = ExactDivisor(g);
  }
  if (g == 0) return 1;
  for (int64_t& v : values) {
    const uint64_t q = test.Quotient(Magnitude(v));
    v = static_cast<int64_t>(v < 0 ? 0 - q : q);
  }
  return g;
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
  // 64 values of any width fill whole 64-bit words: unpack such groups with straight-line
  // code for the width, then the rest (which starts on a byte boundary) value by value.
  const size_t groups = out.size() / 64;
  const size_t group_bytes = 8 * static_cast<size_t>(width);
  for (size_t g = 0; g < groups; ++g) {
    kUnpack64[static_cast<size_t>(width)](in.data() + g * group_bytes, out.data() + g * 64);
  }
  const auto* p = reinterpret_cast<const uint8_t*>(in.data()) + groups * group_bytes;
  const size_t nbytes = in.size() - groups * group_bytes;
  const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  size_t bit = 0;
  for (uint64_t& v : out.subspan(groups * 64)) {
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
