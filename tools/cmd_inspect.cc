// strata inspect <file.chunk>: everything a chunk file says about itself, and whether every
// block still matches its checksum.

#include <bit>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "engine/chunk/chunk_reader.h"
#include "engine/codec/block_compressor.h"
#include "engine/codec/codec.h"
#include "tools/commands.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace strata::tools {
namespace {

std::string StatValue(engine::FieldType type, uint64_t bits) {
  switch (type) {
    case engine::FieldType::kFloat:
      return std::to_string(std::bit_cast<double>(bits));
    case engine::FieldType::kInt:
      return std::to_string(static_cast<int64_t>(bits));
    case engine::FieldType::kUint:
    case engine::FieldType::kBool:
      return std::to_string(bits);
    case engine::FieldType::kString:
      return "-";
  }
  return "?";
}

}  // namespace

int RunInspect(const std::string& path) {
  auto reader = engine::chunk::ChunkReader::Open(*Env::Default(), path);
  if (!reader.ok()) {
    std::fprintf(stderr, "strata inspect: %s\n", reader.status().message().c_str());
    return 1;
  }
  const auto& r = **reader;
  uint64_t blocks = 0, points = 0, stored = 0, raw = 0, bad = 0;
  std::printf("file %s\npartition %s (region %s, date %s)\nsize %" PRIu64 " bytes\n",
              path.c_str(), r.partition().ToString().c_str(), r.partition().region.c_str(),
              r.partition().Date().c_str(), r.size_bytes());
  for (const auto& series : r.series()) {
    std::printf("series %" PRIu64 " %s\n", series.id.value, series.key.c_str());
    for (size_t t = 0; t < series.time_blocks.size(); ++t) {
      const auto& ref = series.time_blocks[t];
      std::printf("  time block %zu @%" PRIu64 " %u->%u bytes %s, %u points\n", t, ref.offset,
                  ref.raw_size, ref.stored_size,
                  std::string(engine::codec::CompressionName(
                                  static_cast<engine::codec::Compression>(ref.compression)))
                      .c_str(),
                  ref.count);
      stored += ref.stored_size;
      raw += ref.raw_size;
    }
    for (const auto& field : series.fields) {
      std::printf("  field %s (%s), %zu blocks\n", std::string(field.name).c_str(),
                  std::string(engine::FieldTypeName(field.type)).c_str(), field.blocks.size());
      for (size_t b = 0; b < field.blocks.size(); ++b) {
        const auto& ref = field.blocks[b];
        const auto& s = ref.stats;
        engine::VersionColumn column;
        column.type = field.type;
        Status read = r.ReadBlock(series, field, b, &column);
        if (!read.ok()) ++bad;
        std::printf(
            "    block %zu @%" PRIu64 " %u->%u bytes %s, %u points, valid %" PRId64 "..%" PRId64
            ", system %" PRId64 "..%" PRId64 ", min %s max %s%s%s%s: %s\n",
            b, ref.offset, ref.raw_size, ref.stored_size,
            std::string(engine::codec::CompressionName(
                            static_cast<engine::codec::Compression>(ref.compression)))
                .c_str(),
            s.count, s.min_valid_ns, s.max_valid_ns, s.min_system_ns, s.max_system_ns,
            StatValue(field.type, s.min_bits).c_str(), StatValue(field.type, s.max_bits).c_str(),
            (s.flags & engine::chunk::BlockStats::kMultipleVersions) ? ", versions" : "",
            (s.flags & engine::chunk::BlockStats::kHasTombstones) ? ", tombstones" : "",
            ref.times != 0 ? (", times in time block " + std::to_string(ref.times - 1)).c_str()
                           : "",
            read.ok() ? "checksum ok" : read.message().c_str());
        ++blocks;
        points += s.count;
        stored += ref.stored_size;
        raw += ref.raw_size;
      }
    }
  }
  std::printf("%zu series, %" PRIu64 " blocks, %" PRIu64 " points, %" PRIu64
              " bytes of blocks (%" PRIu64 " before compression), %.3f bytes/point; %" PRIu64
              " bad blocks\n",
              r.series().size(), blocks, points, stored, raw,
              points ? static_cast<double>(r.size_bytes()) / static_cast<double>(points) : 0.0,
              bad);
  return bad == 0 ? 0 : 1;
}

}  // namespace strata::tools
