#include "wal/recovery.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/fault_injection_env.h"
#include "tests/support/test_util.h"
#include "util/coding.h"
#include "util/env.h"
#include "util/logging.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"
#include "wal/segment.h"

namespace strata::wal {
namespace {

struct Replayed {
  Status status;
  std::vector<std::pair<uint64_t, int64_t>> records;  // (segment, system time)
  std::vector<std::string> payloads;
  RecoveryReport report;
};

Replayed Replay(Env& env, const std::string& dir, uint64_t first_segment = 0) {
  Replayed out;
  out.status = ReplayWal(
      env, dir, first_segment,
      [&](uint64_t segment, const Record& record) {
        out.records.emplace_back(segment, record.system_time_ns);
        out.payloads.emplace_back(record.payload);
        return Status::OK();
      },
      &out.report);
  return out;
}

std::string PayloadFor(int64_t time) {
  return "payload-" + std::to_string(time) + "-" + std::string(static_cast<size_t>(time % 37), 'z');
}

// Writes a segment holding records with the given system times; returns each record's offset.
std::vector<uint64_t> WriteSegment(const std::string& dir, uint64_t number,
                                   const std::vector<int64_t>& times) {
  std::string data;
  std::vector<uint64_t> offsets;
  for (int64_t t : times) {
    offsets.push_back(data.size());
    EncodeRecord(t, PayloadFor(t), &data);
  }
  offsets.push_back(data.size());
  Env& env = *Env::Default();
  EXPECT_TRUE(env.CreateDirs(dir).ok());
  EXPECT_TRUE(WriteFileAtomically(env, SegmentPath(dir, number), data).ok());
  return offsets;
}

std::string ReadFile(const std::string& path) {
  auto data = ReadFileToString(*Env::Default(), path);
  EXPECT_TRUE(data.ok()) << data.status().ToString();
  return data.ok() ? *data : std::string();
}

void WriteFile(const std::string& path, const std::string& data) {
  ASSERT_TRUE(WriteFileAtomically(*Env::Default(), path, data).ok());
}

class RecoveryTest : public ::testing::Test {
 protected:
  // Keeps the expected warnings about torn tails out of the test output.
  void SetUp() override {
    saved_level_ = GetLogLevel();
    SetLogLevel(LogLevel::kError);
  }
  void TearDown() override { SetLogLevel(saved_level_); }

  testing::TempDir tmp_;
  std::string dir_ = tmp_.Sub("wal");
  Env& env_ = *Env::Default();

 private:
  LogLevel saved_level_ = LogLevel::kInfo;
};

TEST_F(RecoveryTest, MissingOrEmptyDirectoryHoldsNothing) {
  Replayed r = Replay(env_, dir_);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(r.report.last_segment, 0u);
  EXPECT_EQ(r.report.last_system_time_ns, 0);

  ASSERT_TRUE(env_.CreateDirs(dir_).ok());
  r = Replay(env_, dir_);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.report.segments, 0u);
}

TEST_F(RecoveryTest, ReplaysSegmentsInAscendingOrder) {
  WriteSegment(dir_, 3, {50, 60});
  WriteSegment(dir_, 1, {10, 20});
  WriteSegment(dir_, 2, {});
  WriteSegment(dir_, 10, {70});
  Replayed r = Replay(env_, dir_);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.records, (std::vector<std::pair<uint64_t, int64_t>>{
                           {1, 10}, {1, 20}, {3, 50}, {3, 60}, {10, 70}}));
  EXPECT_EQ(r.payloads[2], PayloadFor(50));
  EXPECT_EQ(r.report.segments, 4u);
  EXPECT_EQ(r.report.records, 5u);
  EXPECT_EQ(r.report.last_segment, 10u);
  EXPECT_EQ(r.report.last_system_time_ns, 70);
  EXPECT_EQ(r.report.truncated_bytes, 0u);
}

TEST_F(RecoveryTest, SegmentsBelowFirstSegmentAreNotRead) {
  WriteSegment(dir_, 1, {10});
  WriteSegment(dir_, 2, {20});
  WriteSegment(dir_, 3, {30});
  // Damage in a checkpointed segment must not matter: it is never opened.
  WriteFile(SegmentPath(dir_, 1), "garbage that is not a record");
  Replayed r = Replay(env_, dir_, 2);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.records, (std::vector<std::pair<uint64_t, int64_t>>{{2, 20}, {3, 30}}));
  EXPECT_EQ(r.report.segments, 2u);
  EXPECT_EQ(r.report.last_segment, 3u);
}

