#include "engine/codec/split_huffman.h"

#include <algorithm>
#include <cassert>
#include <vector>

#include "engine/codec/bit_packing.h"
#include "engine/codec/bit_stream.h"
#include "engine/codec/huffman.h"
#include "util/coding.h"

namespace strata::engine::codec {
namespace {

constexpr int kMaxDirect = kSplitHuffmanMaxDirect;
// The planner's histogram keeps the top 7 bits of each value (all of it if narrower): enough
// for any high part below 64.
constexpr int kTopBits = 7;
constexpr size_t kTopValues = size_t{1} << kTopBits;
// The planner tries k from the median width minus this (below, over half the values would need
// more than 64 symbols) up to the width of nearly all values.
constexpr int kBelowMedian = 6;

// [u8 k][u8 S][u8 escape bits][S + 1 code lengths, two per byte]
size_t HeaderBytes(int direct) { return 3 + (static_cast<size_t>(direct) + 2) / 2; }

size_t VarintLength(uint64_t v) { return static_cast<size_t>(std::max(1, (BitWidth(v) + 6) / 7)); }

// min(64, (max_value >> k) + 1): the S that makes every high part direct, if small enough.
int AllDirect(uint64_t max_value, int k) {
  const uint64_t max_high = max_value >> k;
  return max_high >= kMaxDirect ? kMaxDirect : static_cast<int>(max_high) + 1;
}

// A plan for low bits k and S direct symbols from counts[s] (s < 64) of the high parts at k,
// with its size estimated from the total bit count (FinishPlan makes it exact).
std::optional<SplitHuffmanPlan> PlanFromCounts(std::span<const uint32_t> counts, size_t n,
                                               uint64_t max_value, int k, int direct) {
  std::array<uint32_t, kMaxDirect + 1> freq{};
  size_t direct_count = 0;
  for (int s = 0; s < direct; ++s) {
    freq[static_cast<size_t>(s)] = counts[static_cast<size_t>(s)];
    direct_count += counts[static_cast<size_t>(s)];
  }
  const size_t escapes = n - direct_count;
  freq[static_cast<size_t>(direct)] = static_cast<uint32_t>(escapes);
  SplitHuffmanPlan plan;
  plan.low_bits = k;
  plan.direct_symbols = direct;
  const size_t symbols = static_cast<size_t>(direct) + 1;
  if (!BuildHuffmanLengths(std::span(freq).first(symbols),
                           std::span(plan.lengths).first(symbols))) {
    return std::nullopt;
  }
  plan.escape_bits = escapes == 0 ? 0 : BitWidth((max_value >> k) - static_cast<uint64_t>(direct));
  plan.code_bits =
      HuffmanCostBits(std::span(freq).first(symbols), std::span(plan.lengths).first(symbols)) +
      escapes * static_cast<uint64_t>(plan.escape_bits);
  // Stream bytes: the bits, a padding byte per stream, a one-byte length of the first.
  plan.encoded_bytes = HeaderBytes(direct) + PackedBytes(n, k) + (plan.code_bits + 7) / 8 + 2;
  return plan;
}

// Sets the exact stream and total sizes of `plan` for `values`.
void FinishPlan(std::span<const uint64_t> values, SplitHuffmanPlan* plan) {
  const uint64_t direct = static_cast<uint64_t>(plan->direct_symbols);
  const uint64_t escape_cost = plan->lengths[direct] + static_cast<uint64_t>(plan->escape_bits);
  uint64_t first_bits = 0;
  for (const uint64_t v : values.first((values.size() + 1) / 2)) {
    const uint64_t high = v >> plan->low_bits;
    first_bits += high < direct ? plan->lengths[high] : escape_cost;
  }
  plan->stream_bytes[0] = (first_bits + 7) / 8;
  plan->stream_bytes[1] = (plan->code_bits - first_bits + 7) / 8;
  plan->encoded_bytes =
      HeaderBytes(plan->direct_symbols) + PackedBytes(values.size(), plan->low_bits) +
      VarintLength(plan->stream_bytes[0]) + plan->stream_bytes[0] + plan->stream_bytes[1];
}

// Reads one Huffman stream: high parts (symbol, or escape plus raw bits). Bits past the end of
// the stream read as zero; the caller compares bit_pos() with the stream's size afterwards.
class HighPartReader {
 public:
  // `stream` and `table` must outlive the reader.
  HighPartReader(std::string_view stream, const HuffmanDecodeTable& table, int direct,
                 int escape_bits)
      : data_(reinterpret_cast<const uint8_t*>(stream.data())),
        size_(stream.size()),
        table_(table),
        direct_(static_cast<uint64_t>(direct)),
        escape_bits_(escape_bits) {}
  HighPartReader(const HighPartReader&) = delete;
  HighPartReader& operator=(const HighPartReader&) = delete;

