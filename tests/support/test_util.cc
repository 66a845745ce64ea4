#include "tests/support/test_util.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace strata::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/strata-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;  // a leftover temp dir is not worth failing a test over
  std::filesystem::remove_all(path_, ignored);
}

std::string SourceDir() {
  const char* dir = std::getenv("STRATA_SOURCE_DIR");
  return dir && *dir ? dir : STRATA_TEST_SOURCE_DIR;
}

std::string BinaryDir() {
  const char* dir = std::getenv("STRATA_BINARY_DIR");
  return dir && *dir ? dir : STRATA_TEST_BINARY_DIR;
}

std::string SharedDataPath(const std::string& name) {
  return SourceDir() + "/../shared/data/" + name;
}

}  // namespace strata::testing
