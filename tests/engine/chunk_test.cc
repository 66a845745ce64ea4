#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/chunk/chunk_reader.h"
#include "engine/chunk/chunk_writer.h"
#include "util/neumaier_sum.h"
#include "tests/support/test_util.h"

namespace strata::engine::chunk {
namespace {

using strata::testing::TempDir;

VersionColumn RandomColumn(FieldType type, size_t n, std::mt19937_64& rng) {
  VersionColumn c;
  c.type = type;
  int64_t t = 1'767'225'600'000'000'000;
  std::vector<std::string> strings = {"a", "bb", "", "with space", "ünïcode"};
  for (size_t i = 0; i < n; ++i) {
    t += static_cast<int64_t>(rng() % 3) * 10'000'000'000;  // repeats make versions
    int64_t sys = 1'800'000'000'000'000'000 + static_cast<int64_t>(rng() % 4);
    FieldValue v;
    switch (type) {
      case FieldType::kFloat:
        v = FieldValue::Float(static_cast<double>(static_cast<int64_t>(rng() % 20000)) / 100.0);
        break;
      case FieldType::kInt:
        v = FieldValue::Int(static_cast<int64_t>(rng()));
        break;
      case FieldType::kUint:
        v = FieldValue::Uint(rng());
        break;
      case FieldType::kBool:
        v = FieldValue::Bool(rng() & 1);
        break;
      case FieldType::kString:
        v = FieldValue::String(strings[rng() % strings.size()]);
        break;
    }
    c.Append(t, sys, v, rng() % 50 == 0);
  }
  SortVersions(&c);
  return c;
}

void ExpectSameColumn(const VersionColumn& a, const VersionColumn& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.valid_ns, b.valid_ns);
  EXPECT_EQ(a.system_ns, b.system_ns);
  EXPECT_EQ(a.bits, b.bits);  // bit patterns: floats compare exactly
  EXPECT_EQ(a.strings, b.strings);
  EXPECT_EQ(a.tombstone, b.tombstone);
}

class ChunkTest : public ::testing::Test {
 protected:
  std::string Path() const { return dir_.Sub("0001.chunk"); }
  TempDir dir_;
  Env& env_ = *Env::Default();
  PartitionKey partition_{"eu-west-1", 20454};
};

TEST_F(ChunkTest, EveryTypeRoundTripsExactlyThroughBlocksAndTheIndex) {
  std::mt19937_64 rng(5);
  const FieldType types[] = {FieldType::kBool, FieldType::kFloat, FieldType::kInt,
                             FieldType::kString, FieldType::kUint};
  const char* names[] = {"a_bool", "b_float", "c_int", "d_string", "e_uint"};
  std::vector<VersionColumn> columns;
  for (int i = 0; i < 5; ++i) columns.push_back(RandomColumn(types[i], 9000 + i, rng));
  for (auto compression : {codec::Compression::kLz4, codec::Compression::kZstd}) {
    auto writer = ChunkWriter::Create(env_, Path(), partition_, compression);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE((*writer)->AddColumn(SeriesId{7}, "cpu,host=a", names[i], columns[i]).ok());
    }
    auto summary = (*writer)->Finish();
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_EQ(summary->points, 9000u * 5 + 10);

    auto reader = ChunkReader::Open(env_, Path());
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->partition(), partition_);
    ASSERT_EQ((*reader)->series().size(), 1u);
    const SeriesEntry& series = (*reader)->series()[0];
    EXPECT_EQ(series.key, "cpu,host=a");
    for (int i = 0; i < 5; ++i) {
      const FieldEntry* field = (*reader)->Find(SeriesId{7}, names[i]);
      ASSERT_NE(field, nullptr) << names[i];
      EXPECT_EQ(field->type, types[i]);
      VersionColumn back;
      back.type = types[i];
      for (size_t b = 0; b < field->blocks.size(); ++b) {
        EXPECT_LE(field->blocks[b].stats.count, kMaxBlockPoints);
        ASSERT_TRUE((*reader)->ReadBlock(series, *field, b, &back).ok());
      }
      ExpectSameColumn(back, columns[i]);
    }
    EXPECT_TRUE((*reader)->VerifyAllBlocks().ok());
  }
}

