#pragma once

// Helpers shared by the codec implementations; not part of the codec interface (codec.h).
// Thread-safety: ByteReader is single-threaded; the free functions are thread-safe.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "engine/codec/codec.h"
#include "util/coding.h"
#include "util/status.h"

namespace strata::engine::codec {

// Corruption "codec <name>: <what> at byte <offset>", offset counted from the column's first
// byte (its CodecId).
Status CodecCorruption(CodecId id, std::string_view what, size_t offset);

// A bounds-checked cursor over one encoded column. Every Read* returns false, consuming
// nothing useful, when the input ends first.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }
  bool empty() const { return pos_ == in_.size(); }
  // The unread bytes.
  std::string_view rest() const { return in_.substr(pos_); }

  bool ReadByte(uint8_t* b) {
    if (empty()) return false;
    *b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool ReadVarint(uint64_t* v) {
    std::string_view r = rest();
    if (!GetVarint64(&r, v)) return false;
    pos_ = in_.size() - r.size();
    return true;
  }
  bool ReadZigZag(int64_t* v) {
    uint64_t u;
    if (!ReadVarint(&u)) return false;
    *v = ZigZagDecode(u);
    return true;
  }
  bool ReadFixed64(uint64_t* v) {
    if (remaining() < 8) return false;
    *v = DecodeFixed64(in_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool ReadBytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

// Reads and checks the leading CodecId byte of a column encoded by `id`.
inline Status ReadCodecId(CodecId id, ByteReader* r) {
  uint8_t b;
  if (!r->ReadByte(&b)) return CodecCorruption(id, "empty input", 0);
  if (b != static_cast<uint8_t>(id)) return CodecCorruption(id, "wrong codec id", 0);
  return Status::OK();
}

// Trailing garbage check, the last step of every decoder.
inline Status ExpectEnd(CodecId id, const ByteReader& r) {
  if (!r.empty()) return CodecCorruption(id, "trailing bytes after the last value", r.offset());
  return Status::OK();
}

// Wrapping arithmetic on int64 (two's complement), without signed-overflow UB.
inline int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

}  // namespace strata::engine::codec
