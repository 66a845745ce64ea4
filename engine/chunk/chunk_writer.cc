#include "engine/chunk/chunk_writer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "engine/codec/codec.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "util/neumaier_sum.h"

namespace strata::engine::chunk {
BlockStats ComputeBlockStats(const VersionColumn& c, size_t begin, size_t end) {
  BlockStats s;
  s.count = static_cast<uint32_t>(end - begin);
  s.min_valid_ns = c.valid_ns[begin];
  s.max_valid_ns = c.valid_ns[end - 1];  // rows are sorted by valid time
  // Times and flags first, in loops without branches the compiler can vectorize; then the
  // values, in a loop per type (a flush computes this for every block it writes).
  int64_t min_system = c.system_ns[begin], max_system = c.system_ns[begin];
  bool repeated_valid = false;
  uint8_t any_tombstone = 0;
  for (size_t i = begin; i < end; ++i) {
    min_system = std::min(min_system, c.system_ns[i]);
    max_system = std::max(max_system, c.system_ns[i]);
    any_tombstone |= c.tombstone[i];
  }
  for (size_t i = begin + 1; i < end; ++i) repeated_valid |= c.valid_ns[i] == c.valid_ns[i - 1];
  s.min_system_ns = min_system;
  s.max_system_ns = max_system;
  if (repeated_valid) s.flags |= BlockStats::kMultipleVersions;
  if (any_tombstone != 0) s.flags |= BlockStats::kHasTombstones;
  const bool skip_tombstones = any_tombstone != 0;
  NeumaierSum float_sum;
  int64_t int_sum = 0;
  bool sum_exact = true;
  bool have_value = false;
  double fmin = 0, fmax = 0;
  int64_t imin = 0, imax = 0;
  uint64_t umin = 0, umax = 0;
  switch (c.type) {
    case FieldType::kFloat:
      for (size_t i = begin; i < end; ++i) {
        if (skip_tombstones && c.tombstone[i]) continue;
        const double v = std::bit_cast<double>(c.bits[i]);
        float_sum.Add(v);
        // -0.0 counts below 0.0, so the statistics say which zero is the minimum or maximum.
        if (!have_value || v < fmin || (v == fmin && std::signbit(v))) fmin = v;
        if (!have_value || v > fmax || (v == fmax && !std::signbit(v))) fmax = v;
        have_value = true;
      }
      break;
    case FieldType::kInt:
      for (size_t i = begin; i < end; ++i) {
        if (skip_tombstones && c.tombstone[i]) continue;
        const auto v = static_cast<int64_t>(c.bits[i]);
        if (__builtin_add_overflow(int_sum, v, &int_sum)) sum_exact = false;
        if (!have_value || v < imin) imin = v;
        if (!have_value || v > imax) imax = v;
        have_value = true;
      }
      break;
    case FieldType::kUint:
    case FieldType::kBool:
      for (size_t i = begin; i < end; ++i) {
        if (skip_tombstones && c.tombstone[i]) continue;
        const uint64_t b = c.bits[i];
        int64_t as_signed;
        if (b > static_cast<uint64_t>(INT64_MAX) ||
            __builtin_add_overflow(int_sum, static_cast<int64_t>(b), &as_signed)) {
          sum_exact = false;
        } else {
          int_sum = as_signed;
        }
        if (!have_value || b < umin) umin = b;
        if (!have_value || b > umax) umax = b;
        have_value = true;
      }
      break;
    case FieldType::kString:
      sum_exact = false;
      break;
  }
  switch (c.type) {
    case FieldType::kFloat:
      s.sum_bits = std::bit_cast<uint64_t>(float_sum.Total());
      s.min_bits = std::bit_cast<uint64_t>(fmin);
      s.max_bits = std::bit_cast<uint64_t>(fmax);
      break;
    case FieldType::kInt:
      s.sum_bits = static_cast<uint64_t>(int_sum);
      s.min_bits = static_cast<uint64_t>(imin);
      s.max_bits = static_cast<uint64_t>(imax);
      break;
    case FieldType::kUint:
    case FieldType::kBool:
      s.sum_bits = static_cast<uint64_t>(int_sum);
      s.min_bits = umin;
      s.max_bits = umax;
      break;
    case FieldType::kString:
      break;
  }
  if (sum_exact && c.type != FieldType::kString) s.flags |= BlockStats::kSumExact;
  if (c.type == FieldType::kFloat) s.flags |= BlockStats::kZeroSignsOrdered;
  if (c.type != FieldType::kString &&
      (s.flags & (BlockStats::kHasTombstones | BlockStats::kMultipleVersions)) == 0) {
    s.flags |= BlockStats::kFirstLast;
    s.first_bits = c.bits[begin];
    s.last_bits = c.bits[end - 1];
  }
  return s;
}

namespace {

void EncodeStoredBlock(const StoredBlock& r, std::string* out) {
  PutVarint64(out, r.offset);
  PutVarint64(out, r.stored_size);
  PutVarint64(out, r.raw_size);
  out->push_back(static_cast<char>(r.compression));
  PutFixed64(out, r.checksum);
}

void EncodeBlockRef(const BlockRef& r, uint32_t format_version, std::string* out) {
  EncodeStoredBlock(r, out);
  const BlockStats& s = r.stats;
  PutVarint64(out, s.count);
  for (int64_t v : {s.min_valid_ns, s.max_valid_ns, s.min_system_ns, s.max_system_ns}) {
    PutFixed64(out, static_cast<uint64_t>(v));
  }
  out->push_back(static_cast<char>(s.flags));
  PutFixed64(out, s.sum_bits);
  PutFixed64(out, s.min_bits);
  PutFixed64(out, s.max_bits);
  if (s.flags & BlockStats::kFirstLast) {
    PutFixed64(out, s.first_bits);
    PutFixed64(out, s.last_bits);
  }
  if (format_version >= kFirstVersionWithTimeBlocks) PutVarint64(out, r.times);
}

// Appends the valid and system time columns of rows [begin, begin + n), each length-prefixed.
void AppendTimes(const VersionColumn& c, size_t begin, size_t n, std::string* scratch,
                 std::string* out) {
  scratch->clear();
  codec::EncodeTimestamps(std::span(c.valid_ns).subspan(begin, n), scratch);
  PutLengthPrefixed(out, *scratch);
  scratch->clear();
  codec::EncodeSystemTimes(std::span(c.system_ns).subspan(begin, n), scratch);
  PutLengthPrefixed(out, *scratch);
}

}  // namespace

ChunkWriter::ChunkWriter(std::unique_ptr<WritableFile> file, PartitionKey partition,
                         codec::Compression compression, int zstd_level, uint32_t format_version)
    : file_(std::move(file)),
      partition_(std::move(partition)),
      compression_(compression),
      zstd_level_(zstd_level),
      effort_(compression == codec::Compression::kZstd ? codec::EncodeEffort::kSmall
                                                       : codec::EncodeEffort::kFast),
      format_version_(format_version) {}

Result<std::unique_ptr<ChunkWriter>> ChunkWriter::Create(Env& env, const std::string& path,
                                                         PartitionKey partition,
                                                         codec::Compression compression,
                                                         int zstd_level, uint32_t format_version) {
  if (format_version != kFormatVersion && format_version != 2) {
    return Status::InvalidArgument("chunk writer: cannot write format version " +
                                   std::to_string(format_version));
  }
  STRATA_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(path));
  std::unique_ptr<ChunkWriter> writer(new ChunkWriter(std::move(file), std::move(partition),
                                                      compression, zstd_level, format_version));
  std::string header(kHeaderMagic);
  PutFixed32(&header, format_version);
  STRATA_RETURN_IF_ERROR(writer->file_->Append(header));
  return writer;
}

