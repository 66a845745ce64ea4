#pragma once

// Inputs shared by the codec tests: the named data shapes of the round-trip matrix (STYLE §7
// "Codecs") and a TSBS-like cpu workload. Deterministic (fixed seeds).
// Thread-safety: pure functions, thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::engine::codec::testing {

template <typename T>
using NamedInputs = std::vector<std::pair<std::string, std::vector<T>>>;

// Each list covers: empty, one value, constant, sequential, jittered monotonic, random,
// the type's extremes, and exactly 4096 values; floats add NaN payloads, infinities, -0.0 and
// denormals.
NamedInputs<int64_t> IntShapes();
NamedInputs<uint64_t> UintShapes();
NamedInputs<double> FloatShapes();
NamedInputs<uint8_t> BoolShapes();
// Strings own their bytes; StringViews() gives views for the codec.
NamedInputs<std::string> StringShapes();
std::vector<std::string_view> StringViews(const std::vector<std::string>& strings);

// Per-host columns of a TSBS "cpu-only"-like workload, each in time order.
struct CpuColumns {
  std::string source;  // the file read, or "synthesized"
  std::vector<std::vector<int64_t>> timestamps;
  std::vector<std::vector<double>> usage_user;
};

// Reads a gen_workload.py file (usage_user and timestamps only; hostname picks the column).
// Empty columns if the file cannot be read.
CpuColumns ReadCpuFile(const std::string& path);
// The same shape as gen_workload.py: a bounded Gaussian random walk per host, printed with two
// decimals and parsed back, one point per host every 10 s.
CpuColumns SynthesizeCpu(int hosts, int ticks, uint64_t seed);

}  // namespace strata::engine::codec::testing