  // The next stream bits, at least 57 of them (zeros past the end).
  uint64_t Peek() const {
    const size_t byte = pos_ >> 3;
    if (byte + 8 <= size_) [[likely]] {
      return LoadLittleEndian64(reinterpret_cast<const char*>(data_ + byte)) >> (pos_ & 7);
    }
    uint64_t word = 0;
    for (size_t i = byte; i < size_ && i < byte + 8; ++i) {
      word |= static_cast<uint64_t>(data_[i]) << (8 * (i - byte));
    }
    return word >> (pos_ & 7);
  }

  // Decodes the high part that `*bits` (Peek()ed, at most 44 of them used since) starts with,
  // and drops its bits from *bits.
  uint64_t Next(uint64_t* bits) {
    const uint16_t entry = table_.Lookup(*bits);
    const int length = HuffmanDecodeTable::Length(entry);
    *bits >>= length;
    pos_ += static_cast<size_t>(length);
    const auto symbol = static_cast<uint64_t>(HuffmanDecodeTable::Symbol(entry));
    if (symbol != direct_) [[likely]]
      return symbol;
    const uint64_t high = direct_ + ReadRaw(escape_bits_);  // wraps for a corrupt width: harmless
    *bits = Peek();
    return high;
  }

  size_t bit_pos() const { return pos_; }

 private:
  uint64_t ReadRaw(int width) {
    if (width <= 56) {  // Peek() has at least 57 bits
      const uint64_t v = Peek() & ((uint64_t{1} << width) - 1);
      pos_ += static_cast<size_t>(width);
      return v;
    }
    const uint64_t lo = ReadRaw(32);
    return lo | ReadRaw(width - 32) << 32;
  }