uint32_t ChunkWriter::MatchTimeBlock(const VersionColumn& c, size_t begin, size_t end,
                                     size_t ordinal) const {
  if (ordinal >= anchor_ranges_.size()) return 0;
  const AnchorRange& range = anchor_ranges_[ordinal];
  const size_t n = end - begin;
  if (range.count != n ||
      std::memcmp(anchor_valid_.data() + range.begin, c.valid_ns.data() + begin, n * 8) != 0 ||
      std::memcmp(anchor_system_.data() + range.begin, c.system_ns.data() + begin, n * 8) != 0) {
    return 0;
  }
  return static_cast<uint32_t>(ordinal + 1);
}

Status ChunkWriter::StoreRaw(codec::Compression compression, StoredBlock* where) {
  stored_.clear();
  STRATA_RETURN_IF_ERROR(codec::Compress(compression, raw_, &stored_, zstd_level_));
  codec::Compression used = compression;
  // Bit-packed columns are often incompressible; a compressor's framing would only add bytes.
  if (stored_.size() >= raw_.size()) {
    stored_ = raw_;
    used = codec::Compression::kNone;
  }
  where->offset = file_->Size() + pending_.size();
  where->stored_size = static_cast<uint32_t>(stored_.size());
  where->raw_size = static_cast<uint32_t>(raw_.size());
  where->compression = static_cast<uint8_t>(used);
  where->checksum = Checksum64(stored_);
  return Write(stored_);
}

