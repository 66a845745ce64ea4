#include "util/env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/support/test_util.h"

namespace strata {
namespace {

class EnvTest : public ::testing::Test {
 protected:
  std::string Contents(const std::string& path) {
    auto data = ReadFileToString(env_, path);
    EXPECT_TRUE(data.ok()) << data.status().ToString();
    return data.ok() ? *data : "";
  }

  testing::TempDir tmp_;
  Env& env_ = *Env::Default();
};

TEST_F(EnvTest, WriteSyncCloseAndReadBack) {
  const std::string path = tmp_.Sub("f");
  auto file = env_.NewWritableFile(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE((*file)->Append("hello ").ok());
  ASSERT_TRUE((*file)->Append("world").ok());
  EXPECT_EQ((*file)->Size(), 11u);
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Close().ok());
  ASSERT_TRUE((*file)->Close().ok());  // closing twice is harmless
  EXPECT_TRUE(env_.FileExists(path));
  EXPECT_EQ(Contents(path), "hello world");
  auto size = env_.GetFileSize(path);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 11u);
}

TEST_F(EnvTest, NewWritableFileTruncatesAndAppendableFileAppends) {
  const std::string path = tmp_.Sub("f");
  ASSERT_TRUE(WriteFileAtomically(env_, path, "old contents").ok());
  {
    auto file = env_.NewAppendableFile(path);
    ASSERT_TRUE(file.ok());
    EXPECT_EQ((*file)->Size(), 12u);
    ASSERT_TRUE((*file)->Append("+more").ok());
    EXPECT_EQ((*file)->Size(), 17u);
  }
  EXPECT_EQ(Contents(path), "old contents+more");
  {
    auto file = env_.NewWritableFile(path);
    ASSERT_TRUE(file.ok());
    EXPECT_EQ((*file)->Size(), 0u);
  }
  EXPECT_EQ(Contents(path), "");
  auto created = env_.NewAppendableFile(tmp_.Sub("new"));
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(env_.FileExists(tmp_.Sub("new")));
}

TEST_F(EnvTest, RandomAccessReadsAtOffsetsAndShortAtEnd) {
  const std::string path = tmp_.Sub("f");
  ASSERT_TRUE(WriteFileAtomically(env_, path, "0123456789").ok());
  auto file = env_.NewRandomAccessFile(path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->Size(), 10u);
  std::string out = "stale";
  ASSERT_TRUE((*file)->Read(3, 4, &out).ok());
  EXPECT_EQ(out, "3456");
  ASSERT_TRUE((*file)->Read(8, 100, &out).ok());
  EXPECT_EQ(out, "89");
  ASSERT_TRUE((*file)->Read(10, 5, &out).ok());
  EXPECT_EQ(out, "");
}

TEST_F(EnvTest, MissingFilesAreNotFound) {
  EXPECT_FALSE(env_.FileExists(tmp_.Sub("missing")));
  EXPECT_TRUE(env_.NewRandomAccessFile(tmp_.Sub("missing")).status().IsNotFound());
  EXPECT_TRUE(env_.RemoveFile(tmp_.Sub("missing")).IsNotFound());
  EXPECT_TRUE(env_.GetFileSize(tmp_.Sub("missing")).status().IsNotFound());
  EXPECT_TRUE(env_.GetChildren(tmp_.Sub("missing")).status().IsNotFound());
  EXPECT_TRUE(ReadFileToString(env_, tmp_.Sub("missing")).status().IsNotFound());
  Status s = env_.NewRandomAccessFile(tmp_.Sub("missing")).status();
  EXPECT_NE(s.message().find(tmp_.Sub("missing")), std::string::npos) << "errors name the path";
}

TEST_F(EnvTest, RenameReplacesTarget) {
  ASSERT_TRUE(WriteFileAtomically(env_, tmp_.Sub("a"), "A").ok());
  ASSERT_TRUE(WriteFileAtomically(env_, tmp_.Sub("b"), "B").ok());
  ASSERT_TRUE(env_.RenameFile(tmp_.Sub("a"), tmp_.Sub("b")).ok());
  EXPECT_FALSE(env_.FileExists(tmp_.Sub("a")));
  EXPECT_EQ(Contents(tmp_.Sub("b")), "A");
  EXPECT_FALSE(env_.RenameFile(tmp_.Sub("a"), tmp_.Sub("c")).ok());
}

TEST_F(EnvTest, TruncateShortensFile) {
  const std::string path = tmp_.Sub("f");
  ASSERT_TRUE(WriteFileAtomically(env_, path, "0123456789").ok());
  ASSERT_TRUE(env_.TruncateFile(path, 4).ok());
  EXPECT_EQ(Contents(path), "0123");
  ASSERT_TRUE(env_.TruncateFile(path, 0).ok());
  EXPECT_EQ(Contents(path), "");
}

TEST_F(EnvTest, CreateDirsAndGetChildren) {
  const std::string nested = tmp_.Sub("a/b/c");
  ASSERT_TRUE(env_.CreateDirs(nested).ok());
  ASSERT_TRUE(env_.CreateDirs(nested).ok());  // existing is fine
  ASSERT_TRUE(env_.CreateDirs(nested + "/").ok());
  ASSERT_TRUE(WriteFileAtomically(env_, JoinPath(nested, "x"), "1").ok());
  ASSERT_TRUE(WriteFileAtomically(env_, JoinPath(nested, "y"), "2").ok());
  ASSERT_TRUE(env_.CreateDirs(JoinPath(nested, "d")).ok());
  auto children = env_.GetChildren(nested);
  ASSERT_TRUE(children.ok());
  std::vector<std::string> names = *children;
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"d", "x", "y"}));  // no "." or "..", no .tmp
  EXPECT_TRUE(env_.SyncDir(nested).ok());
  EXPECT_FALSE(env_.SyncDir(tmp_.Sub("missing")).ok());
  ASSERT_TRUE(env_.RemoveFile(JoinPath(nested, "x")).ok());
  EXPECT_FALSE(env_.FileExists(JoinPath(nested, "x")));
}