TEST_F(RecoveryTest, ApplyErrorStopsReplayAndIsReturned) {
  WriteSegment(dir_, 1, {10, 20, 30});
  int calls = 0;
  Status s = ReplayWal(
      env_, dir_, 0,
      [&](uint64_t, const Record& record) {
        ++calls;
        return record.system_time_ns == 20 ? Status::Internal("apply failed") : Status::OK();
      },
      nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(calls, 2);
}

TEST_F(RecoveryTest, NonIncreasingSystemTimeIsCorruption) {
  WriteSegment(dir_, 1, {10, 20});
  WriteSegment(dir_, 2, {20, 30});
  Replayed r = Replay(env_, dir_);
  EXPECT_TRUE(r.status.IsCorruption());
  EXPECT_NE(r.status.message().find(SegmentPath(dir_, 2) + " offset 0"), std::string::npos)
      << r.status.ToString();
  EXPECT_EQ(r.records.size(), 2u);

  WriteSegment(dir_, 1, {10, 30, 25});
  WriteSegment(dir_, 2, {40});
  r = Replay(env_, dir_);
  EXPECT_TRUE(r.status.IsCorruption()) << r.status.ToString();
  EXPECT_NE(r.status.message().find(SegmentPath(dir_, 1)), std::string::npos);
}

// What the reader itself reports for a damaged segment (before recovery repairs it).
std::vector<std::pair<uint64_t, uint64_t>> BadTails(const std::string& path,
                                                    std::vector<std::string>* reasons) {
  struct Collect final : LogReader::Reporter {
    void BadTail(uint64_t offset, uint64_t bytes, std::string_view reason) override {
      tails.emplace_back(offset, bytes);
      why.emplace_back(reason);
    }
    std::vector<std::pair<uint64_t, uint64_t>> tails;
    std::vector<std::string> why;
  } collect;
  auto file = Env::Default()->NewRandomAccessFile(path);
  EXPECT_TRUE(file.ok());
  if (!file.ok()) return {};
  LogReader reader(**file, &collect);
  Record record;
  while (reader.ReadRecord(&record)) {
  }
  *reasons = collect.why;
  return collect.tails;
}

// The key property (DESIGN §3 step 6): however the last record is torn, every earlier record
// survives intact, the damaged one is not delivered, and the file is cut back to the end of the
// last good record.
TEST_F(RecoveryTest, EveryTruncationInsideTheLastRecordIsCutBack) {
  const std::vector<int64_t> first = {100, 200, 300};
  const std::vector<int64_t> last = {400, 500, 777};  // 777: payload with 0x1e 'z's
  for (int cut_delta = 1;; ++cut_delta) {
    ASSERT_TRUE(env_.CreateDirs(dir_).ok());
    WriteSegment(dir_, 1, first);
    const std::vector<uint64_t> offsets = WriteSegment(dir_, 2, last);
    const uint64_t start = offsets[2];
    const uint64_t end = offsets[3];
    const uint64_t cut = start + static_cast<uint64_t>(cut_delta);
    if (cut >= end) break;
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const std::string path = SegmentPath(dir_, 2);
    ASSERT_TRUE(env_.TruncateFile(path, cut).ok());

    std::vector<std::string> reasons;
    auto tails = BadTails(path, &reasons);
    ASSERT_EQ(tails.size(), 1u);
    EXPECT_EQ(tails[0], std::make_pair(start, cut - start));
    EXPECT_EQ(reasons[0], cut - start < kHeaderSize ? "truncated header" : "truncated payload");

    Replayed r = Replay(env_, dir_);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    ASSERT_EQ(r.records.size(), 5u);
    EXPECT_EQ(r.records.back(), std::make_pair(uint64_t{2}, int64_t{500}));
    for (size_t i = 0; i < r.records.size(); ++i) {
      EXPECT_EQ(r.payloads[i], PayloadFor(r.records[i].second));
    }
    EXPECT_EQ(r.report.truncated_bytes, cut - start);
    EXPECT_EQ(r.report.last_system_time_ns, 500);
    auto size = env_.GetFileSize(path);
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(*size, start);

    // Repaired: a second replay finds a clean WAL.
    Replayed again = Replay(env_, dir_);
    ASSERT_TRUE(again.status.ok());
    EXPECT_EQ(again.records, r.records);
    EXPECT_EQ(again.report.truncated_bytes, 0u);
  }
}

TEST_F(RecoveryTest, EveryByteFlipInsideTheLastRecordIsCutBack) {
  WriteSegment(dir_, 1, {100, 200, 300});
  const std::vector<uint64_t> offsets = WriteSegment(dir_, 2, {400, 500, 777});
  const std::string path = SegmentPath(dir_, 2);
  const std::string pristine = ReadFile(path);
  const uint64_t start = offsets[2];
  const uint64_t end = offsets[3];
  for (uint64_t at = start; at < end; ++at) {
    SCOPED_TRACE("flip at " + std::to_string(at));
    std::string damaged = pristine;
    damaged[at] = static_cast<char>(damaged[at] ^ 0xff);
    WriteFile(path, damaged);

    std::vector<std::string> reasons;
    auto tails = BadTails(path, &reasons);
    ASSERT_EQ(tails.size(), 1u);
    EXPECT_EQ(tails[0], std::make_pair(start, end - start));
    // A flipped length byte makes the record look longer (truncated payload or too large) or
    // shorter (checksum mismatch); any other byte is a checksum mismatch.
    if (at >= start + 4) {
      EXPECT_EQ(reasons[0], "checksum mismatch");
    }

    Replayed r = Replay(env_, dir_);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    ASSERT_EQ(r.records.size(), 5u);
    for (size_t i = 0; i < r.records.size(); ++i) {
      EXPECT_EQ(r.payloads[i], PayloadFor(r.records[i].second));
    }
    EXPECT_EQ(r.report.truncated_bytes, end - start);
    EXPECT_EQ(ReadFile(path), pristine.substr(0, start));
  }
}

// One table for the reader and recovery together, after Prometheus' TestWALRepair: how the bytes
// are damaged -> what replay delivers, returns and cuts.
TEST_F(RecoveryTest, CorruptionTable) {
  struct Case {
    const char* name;
    std::function<void(const std::string& dir, const std::vector<uint64_t>& seg2_offsets)> damage;
    size_t records;  // delivered
    StatusCode code;
    uint64_t truncated_bytes;
    std::string message;  // substring of the status message
  };
  auto append = [](const std::string& path, const std::string& bytes) {
    WriteFile(path, ReadFile(path) + bytes);
  };
  auto flip = [](const std::string& path, uint64_t at, uint8_t mask) {
    std::string data = ReadFile(path);
    data[at] = static_cast<char>(data[at] ^ mask);
    WriteFile(path, data);
  };
  std::string oversized;
  PutFixed32(&oversized, 0xffffffffu);
  oversized.append(40, 'q');

  const std::vector<Case> cases = {
      {"clean", [](auto&, auto&) {}, 6, StatusCode::kOk, 0, ""},
      {"zero-filled tail",
       [&](const std::string& dir, auto&) { append(SegmentPath(dir, 2), std::string(4096, '\0')); },
       6, StatusCode::kOk, 4096, ""},
      {"garbage after the last record",
       [&](const std::string& dir, auto&) { append(SegmentPath(dir, 2), "\x13\x37garbage!!"); }, 6,
       StatusCode::kOk, 11, ""},
      {"oversized length field",
       [&](const std::string& dir, auto&) { append(SegmentPath(dir, 2), oversized); }, 6,
       StatusCode::kOk, oversized.size(), ""},
      {"torn header",
       [&](const std::string& dir, auto&) { append(SegmentPath(dir, 2), std::string(7, '\x01')); },
       6, StatusCode::kOk, 7, ""},
      {"corrupt middle record of the last segment drops it and what follows",
       [&](const std::string& dir, const std::vector<uint64_t>& off) {
         flip(SegmentPath(dir, 2), off[1] + kHeaderSize, 0x01);
       },
       4, StatusCode::kOk, 0 /* set below */, ""},
      {"corruption in a non-last segment",
       // The length's top bit: far beyond kMaxPayloadBytes.
       [&](const std::string& dir, auto&) { flip(SegmentPath(dir, 1), 3, 0x80); }, 0,
       StatusCode::kCorruption, 0,
       "wal segment " + SegmentPath(dir_, 1) + " offset 0: length too large"},
      {"torn tail in a non-last segment",
       [&](const std::string& dir, auto&) {
         std::string data = ReadFile(SegmentPath(dir, 1));
         WriteFile(SegmentPath(dir, 1), data.substr(0, data.size() - 3));
       },
       2, StatusCode::kCorruption, 0, "wal segment " + SegmentPath(dir_, 1) + " offset "},
      {"checksum mismatch in a non-last segment",
       [&](const std::string& dir, auto&) { flip(SegmentPath(dir, 1), kHeaderSize + 1, 0x01); }, 0,
       StatusCode::kCorruption, 0, "offset 0: checksum mismatch"},
      {"empty last segment",
       [&](const std::string& dir, auto&) { WriteFile(SegmentPath(dir, 3), ""); }, 6,
       StatusCode::kOk, 0, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // Messages name dir_, so the case directory is dir_ itself, rebuilt each time.
    ASSERT_TRUE(Env::Default()->CreateDirs(dir_).ok());
    auto children = Env::Default()->GetChildren(dir_);
    ASSERT_TRUE(children.ok());
    for (const std::string& name : *children) {
      ASSERT_TRUE(Env::Default()->RemoveFile(JoinPath(dir_, name)).ok());
    }
    WriteSegment(dir_, 1, {10, 20, 30});
    const std::vector<uint64_t> offsets = WriteSegment(dir_, 2, {40, 50, 60});
    std::vector<std::string> before;
    for (uint64_t n : {1u, 2u}) before.push_back(ReadFile(SegmentPath(dir_, n)));
    c.damage(dir_, offsets);
    const std::string damaged_first = ReadFile(SegmentPath(dir_, 1));
    const uint64_t damaged_size = ReadFile(SegmentPath(dir_, 2)).size();

    Replayed r = Replay(env_, dir_);
    EXPECT_EQ(r.status.code(), c.code) << r.status.ToString();
    EXPECT_EQ(r.records.size(), c.records);
    EXPECT_NE(r.status.message().find(c.message), std::string::npos) << r.status.ToString();
    for (size_t i = 0; i < r.records.size(); ++i) {
      EXPECT_EQ(r.payloads[i], PayloadFor(r.records[i].second));
    }
    if (c.code != StatusCode::kOk) {
      // Corruption cuts nothing, anywhere.
      EXPECT_EQ(ReadFile(SegmentPath(dir_, 1)), damaged_first);
      EXPECT_EQ(ReadFile(SegmentPath(dir_, 2)).size(), damaged_size);
      continue;
    }
    const uint64_t expected_cut = std::string(c.name).starts_with("corrupt middle")
                                      ? damaged_size - offsets[1]
                                      : c.truncated_bytes;
    EXPECT_EQ(r.report.truncated_bytes, expected_cut);
    EXPECT_EQ(ReadFile(SegmentPath(dir_, 2)).size(), damaged_size - expected_cut);
    if (c.records == 6) {
      EXPECT_EQ(ReadFile(SegmentPath(dir_, 2)), before[1]);
    }
  }
}

TEST_F(RecoveryTest, TruncationIsMadeDurable) {
  WriteSegment(dir_, 1, {10, 20});
  WriteFile(SegmentPath(dir_, 1), ReadFile(SegmentPath(dir_, 1)) + "torn");
  testing::FaultInjectionEnv env;
  Replayed r = Replay(env, dir_);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.report.truncated_bytes, 4u);
  EXPECT_EQ(env.count(testing::FaultInjectionEnv::Op::kTruncate), 1u);
  EXPECT_GE(env.count(testing::FaultInjectionEnv::Op::kSync), 1u);
  EXPECT_GE(env.count(testing::FaultInjectionEnv::Op::kSyncDir), 1u);
}

TEST_F(RecoveryTest, FailedTruncationIsReturned) {
  WriteSegment(dir_, 1, {10, 20});
  WriteFile(SegmentPath(dir_, 1), ReadFile(SegmentPath(dir_, 1)) + "torn");
  testing::FaultInjectionEnv env;
  env.FailAfter(testing::FaultInjectionEnv::Op::kTruncate, 0);
  Replayed r = Replay(env, dir_);
  EXPECT_EQ(r.status.code(), StatusCode::kIOError);
  EXPECT_EQ(r.records.size(), 2u);
}

}  // namespace
}  // namespace strata::wal