// The same rows (times and tombstones) as `times`, with values of `type` drawn from rng.
VersionColumn WithTimesOf(const VersionColumn& times, FieldType type, std::mt19937_64& rng) {
  VersionColumn c;
  c.type = type;
  for (size_t i = 0; i < times.size(); ++i) {
    FieldValue v = type == FieldType::kInt ? FieldValue::Int(static_cast<int64_t>(rng() % 1000))
                                           : FieldValue::Float(static_cast<double>(rng() % 997));
    c.Append(times.valid_ns[i], times.system_ns[i], v, times.tombstone[i] != 0);
  }
  return c;
}

Result<uint64_t> WriteSeries(Env& env, const std::string& path, const PartitionKey& partition,
                             uint32_t format_version,
                             const std::vector<std::pair<std::string, VersionColumn>>& fields) {
  STRATA_ASSIGN_OR_RETURN(auto writer, ChunkWriter::Create(env, path, partition,
                                                           codec::Compression::kZstd, 3,
                                                           format_version));
  for (const auto& [name, column] : fields) {
    STRATA_RETURN_IF_ERROR(writer->AddColumn(SeriesId{4}, "cpu,host=h", name, column));
  }
  STRATA_ASSIGN_OR_RETURN(ChunkSummary summary, writer->Finish());
  return summary.size_bytes;
}

void ExpectFieldsReadBack(const ChunkReader& reader,
                          const std::vector<std::pair<std::string, VersionColumn>>& fields) {
  const SeriesEntry& series = reader.series().at(0);
  for (const auto& [name, column] : fields) {
    const FieldEntry* field = reader.Find(SeriesId{4}, name);
    ASSERT_NE(field, nullptr) << name;
    VersionColumn back;
    back.type = column.type;
    for (size_t b = 0; b < field->blocks.size(); ++b) {
      Status s = reader.ReadBlock(series, *field, b, &back);
      ASSERT_TRUE(s.ok()) << name << " block " << b << ": " << s.ToString();
    }
    ExpectSameColumn(back, column);
  }
  EXPECT_TRUE(reader.VerifyAllBlocks().ok());
}

