#include "engine/chunk/chunk_reader.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "engine/codec/block_compressor.h"
#include "engine/codec/codec.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace strata::engine::chunk {
namespace {

bool DecodeStoredBlock(std::string_view* in, StoredBlock* r) {
  uint64_t offset, stored, raw;
  if (!GetVarint64(in, &offset) || !GetVarint64(in, &stored) || !GetVarint64(in, &raw) ||
      in->empty() || stored > UINT32_MAX || raw > UINT32_MAX) {
    return false;
  }
  r->offset = offset;
  r->stored_size = static_cast<uint32_t>(stored);
  r->raw_size = static_cast<uint32_t>(raw);
  r->compression = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  return GetFixed64(in, &r->checksum);
}

bool DecodeCount(std::string_view* in, uint32_t* count) {
  uint64_t n;
  if (!GetVarint64(in, &n) || n == 0 || n > kMaxBlockPoints) return false;
  *count = static_cast<uint32_t>(n);
  return true;
}

bool DecodeBlockRef(std::string_view* in, uint32_t version, BlockRef* r) {
  uint64_t v[4];
  if (!DecodeStoredBlock(in, r) || !DecodeCount(in, &r->stats.count)) return false;
  for (uint64_t& x : v) {
    if (!GetFixed64(in, &x)) return false;
  }
  r->stats.min_valid_ns = static_cast<int64_t>(v[0]);
  r->stats.max_valid_ns = static_cast<int64_t>(v[1]);
  r->stats.min_system_ns = static_cast<int64_t>(v[2]);
  r->stats.max_system_ns = static_cast<int64_t>(v[3]);
  if (in->empty()) return false;
  r->stats.flags = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if (!GetFixed64(in, &r->stats.sum_bits) || !GetFixed64(in, &r->stats.min_bits) ||
      !GetFixed64(in, &r->stats.max_bits)) {
    return false;
  }
  if ((r->stats.flags & BlockStats::kFirstLast) != 0 &&
      (!GetFixed64(in, &r->stats.first_bits) || !GetFixed64(in, &r->stats.last_bits))) {
    return false;
  }
  uint64_t times = 0;
  if (version >= kFirstVersionWithTimeBlocks && (!GetVarint64(in, &times) || times > UINT32_MAX)) {
    return false;
  }
  r->times = static_cast<uint32_t>(times);
  return true;
}

}  // namespace

ChunkReader::ChunkReader(std::string path, std::unique_ptr<RandomAccessFile> file, uint64_t size)
    : path_(std::move(path)), file_(std::move(file)), size_(size) {}

Result<std::shared_ptr<ChunkReader>> ChunkReader::Open(Env& env, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(auto file, env.NewRandomAccessFile(path));
  const uint64_t size = file->Size();
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption("chunk file " + path + ": " + what);
  };
  if (size < kHeaderSize + kFooterSize) return corrupt("too short to be a chunk file");
  std::string header, footer, index;
  STRATA_RETURN_IF_ERROR(file->Read(0, kHeaderSize, &header));
  STRATA_RETURN_IF_ERROR(file->Read(size - kFooterSize, kFooterSize, &footer));
  if (header.size() != kHeaderSize || footer.size() != kFooterSize) return corrupt("short read");
  if (std::string_view(header).substr(0, 8) != kHeaderMagic ||
      std::string_view(footer).substr(kFooterSize - 4) != kFooterMagic) {
    return corrupt("bad magic (not a chunk file, or truncated)");
  }
  const uint32_t version = DecodeFixed32(header.data() + 8);
  if (version < kOldestReadableFormatVersion || version > kFormatVersion ||
      DecodeFixed32(footer.data() + 24) != version) {
    return corrupt("unsupported format version " + std::to_string(version));
  }
  const uint64_t index_offset = DecodeFixed64(footer.data());
  const uint64_t index_size = DecodeFixed64(footer.data() + 8);
  const uint64_t index_checksum = DecodeFixed64(footer.data() + 16);
  if (index_size > kMaxIndexBytes || index_offset < kHeaderSize ||
      index_offset + index_size != size - kFooterSize) {
    return corrupt("index position out of range");
  }
  STRATA_RETURN_IF_ERROR(file->Read(index_offset, index_size, &index));
  if (index.size() != index_size) return corrupt("short read of the index");
  if (Checksum64(index) != index_checksum) return corrupt("index checksum mismatch");
  std::shared_ptr<ChunkReader> reader(new ChunkReader(path, std::move(file), size));
  Status parsed = reader->ParseIndex(index, version);
  if (!parsed.ok()) return corrupt("malformed index: " + parsed.message());
  auto in_range = [&](const StoredBlock& b) {
    return b.offset >= kHeaderSize && b.offset + b.stored_size <= index_offset;
  };
  for (const SeriesEntry& s : reader->series_) {
    for (const TimeBlockRef& t : s.time_blocks) {
      if (!in_range(t)) return corrupt("time block of series '" + s.key + "' out of range");
    }
    for (const FieldEntry& f : s.fields) {
      for (const BlockRef& b : f.blocks) {
        if (!in_range(b)) {
          return corrupt("block of series '" + s.key + "' field '" + std::string(f.name) + "' out of range");
        }
        if (b.times > s.time_blocks.size() ||
            (b.times != 0 && s.time_blocks[b.times - 1].count != b.stats.count)) {
          return corrupt("block of series '" + s.key + "' field '" + std::string(f.name) +
                         "' names a time block the series does not have");
        }
      }
    }
  }
  return reader;
}

