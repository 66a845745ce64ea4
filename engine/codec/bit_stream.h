#pragma once

// LSB-first bit streams (docs/format/codecs.md, "Bit order"). Stream bit k is bit k % 8 of byte
// k / 8; a value of width w takes the next w stream bits, least significant bit first. A stream
// ends padded with zero bits to a whole byte.
// Thread-safety: single-threaded objects.

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "util/coding.h"

namespace strata::engine::codec {

// DecodeFixed64 of the 8 bytes at p as one load: GCC does not merge DecodeFixed64's byte loop
// into a load, which costs hot decode loops several times their work.
inline uint64_t LoadLittleEndian64(const char* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  } else {
    return DecodeFixed64(p);
  }
}

// Appends bits to a string; the caller must call Finish() once to flush the last partial byte.
class BitWriter {
 public:
  // `out` must outlive the writer; bytes are appended, never cleared.
  explicit BitWriter(std::string* out) : out_(out) {}
  BitWriter(const BitWriter&) = delete;
  BitWriter& operator=(const BitWriter&) = delete;

  // Appends the low `width` bits of value; width in [0, 64] and value < 2^width.
  void Write(uint64_t value, int width) {
    assert(width >= 0 && width <= 64);
    assert(width == 64 || (value >> width) == 0);
    if (width == 0) return;
    buf_ |= value << fill_;
    const int total = fill_ + width;
    if (total < 64) {
      fill_ = total;
      return;
    }
    char bytes[8];
    EncodeFixed64(bytes, buf_);
    out_->append(bytes, 8);
    const int placed = 64 - fill_;  // bits of value already in the flushed word, 1..64
    buf_ = placed == 64 ? 0 : value >> placed;
    fill_ = total - 64;
  }

  // Appends the buffered bits, zero-padded to a whole byte. The writer is empty afterwards.
  void Finish() {
    for (int i = 0; i < fill_; i += 8) out_->push_back(static_cast<char>(buf_ >> i));
    buf_ = 0;
    fill_ = 0;
  }

 private:
  std::string* out_;
  uint64_t buf_ = 0;  // pending bits, the oldest in bit 0
  int fill_ = 0;      // pending bit count, [0, 63]
};

// Reads bits from a byte range and never past its end: reading beyond it returns zeros and
// latches overrun(), which the caller turns into Corruption.
class BitReader {
 public:
  // `in` must outlive the reader.
  explicit BitReader(std::string_view in)
      : begin_(reinterpret_cast<const uint8_t*>(in.data())), p_(begin_), end_(begin_ + in.size()) {}
  BitReader(const BitReader&) = delete;
  BitReader& operator=(const BitReader&) = delete;

  // Reads `width` bits, width in [0, 64].
  uint64_t Read(int width) {
    assert(width >= 0 && width <= 64);
    if (width > 56) {
      const uint64_t lo = Read(32);
      return lo | (Read(width - 32) << 32);
    }
    if (avail_ < width) {
      Refill();
      if (avail_ < width) {
        overrun_ = true;
        avail_ = 0;
        buf_ = 0;
        return 0;
      }
    }
    const uint64_t v = buf_ & ((uint64_t{1} << width) - 1);
    buf_ >>= width;
    avail_ -= width;
    return v;
  }

  bool overrun() const { return overrun_; }

  // Bytes consumed, counting a partly read byte as consumed.
  size_t bytes_consumed() const { return static_cast<size_t>(p_ - begin_) - avail_ / 8; }

  // True if the unread bits of the current partly read byte are all zero (the padding).
  bool PaddingIsZero() const { return (buf_ & ((uint64_t{1} << (avail_ % 8)) - 1)) == 0; }

 private:
  // Tops the buffer up to at least 57 bits, or to the end of the input.
  void Refill() {
    if (end_ - p_ >= 8) {                  // one load instead of a byte loop
      const int take = (64 - avail_) / 8;  // whole bytes that fit, >= 1 since avail_ <= 56
      const uint64_t word = LoadLittleEndian64(reinterpret_cast<const char*>(p_));
      buf_ |= (take == 8 ? word : word & ((uint64_t{1} << (8 * take)) - 1)) << avail_;
      p_ += take;
      avail_ += 8 * take;
      return;
    }
    while (avail_ <= 56 && p_ < end_) {
      buf_ |= static_cast<uint64_t>(*p_++) << avail_;
      avail_ += 8;
    }
  }

  const uint8_t* begin_;
  const uint8_t* p_;  // next byte to load into buf_
  const uint8_t* end_;
  uint64_t buf_ = 0;  // loaded, unread bits, the next one in bit 0; bits >= avail_ are zero
  int avail_ = 0;     // [0, 64]
  bool overrun_ = false;
};

}  // namespace strata::engine::codec
