#include "tools/line_shape.h"

#include <bit>
#include <cstdint>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace strata::tools {
namespace {

// Every case, byte at a time: leading blanks, escapes, quoted strings with commas and spaces.
LineShape ScanLineGeneral(std::string_view line) {
  LineShape shape;
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i == line.size() || line[i] == '#') return shape;
  for (; i < line.size() && line[i] != ' '; ++i) {
    if (line[i] == '\\') ++i;
  }
  shape.series_end = i < line.size() ? i : line.size();
  while (i < line.size() && line[i] == ' ') ++i;
  if (i >= line.size()) return shape;
  shape.points = 1;
  bool quoted = false;
  for (; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == ',') {
      ++shape.points;
    } else if (!quoted && c == ' ') {
      break;
    }
  }
  return shape;
}

// The first byte at or after from that is a, b or c (or size), and the commas before it. One
// pass, 16 bytes at a time: per line, separate memchr and count passes over the same bytes
// cost the client as much CPU as the server spent parsing (BENCHMARKS.md).
size_t FindStop(const char* p, size_t size, size_t from, char a, char b, char c,
                uint32_t* commas) {
  size_t i = from;
  uint32_t counted = 0;
#ifdef __SSE2__
  // Commas are counted in byte lanes (each comparison is 0 or -1) and summed at the end:
  // baseline x86-64 has no popcount instruction, and the library call cost more than the scan.
  const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
  const __m128i vcomma = _mm_set1_epi8(',');
  const __m128i lane_index = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m128i lanes = _mm_setzero_si128();
  const auto sum_lanes = [&] {
    const __m128i sums = _mm_sad_epu8(lanes, _mm_setzero_si128());
    counted += static_cast<uint32_t>(_mm_cvtsi128_si32(sums) +
                                     _mm_cvtsi128_si32(_mm_srli_si128(sums, 8)));
    lanes = _mm_setzero_si128();
  };
  for (int blocks = 0; i + 16 <= size; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i is_comma = _mm_cmpeq_epi8(v, vcomma);
    const int stops = _mm_movemask_epi8(_mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)), _mm_cmpeq_epi8(v, vc)));
    if (stops != 0) {
      const int at = std::countr_zero(static_cast<unsigned>(stops));
      const __m128i before = _mm_cmplt_epi8(lane_index, _mm_set1_epi8(static_cast<char>(at)));
      lanes = _mm_sub_epi8(lanes, _mm_and_si128(is_comma, before));
      sum_lanes();
      *commas = counted;
      return i + static_cast<size_t>(at);
    }
    lanes = _mm_sub_epi8(lanes, is_comma);
    if (++blocks == 255) {  // a lane holds at most 255
      sum_lanes();
      blocks = 0;
    }
  }
  sum_lanes();
#endif
  for (; i < size; ++i) {
    const char x = p[i];
    if (x == a || x == b || x == c) break;
    counted += x == ',';
  }
  *commas = counted;
  return i;
}

}  // namespace

LineShape ScanLine(std::string_view line) {
  const char* p = line.data();
  const size_t size = line.size();
  if (size == 0 || p[0] == ' ' || p[0] == '\t' || p[0] == '#') return ScanLineGeneral(line);
  uint32_t commas = 0;
  // The series: up to the first space, unless an escape comes first.
  const size_t series_end = FindStop(p, size, 0, ' ', '\\', '\\', &commas);
  if (series_end < size && p[series_end] == '\\') return ScanLineGeneral(line);
  LineShape shape;
  shape.series_end = series_end;
  size_t i = series_end;
  while (i < size && p[i] == ' ') ++i;
  if (i == size) return shape;
  // The fields: up to the next space; a quote or an escape first takes the general path.
  const size_t fields_end = FindStop(p, size, i, ' ', '"', '\\', &commas);
  if (fields_end < size && p[fields_end] != ' ') return ScanLineGeneral(line);
  shape.points = 1 + commas;
  return shape;
}

}  // namespace strata::tools