Status ChunkReader::ParseIndex(std::string_view in, uint32_t version) {
  std::string_view region;
  uint64_t day, series_count;
  if (!GetLengthPrefixed(&in, &region) || !GetVarint64(&in, &day) ||
      !GetVarint64(&in, &series_count) || series_count > in.size()) {
    return Status::Corruption("partition");
  }
  partition_.region = std::string(region);
  partition_.day = ZigZagDecode(day);
  // Entries are parsed into the flat arrays first and given their spans once the arrays stop
  // growing. (begin, count) of each series' time blocks and fields, each field's blocks:
  struct Range {
    size_t begin, count;
  };
  std::vector<std::pair<Range, Range>> series_ranges;
  std::vector<Range> field_ranges;
  series_.reserve(series_count);
  for (uint64_t i = 0; i < series_count; ++i) {
    SeriesEntry s;
    uint64_t id, field_count;
    std::string_view key;
    if (!GetVarint64(&in, &id) || !GetLengthPrefixed(&in, &key)) {
      return Status::Corruption("series entry");
    }
    s.id = SeriesId{id};
    s.key = std::string(key);
    if (!series_.empty() && series_.back().id >= s.id) return Status::Corruption("series order");
    Range time_range{time_blocks_.size(), 0};
    if (version >= kFirstVersionWithTimeBlocks) {
      uint64_t time_block_count;
      if (!GetVarint64(&in, &time_block_count) || time_block_count > in.size()) {
        return Status::Corruption("time block count");
      }
      for (uint64_t t = 0; t < time_block_count; ++t) {
        TimeBlockRef& ref = time_blocks_.emplace_back();
        if (!DecodeStoredBlock(&in, &ref) || !DecodeCount(&in, &ref.count)) {
          return Status::Corruption("time block entry");
        }
      }
      time_range.count = time_block_count;
    }
    if (!GetVarint64(&in, &field_count) || field_count > in.size()) {
      return Status::Corruption("series entry");
    }
    const Range field_range{fields_.size(), field_count};
    for (uint64_t j = 0; j < field_count; ++j) {
      FieldEntry& f = fields_.emplace_back();
      std::string_view name;
      uint64_t block_count;
      if (!GetLengthPrefixed(&in, &name) || in.empty()) return Status::Corruption("field entry");
      f.name = InternName(name);
      auto type = static_cast<uint8_t>(in[0]);
      in.remove_prefix(1);
      if (type < 1 || type > 5) return Status::Corruption("field type");
      f.type = static_cast<FieldType>(type);
      if (!GetVarint64(&in, &block_count) || block_count > in.size()) {
        return Status::Corruption("block count");
      }
      field_ranges.push_back({blocks_.size(), block_count});
      for (uint64_t b = 0; b < block_count; ++b) {
        if (!DecodeBlockRef(&in, version, &blocks_.emplace_back())) {
          return Status::Corruption("block entry");
        }
      }
    }
    series_ranges.push_back({time_range, field_range});
    series_.push_back(std::move(s));
  }
  if (!in.empty()) return Status::Corruption("trailing bytes");
  for (size_t f = 0; f < fields_.size(); ++f) {
    fields_[f].blocks = std::span(blocks_).subspan(field_ranges[f].begin, field_ranges[f].count);
  }
  for (size_t i = 0; i < series_.size(); ++i) {
    const auto& [times, fields] = series_ranges[i];
    series_[i].time_blocks = std::span(time_blocks_).subspan(times.begin, times.count);
    series_[i].fields = std::span(fields_).subspan(fields.begin, fields.count);
  }
  return Status::OK();
}

