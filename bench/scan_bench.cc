// Aggregation scan rates (issue 5): how fast sum/count/min/max run over float data that must be
// decoded, and the same query answered from block statistics. Release builds only.
//
//   BM_AggregateKernel/<kind>      Aggregator::AddBatch over decoded 4096-point blocks held in
//                                  memory, the pure aggregation loop: -1 = count+sum+min+max
//                                  together, 0 count, 1 sum, 3 min, 4 max alone.
//   BM_ScanDecodeAggregate         Engine::ScanFieldBatches over flushed chunk files with every
//                                  block decoded (the consumer declines statistics), feeding the
//                                  same four aggregators: decode + version check + aggregate.
//   BM_ScanFromStatistics          the same scans, blocks answered from their statistics.
//   BM_Query/<statement>           ExecuteSelect end to end (parse excluded): the four
//                                  aggregates (statistics), and median (every block decoded).
//
// Items are points covered. Data: kSeries series x kPointsPerSeries points at 10 s of a
// decimal-looking random walk (two decimals, like TSBS's usage fields), written in one batch
// and flushed, so every block is clean. Single-threaded: points/s here is per core.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/field_scan.h"
#include "engine/line_protocol.h"
#include "engine/write_batch.h"
#include "query/aggregate.h"
#include "query/executor.h"
#include "query/parser.h"

namespace strata {
namespace {

bool Smoke() { return std::getenv("STRATA_BENCH_SMOKE") != nullptr; }
int64_t SeriesCount() { return Smoke() ? 2 : 16; }
int64_t PointsPerSeries() { return Smoke() ? 10'000 : 262'144; }
constexpr int64_t kStartNs = 1'767'225'600'000'000'000;  // 2026-01-01
constexpr int64_t kStepNs = 10'000'000'000;

// One engine for the whole binary, filled once.
class Data {
 public:
  static Data& Get() {
    static Data data;
    return data;
  }
  const engine::Engine& engine() const { return *engine_; }
  const std::vector<engine::SeriesId>& series() const { return series_; }
  int64_t points() const { return SeriesCount() * PointsPerSeries(); }

