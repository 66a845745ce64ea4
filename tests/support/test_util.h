#pragma once

// Helpers shared by the tests: temporary directories and paths to the source tree.
// Thread-safety: TempDir is single-threaded; the free functions are thread-safe.

#include <cstdint>
#include <string>

namespace strata::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// XORs the byte at offset of the file at path with mask (damage for corruption tests).
void FlipByte(const std::string& path, uint64_t offset, uint8_t mask = 0x55);

// The repository root (from $STRATA_SOURCE_DIR, set by ctest; else the compile-time root).
std::string SourceDir();
// The build directory (from $STRATA_BINARY_DIR; else the compile-time one).
std::string BinaryDir();
// ../shared/data/<name> relative to the repository root.
std::string SharedDataPath(const std::string& name);

}  // namespace strata::testing
