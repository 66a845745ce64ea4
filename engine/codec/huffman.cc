#include "engine/codec/huffman.h"

#include <algorithm>
#include <cassert>

namespace strata::engine::codec {
namespace {

constexpr int kMaxLength = kMaxHuffmanCodeLength;
// Kraft sums are counted in units of 2^-kMaxLength; a complete code sums to kOne.
constexpr int64_t kOne = int64_t{1} << kMaxLength;

int64_t KraftTerm(int length) { return int64_t{1} << (kMaxLength - length); }

uint16_t ReverseBits(uint32_t code, int length) {
  uint32_t reversed = 0;
  for (int b = 0; b < length; ++b) reversed |= ((code >> b) & 1) << (length - 1 - b);
  return static_cast<uint16_t>(reversed);
}

}  // namespace

bool BuildHuffmanLengths(std::span<const uint32_t> freq, std::span<uint8_t> lengths) {
  assert(freq.size() <= kMaxHuffmanSymbols && lengths.size() == freq.size());
  std::fill(lengths.begin(), lengths.end(), 0);
  // The used symbols, rarest first, ties by symbol: sorted as (frequency, symbol) keys.
  std::array<uint64_t, kMaxHuffmanSymbols> keys;
  size_t used = 0;
  for (size_t s = 0; s < freq.size(); ++s) {
    if (freq[s] > 0) keys[used++] = uint64_t{freq[s]} << 8 | s;
  }
  if (used < 2) return false;
  std::sort(keys.begin(), keys.begin() + static_cast<ptrdiff_t>(used));
  std::array<uint8_t, kMaxHuffmanSymbols> order;
  for (size_t i = 0; i < used; ++i) order[i] = static_cast<uint8_t>(keys[i] & 0xff);

  // Two-queue Huffman construction: nodes [0, used) are the leaves in ascending weight, the
  // internal nodes [used, next) are created in nondecreasing weight, so the two lightest nodes
  // are always at the front of one of the two queues. A parent's index exceeds its children's.
  constexpr size_t kMaxNodes = 2 * kMaxHuffmanSymbols - 1;
  std::array<uint64_t, kMaxNodes> weight;
  std::array<size_t, kMaxNodes> parent;
  std::array<int, kMaxNodes> depth;
  for (size_t i = 0; i < used; ++i) weight[i] = freq[order[i]];
  size_t leaf = 0;
  size_t inner = used;
  const size_t root = 2 * used - 2;
  for (size_t next = used; next <= root; ++next) {
    size_t pair[2];
    for (size_t& taken : pair) {
      const bool take_leaf = leaf < used && (inner == next || weight[leaf] <= weight[inner]);
      taken = take_leaf ? leaf++ : inner++;
    }
    weight[next] = weight[pair[0]] + weight[pair[1]];
    parent[pair[0]] = parent[pair[1]] = next;
  }
  depth[root] = 0;
  for (size_t node = root; node-- > 0;) depth[node] = depth[parent[node]] + 1;

  // Limit the lengths: cutting codes longer than kMaxLength oversubscribes the code, so lengthen
  // the rarest codes still below the limit until it fits (all codes at the limit would sum to
  // used * 1 < kOne, so one is always found); then shorten the most frequent codes while the sum
  // stays within one. The second pass ends with a complete code: were any room d > 0 left, the
  // longest code m would have been shortened, as d is a multiple of KraftTerm(m).
  std::array<int, kMaxHuffmanSymbols> len;
  int64_t kraft = 0;
  for (size_t i = 0; i < used; ++i) {
    len[i] = std::min(depth[i], kMaxLength);
    kraft += KraftTerm(len[i]);
  }
  while (kraft > kOne) {
    size_t i = 0;
    while (len[i] == kMaxLength) ++i;
    kraft -= KraftTerm(len[i] + 1);
    ++len[i];
  }
  for (size_t i = used; i-- > 0;) {
    while (len[i] > 1 && kraft + KraftTerm(len[i]) <= kOne) {
      kraft += KraftTerm(len[i]);
      --len[i];
    }
  }
  assert(kraft == kOne);
  for (size_t i = 0; i < used; ++i) lengths[order[i]] = static_cast<uint8_t>(len[i]);
  return true;
}

uint64_t HuffmanCostBits(std::span<const uint32_t> freq, std::span<const uint8_t> lengths) {
  uint64_t bits = 0;
  for (size_t s = 0; s < freq.size(); ++s) bits += uint64_t{freq[s]} * lengths[s];
  return bits;
}

bool IsCompleteHuffmanCode(std::span<const uint8_t> lengths) {
  int64_t kraft = 0;
  for (const uint8_t length : lengths) {
    if (length > kMaxLength) return false;
    if (length > 0) kraft += KraftTerm(length);
  }
  return kraft == kOne;
}

void CanonicalHuffmanCodes(std::span<const uint8_t> lengths, std::span<uint16_t> codes) {
  assert(IsCompleteHuffmanCode(lengths) && codes.size() == lengths.size());
  // RFC 1951 §3.2.2: codes of one length are consecutive in symbol order, and each length's
  // first code follows the last code of the shorter lengths.
  std::array<uint32_t, kMaxLength + 1> count{};
  for (const uint8_t length : lengths) ++count[length];
  count[0] = 0;
  std::array<uint32_t, kMaxLength + 1> next{};
  uint32_t code = 0;
  for (int length = 1; length <= kMaxLength; ++length) {
    code = (code + count[static_cast<size_t>(length) - 1]) << 1;
    next[static_cast<size_t>(length)] = code;
  }
  for (size_t s = 0; s < lengths.size(); ++s) {
    const int length = lengths[s];
    codes[s] = length == 0 ? 0 : ReverseBits(next[static_cast<size_t>(length)]++, length);
  }
}

bool HuffmanDecodeTable::Init(std::span<const uint8_t> lengths) {
  if (lengths.size() > kMaxHuffmanSymbols || !IsCompleteHuffmanCode(lengths)) return false;
  std::array<uint16_t, kMaxHuffmanSymbols> codes;
  CanonicalHuffmanCodes(lengths, std::span(codes).first(lengths.size()));
  // The entry of a code of length L belongs at every index whose low L bits are the (reversed)
  // code. Grow the table by doubling: once table_[0, 2^L) is right for all codes up to length L,
  // copying it to [2^L, 2^(L+1)) is right for them too, and the codes of length L + 1 go to
  // indices no shorter code owns (a prefix code). A complete code leaves no index unowned.
  // Copies of the whole prefix cost far less than writing each code's entries with a stride.
  table_[0] = 0;
  size_t filled = 1;
  for (int length = 1; length <= kMaxLength; ++length) {
    std::copy_n(table_.begin(), filled, table_.begin() + static_cast<ptrdiff_t>(filled));
    filled *= 2;
    for (size_t s = 0; s < lengths.size(); ++s) {
      if (lengths[s] == length) {
        table_[codes[s]] = static_cast<uint16_t>(s << 8 | static_cast<size_t>(length));
      }
    }
  }
  return true;
}

}  // namespace strata::engine::codec
