#pragma once

// Field values of the line protocol (docs/format/line_protocol.md): the number, boolean and
// special-float spellings the parser accepts, exactly as InfluxDB reads them. Internal to
// engine/line_protocol.cc, split out as its own unit. Thread-safe: pure functions.

#include <cstdint>
#include <string_view>

#include "engine/types.h"

namespace strata::engine::line_values {

enum class NumberParse { kOk, kInvalid, kOutOfRange };

inline bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') <= 9; }

// Parses `-?[0-9]+` (when allow_minus) into an int64, or `[0-9]+` into a uint64 bit pattern.
// The whole text is checked before range, so "999...9x" is invalid rather than out of range.
NumberParse ParseDecimalInteger(std::string_view s, bool allow_minus, bool is_unsigned,
                                uint64_t* value);

NumberParse ParseInt64(std::string_view s, int64_t* value);

// Decimal floats with from_chars: correctly rounded, locale-free, bit-exact round trip.
NumberParse ParseDecimalFloat(std::string_view s, double* value);

// [+-]?(nan|inf|infinity), any case. Every NaN becomes the one canonical quiet NaN so that equal
// input text always yields identical bits.
bool ParseSpecialFloat(std::string_view s, double* value);

// t, T, true, True, TRUE and the same for false.
bool ParseBool(std::string_view s, bool* value);

// The common numbers in one pass: `-?digits[.digits]` floats with at most 2^53 as digit string
// and `-?digits` integers of up to 18 digits followed by 'i' or 'u'. For such floats
// mantissa / 10^k is exact on both operands, so the one IEEE division is correctly rounded
// (Clinger's fast path) and agrees bit for bit with from_chars. Returns false (and leaves
// *next alone) for anything else, which the general path then parses or rejects. p < end.
bool ParseCommonNumber(const char* p, const char* end, FieldValue* value, const char** next);

}  // namespace strata::engine::line_values
