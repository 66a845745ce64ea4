// Version resolution kernels (issue 4): what corrections cost a scan once rows are decoded.
//
//   BM_Resolve/<corrected per mille>   ResolveVersions over one day of one (series, field) at
//                                      10 s (8640 points) as a scan gathers it: the flushed run,
//                                      then, with corrections, a newer run holding corrected
//                                      copies of that share of the points (a later chunk file).
//   BM_ListVersions/<per mille>        ForEachVersion (SELECT VERSIONS) over the same rows.
//   BM_DropRedundant/<per mille>       what a flush does with a full resend of the day: every row
//                                      again, that share of them changed.
//
// Items are resolved points. Compare BM_Resolve/10 (1%) with BM_Resolve/0 of the same run.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <random>
#include <vector>

#include "engine/version_column.h"

namespace strata::engine {
namespace {

constexpr int64_t kPoints = 8640;
constexpr int64_t kStepNs = 10'000'000'000;
constexpr int64_t kMin = INT64_MIN;
constexpr int64_t kMax = INT64_MAX;

// The flushed day (system time 1) followed by corrected copies of per_mille/1000 of its points
// (system time 2), each run sorted as a chunk file holds it.
VersionColumn DayWithCorrections(int64_t per_mille) {
  std::mt19937_64 rng(42);
  VersionColumn c;
  c.type = FieldType::kFloat;
  double v = 50;
  std::normal_distribution<double> step(0, 1);
  for (int64_t i = 0; i < kPoints; ++i) {
    v = std::clamp(v + step(rng), 0.0, 100.0);
    c.Append(i * kStepNs, 1, FieldValue::Float(v));
  }
  std::vector<int64_t> corrected;
  for (int64_t i = 0; i < kPoints; ++i) {
    if (static_cast<int64_t>(rng() % 1000) < per_mille) corrected.push_back(i);
  }
  for (int64_t i : corrected) {
    c.Append(i * kStepNs, 2, FieldValue::Float(std::bit_cast<double>(c.bits[i]) + 0.25));
  }
  return c;
}

void BM_Resolve(benchmark::State& state) {
  const VersionColumn c = DayWithCorrections(state.range(0));
  double sum = 0;
  for (auto _ : state) {
    ResolveVersions(c, kMin, kMax, kMax, [&](int64_t, const FieldValue& v) { sum += v.f; });
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kPoints);
}
BENCHMARK(BM_Resolve)->Arg(0)->Arg(10)->Arg(100);

void BM_ListVersions(benchmark::State& state) {
  const VersionColumn c = DayWithCorrections(state.range(0));
  int64_t rows = 0;
  for (auto _ : state) {
    ForEachVersion(c, kMin, kMax, kMax, [&](const VersionView&) { ++rows; });
  }
  benchmark::DoNotOptimize(rows);
  state.SetItemsProcessed(state.iterations() * kPoints);
}
BENCHMARK(BM_ListVersions)->Arg(0)->Arg(10);

void BM_DropRedundant(benchmark::State& state) {
  VersionColumn base = DayWithCorrections(0);
  VersionColumn resend = base;
  std::mt19937_64 rng(7);
  for (size_t i = 0; i < resend.size(); ++i) {
    resend.system_ns[i] = 3;
    if (static_cast<int64_t>(rng() % 1000) < state.range(0)) resend.bits[i] ^= 1;
  }
  size_t kept = 0;
  for (auto _ : state) {
    VersionColumn fresh = resend;
    DropRedundantVersions(base, &fresh);
    kept = fresh.size();
  }
  state.counters["kept"] = static_cast<double>(kept);
  state.SetItemsProcessed(state.iterations() * kPoints);
}
BENCHMARK(BM_DropRedundant)->Arg(0)->Arg(10);

}  // namespace
}  // namespace strata::engine

BENCHMARK_MAIN();
