#pragma once

// BlockArena: bump allocation from 2 MiB blocks that are freed all at once, for data that lives
// and dies together (a memtable's rows, as LevelDB's memtable arena). Blocks come from a
// BlockPool, which maps them aligned to 2 MiB and asks the kernel to back each with one huge
// page (madvise MADV_HUGEPAGE, honoured where transparent huge pages are "madvise" or "always"),
// and keeps returned blocks up to a limit: the next memtable reuses the flushed one's memory
// instead of faulting in and zeroing fresh pages.
// Thread-safety: BlockPool is thread-safe. A BlockArena is not (its owner serializes it); it
// keeps its pool alive.

#include <sanitizer/asan_interface.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "util/mutex.h"

namespace strata {

class BlockPool {
 public:
  static constexpr size_t kBlockBytes = size_t{2} << 20;

  // Keeps at most max_free_bytes of returned blocks for reuse; more are unmapped.
  explicit BlockPool(size_t max_free_bytes);
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // A block of kBlockBytes, 2 MiB aligned; a reused one holds what its last user wrote. Throws
  // std::bad_alloc when the system has no memory, as operator new does.
  void* Take();
  void Return(void* block);
  size_t free_blocks() const;
  // Maps a block and faults in its pages for the free list, if the list holds fewer than ahead
  // blocks (and is below its limit); returns whether it did. For a thread that would otherwise
  // wait: the kernel zeroes the fresh pages there instead of in the next Take's caller.
  bool Prefault(size_t ahead);

 private:
  const size_t max_free_blocks_;
  mutable Mutex mu_;
  std::vector<void*> free_ GUARDED_BY(mu_);
};

class BlockArena {
 public:
  // pool null: a pool of the arena's own that keeps nothing.
  explicit BlockArena(std::shared_ptr<BlockPool> pool = nullptr);
  ~BlockArena();  // returns every block to the pool
  BlockArena(const BlockArena&) = delete;
  BlockArena& operator=(const BlockArena&) = delete;

  // bytes of memory aligned to 16, valid until the arena is destroyed. Requests above a quarter
  // of a block get an allocation of their own, so the block's tail is not wasted.
  void* Allocate(size_t bytes) {
    bytes = (bytes + 15) & ~size_t{15};
    if (bytes <= static_cast<size_t>(end_ - next_)) {
      char* at = next_;
      next_ += bytes;
      // Under ASan the rest of a block stays poisoned, so a write past an allocation is caught.
      ASAN_UNPOISON_MEMORY_REGION(at, bytes);
      return at;
    }
    return AllocateSlow(bytes);
  }
  // Bytes of blocks and own allocations held.
  size_t HeldBytes() const { return held_bytes_; }

 private:
  void* AllocateSlow(size_t bytes);

  std::shared_ptr<BlockPool> pool_;
  std::vector<void*> blocks_;
  std::vector<std::unique_ptr<char[]>> large_;
  char* next_ = nullptr;
  char* end_ = nullptr;
  size_t held_bytes_ = 0;
};

}  // namespace strata
