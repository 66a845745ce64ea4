#pragma once

// Format: docs/format/wal.md v1. Shared by the writer and the reader.
//
// A WAL is a directory of segment files named <20-digit decimal number>.log, numbered from 1.
// A segment is a sequence of records; each record is
//
//   payload_length : fixed32 LE   (bytes of payload)
//   checksum       : fixed64 LE   xxh3-64 of (payload_length bytes ++ system_time bytes ++ payload)
//   system_time    : fixed64 LE   nanoseconds; strictly increasing across all records of a WAL
//   payload        : payload_length bytes, opaque to the WAL
//
// There is no segment header; a segment may be empty.

#include <cstddef>
#include <cstdint>

namespace strata::wal {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kHeaderSize = 4 + 8 + 8;
// Larger lengths are treated as corruption, not as a request to allocate.
inline constexpr uint32_t kMaxPayloadBytes = 256u << 20;
inline constexpr const char* kSegmentSuffix = ".log";

}  // namespace strata::wal