std::string_view ChunkReader::InternName(std::string_view name) {
  auto it = names_.find(name);
  if (it == names_.end()) it = names_.emplace(name).first;
  return *it;  // set nodes never move
}

const SeriesEntry* ChunkReader::FindSeries(SeriesId series) const {
  auto it = std::lower_bound(series_.begin(), series_.end(), series,
                             [](const SeriesEntry& s, SeriesId id) { return s.id < id; });
  return it == series_.end() || it->id != series ? nullptr : &*it;
}

const FieldEntry* ChunkReader::Find(SeriesId series, std::string_view field) const {
  const SeriesEntry* entry = FindSeries(series);
  if (entry == nullptr) return nullptr;
  for (const FieldEntry& f : entry->fields) {
    if (f.name == field) return &f;
  }
  return nullptr;
}

Status ChunkReader::BlockError(const SeriesEntry& series, const FieldEntry& field, size_t index,
                               const std::string& what) const {
  return Status::Corruption("chunk file " + path_ + " block " + std::to_string(index) +
                            " of series '" + series.key + "' field '" + std::string(field.name) + "' (offset " +
                            std::to_string(field.blocks[index].offset) + "): " + what);
}

namespace {

// Appends 8-byte values as their bit patterns in one copy (the scan's hot path).
template <typename T>
void AppendAsBits(const std::vector<T>& values, std::vector<uint64_t>* bits) {
  static_assert(sizeof(T) == sizeof(uint64_t));
  const size_t base = bits->size();
  bits->resize(base + values.size());
  if (!values.empty()) std::memcpy(bits->data() + base, values.data(), values.size() * 8);
}

}  // namespace

Status ChunkReader::ReadStored(const StoredBlock& block, std::string* raw) const {
  std::string stored;
  STRATA_RETURN_IF_ERROR(file_->Read(block.offset, block.stored_size, &stored));
  if (stored.size() != block.stored_size) return Status::Corruption("short read");
  if (Checksum64(stored) != block.checksum) return Status::Corruption("checksum mismatch");
  return codec::Decompress(static_cast<codec::Compression>(block.compression), stored,
                           block.raw_size, raw);
}

