#pragma once

// MemTable: every point written since the last flush, per series and field, in append-only
// column buffers (DESIGN §3 step 3). Out-of-order and duplicate valid times are accepted; every
// write is kept as a version with its system time, and reads resolve them. A full memtable is
// frozen (no more Apply) and flushed to chunk files while a new one takes writes.
// Thread-safety: thread-safe. Apply takes an exclusive lock, reads a shared one.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/last_value_cache.h"
#include "engine/series_index.h"
#include "engine/types.h"
#include "engine/version_column.h"
#include "util/block_arena.h"
#include "util/status.h"

namespace strata::engine {

// Called for each resolved point in valid-time order. String values borrow memory of the
// scan and are valid only during the call.
using PointVisitor = std::function<void(int64_t valid_time_ns, const FieldValue& value)>;

// The series of each series key a write-batch payload writes out, by number
// (BatchLine::series_number), created in index if new. Corruption if the payload does not
// decode or a series key does not parse.
Status ResolveBatchSeries(std::string_view payload, SeriesIndex& index,
                          std::vector<SeriesId>* series_by_number);

class MemTable {
 public:
  // Rows are allocated from blocks of row_blocks (null: blocks of the memtable's own, unmapped
  // when it is destroyed); a memtable returns its blocks when destroyed, so the engine's next
  // memtable reuses the memory of the last one flushed.
  explicit MemTable(std::shared_ptr<BlockPool> row_blocks = nullptr)
      : row_arena_(std::move(row_blocks)) {}
  // The most points and commits a memtable takes: an apply to a memtable that holds this many
  // fails (ResourceExhausted), which keeps CommitRun's 32-bit fields in range. The engine's
  // memtables never get near it: they hold about the memtable budget, and Engine::Open caps
  // the budget at kMaxBudgetBytes (a row costs 16 bytes, a commit at least 24).
  static constexpr uint64_t kMaxPoints = uint64_t{1} << 31;
  static constexpr uint64_t kMaxBudgetBytes = uint64_t{16} << 30;
  static_assert(kMaxBudgetBytes / 16 <= kMaxPoints / 2);

  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Applies one committed write batch (a WAL payload) with its system time. Series are resolved
  // (and created) through index. Corruption if the payload does not decode; then nothing of it
  // is applied. last_values (optional) is told of every applied point (last_value_cache.h).
  Status Apply(int64_t system_time_ns, std::string_view payload, SeriesIndex& index,
               LastValueCache* last_values = nullptr);
  // Apply with the payload's series already resolved, by number (as ResolveBatchSeries or
  // WriteBatch::Release give them): the writer resolves them before the WAL, so the one thread
  // that applies commits never looks a series key up. A line whose number has no series in
  // series_by_number is Corruption, and such lines are skipped.
  Status ApplyResolved(int64_t system_time_ns, std::string_view payload,
                       std::span<const SeriesId> series_by_number,
                       LastValueCache* last_values = nullptr);

  // Appends to *out every version of (series, field) with valid time in [min_ns, max_ns), in
  // arrival order (ResolveVersions picks the visible ones). *out's type is set if it is empty.
  void CollectVersions(SeriesId series, std::string_view field, int64_t min_ns, int64_t max_ns,
                       VersionColumn* out) const;

  // Visits every column, in ascending series id and field name, as a VersionColumn built for
  // the call (valid only during it); with wanted, only the columns of series it accepts. For
  // flush; the memtable must be frozen (no concurrent Apply). Concurrent calls are safe.
  void ForEachColumn(const std::function<void(SeriesId, const std::string& field,
                                              const VersionColumn& column)>& visit,
                     const std::function<bool(SeriesId)>& wanted = nullptr) const;
  // Calls visit with each series and the rows its columns hold, in no particular order.
  void ForEachSeries(const std::function<void(SeriesId, uint64_t rows)>& visit) const;