  const uint8_t* data_;
  size_t size_;
  const HuffmanDecodeTable& table_;
  uint64_t direct_;  // the escape symbol
  int escape_bits_;
  size_t pos_ = 0;
};

// Ors the high parts, shifted left by k, into out[0, half) from `first_stream` and into
// out[half, n) from `second_stream`, alternating between the streams so their lookups overlap.
// Returns the bits read from each (possibly past its end).
std::array<size_t, 2> DecodeHighParts(std::string_view first_stream, std::string_view second_stream,
                                      const HuffmanDecodeTable& table, int direct, int escape_bits,
                                      int k, std::span<uint64_t> out) {
  // Local readers: their positions stay in registers, which stores into `out` (also 64-bit
  // unsigned) could otherwise alias.
  HighPartReader readers[2] = {{first_stream, table, direct, escape_bits},
                               {second_stream, table, direct, escape_bits}};
  HighPartReader* first = &readers[0];
  HighPartReader* second = &readers[1];
  const size_t half = (out.size() + 1) / 2;
  const size_t rest = out.size() - half;  // half or half - 1
  uint64_t* a = out.data();
  uint64_t* b = out.data() + half;
  size_t i = 0;
  for (; i + 4 <= rest; i += 4) {
    uint64_t bits_a = first->Peek();
    uint64_t bits_b = second->Peek();
    // 4 codes of at most 11 bits fit the 57 peeked bits; an escape peeks again.
    static_assert(4 * kMaxHuffmanCodeLength <= 57);
#pragma GCC unroll 4
    for (size_t j = 0; j < 4; ++j) {
      a[i + j] |= first->Next(&bits_a) << k;
      b[i + j] |= second->Next(&bits_b) << k;
    }
  }
  for (; i < half; ++i) {
    uint64_t bits_a = first->Peek();
    a[i] |= first->Next(&bits_a) << k;
    if (i < rest) {
      uint64_t bits_b = second->Peek();
      b[i] |= second->Next(&bits_b) << k;
    }
  }
  return {first->bit_pos(), second->bit_pos()};
}

// The bits of `stream` from bit_pos to the end of its byte are zero; bit_pos is within it.
bool PaddingIsZero(std::string_view stream, size_t bit_pos) {
  return bit_pos % 8 == 0 || (static_cast<uint8_t>(stream[bit_pos / 8]) >> (bit_pos % 8)) == 0;
}

}  // namespace

std::optional<SplitHuffmanPlan> PlanSplitHuffman(std::span<const uint64_t> values) {
  const size_t n = values.size();
  if (n < 2) return std::nullopt;  // one value is one symbol
  // One pass: counts by bit width b and the value's top 7 bits (all of it if b <= 7). A high
  // part v >> k below 64 has b - k <= 6 bits, all among those 7, so these counts give the
  // direct-symbol frequencies at any k exactly.
  uint64_t max_value = 0;
  for (const uint64_t v : values) max_value = std::max(max_value, v);
  const int max_width = BitWidth(max_value);
  std::vector<uint32_t> tops(static_cast<size_t>(max_width + 1) * kTopValues, 0);
  for (const uint64_t v : values) {
    // Branch-free (widths mix unpredictably): BitWidth(v) and TopBits(v, b).
    const int b = BitWidth(v | 1) - (v == 0 ? 1 : 0);
    const int shift = std::max(b - kTopBits, 0);
    ++tops[static_cast<size_t>(b) * kTopValues + static_cast<size_t>(v >> shift)];
  }
  // Counting widths from the rows, not in the loop above, whose increments would mostly hit
  // the same two or three counters and wait for each other.
  std::array<uint32_t, 65> width_counts{};
  for (size_t b = 0; b <= static_cast<size_t>(max_width); ++b) {
    uint32_t sum = 0;
    for (size_t t = 0; t < kTopValues; ++t) sum += tops[b * kTopValues + t];
    width_counts[b] = sum;
  }
  // k from the median width - kBelowMedian up to below W, the width of all but about one value
  // in a thousand (at W or above, nearly all values have high part 0). Mostly zeros with rare
  // others gives W = 0: try k = 0, the others escapes.
  int median_width = 0;
  for (size_t below = width_counts[0]; 2 * below < n;) below += width_counts[++median_width];
  int width = max_width;
  for (size_t wider = 0; width > 0; --width) {
    wider += width_counts[static_cast<size_t>(width)];
    if (wider > n / 1024) break;
  }
  if (max_width == 0) return std::nullopt;  // all zeros
  width = std::max(width, 1);

  std::optional<SplitHuffmanPlan> best;
  std::array<uint32_t, kMaxDirect> counts;
  size_t zeros = 0;  // values of width <= k: high part 0
  const int k_min = std::max(0, median_width - kBelowMedian);
  for (int b = 0; b < k_min; ++b) zeros += width_counts[static_cast<size_t>(b)];
  for (int k = k_min; k < width; ++k) {
    zeros += width_counts[static_cast<size_t>(k)];
    counts.fill(0);
    counts[0] = static_cast<uint32_t>(zeros);
    for (int b = k + 1; b <= std::min(k + 6, max_width); ++b) {
      // Top bits t of width-b values; their high part at k is t >> (bits of t below it).
      const int t_bits = std::min(b, kTopBits);
      const int shift = t_bits - (b - k);
      const size_t row = static_cast<size_t>(b) * kTopValues;
      for (size_t t = size_t{1} << (t_bits - 1); t < (size_t{1} << t_bits); ++t) {
        counts[t >> shift] += tops[row + t];
      }
    }
    // S covering every high part, and S leaving rare ones (below n / 1024) to escapes.
    const int all = AllDirect(max_value, k);
    int common = all;
    while (common > 1 && counts[static_cast<size_t>(common) - 1] <= n / 1024) --common;
    for (const int direct : {all, common}) {
      std::optional<SplitHuffmanPlan> plan = PlanFromCounts(counts, n, max_value, k, direct);
      if (plan && (!best || plan->encoded_bytes < best->encoded_bytes)) best = plan;
      if (common == all) break;
    }
  }
  if (best) FinishPlan(values, &*best);
  return best;
}

std::optional<SplitHuffmanPlan> PlanSplitHuffmanWithLowBits(std::span<const uint64_t> values,
                                                            int k) {
  assert(k >= 0 && k <= 63);
  uint64_t max_value = 0;
  std::array<uint32_t, kMaxDirect + 1> counts{};
  for (const uint64_t v : values) {
    max_value = std::max(max_value, v);
    ++counts[std::min<uint64_t>(v >> k, kMaxDirect)];
  }
  std::optional<SplitHuffmanPlan> plan = PlanFromCounts(
      std::span(counts).first(kMaxDirect), values.size(), max_value, k, AllDirect(max_value, k));
  if (plan) FinishPlan(values, &*plan);
  return plan;
}

void EncodeSplitHuffman(std::span<const uint64_t> values, const SplitHuffmanPlan& plan,
                        std::string* out) {
  const size_t start = out->size();
  const int k = plan.low_bits;
  const int direct = plan.direct_symbols;
  const size_t symbols = static_cast<size_t>(direct) + 1;
  out->push_back(static_cast<char>(k));
  out->push_back(static_cast<char>(direct));
  out->push_back(static_cast<char>(plan.escape_bits));
  for (size_t s = 0; s < symbols; s += 2) {
    const int high_nibble = s + 1 < symbols ? plan.lengths[s + 1] : 0;
    out->push_back(static_cast<char>(plan.lengths[s] | high_nibble << 4));
  }
  const uint64_t low_mask = (uint64_t{1} << k) - 1;
  {
    BitWriter writer(out);  // PackBits of the low bits, without a copy of them
    for (const uint64_t v : values) writer.Write(v & low_mask, k);
    writer.Finish();
  }

  std::array<uint16_t, kMaxDirect + 1> codes;
  CanonicalHuffmanCodes(std::span(plan.lengths).first(symbols), std::span(codes).first(symbols));
  PutVarint64(out, plan.stream_bytes[0]);
  const size_t half = (values.size() + 1) / 2;
  for (const auto& part : {values.first(half), values.subspan(half)}) {
    BitWriter writer(out);
    for (const uint64_t v : part) {
      const uint64_t high = v >> k;
      if (high < static_cast<uint64_t>(direct)) {
        writer.Write(codes[high], plan.lengths[high]);
      } else {
        writer.Write(codes[symbols - 1], plan.lengths[symbols - 1]);
        writer.Write(high - static_cast<uint64_t>(direct), plan.escape_bits);
      }
    }
    writer.Finish();
  }
  assert(out->size() - start == plan.encoded_bytes);
  (void)start;
}

Status DecodeSplitHuffman(CodecId id, ByteReader* in, std::span<uint64_t> out) {
  uint8_t k, direct, escape_bits;
  if (!in->ReadByte(&k) || !in->ReadByte(&direct) || !in->ReadByte(&escape_bits)) {
    return CodecCorruption(id, "truncated split-Huffman header", in->offset());
  }
  if (k > 63) return CodecCorruption(id, "split-Huffman low bits above 63", in->offset() - 3);
  if (direct == 0 || direct > kMaxDirect) {
    return CodecCorruption(id, "split-Huffman symbol count not in [1, 64]", in->offset() - 2);
  }
  if (escape_bits > 64) {
    return CodecCorruption(id, "split-Huffman escape width above 64", in->offset() - 1);
  }
  const size_t symbols = static_cast<size_t>(direct) + 1;
  std::string_view packed_lengths;
  if (!in->ReadBytes((symbols + 1) / 2, &packed_lengths)) {
    return CodecCorruption(id, "truncated Huffman code lengths", in->offset());
  }
  std::array<uint8_t, kMaxDirect + 2> lengths;
  for (size_t i = 0; i < packed_lengths.size(); ++i) {
    const auto byte = static_cast<uint8_t>(packed_lengths[i]);
    lengths[2 * i] = byte & 15;
    lengths[2 * i + 1] = byte >> 4;
  }
  if (symbols % 2 == 1 && lengths[symbols] != 0) {
    return CodecCorruption(id, "nonzero Huffman code length padding", in->offset() - 1);
  }
  HuffmanDecodeTable table;
  if (!table.Init(std::span(lengths).first(symbols))) {
    return CodecCorruption(id, "Huffman code lengths do not form a complete prefix code",
                           in->offset() - packed_lengths.size());
  }
  std::string_view packed;
  if (!in->ReadBytes(PackedBytes(out.size(), k), &packed)) {
    return CodecCorruption(id, "truncated low bits", in->offset());
  }
  if (!UnpackBits(packed, k, out)) {
    return CodecCorruption(id, "nonzero low-bit padding", in->offset() - 1);
  }
  uint64_t first_bytes;
  if (!in->ReadVarint(&first_bytes)) {
    return CodecCorruption(id, "truncated Huffman stream length", in->offset());
  }
  std::string_view first_stream;
  if (!in->ReadBytes(first_bytes, &first_stream)) {
    return CodecCorruption(id, "truncated first Huffman stream", in->offset());
  }
  const size_t second_start = in->offset();
  const std::string_view second_stream = in->rest();
  const std::array<size_t, 2> bits =
      DecodeHighParts(first_stream, second_stream, table, direct, escape_bits, k, out);
  if ((bits[0] + 7) / 8 != first_stream.size() || !PaddingIsZero(first_stream, bits[0])) {
    return CodecCorruption(id, "first Huffman stream length does not match its codes",
                           second_start);
  }
  const size_t second_bytes = (bits[1] + 7) / 8;
  if (second_bytes > second_stream.size()) {
    return CodecCorruption(id, "truncated second Huffman stream",
                           second_start + second_stream.size());
  }
  if (!PaddingIsZero(second_stream, bits[1])) {
    return CodecCorruption(id, "nonzero Huffman stream padding", second_start + second_bytes - 1);
  }
  std::string_view consumed;
  const bool ok = in->ReadBytes(second_bytes, &consumed);
  assert(ok);
  (void)ok;
  return Status::OK();
}

}  // namespace strata::engine::codec
