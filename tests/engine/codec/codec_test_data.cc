#include "tests/engine/codec/codec_test_data.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <random>

namespace strata::engine::codec::testing {
namespace {

constexpr int64_t kStartNs = 1767225600LL * 1000000000LL;  // 2026-01-01T00:00:00Z
constexpr int64_t kTenSecondsNs = 10LL * 1000000000LL;

double QuietNaN(uint64_t payload) {
  return std::bit_cast<double>(uint64_t{0x7ff8000000000000} | payload);
}
double SignalingNaN(uint64_t payload) {  // payload must be nonzero
  return std::bit_cast<double>(uint64_t{0x7ff0000000000000} | payload);
}

double ParseTwoDecimals(double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof(buf), "%.2f", v);
  double parsed = 0;
  std::from_chars(buf, buf + n, parsed);
  return parsed;
}

}  // namespace

NamedInputs<int64_t> IntShapes() {
  std::mt19937_64 rng(7);
  NamedInputs<int64_t> shapes;
  shapes.push_back({"empty", {}});
  shapes.push_back({"one", {-123456789}});
  shapes.push_back({"constant", std::vector<int64_t>(1000, 42)});
  std::vector<int64_t> seq(1000);
  for (size_t i = 0; i < seq.size(); ++i) seq[i] = static_cast<int64_t>(i);
  shapes.push_back({"sequential", seq});
  std::vector<int64_t> ts(1000);
  int64_t t = kStartNs;
  for (auto& v : ts) {
    t += kTenSecondsNs + static_cast<int64_t>(rng() % 2000000) - 1000000;  // +-1 ms jitter
    v = t;
  }
  shapes.push_back({"jittered_monotonic", ts});
  std::vector<int64_t> random(1000);
  for (auto& v : random) v = static_cast<int64_t>(rng());
  shapes.push_back({"random", random});
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const int64_t hi = std::numeric_limits<int64_t>::max();
  shapes.push_back({"extremes", {lo, hi, lo, lo, hi, hi, 0, -1, 1, lo, hi, lo + 1, hi - 1}});
  std::vector<int64_t> full(4096);
  for (size_t i = 0; i < full.size(); ++i) {
    full[i] = (i % 700 == 0) ? static_cast<int64_t>(rng()) : kStartNs + static_cast<int64_t>(i);
  }
  shapes.push_back({"exactly_4096", full});
  std::vector<int64_t> unsorted(500);
  for (size_t i = 0; i < unsorted.size(); ++i) {
    unsorted[i] = kStartNs + static_cast<int64_t>((i * 7919) % 500) * kTenSecondsNs;
  }
  shapes.push_back({"out_of_order", unsorted});
  std::vector<int64_t> batches(3000);
  for (size_t i = 0; i < batches.size(); ++i) {
    batches[i] = kStartNs + static_cast<int64_t>(i / 700) * 123456789;
  }
  shapes.push_back({"batch_runs", batches});
  return shapes;
}

NamedInputs<uint64_t> UintShapes() {
  NamedInputs<uint64_t> shapes;
  for (auto& [name, values] : IntShapes()) {
    std::vector<uint64_t> u(values.begin(), values.end());
    shapes.push_back({name, u});
  }
  const uint64_t hi = std::numeric_limits<uint64_t>::max();
  shapes.push_back({"uint_extremes", {0, hi, 0, hi, hi - 1, 1, uint64_t{1} << 63}});
  return shapes;
}

NamedInputs<double> FloatShapes() {
  std::mt19937_64 rng(11);
  NamedInputs<double> shapes;
  shapes.push_back({"empty", {}});
  shapes.push_back({"one", {3.14}});
  shapes.push_back({"constant", std::vector<double>(1000, 21.5)});
  std::vector<double> seq(1000);
  for (size_t i = 0; i < seq.size(); ++i) seq[i] = static_cast<double>(i) * 0.25;
  shapes.push_back({"sequential", seq});
  std::vector<double> walk(1000);
  std::normal_distribution<double> step(0.0, 1.0);
  double x = 50;
  for (auto& v : walk) {
    x = std::clamp(x + step(rng), 0.0, 100.0);
    v = ParseTwoDecimals(x);
  }
  shapes.push_back({"jittered_monotonic", walk});
  std::vector<double> random(1000);
  std::uniform_real_distribution<double> uniform(-1e6, 1e6);
  for (auto& v : random) v = uniform(rng);
  shapes.push_back({"random", random});
  std::vector<double> bits(1000);
  for (auto& v : bits) v = std::bit_cast<double>(rng());
  shapes.push_back({"random_bit_patterns", bits});
  using L = std::numeric_limits<double>;
  shapes.push_back({"extremes",
                    {L::max(), L::lowest(), L::min(), -L::min(), L::denorm_min(), L::epsilon(),
                     1e300, -1e-300, 0.0, L::max()}});
  shapes.push_back(
      {"specials",
       {QuietNaN(0), QuietNaN(1), QuietNaN(0xdeadbeef), -QuietNaN(0x12345), SignalingNaN(1),
        SignalingNaN(0x7ffffffffffff), L::infinity(), -L::infinity(), -0.0, 0.0, -0.0,
        L::denorm_min(), -L::denorm_min(), L::min() / 3, 1.5, QuietNaN(0)}});
  shapes.push_back({"negative_zeros", std::vector<double>(100, -0.0)});
  std::vector<double> full(4096);
  for (size_t i = 0; i < full.size(); ++i) full[i] = static_cast<double>(i % 97) / 8.0 - 3.0;
  shapes.push_back({"exactly_4096", full});
  shapes.push_back({"not_short_decimals", {0.1 + 0.2, 1.0 / 3.0, 2.0 / 3.0, 0.7}});
  return shapes;
}

