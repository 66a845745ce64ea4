#include "util/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace strata {
namespace {

std::string NameInThread(const char* name) {
  std::string seen;
  std::thread thread([&] {
    SetCurrentThreadName(name);
    char buffer[32] = {};
    ASSERT_EQ(pthread_getname_np(pthread_self(), buffer, sizeof(buffer)), 0);
    seen = buffer;
  });
  thread.join();
  return seen;
}

TEST(ThreadNameTest, NamesTheCallingThread) {
  EXPECT_EQ(NameInThread("strata-wal"), "strata-wal");
}

TEST(ThreadNameTest, CutsNamesToWhatLinuxKeeps) {
  // The kernel keeps 15 bytes; a longer name must not make the call fail and keep the old one.
  EXPECT_EQ(NameInThread("strata-connection-writer"), "strata-connecti");
}

}  // namespace
}  // namespace strata
