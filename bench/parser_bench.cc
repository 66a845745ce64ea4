// Line-protocol parse throughput (STYLE §8). Release builds only.
//
//   BM_ParseTsbsLines  TSBS-like cpu rows (~370 bytes, 11 tags, 10 two-decimal floats) from
//                      $STRATA_TSBS_FILE, made with
//                        python3 ../shared/peers/gen_workload.py --hosts 100
//                          --days 0.1 --seed 42 --out /tmp/tsbs.lp
//   BM_ParseNabDev     ../shared/data/nab_dev/nab_dev.lp (short lines, 2 tags, 1 float)
//
// Each file is read fully into memory and split into lines before timing starts; the timed
// loop only parses, every line with one LineParser and one ParsedLine, as a connection would.
// Bytes processed counts every line plus its '\n'. A line that fails to parse fails the run.
// Under the bench-smoke ctest a missing file is replaced by synthesized lines (bench_lines.h).

#include <benchmark/benchmark.h>

#include <string_view>

#include "bench/bench_lines.h"
#include "engine/line_protocol.h"

namespace strata::engine {
namespace {

using bench::LineSet;

void ParseAll(benchmark::State& state, const LineSet& set) {
  if (set.lines.empty()) {
    state.SkipWithError(set.problem.c_str());
    return;
  }
  size_t bytes_per_pass = 0;
  for (std::string_view line : set.lines) bytes_per_pass += line.size() + 1;

  LineParser parser;
  ParsedLine parsed;
  size_t failures = 0;
  size_t fields = 0;
  for (auto _ : state) {
    for (std::string_view line : set.lines) {
      if (!parser.Parse(line, &parsed).ok()) ++failures;
      fields += parsed.fields.size();
    }
    benchmark::DoNotOptimize(fields);
  }
  if (failures != 0) {
    state.SkipWithError("some lines failed to parse");
    return;
  }
  const auto passes = static_cast<int64_t>(state.iterations());
  if (passes == 0) return;
  state.SetBytesProcessed(passes * static_cast<int64_t>(bytes_per_pass));
  state.SetItemsProcessed(passes * static_cast<int64_t>(set.lines.size()));
  state.counters["fields_per_line"] =
      static_cast<double>(fields) / static_cast<double>(passes * set.lines.size());
}

void BM_ParseTsbsLines(benchmark::State& state) { ParseAll(state, bench::TsbsLines()); }
BENCHMARK(BM_ParseTsbsLines)->Unit(benchmark::kMillisecond);

void BM_ParseNabDev(benchmark::State& state) { ParseAll(state, bench::NabDevLines()); }
BENCHMARK(BM_ParseNabDev)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata::engine

BENCHMARK_MAIN();
