// WAL write-path micro-benchmarks (Release builds only; figures in the WAL report).
//
//   BM_WalAppendFsyncOff/<payload bytes>   steady-state append throughput without fdatasync:
//                                          framing + write(2) on the writer thread, with the
//                                          queue bounded so Append waits for the disk.
//   BM_WalGroupCommitFsyncAlways/threads:N each thread appends a record and waits for its
//                                          commit callback (ack after fdatasync); reports
//                                          records/s, mean latency and the mean group size
//                                          (records per fdatasync).
//
// The WAL lives in a fresh directory under $STRATA_BENCH_DIR or /tmp, removed afterwards.

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "util/env.h"
#include "wal/group_commit.h"

namespace strata::wal {
namespace {

// Counts fdatasyncs so the benchmark can report how many records each one covered.
class CountingEnv final : public Env {
 public:
  explicit CountingEnv(Env* base) : base_(base) {}

  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }  // a statistic only

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return Wrap(base_->NewWritableFile(path));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return Wrap(base_->NewAppendableFile(path));
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  Status CreateDirs(const std::string& dir) override { return base_->CreateDirs(dir); }
  Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_->TruncateFile(path, size);
  }
  Result<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }
  int64_t NowNanos() override { return base_->NowNanos(); }

 private:
  class File final : public WritableFile {
   public:
    File(std::unique_ptr<WritableFile> base, std::atomic<uint64_t>* syncs)
        : base_(std::move(base)), syncs_(syncs) {}
    Status Append(std::string_view data) override { return base_->Append(data); }
    Status Sync() override {
      syncs_->fetch_add(1, std::memory_order_relaxed);
      return base_->Sync();
    }
    Status Close() override { return base_->Close(); }
    uint64_t Size() const override { return base_->Size(); }

   private:
    std::unique_ptr<WritableFile> base_;
    std::atomic<uint64_t>* syncs_;
  };

  Result<std::unique_ptr<WritableFile>> Wrap(Result<std::unique_ptr<WritableFile>> file) {
    if (!file.ok()) return file.status();
    return std::unique_ptr<WritableFile>(std::make_unique<File>(std::move(file).value(), &syncs_));
  }

  Env* const base_;
  std::atomic<uint64_t> syncs_{0};
};

// A fresh directory for one benchmark run, removed with its contents.
class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("STRATA_BENCH_DIR");
    std::string pattern =
        std::string(base != nullptr && *base ? base : "/tmp") + "/strata-wal-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~BenchDir() {
    std::error_code ignored;  // a leftover temp dir must not fail the benchmark
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;

  bool ok() const { return !path_.empty(); }
  std::string wal() const { return path_ + "/wal"; }

 private:
  std::string path_;
};

void BM_WalAppendFsyncOff(benchmark::State& state) {
  const auto payload_bytes = static_cast<size_t>(state.range(0));
  BenchDir dir;
  if (!dir.ok()) {
    state.SkipWithError("cannot create a temp dir");
    return;
  }
  WalOptions options;
  options.dir = dir.wal();
  options.fsync = FsyncPolicy::kOff;
  // Small enough that Append soon waits for the writer, so the rate is the disk path's rate
  // rather than the speed of filling memory.
  options.max_queued_bytes = 4 << 20;
  auto writer = WalWriter::Open(options, 0);
  if (!writer.ok()) {
    state.SkipWithError(writer.status().ToString().c_str());
    return;
  }
  const std::string payload(payload_bytes, 'p');
  for (auto _ : state) {
    auto time = (*writer)->Append(payload, nullptr);
    if (!time.ok()) {
      state.SkipWithError(time.status().ToString().c_str());
      break;
    }
  }
  // Excluded from the timing: at most max_queued_bytes are still in flight here.
  if (Status s = (*writer)->Close(); !s.ok()) state.SkipWithError(s.ToString().c_str());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload_bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_WalAppendFsyncOff)->Arg(4 << 10)->Arg(64 << 10)->UseRealTime();

// Shared by the threads of one BM_WalGroupCommitFsyncAlways run; set up and torn down by thread
// 0 (the benchmark loop's start and end are barriers for all threads).
struct GroupCommitRun {
  // One per benchmark thread. It lives on the heap until after the writer thread is joined,
  // because a callback may still be inside notify_one() when its waiter has already moved on.
  struct Slot {
    std::atomic<uint64_t> commits{0};
    std::atomic<bool> ok{true};
  };
  static constexpr int kMaxThreads = 64;

  BenchDir dir;
  CountingEnv env{Env::Default()};
  std::unique_ptr<WalWriter> writer;
  uint64_t syncs_at_start = 0;
  std::atomic<bool> failed{false};
  Slot slots[kMaxThreads];
};
std::unique_ptr<GroupCommitRun> g_run;

void BM_WalGroupCommitFsyncAlways(benchmark::State& state) {
  constexpr size_t kPayloadBytes = 512;  // a small batch of lines
  if (state.thread_index() == 0) {
    g_run = std::make_unique<GroupCommitRun>();
    WalOptions options;
    options.env = &g_run->env;
    options.dir = g_run->dir.wal();
    options.fsync = FsyncPolicy::kAlways;
    auto writer = WalWriter::Open(options, 0);
    if (writer.ok() && g_run->dir.ok() && state.threads() <= GroupCommitRun::kMaxThreads) {
      g_run->writer = std::move(writer).value();
    } else {
      g_run->failed = true;
    }
    g_run->syncs_at_start = g_run->env.syncs();
  }
  const std::string payload(kPayloadBytes, 'g');
  double latency_ns_sum = 0;
  for (auto _ : state) {
    if (g_run->failed.load()) {
      state.SkipWithError("wal open or append failed");
      break;
    }
    GroupCommitRun::Slot& slot = g_run->slots[state.thread_index()];
    const uint64_t before = slot.commits.load(std::memory_order_acquire);
    const auto start = std::chrono::steady_clock::now();
    auto time = g_run->writer->Append(payload, [&slot](const Status& s, int64_t, std::string_view) {
      if (!s.ok()) slot.ok = false;
      slot.commits.fetch_add(1, std::memory_order_release);
      slot.commits.notify_one();
    });
    if (!time.ok()) {
      g_run->failed = true;
      continue;
    }
    slot.commits.wait(before, std::memory_order_acquire);
    latency_ns_sum += static_cast<double>((std::chrono::steady_clock::now() - start).count());
    if (!slot.ok) g_run->failed = true;
  }
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["records_per_s"] = benchmark::Counter(iterations, benchmark::Counter::kIsRate);
  state.counters["latency_us"] = benchmark::Counter(
      iterations > 0 ? latency_ns_sum / iterations / 1000.0 : 0, benchmark::Counter::kAvgThreads);
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    if (g_run->writer != nullptr) {
      const uint64_t syncs = g_run->env.syncs() - g_run->syncs_at_start;
      uint64_t records = 0;
      for (const auto& slot : g_run->slots) records += slot.commits.load();
      state.counters["avg_group"] =
          benchmark::Counter(syncs > 0 ? static_cast<double>(records) / syncs : 0);
      state.counters["fdatasyncs"] = benchmark::Counter(static_cast<double>(syncs));
      if (Status s = g_run->writer->Close(); !s.ok()) state.SkipWithError(s.ToString().c_str());
    }
    g_run.reset();
  }
}
BENCHMARK(BM_WalGroupCommitFsyncAlways)->Threads(1)->Threads(4)->Threads(16)->UseRealTime();

}  // namespace
}  // namespace strata::wal

BENCHMARK_MAIN();
