#pragma once

// Format: docs/format/chunk.md v3. Constants and the block statistics shared by the chunk
// writer and reader.
//
//   file   := header block* index footer
//   header := "STRATACK" format_version:fixed32
//   block  := the block's raw bytes, compressed (see BlockRef.compression)
//   raw    := count:varint valid:lenstr system:lenstr values:lenstr tombstones:lenstr
//             (each column as engine/codec encodes it); a block whose times are in a time
//             block (BlockRef.times != 0, version 3) omits valid and system
//   time block raw := count:varint valid:lenstr system:lenstr                     (version 3)
//   index  := region:lenstr day:varint(zigzag) series_count:varint series*
//   series := id:varint key:lenstr [time_block_count:varint timeref*] field_count:varint field*
//   field  := name:lenstr type:u8 block_count:varint blockref*
//   footer := index_offset:fixed64 index_size:fixed64 index_checksum:fixed64
//             format_version:fixed32 "SCK1"

#include <cstdint>
#include <string_view>

namespace strata::engine::chunk {

inline constexpr std::string_view kHeaderMagic = "STRATACK";
inline constexpr std::string_view kFooterMagic = "SCK1";
inline constexpr uint32_t kFormatVersion = 3;
// Files of these versions are read; version 1 blocks never carry kFirstLast, versions 1 and 2
// have no time blocks.
inline constexpr uint32_t kOldestReadableFormatVersion = 1;
inline constexpr uint32_t kFirstVersionWithTimeBlocks = 3;
inline constexpr size_t kHeaderSize = 8 + 4;
inline constexpr size_t kFooterSize = 8 + 8 + 8 + 4 + 4;
inline constexpr size_t kMaxBlockPoints = 4096;
inline constexpr uint64_t kMaxIndexBytes = 1ull << 30;  // larger is corruption, not a request

// Per-block statistics (DESIGN §4). min/max are raw value bits interpreted by the field type
// (double bits, int64, uint64, bool); sum is a double for floats and an int64 for int/uint
// (valid only when kSumExact is set — an integer sum can overflow).
struct BlockStats {
  enum Flags : uint8_t {
    kMultipleVersions = 1,  // some valid time appears more than once in the block
    kHasTombstones = 2,
    kSumExact = 4,
    // Float min/max order -0.0 below 0.0 (files before this flag may hold either zero).
    kZeroSignsOrdered = 8,
    // first_bits/last_bits are stored (version 2): the values of the block's first and last
    // rows, set for numeric and bool blocks without tombstones or repeated valid times.
    kFirstLast = 16,
  };
  int64_t min_valid_ns = 0, max_valid_ns = 0;
  int64_t min_system_ns = 0, max_system_ns = 0;
  uint64_t sum_bits = 0, min_bits = 0, max_bits = 0;
  uint64_t first_bits = 0, last_bits = 0;  // with kFirstLast
  // Last, so they share one word: an open file holds one BlockRef per block in memory.
  uint32_t count = 0;
  uint8_t flags = 0;
};

// Where a stored block is and how to decompress and check it.
struct StoredBlock {
  uint64_t offset = 0;
  uint64_t checksum = 0;  // xxh3-64 of the stored bytes
  uint32_t stored_size = 0;
  uint32_t raw_size = 0;
  uint8_t compression = 0;  // codec::Compression
};

// A block of a field's values. (times fits in StoredBlock's tail padding: 112 bytes.)
struct BlockRef : StoredBlock {
  // 0: the block holds its own valid and system times. k >= 1 (version 3): its times are the
  // series' time block k-1, which holds exactly stats.count rows.
  uint32_t times = 0;
  BlockStats stats;
};

// The valid and system times that several fields of one series share (version 3): the fields
// of a line share them, so a file stores them once per series instead of once per field.
struct TimeBlockRef : StoredBlock {
  uint32_t count = 0;
};

}  // namespace strata::engine::chunk
