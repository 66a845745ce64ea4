// `strata verify` on data directories written by a real stratad (DESIGN §9, issue 7 item 4):
// a clean directory passes with the counts the test wrote; each kind of damage (a flipped byte
// in a block, a truncated chunk file, a missing one, an extra one, a torn WAL) is found, named,
// and is the only problem reported; a directory in use or not a data directory is refused.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/stratad_process.h"
#include "tests/support/test_util.h"
#include "tools/line_client.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::RunCommand;
using testing::StratadProcess;
using testing::TempDir;

constexpr int64_t kJan1 = 1'767'225'600'000'000'000;
constexpr int64_t kSecond = 1'000'000'000;
constexpr int kFlushedPoints = 2 * 2 * 500;  // 2 regions x 2 days x 500 points
constexpr int kWalPoints = 40;

struct Verified {
  int exit_code = 0;
  std::string out, err;
  std::vector<std::string> problems;  // the "problem: " lines
};

Verified Verify(const std::string& dir, bool json = false) {
  Verified v;
  std::vector<std::string> argv = {StratadProcess::BinaryPath("tools/strata"), "verify", dir};
  if (json) argv.push_back("--json");
  v.exit_code = RunCommand(argv, "", &v.out, &v.err);
  size_t pos = 0;
  while ((pos = v.out.find("problem: ", pos)) != std::string::npos) {
    const size_t end = v.out.find('\n', pos);
    v.problems.push_back(v.out.substr(pos + 9, end - pos - 9));
    pos = end;
  }
  return v;
}