Status ChunkWriter::WriteBlock(const VersionColumn& c, size_t begin, size_t end, size_t ordinal,
                               BlockRef* ref) {
  const size_t n = end - begin;
  SeriesIndex& series = index_.back();
  uint32_t times = 0;
  if (format_version_ >= kFirstVersionWithTimeBlocks) {
    const bool anchor = series.fields.size() == 1 && ordinal == series.time_blocks.size() &&
                        anchor_valid_.size() + n <= kMaxAnchorRows;
    if (anchor) {
      raw_.clear();
      PutVarint64(&raw_, n);
      AppendTimes(c, begin, n, &scratch_, &raw_);
      TimeBlockRef time_block;
      time_block.count = static_cast<uint32_t>(n);
      // Stored as they are: bit-packed times barely compress, and every read of a field that
      // shares them would pay for decompressing them.
      STRATA_RETURN_IF_ERROR(StoreRaw(codec::Compression::kNone, &time_block));
      series.time_blocks.push_back(time_block);
      anchor_ranges_.push_back({anchor_valid_.size(), n});
      anchor_valid_.insert(anchor_valid_.end(), c.valid_ns.begin() + begin,
                           c.valid_ns.begin() + end);
      anchor_system_.insert(anchor_system_.end(), c.system_ns.begin() + begin,
                            c.system_ns.begin() + end);
      times = static_cast<uint32_t>(series.time_blocks.size());
    } else {
      times = MatchTimeBlock(c, begin, end, ordinal);
    }
  }
  raw_.clear();
  PutVarint64(&raw_, n);
  if (times == 0) AppendTimes(c, begin, n, &scratch_, &raw_);
  auto put_column = [&](auto encode) {
    scratch_.clear();
    encode(&scratch_);
    PutLengthPrefixed(&raw_, scratch_);
  };
  put_column([&](std::string* out) {
    auto bits = std::span(c.bits).subspan(begin, n);
    switch (c.type) {
      case FieldType::kFloat: {
        std::vector<double> values(n);
        for (size_t i = 0; i < n; ++i) values[i] = std::bit_cast<double>(bits[i]);
        codec::EncodeFloats(values, out, effort_);
        break;
      }
      case FieldType::kInt: {
        std::vector<int64_t> values(n);
        for (size_t i = 0; i < n; ++i) values[i] = static_cast<int64_t>(bits[i]);
        codec::EncodeInts(values, out, effort_);
        break;
      }
      case FieldType::kUint:
        codec::EncodeUints(bits, out, effort_);
        break;
      case FieldType::kBool: {
        std::vector<uint8_t> values(n);
        for (size_t i = 0; i < n; ++i) values[i] = bits[i] != 0;
        codec::EncodeBools(values, out);
        break;
      }
      case FieldType::kString: {
        std::vector<std::string_view> values(c.strings.begin() + begin, c.strings.begin() + end);
        codec::EncodeStrings(values, out);
        break;
      }
    }
  });
  put_column(
      [&](std::string* out) { codec::EncodeBools(std::span(c.tombstone).subspan(begin, n), out); });
  ref->times = times;
  ref->stats = ComputeBlockStats(c, begin, end);
  return StoreRaw(compression_, ref);
}

Status ChunkWriter::Write(std::string_view bytes) {
  pending_.append(bytes);
  if (pending_.size() < kWriteBufferBytes) return Status::OK();
  Status appended = file_->Append(pending_);
  pending_.clear();
  return appended;
}

