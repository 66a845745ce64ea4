#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/test_util.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "util/env.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"
#include "wal/segment.h"

namespace strata::wal {
namespace {

// An in-memory segment (leveldb's StringSource) that counts reads, so tests can check the
// reader's read-ahead, and can be told to fail.
class StringFile final : public RandomAccessFile {
 public:
  explicit StringFile(std::string data) : data_(std::move(data)) {}

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    ++reads_;
    if (fail_) return Status::IOError("injected read failure");
    if (offset >= data_.size()) {
      out->clear();
      return Status::OK();
    }
    out->assign(data_, offset, n);
    return Status::OK();
  }
  uint64_t Size() const override { return data_.size(); }

  int reads() const { return reads_; }
  void set_fail(bool fail) { fail_ = fail; }

 private:
  std::string data_;
  mutable int reads_ = 0;
  bool fail_ = false;
};

struct BadTailCall {
  uint64_t offset;
  uint64_t bytes;
  std::string reason;
};

class CollectingReporter final : public LogReader::Reporter {
 public:
  void BadTail(uint64_t offset, uint64_t bytes, std::string_view reason) override {
    calls.push_back({offset, bytes, std::string(reason)});
  }
  std::vector<BadTailCall> calls;
};

struct ReadResult {
  std::vector<std::pair<int64_t, std::string>> records;
  std::vector<uint64_t> offsets;
  std::vector<BadTailCall> bad_tails;
  uint64_t valid_end = 0;
  Status status;
};

ReadResult ReadAll(const RandomAccessFile& file) {
  CollectingReporter reporter;
  LogReader reader(file, &reporter);
  ReadResult result;
  Record record;
  while (reader.ReadRecord(&record)) {
    result.records.emplace_back(record.system_time_ns, std::string(record.payload));
    result.offsets.push_back(record.offset);
  }
  // Reading past the end stays at the end and reports nothing more.
  EXPECT_FALSE(reader.ReadRecord(&record));
  result.bad_tails = reporter.calls;
  result.valid_end = reader.valid_end();
  result.status = reader.status();
  return result;
}

std::string Payload(size_t size, uint32_t seed) {
  std::string s(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

TEST(WalSegmentTest, PathHasTwentyDigitsAndParsesBack) {
  EXPECT_EQ(SegmentPath("/w", 7), "/w/00000000000000000007.log");
  EXPECT_EQ(SegmentPath("/w/", 12345), "/w/00000000000000012345.log");
  uint64_t number = 0;
  ASSERT_TRUE(ParseSegmentName("00000000000000000007.log", &number));
  EXPECT_EQ(number, 7u);
  ASSERT_TRUE(ParseSegmentName("18446744073709551615.log", &number));
  EXPECT_EQ(number, UINT64_MAX);
}

TEST(WalSegmentTest, ParseRejectsOtherNames) {
  uint64_t number = 42;
  for (const char* name :
       {"7.log", "0000000000000000007.log", "000000000000000000007.log", "0000000000000000000a.log",
        "00000000000000000007.lo", "00000000000000000007.log.tmp", "00000000000000000007.txt", "",
        "99999999999999999999.log", "-0000000000000000007.log"}) {
    EXPECT_FALSE(ParseSegmentName(name, &number)) << name;
  }
  EXPECT_EQ(number, 42u);
}

TEST(WalSegmentTest, ListSegmentsSortsAndIgnoresOtherFiles) {
  testing::TempDir tmp;
  Env& env = *Env::Default();
  for (uint64_t n : {10u, 2u, 7u}) {
    ASSERT_TRUE(WriteFileAtomically(env, SegmentPath(tmp.path(), n), "").ok());
  }
  ASSERT_TRUE(WriteFileAtomically(env, tmp.Sub("CURRENT"), "x").ok());
  ASSERT_TRUE(WriteFileAtomically(env, tmp.Sub("00000000000000000003.log.tmp.x"), "x").ok());
  auto segments = ListSegments(env, tmp.path());
  ASSERT_TRUE(segments.ok()) << segments.status().ToString();
  EXPECT_EQ(*segments, (std::vector<uint64_t>{2, 7, 10}));

  auto missing = ListSegments(env, tmp.Sub("no-such-dir"));
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
}

// Pins format v1 (docs/format/wal.md): changing these bytes is a format change.
TEST(LogFormatTest, GoldenBytesOfOneRecord) {
  std::string encoded;
  EncodeRecord(1'767'225'600'000'000'000, "cpu v=1", &encoded);
  const unsigned char expected[] = {
      0x07, 0x00, 0x00, 0x00,                          // payload length 7
      0xb7, 0x91, 0xb7, 0x09, 0x86, 0xa9, 0x2f, 0x98,  // xxh3-64 = 0x982fa98609b791b7
      0x00, 0x00, 0xfa, 0xed, 0x51, 0x72, 0x86, 0x18,  // 2026-01-01T00:00:00Z in ns
      'c',  'p',  'u',  ' ',  'v',  '=',  '1'};
  ASSERT_EQ(encoded.size(), sizeof(expected));
  EXPECT_EQ(encoded, std::string(reinterpret_cast<const char*>(expected), sizeof(expected)));

  // The checksum is xxh3-64 of length ++ system time ++ payload, computed independently here.
  std::string covered = encoded.substr(0, 4) + encoded.substr(12, 8) + "cpu v=1";
  EXPECT_EQ(DecodeFixed64(encoded.data() + 4), Checksum64(covered));
  EXPECT_EQ(kHeaderSize, 20u);
}

TEST(LogFormatTest, GoldenBytesOfEmptyRecord) {
  std::string encoded;
  EncodeRecord(1, "", &encoded);
  std::string expected;
  PutFixed32(&expected, 0);
  PutFixed64(&expected, 0x0f0a46aa3b388642ull);
  PutFixed64(&expected, 1);
  EXPECT_EQ(encoded, expected);
}

TEST(LogReaderTest, EmptySegmentIsACleanEnd) {
  StringFile file("");
  ReadResult r = ReadAll(file);
  EXPECT_TRUE(r.records.empty());
  EXPECT_TRUE(r.bad_tails.empty());
  EXPECT_EQ(r.valid_end, 0u);
  EXPECT_TRUE(r.status.ok());
}

TEST(LogReaderTest, RoundTripOfVariedSizes) {
  const std::vector<size_t> sizes = {
      0, 1, 19, 20, 21, 1000, (1 << 20) - 21, 1 << 20, 7, (1 << 20) + 7, 3 << 20, 0, 4096};
  std::string data;
  std::vector<uint64_t> offsets;
  for (size_t i = 0; i < sizes.size(); ++i) {
    offsets.push_back(data.size());
    EncodeRecord(static_cast<int64_t>(100 + i), Payload(sizes[i], static_cast<uint32_t>(i)), &data);
  }
  StringFile file(data);
  ReadResult r = ReadAll(file);
  ASSERT_EQ(r.records.size(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_EQ(r.records[i].first, static_cast<int64_t>(100 + i));
    EXPECT_EQ(r.records[i].second, Payload(sizes[i], static_cast<uint32_t>(i))) << i;
    EXPECT_EQ(r.offsets[i], offsets[i]);
  }
  EXPECT_TRUE(r.bad_tails.empty());
  EXPECT_EQ(r.valid_end, data.size());
  EXPECT_TRUE(r.status.ok());
}

TEST(LogReaderTest, ReadsInLargePiecesNotPerRecord) {
  std::string data;
  const int kRecords = 20000;  // ~2.4 MiB
  for (int i = 0; i < kRecords; ++i) EncodeRecord(i + 1, std::string(100, 'x'), &data);
  StringFile file(data);
  ReadResult r = ReadAll(file);
  ASSERT_EQ(r.records.size(), static_cast<size_t>(kRecords));
  EXPECT_LE(file.reads(), 4);  // 1 MiB pieces
}

TEST(LogReaderTest, BadTailIsReportedOnceWithReason) {
  std::string good;
  EncodeRecord(1, "first", &good);
  EncodeRecord(2, "second", &good);
  std::string last;
  EncodeRecord(3, "third record", &last);

  std::string oversized;
  PutFixed32(&oversized, kMaxPayloadBytes + 1);
  oversized.append(16, '\0');
  oversized.append(100, 'p');

  std::string flipped = last;
  flipped[kHeaderSize + 2] ^= 0x20;

  struct Case {
    const char* name;
    std::string tail;
    const char* reason;
  } cases[] = {
      {"truncated header", last.substr(0, kHeaderSize - 1), "truncated header"},
      {"one byte", last.substr(0, 1), "truncated header"},
      {"truncated payload", last.substr(0, last.size() - 1), "truncated payload"},
      {"header only", last.substr(0, kHeaderSize), "truncated payload"},
      {"checksum mismatch", flipped, "checksum mismatch"},
      {"length too large", oversized, "length too large"},
      {"zeros", std::string(64, '\0'), "checksum mismatch"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    StringFile file(good + c.tail);
    ReadResult r = ReadAll(file);
    ASSERT_EQ(r.records.size(), 2u);
    EXPECT_EQ(r.records[1].second, "second");
    ASSERT_EQ(r.bad_tails.size(), 1u);
    EXPECT_EQ(r.bad_tails[0].offset, good.size());
    EXPECT_EQ(r.bad_tails[0].bytes, c.tail.size());
    EXPECT_EQ(r.bad_tails[0].reason, c.reason);
    EXPECT_EQ(r.valid_end, good.size());
    EXPECT_TRUE(r.status.ok());
  }
}

TEST(LogReaderTest, NullReporterIsAllowed) {
  std::string data;
  EncodeRecord(1, "a", &data);
  data += "junk";
  StringFile file(data);
  LogReader reader(file, nullptr);
  Record record;
  EXPECT_TRUE(reader.ReadRecord(&record));
  EXPECT_FALSE(reader.ReadRecord(&record));
  EXPECT_EQ(reader.valid_end(), kHeaderSize + 1);
}

TEST(LogReaderTest, ReadErrorIsAStatusNotABadTail) {
  std::string data;
  EncodeRecord(1, "a", &data);
  StringFile file(data);
  file.set_fail(true);
  ReadResult r = ReadAll(file);
  EXPECT_TRUE(r.records.empty());
  EXPECT_TRUE(r.bad_tails.empty());
  EXPECT_EQ(r.status.code(), StatusCode::kIOError);
}

TEST(LogWriterTest, WritesFramedRecordsThatReadBack) {
  testing::TempDir tmp;
  Env& env = *Env::Default();
  const std::string path = SegmentPath(tmp.path(), 1);
  std::string expected;
  {
    auto file = env.NewWritableFile(path);
    ASSERT_TRUE(file.ok());
    LogWriter writer(std::move(file).value());
    // Small payloads take the one-write path, large ones the header-then-payload path.
    for (size_t size : {0u, 5u, 8192u, 8193u, 100000u}) {
      const std::string payload = Payload(size, static_cast<uint32_t>(size));
      ASSERT_TRUE(writer.AddRecord(static_cast<int64_t>(size + 1), payload).ok());
      EncodeRecord(static_cast<int64_t>(size + 1), payload, &expected);
      EXPECT_EQ(writer.size(), expected.size());
    }
    ASSERT_TRUE(writer.Sync().ok());
    ASSERT_TRUE(writer.Close().ok());
  }
  auto contents = ReadFileToString(env, path);
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(*contents, expected);
}

TEST(LogWriterTest, AppendsAfterExistingContents) {
  testing::TempDir tmp;
  Env& env = *Env::Default();
  const std::string path = SegmentPath(tmp.path(), 1);
  std::string expected;
  EncodeRecord(1, "old", &expected);
  ASSERT_TRUE(WriteFileAtomically(env, path, expected).ok());
  {
    auto file = env.NewAppendableFile(path);
    ASSERT_TRUE(file.ok());
    LogWriter writer(std::move(file).value());
    EXPECT_EQ(writer.size(), expected.size());
    ASSERT_TRUE(writer.AddRecord(2, "new").ok());
    ASSERT_TRUE(writer.Close().ok());
  }
  EncodeRecord(2, "new", &expected);
  auto file = env.NewRandomAccessFile(path);
  ASSERT_TRUE(file.ok());
  ReadResult r = ReadAll(**file);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].second, "new");
}

TEST(LogWriterTest, RejectsOversizedPayload) {
  testing::TempDir tmp;
  auto file = Env::Default()->NewWritableFile(SegmentPath(tmp.path(), 1));
  ASSERT_TRUE(file.ok());
  LogWriter writer(std::move(file).value());
  const std::string huge(size_t{kMaxPayloadBytes} + 1, 'x');
  Status s = writer.AddRecord(1, huge);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(writer.size(), 0u);
  ASSERT_TRUE(writer.Close().ok());
}

}  // namespace
}  // namespace strata::wal
