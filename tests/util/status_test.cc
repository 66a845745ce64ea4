#include "util/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace strata {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status::OK().ok());
}

TEST(StatusTest, FactoriesCarryCodeAndMessage) {
  const std::pair<Status, const char*> table[] = {
      {Status::InvalidArgument("m"), "InvalidArgument: m"},
      {Status::NotFound("m"), "NotFound: m"},
      {Status::Corruption("m"), "Corruption: m"},
      {Status::IOError("m"), "IOError: m"},
      {Status::ResourceExhausted("m"), "ResourceExhausted: m"},
      {Status::Unavailable("m"), "Unavailable: m"},
      {Status::Internal("m"), "Internal: m"},
  };
  for (const auto& [status, text] : table) {
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.message(), "m");
    EXPECT_EQ(status.ToString(), text);
  }
  EXPECT_TRUE(Status::NotFound("x").IsNotFound());
  EXPECT_FALSE(Status::NotFound("x").IsCorruption());
  EXPECT_TRUE(Status::Corruption("x").IsCorruption());
  EXPECT_EQ(StatusCodeName(StatusCode::kIOError), "IOError");
}

TEST(StatusTest, WithContextPrefixesAndKeepsCode) {
  Status s = Status::IOError("disk full").WithContext("wal segment 7");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(s.message(), "wal segment 7: disk full");
  EXPECT_TRUE(Status::OK().WithContext("ignored").ok());
}

TEST(StatusTest, CopiesAreIndependentValues) {
  Status a = Status::Corruption("bad");
  Status b = a;
  a = Status::OK();
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(b.ToString(), "Corruption: bad");
}

TEST(StatusResultTest, HoldsValueOrError) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  EXPECT_EQ(good.value(), 42);
  EXPECT_TRUE(good.status().ok());

  Result<int> bad = Status::NotFound("nope");
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsNotFound());

  Result<std::string> str = std::string("abc");
  EXPECT_EQ(str->size(), 3u);
}

TEST(StatusResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

Status FailsIf(bool fail) { return fail ? Status::Internal("failed") : Status::OK(); }

Result<std::unique_ptr<int>> MakeIf(bool fail) {
  if (fail) return Status::InvalidArgument("no value");
  return std::make_unique<int>(5);
}

Status UseReturnIfError(bool fail, int* reached) {
  STRATA_RETURN_IF_ERROR(FailsIf(fail));
  ++*reached;
  return Status::OK();
}

Result<int> UseAssignOrReturn(bool fail) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<int> p, MakeIf(fail));
  STRATA_ASSIGN_OR_RETURN(auto q, MakeIf(false));  // two on one function: unique temporaries
  return *p + *q;
}

TEST(StatusMacrosTest, ReturnIfError) {
  int reached = 0;
  EXPECT_TRUE(UseReturnIfError(false, &reached).ok());
  EXPECT_EQ(reached, 1);
  Status s = UseReturnIfError(true, &reached);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacrosTest, AssignOrReturn) {
  Result<int> ok = UseAssignOrReturn(false);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 10);
  Result<int> bad = UseAssignOrReturn(true);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "no value");
}

}  // namespace
}  // namespace strata