Status ChunkWriter::AddColumn(SeriesId series, std::string_view series_key, std::string_view field,
                              const VersionColumn& column) {
  if (column.empty()) return Status::OK();
  if (index_.empty() || index_.back().id != series) {
    if (!index_.empty() && index_.back().id > series) {
      return Status::InvalidArgument("chunk writer: series out of order");
    }
    index_.push_back({series, std::string(series_key), {}, {}});
    anchor_valid_.clear();
    anchor_system_.clear();
    anchor_ranges_.clear();
  }
  auto& fields = index_.back().fields;
  const bool continues = !fields.empty() && fields.back().name == field;
  if (continues) {
    // The next piece of the same column: it must start after the previous piece ends, so the
    // blocks stay in (valid time) order and no point's versions are split between pieces.
    if (fields.back().type != column.type ||
        (!fields.back().blocks.empty() &&
         fields.back().blocks.back().stats.max_valid_ns >= column.valid_ns.front())) {
      return Status::InvalidArgument("chunk writer: column piece out of order");
    }
  } else if (!fields.empty() && fields.back().name > field) {
    return Status::InvalidArgument("chunk writer: fields out of order");
  } else {
    fields.push_back({std::string(field), column.type, {}});
  }
  for (size_t begin = 0, end = 0; begin < column.size(); begin = end) {
    end = std::min(column.size(), begin + kMaxBlockPoints);
    // Keep all versions of a point in one block (unless one point alone has more versions than
    // a block holds), so a block's kMultipleVersions flag speaks for its points.
    size_t run_start = end;
    while (end < column.size() && run_start > begin &&
           column.valid_ns[run_start - 1] == column.valid_ns[end]) {
      --run_start;
    }
    if (end < column.size() && run_start > begin && run_start < end) end = run_start;
    BlockRef ref;
    STRATA_RETURN_IF_ERROR(WriteBlock(column, begin, end, fields.back().blocks.size(), &ref));
    const BlockStats& s = ref.stats;
    if (summary_.points == 0) {
      summary_.min_valid_ns = s.min_valid_ns;
      summary_.max_valid_ns = s.max_valid_ns;
      summary_.min_system_ns = s.min_system_ns;
      summary_.max_system_ns = s.max_system_ns;
    }
    summary_.min_valid_ns = std::min(summary_.min_valid_ns, s.min_valid_ns);
    summary_.max_valid_ns = std::max(summary_.max_valid_ns, s.max_valid_ns);
    summary_.min_system_ns = std::min(summary_.min_system_ns, s.min_system_ns);
    summary_.max_system_ns = std::max(summary_.max_system_ns, s.max_system_ns);
    summary_.points += s.count;
    ++summary_.blocks;
    fields.back().blocks.push_back(ref);
  }
  return Status::OK();
}

Result<ChunkSummary> ChunkWriter::Finish() {
  std::string index;
  PutLengthPrefixed(&index, partition_.region);
  PutVarint64(&index, ZigZagEncode(partition_.day));
  PutVarint64(&index, index_.size());
  for (const SeriesIndex& s : index_) {
    PutVarint64(&index, s.id.value);
    PutLengthPrefixed(&index, s.key);
    if (format_version_ >= kFirstVersionWithTimeBlocks) {
      PutVarint64(&index, s.time_blocks.size());
      for (const TimeBlockRef& t : s.time_blocks) {
        EncodeStoredBlock(t, &index);
        PutVarint64(&index, t.count);
      }
    }
    PutVarint64(&index, s.fields.size());
    for (const FieldIndex& f : s.fields) {
      PutLengthPrefixed(&index, f.name);
      index.push_back(static_cast<char>(f.type));
      PutVarint64(&index, f.blocks.size());
      for (const BlockRef& ref : f.blocks) EncodeBlockRef(ref, format_version_, &index);
    }
  }
  const uint64_t index_offset = file_->Size() + pending_.size();
  std::string footer;
  PutFixed64(&footer, index_offset);
  PutFixed64(&footer, index.size());
  PutFixed64(&footer, Checksum64(index));
  PutFixed32(&footer, format_version_);
  footer.append(kFooterMagic);
  pending_.append(index);
  pending_.append(footer);
  STRATA_RETURN_IF_ERROR(file_->Append(pending_));
  pending_.clear();
  STRATA_RETURN_IF_ERROR(file_->Sync());
  summary_.size_bytes = file_->Size();
  STRATA_RETURN_IF_ERROR(file_->Close());
  return summary_;
}

}  // namespace strata::engine::chunk
