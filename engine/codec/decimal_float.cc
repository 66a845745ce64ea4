#include "engine/codec/decimal_float.h"

#include <bit>
#include <cmath>
#include <memory>

#include "engine/codec/codec_internal.h"
#include "engine/codec/int_delta_zigzag.h"

namespace strata::engine::codec {
namespace {

constexpr CodecId kId = CodecId::kDecimalFloat;

// 10^e for e in [0, 18]; every entry is exactly representable as a double (10^e < 2^53 * 2^e).
constexpr double kPow10[kMaxDecimalExponent + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                                    1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                                    1e14, 1e15, 1e16, 1e17, 1e18};

// The one decode operation. The encoder verifies exactly this expression.
inline double Unscale(int64_t r, int e) { return static_cast<double>(r) / kPow10[e]; }

// Scales v by 10^e; true if the result decodes back to v's exact bits.
inline bool ScaleExact(double v, int e, int64_t* r) {
  const double scaled = v * kPow10[e];
  const double magnitude = std::fabs(scaled);
  // Also false for NaN and infinities.
  if (!(magnitude < static_cast<double>(kMaxDecimalMagnitude))) return false;
  // Round to nearest without a libm call. Below 2^52, adding 1/2 and truncating rounds correctly
  // except for fractions within an ulp of 1/2, which cannot pass the check below anyway; from
  // 2^52 on every double is an integer already (and adding 1/2 could round to even).
  constexpr double kTwoTo52 = 4503599627370496.0;
  *r = magnitude >= kTwoTo52 ? static_cast<int64_t>(scaled)
                             : static_cast<int64_t>(scaled + std::copysign(0.5, scaled));
  return std::bit_cast<uint64_t>(Unscale(*r, e)) == std::bit_cast<uint64_t>(v);
}

enum class Pass { kClean, kRaised, kFailed };

// Verifies values[0, end) at *e, raising *e whenever a value fails at it. Every exponent
// skipped failed for some value, so *e never passes the smallest one that works for all.
// *last_raise is the index of the last value that raised *e.
Pass ScalePass(std::span<const double> values, size_t end, int* e, int64_t* scaled,
               size_t* last_raise) {
  Pass result = Pass::kClean;
  for (size_t i = 0; i < end; ++i) {
    while (!ScaleExact(values[i], *e, &scaled[i])) {
      if (++*e > kMaxDecimalExponent) return Pass::kFailed;
      result = Pass::kRaised;
      *last_raise = i;
    }
  }
  return result;
}

}  // namespace

std::optional<int> FindDecimalExponent(std::span<const double> values,
                                       std::vector<int64_t>* scaled) {
  scaled->resize(values.size());
  int e = 0;
  size_t last_raise = 0;
  Pass pass = ScalePass(values, values.size(), &e, scaled->data(), &last_raise);
  if (pass == Pass::kClean) return e;
  if (pass == Pass::kFailed) return std::nullopt;
  // values[last_raise, n) passed at the final e; recheck the earlier ones, verified at smaller
  // exponents. They usually pass (a value that fits at e fits at e + 1 unless rounding
  // intervenes); if one raises e again, fall back to full passes until one raises nothing.
  pass = ScalePass(values, last_raise, &e, scaled->data(), &last_raise);
  while (pass == Pass::kRaised) {
    pass = ScalePass(values, values.size(), &e, scaled->data(), &last_raise);
  }
  if (pass == Pass::kFailed) return std::nullopt;
  return e;
}

void EncodeDecimalFloat(int exponent, std::span<const int64_t> scaled, std::string* out,
                        EncodeEffort effort) {
  out->push_back(static_cast<char>(kId));
  if (scaled.empty()) return;
  out->push_back(static_cast<char>(exponent));
  EncodeIntSequence(scaled, out, effort);
}

Status DecodeDecimalFloat(std::string_view in, std::span<double> out) {
  ByteReader r(in);
  STRATA_RETURN_IF_ERROR(ReadCodecId(kId, &r));
  if (out.empty()) return ExpectEnd(kId, r);
  uint8_t e;
  if (!r.ReadByte(&e)) return CodecCorruption(kId, "missing exponent", r.offset());
  if (e > kMaxDecimalExponent) return CodecCorruption(kId, "exponent above 18", r.offset() - 1);
  // Uninitialized: DecodeIntSequence writes every element.
  const auto ints = std::make_unique_for_overwrite<int64_t[]>(out.size());
  STRATA_RETURN_IF_ERROR(DecodeIntSequence(kId, &r, std::span(ints.get(), out.size())));
  STRATA_RETURN_IF_ERROR(ExpectEnd(kId, r));
  // Unscale in two loops without early exits (the caller discards `out` on error): the
  // conversions, then the divisions alone, which the compiler vectorizes (divpd; the same
  // IEEE division per lane as Unscale).
  // |r| < 2^53 iff r + 2^53 - 1 is in [0, 2^54 - 2] (unsigned, wrapping).
  constexpr uint64_t kOffset = kMaxDecimalMagnitude - 1;
  uint64_t out_of_range = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    out_of_range |= static_cast<uint64_t>(ints[i]) + kOffset > 2 * kOffset;
    out[i] = static_cast<double>(ints[i]);
  }
  if (out_of_range != 0) return CodecCorruption(kId, "scaled integer beyond 2^53", r.offset());
  const double divisor = kPow10[e];
  for (double& v : out) v /= divisor;
  return Status::OK();
}

}  // namespace strata::engine::codec