  uint64_t points() const { return points_.load(std::memory_order_relaxed); }
  // Heap bytes held by the column buffers (by capacity), for the flush budget.
  uint64_t MemoryBytes() const { return bytes_.load(std::memory_order_relaxed); }
  // The same figure computed by walking every column (MemoryBytes keeps it by growth). Tests.
  uint64_t MemoryBytesByWalking() const;
  // Smallest and greatest system time applied (0 when empty).
  int64_t min_system_ns() const;
  int64_t max_system_ns() const;

 private:
  // One version's valid time and value as the memtable holds it. Rows, not parallel arrays: an
  // apply appends one point to each of a thousand columns in turn, and touching one tail per
  // column instead of two keeps those tails cached. 16 bytes, not 24: a row's commit and
  // tombstone flag are kept per run of rows (CommitRun), since a commit writes a run of points
  // to each column it touches. A restart's replay builds gigabytes of rows, and the kernel zeroing
  // their fresh pages was a third of its time.
  struct Row {
    int64_t valid_ns;
    uint64_t bits;  // as VersionColumn::bits
  };
  static_assert(sizeof(Row) == 16);
  // The commit and tombstone flag of a column's rows [first_row, the next run's first_row).
  // 32-bit fields are enough: a memtable holds fewer than 2 * kMaxPoints rows (a batch adds
  // fewer points than its payload has bytes) and fewer than kMaxPoints commits.
  struct CommitRun {
    uint32_t first_row;
    uint32_t tag;  // commit << 1 | tombstone
  };
  static uint32_t Tag(uint32_t commit, bool tombstone) { return commit << 1 | (tombstone ? 1 : 0); }
  // A column's runs, in an array from the memtable's arena that grows by half (from 4 runs) by
  // copying: the arrays it outgrows stay in the arena until the memtable dies, and are accounted.
  class CommitRuns {
   public:
    uint32_t size() const { return size_; }
    const CommitRun* data() const { return data_; }
    // Appends run; returns the arena bytes taken (0 if the array had room).
    size_t Append(const CommitRun& run, BlockArena& arena) {
      size_t bytes = 0;
      if (size_ == capacity_) [[unlikely]] bytes = Grow(arena);
      data_[size_++] = run;
      return bytes;
    }
    // The bytes every allocation of this array took so far (what Append's results add up to).
    size_t HeapBytes() const;
    // The index of the run that holds row.
    size_t RunOf(size_t row) const;

   private:
    static size_t AllocationBytes(uint32_t capacity) {
      return (capacity * sizeof(CommitRun) + 15) & ~size_t{15};  // BlockArena rounds to 16
    }
    static uint32_t GrownCapacity(uint32_t capacity) {
      return std::max<uint32_t>(4, capacity + capacity / 2);
    }
    size_t Grow(BlockArena& arena);

    CommitRun* data_ = nullptr;
    uint32_t size_ = 0;
    uint32_t capacity_ = 0;
  };
  // A column's rows in segments that never move once allocated: growth adds a segment rather
  // than copying every row (a replay into one big memtable copied each row about twice, and
  // faulted in both copies). Segment capacities grow by half, from 4 rows up to kMaxSegmentRows,
  // so capacity exceeds the rows by at most a half, as with 1.5x vector growth. Segments are a
  // list whose headers share the rows' allocation: with a million series of three points, a
  // column is one allocation and five words.
  class RowLog {
   public:
    static constexpr size_t kMaxSegmentRows = 4096;