TEST_F(EnvTest, LockFileIsExclusiveUntilReleased) {
  const std::string path = tmp_.Sub("LOCK");
  auto first = env_.LockFile(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = env_.LockFile(path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(path), std::string::npos);
  first = Status::Internal("released");  // drops the lock
  auto third = env_.LockFile(path);
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST_F(EnvTest, WriteFileAtomicallyReplacesWithoutLeavingTemp) {
  const std::string path = tmp_.Sub("CURRENT");
  ASSERT_TRUE(WriteFileAtomically(env_, path, "v1").ok());
  ASSERT_TRUE(WriteFileAtomically(env_, path, "version 2").ok());
  EXPECT_EQ(Contents(path), "version 2");
  EXPECT_FALSE(env_.FileExists(path + ".tmp"));
  auto children = env_.GetChildren(tmp_.path());
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(*children, std::vector<std::string>{"CURRENT"});
  EXPECT_FALSE(WriteFileAtomically(env_, tmp_.Sub("no/such/dir/f"), "x").ok());
}

TEST_F(EnvTest, NowNanosIsWallClock) {
  // 2020-01-01T00:00:00Z: a sanity bound on the epoch and unit, not a timing assertion.
  EXPECT_GT(env_.NowNanos(), int64_t{1'577'836'800} * 1'000'000'000);
}

TEST(EnvPathTest, JoinAndDirName) {
  EXPECT_EQ(JoinPath("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("a/b/", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("", "c"), "c");
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/c"), "/");
}

TEST_F(EnvTest, LinkFileSharesBytesAndRemoveTreeRemovesEverything) {
  const std::string dir = tmp_.Sub("tree");
  ASSERT_TRUE(env_.CreateDirs(dir + "/a/b").ok());
  ASSERT_TRUE(WriteFileAtomically(env_, dir + "/a/b/f", "bytes").ok());
  ASSERT_TRUE(env_.LinkFile(dir + "/a/b/f", dir + "/g").ok());
  EXPECT_EQ(Contents(dir + "/g"), "bytes");
  // A link to an existing name fails (never replaces), with an error rather than NotSupported.
  Status again = env_.LinkFile(dir + "/a/b/f", dir + "/g");
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.code(), StatusCode::kNotSupported);
  EXPECT_TRUE(env_.LinkFile(dir + "/missing", dir + "/h").IsNotFound());
  ASSERT_TRUE(env_.RemoveDir(dir + "/a").code() != StatusCode::kOk);  // not empty
  ASSERT_TRUE(RemoveTree(env_, dir).ok());
  EXPECT_FALSE(env_.FileExists(dir));
  EXPECT_TRUE(RemoveTree(env_, dir).ok());  // already gone: fine
}

}  // namespace
}  // namespace strata
