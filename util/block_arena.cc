#include "util/block_arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <utility>

namespace strata {

namespace {

void* MapAlignedBlock() {
  constexpr size_t kBytes = BlockPool::kBlockBytes;
  // Twice the size, then the unaligned head and tail are given back: mmap aligns to pages only.
  void* raw =
      ::mmap(nullptr, 2 * kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kBytes - 1) & ~uintptr_t{kBytes - 1};
  if (aligned > start) ::munmap(raw, aligned - start);
  const uintptr_t tail = aligned + kBytes;
  const uintptr_t mapped_end = start + 2 * kBytes;
  if (mapped_end > tail) ::munmap(reinterpret_cast<void*>(tail), mapped_end - tail);
  void* block = reinterpret_cast<void*>(aligned);
#ifdef MADV_HUGEPAGE
  // Advice only: where huge pages are off or unavailable the block is backed by small pages.
  (void)::madvise(block, kBytes, MADV_HUGEPAGE);
#endif
  return block;
}

}  // namespace

BlockPool::BlockPool(size_t max_free_bytes) : max_free_blocks_(max_free_bytes / kBlockBytes) {}

BlockPool::~BlockPool() {
  for (void* block : free_) ::munmap(block, kBlockBytes);
}

void* BlockPool::Take() {
  {
    MutexLock lock(&mu_);
    if (!free_.empty()) {
      void* block = free_.back();
      free_.pop_back();
      return block;
    }
  }
  return MapAlignedBlock();
}

void BlockPool::Return(void* block) {
  {
    MutexLock lock(&mu_);
    if (free_.size() < max_free_blocks_) {
      free_.push_back(block);
      return;
    }
  }
  ::munmap(block, kBlockBytes);
}

bool BlockPool::Prefault(size_t ahead) {
  {
    MutexLock lock(&mu_);
    if (free_.size() >= std::min(ahead, max_free_blocks_)) return false;
  }
  void* block = MapAlignedBlock();
  // One write per small page; with a huge page the first one faults in the whole block.
  volatile char* const bytes = static_cast<char*>(block);
  for (size_t at = 0; at < kBlockBytes; at += 4096) bytes[at] = 0;
  Return(block);
  return true;
}

size_t BlockPool::free_blocks() const {
  MutexLock lock(&mu_);
  return free_.size();
}

BlockArena::BlockArena(std::shared_ptr<BlockPool> pool)
    : pool_(pool != nullptr ? std::move(pool) : std::make_shared<BlockPool>(0)) {}

BlockArena::~BlockArena() {
  for (void* block : blocks_) {
    ASAN_UNPOISON_MEMORY_REGION(block, BlockPool::kBlockBytes);
    pool_->Return(block);
  }
}

void* BlockArena::AllocateSlow(size_t bytes) {
  if (bytes > BlockPool::kBlockBytes / 4) {
    large_.push_back(std::make_unique_for_overwrite<char[]>(bytes));
    held_bytes_ += bytes;
    return large_.back().get();
  }
  void* block = pool_->Take();
  ASAN_POISON_MEMORY_REGION(block, BlockPool::kBlockBytes);
  ASAN_UNPOISON_MEMORY_REGION(block, bytes);
  blocks_.push_back(block);
  held_bytes_ += BlockPool::kBlockBytes;
  next_ = static_cast<char*>(block) + bytes;
  end_ = static_cast<char*>(block) + BlockPool::kBlockBytes;
  return block;
}

}  // namespace strata
