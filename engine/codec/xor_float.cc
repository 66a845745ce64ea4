#include "engine/codec/xor_float.h"

#include <array>
#include <bit>
#include <cstdint>

#include "engine/codec/bit_stream.h"
#include "engine/codec/codec_internal.h"
#include "util/coding.h"

namespace strata::engine::codec {
namespace {

constexpr CodecId kId = CodecId::kXorFloat;

// Two-bit case flags (persisted).
enum Flag : uint64_t {
  kSame = 0,         // xor == 0
  kTrailing = 1,     // 3-bit lead code, 6-bit significant length, significant bits
  kSameLeading = 2,  // 64 - lead bits, lead as in the previous kNewLeading / kTrailing
  kNewLeading = 3,   // 3-bit lead code, then 64 - lead bits
};

// A kTrailing entry is used when xor has more trailing zeros than this.
constexpr int kTrailingThreshold = 6;
// No previous lead yet: kSameLeading is invalid until a lead has been written.
constexpr int kNoLead = 64;

// Leading-zero counts are rounded down to one of eight representatives (3-bit code).
constexpr int kLeadValue[8] = {0, 8, 12, 16, 18, 20, 22, 24};

constexpr int LeadCode(int leading_zeros) {
  if (leading_zeros >= 24) return 7;
  if (leading_zeros >= 16) return 3 + (leading_zeros - 16) / 2;
  if (leading_zeros >= 8) return 1 + (leading_zeros - 8) / 4;
  return 0;
}
static_assert(LeadCode(0) == 0 && LeadCode(7) == 0 && LeadCode(8) == 1 && LeadCode(12) == 2 &&
              LeadCode(15) == 2 && LeadCode(16) == 3 && LeadCode(19) == 4 && LeadCode(23) == 6 &&
              LeadCode(24) == 7 && LeadCode(63) == 7);

// LeadCode for every leading-zero count of a nonzero 64-bit value.
constexpr auto kLeadCodeOf = [] {
  std::array<uint8_t, 64> table{};
  for (int i = 0; i < 64; ++i) table[static_cast<size_t>(i)] = static_cast<uint8_t>(LeadCode(i));
  return table;
}();

// The one encoding loop, shared by the encoder (sink = BitWriter) and the size estimate
// (sink = BitCounter), so the two cannot disagree.
template <typename Sink>
void XorEncodeTail(std::span<const double> values, Sink* w) {
  uint64_t prev = std::bit_cast<uint64_t>(values[0]);
  int prev_lead = kNoLead;
  for (size_t i = 1; i < values.size(); ++i) {
    const uint64_t cur = std::bit_cast<uint64_t>(values[i]);
    const uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      w->Write(kSame, 2);
      continue;
    }
    const int code = kLeadCodeOf[static_cast<size_t>(std::countl_zero(x))];
    const int lead = kLeadValue[code];
    const int trail = std::countr_zero(x);
    if (trail > kTrailingThreshold) {
      const int significant = 64 - lead - trail;  // in [1, 57]
      // Flag, lead code and length in one 11-bit write (LSB-first, so the same bits).
      w->Write(
          kTrailing | static_cast<uint64_t>(code) << 2 | static_cast<uint64_t>(significant) << 5,
          11);
      w->Write(x >> trail, significant);
      prev_lead = lead;
    } else if (lead == prev_lead) {
      w->Write(kSameLeading, 2);
      w->Write(x, 64 - lead);
    } else {
      w->Write(kNewLeading | static_cast<uint64_t>(code) << 2, 5);
      w->Write(x, 64 - lead);
      prev_lead = lead;
    }
  }
}

struct BitCounter {
  void Write(uint64_t, int width) { bits += static_cast<size_t>(width); }
  size_t bits = 0;
};

}  // namespace

void EncodeXorFloat(std::span<const double> values, std::string* out) {
  out->push_back(static_cast<char>(kId));
  if (values.empty()) return;
  PutFixed64(out, std::bit_cast<uint64_t>(values[0]));
  BitWriter w(out);
  XorEncodeTail(values, &w);
  w.Finish();
}

size_t XorFloatSize(std::span<const double> values) {
  if (values.empty()) return 1;
  BitCounter counter;
  XorEncodeTail(values, &counter);
  return 1 + 8 + (counter.bits + 7) / 8;
}

Status DecodeXorFloat(std::string_view in, std::span<double> out) {
  ByteReader r(in);
  STRATA_RETURN_IF_ERROR(ReadCodecId(kId, &r));
  if (out.empty()) return ExpectEnd(kId, r);
  uint64_t prev;
  if (!r.ReadFixed64(&prev)) return CodecCorruption(kId, "truncated first value", r.offset());
  out[0] = std::bit_cast<double>(prev);
  const size_t stream_start = r.offset();
  BitReader bits(r.rest());
  int prev_lead = kNoLead;
  for (size_t i = 1; i < out.size(); ++i) {
    uint64_t x = 0;
    switch (bits.Read(2)) {
      case kSame:
        break;
      case kTrailing: {
        const int lead = kLeadValue[bits.Read(3)];
        const int significant = static_cast<int>(bits.Read(6));
        if (significant == 0 || lead + significant > 64) {
          return CodecCorruption(kId, "significant bit count not in [1, 64 - lead]",
                                 stream_start + bits.bytes_consumed());
        }
        x = bits.Read(significant) << (64 - lead - significant);
        prev_lead = lead;
        break;
      }
      case kSameLeading:
        if (prev_lead == kNoLead) {
          return CodecCorruption(kId, "repeated leading zeros before any were set",
                                 stream_start + bits.bytes_consumed());
        }
        x = bits.Read(64 - prev_lead);
        break;
      default: {  // kNewLeading
        prev_lead = kLeadValue[bits.Read(3)];
        x = bits.Read(64 - prev_lead);
        break;
      }
    }
    if (bits.overrun()) return CodecCorruption(kId, "truncated bit stream", in.size());
    prev ^= x;
    out[i] = std::bit_cast<double>(prev);
  }
  if (stream_start + bits.bytes_consumed() != in.size()) {
    return CodecCorruption(kId, "trailing bytes after the last value",
                           stream_start + bits.bytes_consumed());
  }
  if (!bits.PaddingIsZero()) return CodecCorruption(kId, "nonzero padding bits", in.size() - 1);
  return Status::OK();
}

}  // namespace strata::engine::codec