    RowLog() = default;
    RowLog(RowLog&& other) noexcept;
    RowLog& operator=(RowLog&& other) noexcept;
    RowLog(const RowLog&) = delete;
    RowLog& operator=(const RowLog&) = delete;

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    // Appends row, allocating a segment from arena when the last is full; returns the bytes of
    // that segment (0 if none). The segments live as long as the arena.
    // Takes the fields rather than a Row: a Row built in two 8-byte stores and copied with one
    // 16-byte load stalls on store forwarding, which made the apply 35% slower.
    size_t Append(int64_t valid_ns, uint64_t bits, BlockArena& arena) {
      if (tail_ == tail_end_) [[unlikely]] return Grow(valid_ns, bits, arena);
      tail_->valid_ns = valid_ns;
      tail_->bits = bits;
      ++tail_;
      ++size_;
      return 0;
    }
    // Bytes allocated for the segments, headers included (what Append's results add up to).
    size_t HeapBytes() const;
    // Calls visit(const Row* rows, size_t n) for each stored run of rows [begin, end), in order.
    template <typename Visit>
    void ForEachRun(size_t begin, size_t end, Visit&& visit) const;
    // The index of the first row whose valid time is not below t; rows must be sorted.
    size_t LowerBound(int64_t t) const;

   private:
    // The header of one allocation; its rows follow it. Every segment but the last is full.
    struct Segment {
      Segment* next;
      size_t start;  // index of the first row in the column
      size_t capacity;
      Row* rows() { return reinterpret_cast<Row*>(this + 1); }
      const Row* rows() const { return reinterpret_cast<const Row*>(this + 1); }
      size_t Filled(size_t column_size) const { return std::min(capacity, column_size - start); }
    };
    static_assert(sizeof(Segment) % alignof(Row) == 0);
    size_t Grow(int64_t valid_ns, uint64_t bits, BlockArena& arena);

    Segment* head_ = nullptr;
    Segment* last_ = nullptr;
    Row* tail_ = nullptr;  // next free row of the last segment
    Row* tail_end_ = nullptr;
    size_t size_ = 0;
  };
  struct Column {
    FieldType type = FieldType::kFloat;
    // True while every append had a valid time greater than the previous one: then the column
    // is sorted with one version per point, and range lookups can binary-search.
    bool strictly_increasing = true;
    // The last row's CommitRun::tag, beside the header for the same reason as last_valid_ns.
    uint32_t last_tag = 0;
    // The last row's valid time, kept beside the column's header: the apply compares each new
    // point with it, and the rows' tail is the cache line least likely to still be cached.
    int64_t last_valid_ns = 0;
    RowLog rows;
    CommitRuns runs;
    // kString only: one per row. A pointer, so other columns pay 8 bytes for it rather than 24.
    std::unique_ptr<std::vector<std::string>> strings;
    // Heap bytes held, by capacity (what MemoryBytes sums).
    size_t HeapBytes() const;
  };
  static_assert(sizeof(Column) <= 80);
  // Appends rows [begin, end) of column to *out, in one pass.
  void AppendVersions(const Column& column, size_t begin, size_t end, VersionColumn* out) const;

  using Columns = std::map<std::string, Column, std::less<>>;
  struct SeriesColumns {
    Columns by_field;
    // by_field's entries for the fields of the series' last applied line, in that line's order:
    // a writer's next line for the series usually names the same fields in the same order, so
    // one name comparison replaces a map lookup per point.
    std::vector<Columns::iterator> last_line;
    // The shape (last_shape_ value) of the keys last_line was filled for; 0 for none.
    uint64_t last_line_shape = 0;
  };

  // Every column's row segments and commit runs; destroyed after series_, whose columns point
  // into it.
  BlockArena row_arena_;
  mutable std::shared_mutex mu_;
  // By SeriesId value. Hashed: an apply looks a series up per line, and with a million series
  // a tree walk is twenty cache misses; the flush's ordered walk sorts the ids instead.
  std::unordered_map<uint64_t, SeriesColumns> series_;
  // The system time of each applied commit, in apply order (Row::commit).
  std::vector<int64_t> commit_system_ns_;
  // Numbers each run of batch lines that share field keys (a line that writes its keys out
  // starts one), across applies, so a series can tell that its last line had the same keys.
  uint64_t last_shape_ = 0;
  int64_t min_system_ns_ = 0;
  int64_t max_system_ns_ = 0;
  // Relaxed: read for stats and the flush trigger, which tolerate a slightly stale value.
  std::atomic<uint64_t> points_{0};
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace strata::engine