 private:
  Data() {
    dir_ = std::filesystem::temp_directory_path() /
           ("strata-scan-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    engine::EngineOptions options;
    options.data_dir = dir_.string();
    options.fsync = wal::FsyncPolicy::kOff;
    options.memtable_budget_bytes = size_t{4} << 30;
    engine_ = std::move(engine::Engine::Open(options)).value();
    std::mt19937_64 rng(7);
    std::normal_distribution<double> step(0, 0.5);
    engine::LineParser parser;
    engine::ParsedLine parsed;
    for (int64_t s = 0; s < SeriesCount(); ++s) {
      engine::WriteBatch batch;
      double v = 50;
      for (int64_t i = 0; i < PointsPerSeries(); ++i) {
        v = std::clamp(v + step(rng), 0.0, 100.0);
        char line[160];
        std::snprintf(line, sizeof(line), "cpu,host=h%02lld,region=eu v=%.2f %lld",
                      static_cast<long long>(s), std::round(v * 100) / 100,
                      static_cast<long long>(kStartNs + i * kStepNs));
        if (!parser.Parse(line, &parsed).ok() || !engine_->AddLine(parsed, 0, &batch).ok()) {
          std::abort();
        }
      }
      auto committed = engine_->Commit(&batch);
      if (!committed.ok() || !engine_->WaitForCommit(*committed).ok()) std::abort();
    }
    if (!engine_->Flush().ok()) std::abort();
    for (const engine::SeriesInfo* info : engine_->series_index().SeriesOf("cpu")) {
      series_.push_back(info->id);
    }
  }
  ~Data() {
    (void)engine_->Close();
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::vector<engine::SeriesId> series_;
};

struct FourAggregates {
  query::Aggregator count{query::AggregateKind::kCount, engine::FieldType::kFloat};
  query::Aggregator sum{query::AggregateKind::kSum, engine::FieldType::kFloat};
  query::Aggregator min{query::AggregateKind::kMin, engine::FieldType::kFloat};
  query::Aggregator max{query::AggregateKind::kMax, engine::FieldType::kFloat};
  // As the query path does (grouped_aggregate.cc): min and max share one extremes pass.
  void Add(const engine::PointBatch& b) {
    count.AddBatch(b.valid_ns, b.bits, nullptr, b.size);
    sum.AddBatch(b.valid_ns, b.bits, nullptr, b.size);
    const query::FloatExtremes extremes = query::ComputeFloatExtremes(b.bits, b.size);
    min.AddFloatExtremes(extremes);
    max.AddFloatExtremes(extremes);
  }
};

class AggregatingConsumer : public engine::FieldScanConsumer {
 public:
  explicit AggregatingConsumer(bool use_stats) : use_stats_(use_stats) {}
  bool TakeBlockStats(engine::FieldType, const engine::chunk::BlockStats& stats) override {
    if (!use_stats_) return false;
    aggs.count.AddStats(stats);
    aggs.sum.AddStats(stats);
    aggs.min.AddStats(stats);
    aggs.max.AddStats(stats);
    return true;
  }
  void TakePoints(const engine::PointBatch& batch) override { aggs.Add(batch); }
  FourAggregates aggs;

 private:
  bool use_stats_;
};

// kind < 0: all four aggregates, as the query computes them.
void BM_AggregateKernel(benchmark::State& state) {
  // Decoded blocks as a scan hands them over: 4096 points each.
  const Data& data = Data::Get();
  struct Block {
    std::vector<int64_t> t;
    std::vector<uint64_t> bits;
  };
  class Collect : public engine::FieldScanConsumer {
   public:
    void TakePoints(const engine::PointBatch& b) override {
      for (size_t i = 0; i < b.size; i += 4096) {
        const size_t n = std::min<size_t>(4096, b.size - i);
        blocks.push_back({{b.valid_ns + i, b.valid_ns + i + n}, {b.bits + i, b.bits + i + n}});
      }
    }
    std::vector<Block> blocks;
  } collect;
  if (!data.engine()
           .ScanFieldBatches(data.series()[0], "v", INT64_MIN, INT64_MAX,
                             data.engine().LastVisibleTime(), collect, nullptr)
           .ok()) {
    std::abort();
  }
  int64_t points = 0;
  for (const Block& b : collect.blocks) points += static_cast<int64_t>(b.t.size());
  const int64_t kind = state.range(0);
  for (auto _ : state) {
    FourAggregates aggs;
    query::Aggregator one(static_cast<query::AggregateKind>(std::max<int64_t>(kind, 0)),
                          engine::FieldType::kFloat);
    for (const Block& b : collect.blocks) {
      engine::PointBatch batch;
      batch.valid_ns = b.t.data();
      batch.bits = b.bits.data();
      batch.size = b.t.size();
      if (kind < 0) {
        aggs.Add(batch);
      } else {
        one.AddBatch(batch.valid_ns, batch.bits, nullptr, batch.size);
      }
    }
    benchmark::DoNotOptimize(aggs.sum.count() + one.count());
  }
  state.SetItemsProcessed(state.iterations() * points);
}

void Scan(benchmark::State& state, bool use_stats) {
  const Data& data = Data::Get();
  engine::ScanContext counters;
  for (auto _ : state) {
    AggregatingConsumer consumer(use_stats);
    for (engine::SeriesId id : data.series()) {
      if (!data.engine()
               .ScanFieldBatches(id, "v", INT64_MIN, INT64_MAX, data.engine().LastVisibleTime(),
                                 consumer, &counters)
               .ok()) {
        std::abort();
      }
    }
    if (consumer.aggs.count.count() != static_cast<uint64_t>(data.points())) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * data.points());
  state.counters["blocks_decoded_per_iter"] =
      static_cast<double>(counters.blocks_decoded) / static_cast<double>(state.iterations());
}

void BM_ScanDecodeAggregate(benchmark::State& state) { Scan(state, false); }
void BM_ScanFromStatistics(benchmark::State& state) { Scan(state, true); }

void BM_Query(benchmark::State& state, const char* text) {
  const Data& data = Data::Get();
  auto statement = query::ParseSelect(text, 0);
  if (!statement.ok()) std::abort();
  engine::ScanContext counters;
  for (auto _ : state) {
    query::TableSink sink;
    if (!query::ExecuteSelect(data.engine(), *statement, sink, &counters).ok()) std::abort();
    benchmark::DoNotOptimize(sink.rows().size());
  }
  state.SetItemsProcessed(state.iterations() * data.points());
  const double iterations = static_cast<double>(state.iterations());
  state.counters["blocks_decoded_per_iter"] =
      static_cast<double>(counters.blocks_decoded) / iterations;
  state.counters["blocks_from_stats_per_iter"] =
      static_cast<double>(counters.blocks_from_stats) / iterations;
}

// -1: count+sum+min+max together; then count (0), sum (1), min (3), max (4) alone.
BENCHMARK(BM_AggregateKernel)
    ->Arg(-1)
    ->Arg(0)
    ->Arg(1)
    ->Arg(3)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanDecodeAggregate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanFromStatistics)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Query, four_aggregates_stats,
                  "SELECT count(v), sum(v), min(v), max(v) FROM cpu")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Query, median_decoded, "SELECT median(v) FROM cpu")
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata

BENCHMARK_MAIN();
