#pragma once

// ReplayPipeline: applies replayed WAL records to a memtable on a thread of its own, in the order
// they were added, while the caller reads, checks and resolves the next ones. Start-up replay is
// bound by the memtable apply; reading, checksumming and resolving series cost about a third as
// much again, and now overlap it.
// Thread-safety: Add and Finish from one thread (the replaying one); the pipeline's own thread
// is the only one that touches the memtable and the last-value cache until Finish returns.

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/last_value_cache.h"
#include "engine/memtable.h"
#include "util/block_arena.h"
#include "util/mutex.h"
#include "util/status.h"

namespace strata::engine {

class ReplayPipeline {
 public:
  // target, last_values (optional) and row_blocks (optional: the pool target's rows come from)
  // must outlive the pipeline. While the applying thread is behind, the adding one faults in
  // row blocks of row_blocks for it: zeroing fresh pages was a third of the applier's time.
  ReplayPipeline(MemTable* target, LastValueCache* last_values, BlockPool* row_blocks = nullptr);
  ~ReplayPipeline();  // Finish()es if the owner did not
  ReplayPipeline(const ReplayPipeline&) = delete;
  ReplayPipeline& operator=(const ReplayPipeline&) = delete;

  // Queues one record (copying its payload) with its series by number (ResolveBatchSeries).
  // Blocks while the queue is full. Returns the first apply error so far, with the segment and offset of the
  // record that caused it: the caller then stops adding.
  Status Add(uint64_t segment, uint64_t offset, int64_t system_time_ns, std::string_view payload,
             std::span<const SeriesId> series_by_number);
  // Applies everything queued, stops the thread and returns the first apply error.
  Status Finish();

 private:
  struct Record {
    uint64_t segment = 0, offset = 0;
    int64_t system_time_ns = 0;
    size_t payload_begin = 0, payload_size = 0;
    size_t series_begin = 0, series_size = 0;
  };
  // Records are handed over in batches, so the lock and the wake-up are paid per megabyte.
  struct Batch {
    std::string payloads;
    std::vector<SeriesId> series;
    std::vector<Record> records;
  };
  static constexpr size_t kBatchBytes = 1 << 20;
  static constexpr size_t kMaxQueuedBatches = 4;
  // Blocks kept faulted in ahead of the applier: a batch's rows fill about one.
  static constexpr size_t kPrefaultBlocks = 8;

  void Run();
  void HandOver();  // queues current_, waiting for space

  MemTable* const target_;
  LastValueCache* const last_values_;
  BlockPool* const row_blocks_;
  Batch current_;  // being filled by Add; the adding thread's only

  Mutex mu_;
  CondVar changed_{&mu_};
  std::deque<Batch> queue_ GUARDED_BY(mu_);
  bool finishing_ GUARDED_BY(mu_) = false;
  Status error_ GUARDED_BY(mu_);
  std::thread thread_;
  bool finished_ = false;
};

}  // namespace strata::engine