Status ChunkReader::ReadBlock(const SeriesEntry& series, const FieldEntry& field, size_t index,
                              VersionColumn* out) const {
  const BlockRef& ref = field.blocks[index];
  std::string raw, time_raw;
  if (Status s = ReadStored(ref, &raw); !s.ok()) {
    return BlockError(series, field, index, s.message());
  }
  std::string_view in = raw;
  uint64_t count;
  std::string_view valid_col, system_col, value_col, tomb_col;
  if (!GetVarint64(&in, &count) || count != ref.stats.count ||
      (ref.times == 0 &&
       (!GetLengthPrefixed(&in, &valid_col) || !GetLengthPrefixed(&in, &system_col))) ||
      !GetLengthPrefixed(&in, &value_col) || !GetLengthPrefixed(&in, &tomb_col) || !in.empty()) {
    return BlockError(series, field, index, "malformed block layout");
  }
  if (ref.times != 0) {
    const TimeBlockRef& t = series.time_blocks[ref.times - 1];
    auto time_block_error = [&](const std::string& what) {
      return BlockError(series, field, index,
                        "its time block " + std::to_string(ref.times - 1) + " (offset " +
                            std::to_string(t.offset) + "): " + what);
    };
    if (Status s = ReadStored(t, &time_raw); !s.ok()) return time_block_error(s.message());
    std::string_view times = time_raw;
    uint64_t time_count;
    if (!GetVarint64(&times, &time_count) || time_count != count ||
        !GetLengthPrefixed(&times, &valid_col) || !GetLengthPrefixed(&times, &system_col) ||
        !times.empty()) {
      return time_block_error("malformed time block layout");
    }
  }
  const size_t n = count;
  std::vector<int64_t> valid, system;
  std::vector<uint8_t> tombstone;
  auto fail = [&](const Status& st) { return BlockError(series, field, index, st.message()); };
  if (Status st = codec::DecodeTimestamps(valid_col, n, &valid); !st.ok()) return fail(st);
  if (Status st = codec::DecodeSystemTimes(system_col, n, &system); !st.ok()) return fail(st);
  if (Status st = codec::DecodeBools(tomb_col, n, &tombstone); !st.ok()) return fail(st);

  const size_t base = out->size();
  out->type = field.type;
  out->Reserve(base + n);
  out->valid_ns.insert(out->valid_ns.end(), valid.begin(), valid.end());
  out->system_ns.insert(out->system_ns.end(), system.begin(), system.end());
  out->tombstone.insert(out->tombstone.end(), tombstone.begin(), tombstone.end());
  Status decoded;
  switch (field.type) {
    case FieldType::kFloat: {
      std::vector<double> v;
      decoded = codec::DecodeFloats(value_col, n, &v);
      AppendAsBits(v, &out->bits);
      break;
    }
    case FieldType::kInt: {
      std::vector<int64_t> v;
      decoded = codec::DecodeInts(value_col, n, &v);
      AppendAsBits(v, &out->bits);
      break;
    }
    case FieldType::kUint: {
      std::vector<uint64_t> v;
      decoded = codec::DecodeUints(value_col, n, &v);
      out->bits.insert(out->bits.end(), v.begin(), v.end());
      break;
    }
    case FieldType::kBool: {
      std::vector<uint8_t> v;
      decoded = codec::DecodeBools(value_col, n, &v);
      for (uint8_t x : v) out->bits.push_back(x);
      break;
    }
    case FieldType::kString: {
      std::vector<std::string_view> v;
      decoded = codec::DecodeStrings(value_col, n, &v);
      for (std::string_view x : v) {
        out->bits.push_back(0);
        out->strings.emplace_back(x);
      }
      break;
    }
  }
  if (!decoded.ok() || out->bits.size() != base + n) {
    // Leave *out as it was: a half-appended block must never be read as data.
    out->valid_ns.resize(base);
    out->system_ns.resize(base);
    out->tombstone.resize(base);
    out->bits.resize(std::min(out->bits.size(), base));
    if (field.type == FieldType::kString) out->strings.resize(std::min(out->strings.size(), base));
    return fail(decoded.ok() ? Status::Corruption("value count mismatch") : decoded);
  }
  return Status::OK();
}

Status ChunkReader::VerifyAllBlocks() const {
  for (const SeriesEntry& s : series_) {
    // A time block no field refers to is still part of the file: check it too.
    for (size_t i = 0; i < s.time_blocks.size(); ++i) {
      std::string raw;
      if (Status st = ReadStored(s.time_blocks[i], &raw); !st.ok()) {
        return Status::Corruption("chunk file " + path_ + " time block " + std::to_string(i) +
                                  " of series '" + s.key + "' (offset " +
                                  std::to_string(s.time_blocks[i].offset) + "): " + st.message());
      }
    }
    for (const FieldEntry& f : s.fields) {
      for (size_t i = 0; i < f.blocks.size(); ++i) {
        VersionColumn column;
        STRATA_RETURN_IF_ERROR(ReadBlock(s, f, i, &column));
      }
    }
  }
  return Status::OK();
}

}  // namespace strata::engine::chunk
