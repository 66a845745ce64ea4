// libFuzzer target for the column codecs and block decompression (STYLE §7).
//
// Input: [selector][count lo][count hi][payload...]. selector % 16 picks the target:
//   0-6   decode payload as a timestamp / system-time / float / int / uint / bool / string
//         column of count % 4097 values. On success, re-encode the decoded values with the
//         column's encoder, decode again, and require the same values (floats bit for bit).
//   7-8   decompress payload as LZ4 / Zstd to raw_size = count; on success compress the result
//         again and require that it decompresses to the same bytes.
//   9-15  read payload as raw values (8 bytes per number, 1 per bool, NUL-separated strings),
//         at most 4096 of them, encode, decode, and require the same values: encoders must
//         round-trip anything.
// Errors are fine (most fuzz input is malformed); crashes, sanitizer reports and aborts are not.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/codec/block_compressor.h"
#include "engine/codec/codec.h"

namespace strata::engine::codec {
namespace {

[[noreturn]] void Fail(const char* what, size_t selector) {
  std::fprintf(stderr, "codec_decode_fuzzer: %s (selector %zu)\n", what, selector);
  std::abort();
}

template <typename T>
bool SameValues(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if constexpr (std::is_same_v<T, double>) {
      if (std::bit_cast<uint64_t>(a[i]) != std::bit_cast<uint64_t>(b[i])) return false;
    } else {
      if (a[i] != b[i]) return false;
    }
  }
  return true;
}

// Encodes `values`, decodes the result and aborts unless it matches.
template <typename T, typename Encode, typename Decode>
void RoundTrip(const std::vector<T>& values, Encode encode, Decode decode, size_t selector) {
  std::string encoded;
  encode(values, &encoded);
  if (!PeekCodec(encoded).ok()) Fail("encoder wrote an unknown codec id", selector);
  std::vector<T> again;
  const Status s = decode(encoded, values.size(), &again);
  if (!s.ok()) Fail(("re-encoded column does not decode: " + s.ToString()).c_str(), selector);
  if (!SameValues(values, again)) Fail("round trip changed the values", selector);
}

// Decodes the payload; if it is valid, checks that encode + decode reproduces what it held.
template <typename T, typename Encode, typename Decode>
void DecodeThenRoundTrip(std::string_view payload, size_t count, Encode encode, Decode decode,
                         size_t selector) {
  std::vector<T> values;
  const Status s = decode(payload, count, &values);
  if (!s.ok()) {
    if (!s.IsCorruption()) Fail("decode failed with a non-Corruption status", selector);
    if (!values.empty()) Fail("failed decode left values behind", selector);
    return;
  }
  if (values.size() != count) Fail("decoded the wrong number of values", selector);
  RoundTrip(values, encode, decode, selector);
}

template <typename T>
std::vector<T> RawNumbers(std::string_view payload) {
  std::vector<T> values(std::min(payload.size() / sizeof(T), kMaxBlockPoints));
  if (!values.empty()) std::memcpy(values.data(), payload.data(), values.size() * sizeof(T));
  return values;
}

void Decompression(Compression c, std::string_view payload, size_t raw_size, size_t selector) {
  std::string raw;
  const Status s = Decompress(c, payload, raw_size, &raw);
  if (!s.ok()) {
    if (!s.IsCorruption()) Fail("decompress failed with a non-Corruption status", selector);
    return;
  }
  if (raw.size() != raw_size) Fail("decompressed the wrong size", selector);
  std::string compressed;
  std::string again;
  if (!Compress(c, raw, &compressed).ok()) Fail("compress failed", selector);
  if (!Decompress(c, compressed, raw.size(), &again).ok() || again != raw) {
    Fail("compression round trip changed the bytes", selector);
  }
}

void FuzzOne(const uint8_t* data, size_t size) {
  const size_t selector = data[0] % 16;
  const size_t raw_count = data[1] | static_cast<size_t>(data[2]) << 8;
  const size_t count = raw_count % (kMaxBlockPoints + 1);
  const std::string_view payload(reinterpret_cast<const char*>(data) + 3, size - 3);

  const auto enc_ts = [](const std::vector<int64_t>& v, std::string* o) { EncodeTimestamps(v, o); };
  const auto enc_sys = [](const std::vector<int64_t>& v, std::string* o) {
    EncodeSystemTimes(v, o);
  };
  const auto enc_f = [](const std::vector<double>& v, std::string* o) { EncodeFloats(v, o); };
  const auto enc_i = [](const std::vector<int64_t>& v, std::string* o) { EncodeInts(v, o); };
  const auto enc_u = [](const std::vector<uint64_t>& v, std::string* o) { EncodeUints(v, o); };
  const auto enc_b = [](const std::vector<uint8_t>& v, std::string* o) { EncodeBools(v, o); };
  const auto enc_s = [](const std::vector<std::string_view>& v, std::string* o) {
    EncodeStrings(v, o);
  };

  switch (selector) {
    case 0:
      DecodeThenRoundTrip<int64_t>(payload, count, enc_ts, DecodeTimestamps, selector);
      break;
    case 1:
      DecodeThenRoundTrip<int64_t>(payload, count, enc_sys, DecodeSystemTimes, selector);
      break;
    case 2:
      DecodeThenRoundTrip<double>(payload, count, enc_f, DecodeFloats, selector);
      break;
    case 3:
      DecodeThenRoundTrip<int64_t>(payload, count, enc_i, DecodeInts, selector);
      break;
    case 4:
      DecodeThenRoundTrip<uint64_t>(payload, count, enc_u, DecodeUints, selector);
      break;
    case 5:
      DecodeThenRoundTrip<uint8_t>(payload, count, enc_b, DecodeBools, selector);
      break;
    case 6:
      DecodeThenRoundTrip<std::string_view>(payload, count, enc_s, DecodeStrings, selector);
      break;
    case 7:
      Decompression(Compression::kLz4, payload, raw_count, selector);
      break;
    case 8:
      Decompression(Compression::kZstd, payload, raw_count, selector);
      break;
    case 9:
      RoundTrip(RawNumbers<int64_t>(payload), enc_ts, DecodeTimestamps, selector);
      break;
    case 10:
      RoundTrip(RawNumbers<int64_t>(payload), enc_sys, DecodeSystemTimes, selector);
      break;
    case 11:
      RoundTrip(RawNumbers<double>(payload), enc_f, DecodeFloats, selector);
      break;
    case 12:
      RoundTrip(RawNumbers<int64_t>(payload), enc_i, DecodeInts, selector);
      break;
    case 13:
      RoundTrip(RawNumbers<uint64_t>(payload), enc_u, DecodeUints, selector);
      break;
    case 14: {
      std::vector<uint8_t> bools = RawNumbers<uint8_t>(payload);
      for (uint8_t& b : bools) b &= 1;
      RoundTrip(bools, enc_b, DecodeBools, selector);
      break;
    }
    default: {
      std::vector<std::string_view> strings;
      std::string_view rest = payload;
      while (!rest.empty() && strings.size() < kMaxBlockPoints) {
        const size_t nul = rest.find('\0');
        strings.push_back(rest.substr(0, nul));
        rest.remove_prefix(nul == std::string_view::npos ? rest.size() : nul + 1);
      }
      RoundTrip(strings, enc_s, DecodeStrings, selector);
      break;
    }
  }
}

}  // namespace
}  // namespace strata::engine::codec

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3 || size > (1 << 17)) return 0;  // cap the input (STYLE §7)
  strata::engine::codec::FuzzOne(data, size);
  return 0;
}