TEST_F(ChunkTest, FieldsWrittenWithTheSameTimesShareTimeBlocksAndReadBackExactly) {
  std::mt19937_64 rng(21);
  const VersionColumn first = RandomColumn(FieldType::kFloat, 9000, rng);
  VersionColumn other_times = RandomColumn(FieldType::kFloat, 9000, rng);
  VersionColumn shorter = WithTimesOf(first, FieldType::kInt, rng);
  shorter.valid_ns.pop_back();  // one row less: its last block's times differ in count
  shorter.system_ns.pop_back();
  shorter.bits.pop_back();
  shorter.tombstone.pop_back();
  const std::vector<std::pair<std::string, VersionColumn>> fields = {
      {"a", first},
      {"b", WithTimesOf(first, FieldType::kFloat, rng)},
      {"c", other_times},
      {"d", WithTimesOf(first, FieldType::kInt, rng)},
      {"e", shorter},
  };
  auto v2_size = WriteSeries(env_, dir_.Sub("v2.chunk"), partition_, 2, fields);
  auto v3_size = WriteSeries(env_, Path(), partition_, kFormatVersion, fields);
  ASSERT_TRUE(v2_size.ok() && v3_size.ok()) << v3_size.status().ToString();

  auto v3 = ChunkReader::Open(env_, Path());
  ASSERT_TRUE(v3.ok()) << v3.status().ToString();
  const SeriesEntry& series = (*v3)->series()[0];
  ASSERT_EQ(series.time_blocks.size(), 3u) << "the first field's blocks: 9000 rows";
  auto times_of = [&](const std::string& name) {
    std::vector<uint32_t> times;
    for (const BlockRef& ref : (*v3)->Find(SeriesId{4}, name)->blocks) times.push_back(ref.times);
    return times;
  };
  EXPECT_EQ(times_of("a"), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(times_of("b"), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(times_of("c"), (std::vector<uint32_t>{0, 0, 0})) << "other times stay in its blocks";
  EXPECT_EQ(times_of("d"), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(times_of("e"), (std::vector<uint32_t>{1, 2, 0}));
  ExpectFieldsReadBack(**v3, fields);

  auto v2 = ChunkReader::Open(env_, dir_.Sub("v2.chunk"));
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_TRUE((*v2)->series()[0].time_blocks.empty());
  ExpectFieldsReadBack(**v2, fields);
  // Times written once instead of four times for the four fields that share them.
  EXPECT_LT(*v3_size, *v2_size);
  EXPECT_EQ(ReadFileToString(env_, dir_.Sub("v2.chunk"))->substr(8, 1), std::string(1, '\2'));
}

TEST_F(ChunkTest, PiecesAndColumnsLongerThanTheSharedTimesCapStillReadBackExactly) {
  std::mt19937_64 rng(22);
  VersionColumn times;
  times.type = FieldType::kFloat;
  const size_t rows = ChunkWriter::kMaxAnchorRows + 5000;
  for (size_t i = 0; i < rows; ++i) {
    times.Append(1'767'225'600'000'000'000 + static_cast<int64_t>(i) * 1'000'000'000,
                 1'800'000'000'000'000'000 + static_cast<int64_t>(i / 700), FieldValue::Float(0));
  }
  const VersionColumn a = WithTimesOf(times, FieldType::kFloat, rng);
  const VersionColumn b = WithTimesOf(times, FieldType::kFloat, rng);
  auto writer = ChunkWriter::Create(env_, Path(), partition_, codec::Compression::kLz4);
  ASSERT_TRUE(writer.ok());
  // Field a in two pieces cut at row 5000 (not at a block boundary), b whole.
  VersionColumn head, tail;
  head.type = tail.type = FieldType::kFloat;
  head.AppendRows(a, 0, 5000);
  tail.AppendRows(a, 5000, rows);
  ASSERT_TRUE((*writer)->AddColumn(SeriesId{4}, "cpu,host=h", "a", head).ok());
  ASSERT_TRUE((*writer)->AddColumn(SeriesId{4}, "cpu,host=h", "a", tail).ok());
  ASSERT_TRUE((*writer)->AddColumn(SeriesId{4}, "cpu,host=h", "b", b).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  auto reader = ChunkReader::Open(env_, Path());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const SeriesEntry& series = (*reader)->series()[0];
  size_t anchored_rows = 0;
  for (const TimeBlockRef& t : series.time_blocks) anchored_rows += t.count;
  EXPECT_LE(anchored_rows, ChunkWriter::kMaxAnchorRows);
  EXPECT_GT(anchored_rows, ChunkWriter::kMaxAnchorRows - kMaxBlockPoints);
  ExpectFieldsReadBack(**reader, {{"a", a}, {"b", b}});
}

TEST_F(ChunkTest, AFileOfManyMegabytesReadsBackAtTheOffsetsItsIndexNames) {
  // Random 64-bit integers do not compress: 40 series of 20,000 make a file of about 6 MiB,
  // written through the writer's buffer several times over.
  std::mt19937_64 rng(13);
  std::vector<VersionColumn> columns;
  for (int s = 0; s < 40; ++s) columns.push_back(RandomColumn(FieldType::kUint, 20'000, rng));
  auto writer = ChunkWriter::Create(env_, Path(), partition_, codec::Compression::kLz4);
  ASSERT_TRUE(writer.ok());
  for (int s = 0; s < 40; ++s) {
    ASSERT_TRUE((*writer)
                    ->AddColumn(SeriesId{static_cast<uint64_t>(s + 1)},
                                "m,s=" + std::to_string(s), "v", columns[s])
                    .ok());
  }
  auto summary = (*writer)->Finish();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_GT(summary->size_bytes, 4u << 20);
  auto size = env_.GetFileSize(Path());
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, summary->size_bytes);
  auto reader = ChunkReader::Open(env_, Path());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->VerifyAllBlocks().ok());
  ASSERT_EQ((*reader)->series().size(), 40u);
  for (int s = 0; s < 40; ++s) {
    const SeriesEntry& series = (*reader)->series()[s];
    const FieldEntry* field = (*reader)->Find(series.id, "v");
    ASSERT_NE(field, nullptr);
    VersionColumn back;
    back.type = FieldType::kUint;
    for (size_t b = 0; b < field->blocks.size(); ++b) {
      ASSERT_TRUE((*reader)->ReadBlock(series, *field, b, &back).ok());
    }
    ExpectSameColumn(back, columns[s]);
  }
}

TEST_F(ChunkTest, AColumnGivenInPiecesReadsBackWholeAndPiecesOutOfOrderAreRefused) {
  std::mt19937_64 rng(9);
  const VersionColumn column = RandomColumn(FieldType::kFloat, 10'000, rng);
  // Cut where the valid time changes, as a merge does (never between versions of a point).
  size_t cut = 5000;
  while (column.valid_ns[cut] == column.valid_ns[cut - 1]) ++cut;
  VersionColumn first, second;
  first.type = second.type = column.type;
  for (size_t i = 0; i < column.size(); ++i) (i < cut ? first : second).AppendRow(column, i);
  auto writer = ChunkWriter::Create(env_, Path(), partition_, codec::Compression::kZstd, 9);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->AddColumn(SeriesId{3}, "m", "v", first).ok());
  ASSERT_TRUE((*writer)->AddColumn(SeriesId{3}, "m", "v", second).ok());
  // A piece that does not start after the one before would break the block order.
  EXPECT_EQ((*writer)->AddColumn(SeriesId{3}, "m", "v", first).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE((*writer)->Finish().ok());
  auto reader = ChunkReader::Open(env_, Path());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const FieldEntry* field = (*reader)->Find(SeriesId{3}, "v");
  ASSERT_NE(field, nullptr);
  EXPECT_EQ((*reader)->series()[0].fields.size(), 1u);
  VersionColumn back;
  back.type = column.type;
  for (size_t b = 0; b < field->blocks.size(); ++b) {
    ASSERT_TRUE((*reader)->ReadBlock((*reader)->series()[0], *field, b, &back).ok());
    EXPECT_NE(field->blocks[b].compression, static_cast<uint8_t>(codec::Compression::kLz4));
  }
  ExpectSameColumn(back, column);
}

TEST_F(ChunkTest, BlockStatsMatchAnIndependentComputation) {
  VersionColumn c;
  c.type = FieldType::kFloat;
  for (int i = 0; i < 5000; ++i) c.Append(i, 100, FieldValue::Float(i * 0.5));
  auto writer = ChunkWriter::Create(env_, Path(), partition_, codec::Compression::kLz4);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->AddColumn(SeriesId{1}, "m", "v", c).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  auto reader = ChunkReader::Open(env_, Path());
  ASSERT_TRUE(reader.ok());
  const FieldEntry* f = (*reader)->Find(SeriesId{1}, "v");
  ASSERT_EQ(f->blocks.size(), 2u);
  const BlockStats& s0 = f->blocks[0].stats;
  EXPECT_EQ(s0.count, 4096u);
  EXPECT_EQ(s0.min_valid_ns, 0);
  EXPECT_EQ(s0.max_valid_ns, 4095);
  double sum = 0;
  for (int i = 0; i < 4096; ++i) sum += i * 0.5;
  EXPECT_EQ(std::bit_cast<double>(s0.sum_bits), sum);
  EXPECT_EQ(std::bit_cast<double>(s0.max_bits), 4095 * 0.5);
  EXPECT_EQ(s0.flags & BlockStats::kMultipleVersions, 0);
  EXPECT_EQ(f->blocks[1].stats.count, 5000u - 4096u);
}

// BlockStats of rows [begin, end) read off the rows one at a time, as DESIGN §4 defines them.
BlockStats ReferenceStats(const VersionColumn& c, size_t begin, size_t end) {
  BlockStats s;
  s.count = static_cast<uint32_t>(end - begin);
  s.min_valid_ns = c.valid_ns[begin];
  s.max_valid_ns = c.valid_ns[end - 1];
  s.min_system_ns = INT64_MAX;
  s.max_system_ns = INT64_MIN;
  NeumaierSum float_sum;
  __extension__ __int128 int_sum = 0;  // exact; the sum is exact while every prefix fits int64
  bool int_sum_fits = true;
  bool any = false;
  for (size_t i = begin; i < end; ++i) {
    s.min_system_ns = std::min(s.min_system_ns, c.system_ns[i]);
    s.max_system_ns = std::max(s.max_system_ns, c.system_ns[i]);
    if (i > begin && c.valid_ns[i] == c.valid_ns[i - 1]) s.flags |= BlockStats::kMultipleVersions;
    if (c.tombstone[i]) {
      s.flags |= BlockStats::kHasTombstones;
      continue;
    }
    const uint64_t b = c.bits[i];
    if (c.type == FieldType::kFloat) {
      const double v = std::bit_cast<double>(b);
      float_sum.Add(v);
      const double lo = std::bit_cast<double>(s.min_bits), hi = std::bit_cast<double>(s.max_bits);
      if (!any || v < lo || (v == lo && std::signbit(v))) s.min_bits = b;
      if (!any || v > hi || (v == hi && !std::signbit(v))) s.max_bits = b;
    } else if (c.type == FieldType::kInt) {
      const auto v = static_cast<int64_t>(b);
      int_sum += v;
      int_sum_fits = int_sum_fits && int_sum >= INT64_MIN && int_sum <= INT64_MAX;
      if (!any || v < static_cast<int64_t>(s.min_bits)) s.min_bits = b;
      if (!any || v > static_cast<int64_t>(s.max_bits)) s.max_bits = b;
    } else {
      int_sum += b;
      int_sum_fits = int_sum_fits && b <= static_cast<uint64_t>(INT64_MAX) && int_sum <= INT64_MAX;
      if (!any || b < s.min_bits) s.min_bits = b;
      if (!any || b > s.max_bits) s.max_bits = b;
    }
    any = true;
  }
  if (c.type == FieldType::kFloat) {
    s.sum_bits = std::bit_cast<uint64_t>(float_sum.Total());
    s.flags |= BlockStats::kSumExact | BlockStats::kZeroSignsOrdered;
  } else if (int_sum_fits) {
    s.sum_bits = static_cast<uint64_t>(static_cast<int64_t>(int_sum));
    s.flags |= BlockStats::kSumExact;
  }
  if ((s.flags & (BlockStats::kHasTombstones | BlockStats::kMultipleVersions)) == 0) {
    s.flags |= BlockStats::kFirstLast;
    s.first_bits = c.bits[begin];
    s.last_bits = c.bits[end - 1];
  }
  return s;
}

TEST_F(ChunkTest, BlockStatsOfEveryTypeMatchARowByRowReading) {
  std::mt19937_64 rng(21);
  const FieldType types[] = {FieldType::kFloat, FieldType::kInt, FieldType::kUint,
                             FieldType::kBool};
  for (int round = 0; round < 400; ++round) {
    VersionColumn c;
    c.type = types[round % 4];
    const size_t n = 1 + rng() % 300;
    const bool tombstones = rng() % 3 == 0, repeats = rng() % 3 == 0;
    int64_t valid = static_cast<int64_t>(rng() % 1000) - 500;
    for (size_t i = 0; i < n; ++i) {
      if (!repeats || rng() % 4 != 0) valid += 1 + static_cast<int64_t>(rng() % 3);
      const int64_t system = static_cast<int64_t>(rng() % 50);
      FieldValue v;
      switch (c.type) {
        case FieldType::kFloat: {
          const double specials[] = {0.0, -0.0, -1.5, 1e300, -1e300};
          v = FieldValue::Float(rng() % 4 == 0 ? specials[rng() % 5]
                                               : static_cast<double>(rng() % 2001) / 8 - 125);
          break;
        }
        case FieldType::kInt:  // big values make some sums overflow
          v = FieldValue::Int(rng() % 8 == 0 ? static_cast<int64_t>(rng())
                                             : static_cast<int64_t>(rng() % 200) - 100);
          break;
        case FieldType::kUint:
          v = FieldValue::Uint(rng() % 8 == 0 ? rng() : rng() % 200);
          break;
        default:
          v = FieldValue::Bool(rng() % 2 == 0);
          break;
      }
      c.Append(valid, system, v, tombstones && rng() % 5 == 0);
    }
    const size_t begin = rng() % n;
    const size_t end = begin + 1 + rng() % (n - begin);
    const BlockStats got = ComputeBlockStats(c, begin, end);
    const BlockStats want = ReferenceStats(c, begin, end);
    SCOPED_TRACE(::testing::Message() << "round " << round << " rows [" << begin << ", " << end << ")");
    EXPECT_EQ(got.count, want.count);
    EXPECT_EQ(got.min_valid_ns, want.min_valid_ns);
    EXPECT_EQ(got.max_valid_ns, want.max_valid_ns);
    EXPECT_EQ(got.min_system_ns, want.min_system_ns);
    EXPECT_EQ(got.max_system_ns, want.max_system_ns);
    EXPECT_EQ(static_cast<int>(got.flags), static_cast<int>(want.flags));
    EXPECT_EQ(got.min_bits, want.min_bits);
    EXPECT_EQ(got.max_bits, want.max_bits);
    if (want.flags & BlockStats::kSumExact) {
      EXPECT_EQ(got.sum_bits, want.sum_bits);
    }
    EXPECT_EQ(got.first_bits, want.first_bits);
    EXPECT_EQ(got.last_bits, want.last_bits);
  }
}

TEST_F(ChunkTest, VersionsOfOnePointNeverStraddleABlockBoundary) {
  VersionColumn c;
  c.type = FieldType::kInt;
  for (int i = 0; i < 4095; ++i) c.Append(i, 1, FieldValue::Int(i));
  for (int v = 0; v < 3; ++v) c.Append(5000, 1 + v, FieldValue::Int(v));  // crosses 4096
  auto writer = ChunkWriter::Create(env_, Path(), partition_, codec::Compression::kLz4);
  ASSERT_TRUE((*writer)->AddColumn(SeriesId{1}, "m", "v", c).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  auto reader = ChunkReader::Open(env_, Path());
  ASSERT_TRUE(reader.ok());
  const FieldEntry* f = (*reader)->Find(SeriesId{1}, "v");
  ASSERT_EQ(f->blocks.size(), 2u);
  EXPECT_EQ(f->blocks[0].stats.count, 4095u);
  EXPECT_EQ(f->blocks[1].stats.count, 3u);
  EXPECT_NE(f->blocks[1].stats.flags & BlockStats::kMultipleVersions, 0);
}

TEST_F(ChunkTest, AFlippedByteInAnyBlockIsAnErrorNamingFileAndBlockNeverAWrongAnswer) {
  std::mt19937_64 rng(9);
  VersionColumn c = RandomColumn(FieldType::kFloat, 6000, rng);
  auto writer = ChunkWriter::Create(env_, Path(), partition_, codec::Compression::kLz4);
  ASSERT_TRUE((*writer)->AddColumn(SeriesId{3}, "m,host=x", "v", c).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  std::string original = *ReadFileToString(env_, Path());
  auto reader = ChunkReader::Open(env_, Path());
  ASSERT_TRUE(reader.ok());
  // Flips one byte in every `step` of [begin, end), then reads block `b` of field v: it must be
  // Corruption whose message names `names`, returning no rows.
  auto expect_damage_named = [&](uint64_t begin, uint64_t end, uint64_t step, size_t b,
                                 const std::vector<std::string>& names) {
    for (uint64_t off = begin; off < end; off += step) {
      std::string damaged = original;
      damaged[off] ^= 0x20;
      ASSERT_TRUE(WriteFileAtomically(env_, Path(), damaged).ok());
      auto r = ChunkReader::Open(env_, Path());
      ASSERT_TRUE(r.ok()) << "the index is intact";
      VersionColumn out;
      out.type = FieldType::kFloat;
      Status s = (*r)->ReadBlock((*r)->series()[0], *(*r)->Find(SeriesId{3}, "v"), b, &out);
      ASSERT_TRUE(s.IsCorruption()) << "offset " << off;
      for (const std::string& name : names) {
        EXPECT_NE(s.message().find(name), std::string::npos) << s.message();
      }
      EXPECT_TRUE(out.empty()) << "nothing of a bad block is returned";
      EXPECT_TRUE((*r)->VerifyAllBlocks().IsCorruption());
    }
  };
  const FieldEntry* f = (*reader)->Find(SeriesId{3}, "v");
  for (size_t b = 0; b < f->blocks.size(); ++b) {
    const BlockRef& ref = f->blocks[b];
    expect_damage_named(ref.offset, ref.offset + ref.stored_size, 97, b,
                        {Path(), "block " + std::to_string(b)});
  }
  // The series' time blocks: every field block that shares one fails with both named.
  const SeriesEntry& series = (*reader)->series()[0];
  ASSERT_EQ(series.time_blocks.size(), f->blocks.size());
  for (size_t t = 0; t < series.time_blocks.size(); ++t) {
    const TimeBlockRef& ref = series.time_blocks[t];
    expect_damage_named(ref.offset, ref.offset + ref.stored_size, 31, t,
                        {Path(), "block " + std::to_string(t), "time block " + std::to_string(t)});
  }
}

TEST_F(ChunkTest, DamagedOrTruncatedIndexAndFooterAreCorruption) {
  VersionColumn c;
  c.type = FieldType::kFloat;
  for (int i = 0; i < 100; ++i) c.Append(i, 1, FieldValue::Float(i));
  auto writer = ChunkWriter::Create(env_, Path(), partition_, codec::Compression::kLz4);
  ASSERT_TRUE((*writer)->AddColumn(SeriesId{1}, "m", "v", c).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  const std::string original = *ReadFileToString(env_, Path());
  for (size_t len = 0; len < original.size(); len += 7) {
    ASSERT_TRUE(WriteFileAtomically(env_, Path(), original.substr(0, len)).ok());
    auto r = ChunkReader::Open(env_, Path());
    EXPECT_TRUE(r.status().IsCorruption()) << "truncated to " << len;
  }
  // Flip a byte inside the index (just before the footer).
  std::string damaged = original;
  damaged[original.size() - kFooterSize - 3] ^= 1;
  ASSERT_TRUE(WriteFileAtomically(env_, Path(), damaged).ok());
  auto r = ChunkReader::Open(env_, Path());
  ASSERT_TRUE(r.status().IsCorruption());
  EXPECT_NE(r.status().message().find("index checksum"), std::string::npos);
}

}  // namespace
}  // namespace strata::engine::chunk