class VerifyTest : public ::testing::Test {
 protected:
  // A data directory with flushed chunk files in four partitions and a WAL holding records
  // the checkpoint does not cover, written by a real server and stopped cleanly.
  void SetUp() override {
    clean_ = dir_.Sub("clean");
    StratadProcess server(clean_, {});
    std::string error;
    ASSERT_TRUE(server.Start(&error)) << error;
    auto client = tools::LineClient::Connect("127.0.0.1", server.port());
    ASSERT_TRUE(client.ok());
    std::string text;
    for (const char* region : {"eu", "us"}) {
      for (int day = 0; day < 2; ++day) {
        for (int i = 0; i < 500; ++i) {
          text += std::string("cpu,region=") + region + ",host=h" + std::to_string(i % 5) +
                  " v=" + std::to_string(i) + " " +
                  std::to_string(kJan1 + day * 86'400 * kSecond + i * kSecond) + "\n";
        }
      }
    }
    ASSERT_TRUE((*client)->Send(text).ok());
    auto flushed = (*client)->Command("FLUSH");
    ASSERT_TRUE(flushed.ok());
    ASSERT_EQ(flushed->front(), "OK");
    text.clear();
    for (int i = 0; i < kWalPoints; ++i) {
      text += "cpu,region=eu,host=late v=" + std::to_string(i) + " " +
              std::to_string(kJan1 + 2 * 86'400 * kSecond + i * kSecond) + "\n";
    }
    ASSERT_TRUE((*client)->Send(text + "SYNC\n").ok());
    auto synced = (*client)->Command("PING");
    ASSERT_TRUE(synced.ok());
    client->reset();
    ASSERT_EQ(server.Terminate(), 0);
  }

  // A copy of the clean directory to damage.
  std::string Copy(const std::string& name) {
    const std::string copy = dir_.Sub(name);
    fs::copy(clean_, copy, fs::copy_options::recursive);
    fs::remove(fs::path(copy) / "LOCK");
    return copy;
  }

  static std::vector<std::string> ChunkFiles(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(dir) / "chunks")) {
      if (entry.path().extension() == ".chunk") out.push_back(entry.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir dir_;
  std::string clean_;
};

TEST_F(VerifyTest, ACleanDirectoryPassesWithWhatWasWritten) {
  Verified v = Verify(clean_);
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_TRUE(v.problems.empty()) << v.out;
  EXPECT_NE(v.out.find(": ok\n"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("4 chunk files"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find(std::to_string(kFlushedPoints) + " points"), std::string::npos) << v.out;

  Verified json = Verify(clean_, /*json=*/true);
  EXPECT_EQ(json.exit_code, 0) << json.out;
  EXPECT_NE(json.out.find("\"ok\": true"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"points\": " + std::to_string(kFlushedPoints)), std::string::npos)
      << json.out;
  // The catalog's series: h0..h4 in two regions; host "late" is still only in the WAL.
  EXPECT_NE(json.out.find("\"series\": 10,"), std::string::npos) << json.out;
  // The 40 late points are one WAL record after the checkpoint (the flushed data's record may
  // still be there too, until a later flush deletes its segment).
  EXPECT_EQ(json.out.find("\"wal_records\": 0"), std::string::npos) << json.out;

  // Verifying wrote nothing: the server opens the directory and answers from it.
  StratadProcess server(clean_, {});
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  auto client = tools::LineClient::Connect("127.0.0.1", server.port());
  ASSERT_TRUE(client.ok());
  auto count = (*client)->Command("SELECT count(v) FROM cpu");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->at(1), std::to_string(kFlushedPoints + kWalPoints));
  // While it runs, the directory is refused rather than read half-written.
  Verified busy = Verify(clean_);
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_NE(busy.err.find("in use by a running stratad"), std::string::npos) << busy.err;
}

TEST_F(VerifyTest, AFlippedByteInABlockIsNamedWithItsFileAndBlock) {
  const std::string dir = Copy("flipped");
  const std::string chunk = ChunkFiles(dir).front();
  testing::FlipByte(chunk, 40, 0x20);
  Verified v = Verify(dir);
  EXPECT_EQ(v.exit_code, 1) << v.out;
  ASSERT_EQ(v.problems.size(), 1u) << v.out;
  EXPECT_NE(v.problems[0].find(chunk), std::string::npos) << v.problems[0];
  EXPECT_NE(v.problems[0].find("block"), std::string::npos) << v.problems[0];
  EXPECT_NE(v.out.find("1 problems"), std::string::npos) << v.out;
}

TEST_F(VerifyTest, ATruncatedChunkFileIsNamed) {
  const std::string dir = Copy("truncated");
  const std::string chunk = ChunkFiles(dir).back();
  fs::resize_file(chunk, fs::file_size(chunk) - 7);
  Verified v = Verify(dir);
  EXPECT_EQ(v.exit_code, 1) << v.out;
  ASSERT_EQ(v.problems.size(), 1u) << v.out;
  EXPECT_NE(v.problems[0].find(chunk), std::string::npos) << v.problems[0];
  EXPECT_NE(v.problems[0].find("the catalog says"), std::string::npos) << v.problems[0];
}

TEST_F(VerifyTest, AMissingChunkFileIsNamed) {
  const std::string dir = Copy("missing");
  const std::string chunk = ChunkFiles(dir)[1];
  fs::remove(chunk);
  Verified v = Verify(dir);
  EXPECT_EQ(v.exit_code, 1) << v.out;
  ASSERT_EQ(v.problems.size(), 1u) << v.out;
  EXPECT_EQ(v.problems[0], chunk + ": missing (the catalog names it)");
}

TEST_F(VerifyTest, AnExtraFileIsNamedAsUnreferenced) {
  const std::string dir = Copy("extra");
  const std::string chunk = ChunkFiles(dir).front();
  const std::string extra = (fs::path(chunk).parent_path() / "0000000000009999.chunk").string();
  fs::copy_file(chunk, extra);
  Verified v = Verify(dir);
  EXPECT_EQ(v.exit_code, 1) << v.out;
  ASSERT_EQ(v.problems.size(), 1u) << v.out;
  EXPECT_EQ(v.problems[0], extra + ": unreferenced file (the catalog does not name it)");
}

TEST_F(VerifyTest, ATruncatedWalIsNamedWithItsSegmentAndOffset) {
  const std::string dir = Copy("torn-wal");
  std::vector<fs::path> segments;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "wal")) {
    if (entry.path().extension() == ".log" && fs::file_size(entry.path()) > 0) {
      segments.push_back(entry.path());
    }
  }
  ASSERT_FALSE(segments.empty());
  std::sort(segments.begin(), segments.end());
  const fs::path last = segments.back();
  fs::resize_file(last, fs::file_size(last) - 10);  // cuts the late points' record short
  Verified v = Verify(dir);
  EXPECT_EQ(v.exit_code, 1) << v.out;
  ASSERT_EQ(v.problems.size(), 1u) << v.out;
  EXPECT_NE(v.problems[0].find(last.string()), std::string::npos) << v.problems[0];
  EXPECT_NE(v.problems[0].find("truncated"), std::string::npos) << v.problems[0];
  EXPECT_NE(v.problems[0].find("at offset"), std::string::npos) << v.problems[0];
}

TEST_F(VerifyTest, NotADataDirectoryIsAUsageError) {
  Verified v = Verify(dir_.Sub("nothing-here"));
  EXPECT_EQ(v.exit_code, 2);
  EXPECT_NE(v.err.find("not a Strata data directory"), std::string::npos) << v.err;
}

}  // namespace
}  // namespace strata
