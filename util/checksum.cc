#include "util/checksum.h"

// Static state so the two-part checksum needs no allocation.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

namespace strata {

uint64_t Checksum64(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

uint64_t Checksum64(std::string_view a, std::string_view b) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, a.data(), a.size());
  XXH3_64bits_update(&state, b.data(), b.size());
  return XXH3_64bits_digest(&state);
}

}  // namespace strata
