// The write path after parsing, stage by stage (STYLE §8). Release builds only.
//
//   BM_EncodeTsbsBatches  parse every TSBS line and append it to a WriteBatch, cut at 4 MiB as a
//                         connection cuts its commits (server/limits.h)
//   BM_ResolveTsbsSeries  ResolveBatchSeries of every batch (WAL replay's work; a live commit
//                         resolves from the key spans its batch hands out, without decoding)
//   BM_ApplyTsbsBatches   MemTable::ApplyResolved of every batch into a fresh memtable on reused
//                         row blocks (the one thread that applies commits in WAL order; also
//                         WAL replay's work)
//
// Input: $STRATA_TSBS_FILE as for parser_bench (bench_lines.h), e.g.
//   python3 ../shared/peers/gen_workload.py --hosts 100 --days 0.1 --seed 42 --out /tmp/tsbs.lp
// Items processed are points (fields); batches are built before timing starts for the last two.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/bench_lines.h"
#include "engine/line_protocol.h"
#include "engine/memtable.h"
#include "engine/series_index.h"
#include "engine/write_batch.h"

namespace strata::engine {
namespace {

constexpr size_t kBatchBytes = 4 << 20;
constexpr int64_t kDefaultTimeNs = 1767225600000000000LL;

struct Batches {
  std::vector<std::string> payloads;
  size_t points = 0;
  std::string problem;
};

// Parses every line into batches of about kBatchBytes; problem is set on a parse failure.
Batches EncodeBatches(const bench::LineSet& set) {
  Batches out;
  LineParser parser;
  ParsedLine parsed;
  WriteBatch batch;
  for (std::string_view line : set.lines) {
    if (!parser.Parse(line, &parsed).ok()) {
      out.problem = "a line failed to parse";
      return out;
    }
    batch.Add(parsed, parsed.timestamp_ns.value_or(kDefaultTimeNs));
    if (batch.bytes() >= kBatchBytes) {
      out.points += batch.points();
      out.payloads.push_back(batch.Release());
    }
  }
  if (!batch.empty()) {
    out.points += batch.points();
    out.payloads.push_back(batch.Release());
  }
  return out;
}

const Batches& TsbsBatches() {
  static const Batches batches = [] {
    const bench::LineSet& set = bench::TsbsLines();
    if (set.lines.empty()) return Batches{{}, 0, set.problem};
    return EncodeBatches(set);
  }();
  return batches;
}

void BM_EncodeTsbsBatches(benchmark::State& state) {
  const bench::LineSet& set = bench::TsbsLines();
  if (set.lines.empty()) {
    state.SkipWithError(set.problem.c_str());
    return;
  }
  size_t points = 0;
  for (auto _ : state) {
    Batches batches = EncodeBatches(set);
    if (!batches.problem.empty()) {
      state.SkipWithError(batches.problem.c_str());
      return;
    }
    points += batches.points;
    benchmark::DoNotOptimize(batches.payloads.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(points));
}
BENCHMARK(BM_EncodeTsbsBatches)->Unit(benchmark::kMillisecond);

void BM_ResolveTsbsSeries(benchmark::State& state) {
  const Batches& batches = TsbsBatches();
  if (batches.payloads.empty()) {
    state.SkipWithError(batches.problem.c_str());
    return;
  }
  SeriesIndex index;
  std::vector<SeriesId> series_by_number;
  for (auto _ : state) {
    for (const std::string& payload : batches.payloads) {
      if (!ResolveBatchSeries(payload, index, &series_by_number).ok()) {
        state.SkipWithError("a batch did not resolve");
        return;
      }
    }
    benchmark::DoNotOptimize(series_by_number.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batches.points));
}
BENCHMARK(BM_ResolveTsbsSeries)->Unit(benchmark::kMillisecond);

void BM_ApplyTsbsBatches(benchmark::State& state) {
  const Batches& batches = TsbsBatches();
  if (batches.payloads.empty()) {
    state.SkipWithError(batches.problem.c_str());
    return;
  }
  SeriesIndex index;
  std::vector<std::vector<SeriesId>> resolved(batches.payloads.size());
  for (size_t i = 0; i < batches.payloads.size(); ++i) {
    if (!ResolveBatchSeries(batches.payloads[i], index, &resolved[i]).ok()) {
      state.SkipWithError("a batch did not resolve");
      return;
    }
  }
  int64_t system_time_ns = kDefaultTimeNs;
  // As in the server after its first flushes: memtables reuse blocks a flushed one returned, so
  // the kernel's page zeroing is not timed (it is once per block, not per point).
  auto row_blocks = std::make_shared<BlockPool>(size_t{1} << 30);
  for (auto _ : state) {
    state.PauseTiming();
    auto memtable = std::make_unique<MemTable>(row_blocks);
    state.ResumeTiming();
    for (size_t i = 0; i < batches.payloads.size(); ++i) {
      if (!memtable->ApplyResolved(++system_time_ns, batches.payloads[i], resolved[i]).ok()) {
        state.SkipWithError("a batch did not apply");
        return;
      }
    }
    state.PauseTiming();
    if (memtable->points() != batches.points) {
      state.SkipWithError("the memtable holds a different number of points");
      return;
    }
    memtable.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batches.points));
  state.counters["batches"] = static_cast<double>(batches.payloads.size());
}
BENCHMARK(BM_ApplyTsbsBatches)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata::engine

BENCHMARK_MAIN();