NamedInputs<uint8_t> BoolShapes() {
  std::mt19937_64 rng(13);
  NamedInputs<uint8_t> shapes;
  shapes.push_back({"empty", {}});
  shapes.push_back({"one", {1}});
  shapes.push_back({"constant_false", std::vector<uint8_t>(1000, 0)});
  shapes.push_back({"constant_true", std::vector<uint8_t>(1000, 1)});
  std::vector<uint8_t> alternating(1001);
  for (size_t i = 0; i < alternating.size(); ++i) alternating[i] = i % 2;
  shapes.push_back({"alternating", alternating});
  std::vector<uint8_t> random(999);
  for (auto& v : random) v = static_cast<uint8_t>(rng() & 1);
  shapes.push_back({"random", random});
  std::vector<uint8_t> sparse(4096, 0);
  sparse[4095] = 1;
  shapes.push_back({"exactly_4096_one_tombstone", sparse});
  return shapes;
}

NamedInputs<std::string> StringShapes() {
  std::mt19937_64 rng(17);
  NamedInputs<std::string> shapes;
  shapes.push_back({"empty", {}});
  shapes.push_back({"one", {"hello"}});
  shapes.push_back({"constant", std::vector<std::string>(1000, "us-east-1")});
  std::vector<std::string> seq(1000);
  for (size_t i = 0; i < seq.size(); ++i) seq[i] = "host_" + std::to_string(i);
  shapes.push_back({"sequential_distinct", seq});
  static const char* const kStates[] = {"ok", "warn", "critical", "", "unknown"};
  std::vector<std::string> random(1000);
  for (auto& v : random) v = kStates[rng() % 5];
  shapes.push_back({"random_small_set", random});
  shapes.push_back({"extremes",
                    {"", std::string(1, '\0'), std::string(70000, 'x'), std::string("a\0b", 3),
                     "\xff\xfe", "", std::string(300, '\x80')}});
  std::vector<std::string> full(4096);
  for (size_t i = 0; i < full.size(); ++i) full[i] = "v" + std::to_string(i);
  shapes.push_back({"exactly_4096_distinct", full});
  return shapes;
}

std::vector<std::string_view> StringViews(const std::vector<std::string>& strings) {
  return std::vector<std::string_view>(strings.begin(), strings.end());
}

CpuColumns ReadCpuFile(const std::string& path) {
  CpuColumns cols;
  cols.source = path;
  std::ifstream in(path);
  std::map<std::string, size_t> host_index;
  std::string line;
  while (std::getline(in, line)) {
    // "cpu,hostname=host_0,...  usage_user=12.34,usage_system=... 1767225600000000000"
    const size_t sp1 = line.find(' ');
    const size_t sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 <= sp1) continue;
    const size_t h = line.find("hostname=");
    if (h == std::string::npos || h > sp1) continue;
    const size_t h_end = line.find_first_of(", ", h);
    const std::string host = line.substr(h, h_end - h);
    const size_t f = line.find("usage_user=", sp1);
    if (f == std::string::npos || f > sp2) continue;
    double value = 0;
    int64_t ts = 0;
    const char* vbegin = line.data() + f + 11;
    if (std::from_chars(vbegin, line.data() + sp2, value).ec != std::errc()) continue;
    if (std::from_chars(line.data() + sp2 + 1, line.data() + line.size(), ts).ec != std::errc()) {
      continue;
    }
    const auto [it, inserted] = host_index.try_emplace(host, cols.usage_user.size());
    if (inserted) {
      cols.usage_user.emplace_back();
      cols.timestamps.emplace_back();
    }
    cols.usage_user[it->second].push_back(value);
    cols.timestamps[it->second].push_back(ts);
  }
  return cols;
}

CpuColumns SynthesizeCpu(int hosts, int ticks, uint64_t seed) {
  CpuColumns cols;
  cols.source = "synthesized";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> start(0.0, 100.0);
  std::normal_distribution<double> step(0.0, 1.0);
  cols.usage_user.resize(static_cast<size_t>(hosts));
  cols.timestamps.resize(static_cast<size_t>(hosts));
  std::vector<double> state(static_cast<size_t>(hosts));
  for (auto& s : state) s = start(rng);
  for (int k = 0; k < ticks; ++k) {
    for (size_t h = 0; h < state.size(); ++h) {
      state[h] = std::clamp(state[h] + step(rng), 0.0, 100.0);
      cols.usage_user[h].push_back(ParseTwoDecimals(state[h]));
      cols.timestamps[h].push_back(kStartNs + k * kTenSecondsNs);
    }
  }
  return cols;
}

}  // namespace strata::engine::codec::testing
