#include "tests/support/fault_injection_env.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/test_util.h"

namespace strata::testing {
namespace {

using Op = FaultInjectionEnv::Op;

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  std::string Contents(const std::string& path) {
    auto data = ReadFileToString(env_, path);
    EXPECT_TRUE(data.ok()) << data.status().ToString();
    return data.ok() ? *data : "";
  }

  TempDir tmp_;
  FaultInjectionEnv env_;
};

TEST_F(FaultInjectionEnvTest, DropUnsyncedDataKeepsOnlySyncedBytes) {
  const std::string path = tmp_.Sub("f");
  auto file = env_.NewWritableFile(path);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("synced").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Append("+lost").ok());
  EXPECT_EQ(env_.UnsyncedBytes(path), 5u);
  ASSERT_TRUE((*file)->Close().ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents(path), "synced");
  EXPECT_EQ(env_.UnsyncedBytes(path), 0u);
  EXPECT_EQ(env_.count(Op::kAppend), 2u);
  EXPECT_EQ(env_.count(Op::kSync), 1u);
}

TEST_F(FaultInjectionEnvTest, NeverSyncedFileLosesEverything) {
  const std::string path = tmp_.Sub("f");
  auto file = env_.NewWritableFile(path);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("gone").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents(path), "");
}

TEST_F(FaultInjectionEnvTest, SimulateCrashRefusesLaterWritesUntilReactivated) {
  const std::string path = tmp_.Sub("f");
  auto file = env_.NewWritableFile(path);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("a").ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ((*file)->Append("b").code(), StatusCode::kIOError);
  EXPECT_EQ((*file)->Sync().code(), StatusCode::kIOError);
  EXPECT_FALSE(env_.NewWritableFile(tmp_.Sub("g")).ok());
  EXPECT_FALSE(env_.RenameFile(path, tmp_.Sub("h")).ok());
  EXPECT_EQ(Contents(path), "");
  env_.Reactivate();
  ASSERT_TRUE((*file)->Append("c").ok());
}

TEST_F(FaultInjectionEnvTest, FailAfterIsStickyAndFailOnceIsNot) {
  const std::string path = tmp_.Sub("f");
  auto file = env_.NewWritableFile(path);
  ASSERT_TRUE(file.ok());
  env_.FailAfter(Op::kAppend, 2);
  EXPECT_TRUE((*file)->Append("1").ok());
  EXPECT_TRUE((*file)->Append("2").ok());
  EXPECT_EQ((*file)->Append("3").code(), StatusCode::kIOError);
  EXPECT_EQ((*file)->Append("4").code(), StatusCode::kIOError);
  env_.ClearFaults();
  EXPECT_TRUE((*file)->Append("5").ok());

  env_.FailOnce(Op::kSync, 1);
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_FALSE((*file)->Sync().ok());
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_EQ(Contents(path), "125");

  env_.FailOnce(Op::kRename, 0);
  Status s = env_.RenameFile(path, tmp_.Sub("g"));
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find("injected rename failure"), std::string::npos);
  EXPECT_TRUE(env_.RenameFile(path, tmp_.Sub("g")).ok());

  env_.FailOnce(Op::kCreate, 0);
  EXPECT_FALSE(env_.NewWritableFile(tmp_.Sub("h")).ok());
  EXPECT_FALSE(env_.FileExists(tmp_.Sub("h")));
}

TEST_F(FaultInjectionEnvTest, ShortWriteWritesAPrefixAndFails) {
  const std::string path = tmp_.Sub("f");
  auto file = env_.NewWritableFile(path);
  ASSERT_TRUE(file.ok());
  env_.SetShortWrite(1, 3);
  EXPECT_TRUE((*file)->Append("whole").ok());
  EXPECT_EQ((*file)->Append("partial").code(), StatusCode::kIOError);
  EXPECT_TRUE((*file)->Append("!").ok());  // one-shot
  EXPECT_EQ(Contents(path), "wholepar!");
}

TEST_F(FaultInjectionEnvTest, RenameCarriesSyncStateAndClockCanBePinned) {
  const std::string from = tmp_.Sub("a.tmp");
  const std::string to = tmp_.Sub("a");
  {
    auto file = env_.NewWritableFile(from);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append("data").ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE((*file)->Append("x").ok());
  }
  ASSERT_TRUE(env_.RenameFile(from, to).ok());
  EXPECT_EQ(env_.UnsyncedBytes(to), 1u);
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents(to), "data");

  env_.SetNowNanos(42);
  EXPECT_EQ(env_.NowNanos(), 42);
  env_.ClearNowNanos();
  EXPECT_GT(env_.NowNanos(), 42);
}

}  // namespace
}  // namespace strata::testing
