#pragma once

// xxh3-64 checksums for every persisted record, block and index (DESIGN §3, §4).
// Pure functions, thread-safe.

#include <cstdint>
#include <string_view>

namespace strata {

uint64_t Checksum64(std::string_view data);

// Checksum of the concatenation a + b, without building it.
uint64_t Checksum64(std::string_view a, std::string_view b);

// Checksum64 of data fed in pieces (whole files, read a buffer at a time): Update(a),
// Update(b) then Digest() equals Checksum64(a + b). Single-threaded.
class Checksum64Stream {
 public:
  Checksum64Stream();
  ~Checksum64Stream();
  Checksum64Stream(const Checksum64Stream&) = delete;
  Checksum64Stream& operator=(const Checksum64Stream&) = delete;
  void Update(std::string_view data);
  uint64_t Digest() const;

 private:
  void* state_;  // an XXH3_state_t, kept out of this header
};

}  // namespace strata
