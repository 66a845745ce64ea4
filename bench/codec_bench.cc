// Column codec and block compression throughput and size (STYLE §8). Release builds only.
//
//   BM_<Codec>Encode/<data>, BM_<Codec>Decode/<data>   one pass over every 4096-point block
//   BM_<Compression>Compress/<data>, ...Decompress      LZ4 / Zstd over the encoded blocks
//
// Items are points; bytes are raw value bytes (8 per number, 1 per bool, the string bytes);
// the counter bytes_per_value is the encoded size per point (after compression for the block
// compressors). Data, split per series into blocks of up to 4096 points in file order:
//   tsbs_*   $STRATA_TSBS_FILE, from python3 ../shared/peers/gen_workload.py --hosts 10
//            --days 1 --seed 42 --out /tmp/codec_tsbs.lp; only the timestamps and the
//            usage_user / usage_system fields are parsed, one series per tag set.
//   nab_*    ../shared/data/nab_dev/nab_dev.lp: one series per (tag set, field).
//   sys_bulk system times as a bulk load assigns them: every 5000 lines of the TSBS file are
//            one write batch with one system time.
//   sys_live system times of live ingest: each point its own time, 0.2-5 ms after its tick.
//   *_x100   usage_user * 100 as int64 (a gauge stored as an integer).
// Bools and strings are synthesized (tombstone flags: 1 set per ~1000; a five-value status).
// Under the bench-smoke ctest (STRATA_BENCH_SMOKE=1) missing files are replaced by small data
// of the same shape synthesized here. Each decoder's output is checked once before timing.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_lines.h"
#include "engine/codec/block_compressor.h"
#include "engine/codec/codec.h"
#include "engine/codec/xor_float.h"

namespace strata::engine::codec {
namespace {

template <typename T>
struct Blocks {
  std::vector<std::vector<T>> blocks;
  std::string problem;  // why there are none, for SkipWithError
  size_t points() const {
    size_t n = 0;
    for (const auto& b : blocks) n += b.size();
    return n;
  }
};

struct Data {
  Blocks<int64_t> tsbs_ts, tsbs_user_x100, sys_bulk, sys_live, nab_ts;
  Blocks<double> tsbs_user, tsbs_system, nab_values;
  Blocks<uint8_t> tombstones;
  std::vector<std::string> status_storage;
  Blocks<std::string_view> status;
};

using bench::SharedDataPath;
using bench::SmokeMode;

// Splits each series (in first-seen order) into blocks of at most kMaxBlockPoints.
template <typename T>
void ToBlocks(const std::vector<std::vector<T>>& series, Blocks<T>* out) {
  for (const auto& s : series) {
    for (size_t start = 0; start < s.size(); start += kMaxBlockPoints) {
      const size_t n = std::min(kMaxBlockPoints, s.size() - start);
      out->blocks.emplace_back(s.begin() + static_cast<ptrdiff_t>(start),
                               s.begin() + static_cast<ptrdiff_t>(start + n));
    }
  }
}

template <typename T>
bool ParseNumber(std::string_view s, T* v) {
  return std::from_chars(s.data(), s.data() + s.size(), *v).ec == std::errc();
}

// "<tags> <field>=<v>,<field>=<v>... <ts>": returns false for a line of another shape.
bool SplitLine(std::string_view line, std::string_view* key, std::string_view* fields,
               int64_t* ts) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 <= sp1) return false;
  *key = line.substr(0, sp1);
  *fields = line.substr(sp1 + 1, sp2 - sp1 - 1);
  return ParseNumber(line.substr(sp2 + 1), ts);
}

bool FieldValue(std::string_view fields, std::string_view name, double* v) {
  size_t pos = 0;
  while (pos < fields.size()) {
    size_t end = fields.find(',', pos);
    if (end == std::string_view::npos) end = fields.size();
    const std::string_view kv = fields.substr(pos, end - pos);
    if (kv.size() > name.size() && kv.substr(0, name.size()) == name && kv[name.size()] == '=') {
      return ParseNumber(kv.substr(name.size() + 1), v);
    }
    pos = end + 1;
  }
  return false;
}

struct CpuSeries {
  std::vector<std::vector<int64_t>> ts, sys_bulk, sys_live;
  std::vector<std::vector<double>> user, system;
};

void AddCpuPoint(CpuSeries* cpu, std::map<std::string, size_t, std::less<>>* index,
                 std::string_view key, int64_t ts, double user, double system, size_t line_no,
                 std::mt19937_64* rng) {
  auto it = index->find(key);
  if (it == index->end()) {
    it = index->emplace(std::string(key), cpu->ts.size()).first;
    for (auto* v : {&cpu->ts, &cpu->sys_bulk, &cpu->sys_live}) v->emplace_back();
    cpu->user.emplace_back();
    cpu->system.emplace_back();
  }
  const size_t h = it->second;
  constexpr int64_t kBulkStartNs = 1780000000000000000;
  cpu->ts[h].push_back(ts);
  cpu->user[h].push_back(user);
  cpu->system[h].push_back(system);
  cpu->sys_bulk[h].push_back(kBulkStartNs + static_cast<int64_t>(line_no / 5000) * 37'000'000);
  cpu->sys_live[h].push_back(ts + 200'000 + static_cast<int64_t>((*rng)() % 4'800'000));
}

void FinishCpu(const CpuSeries& cpu, Data* d) {
  ToBlocks(cpu.ts, &d->tsbs_ts);
  ToBlocks(cpu.sys_bulk, &d->sys_bulk);
  ToBlocks(cpu.sys_live, &d->sys_live);
  ToBlocks(cpu.user, &d->tsbs_user);
  ToBlocks(cpu.system, &d->tsbs_system);
  for (const auto& block : d->tsbs_user.blocks) {
    std::vector<int64_t> ints;
    for (const double v : block) ints.push_back(std::llround(v * 100));
    d->tsbs_user_x100.blocks.push_back(std::move(ints));
  }
}

void LoadTsbs(Data* d) {
  const char* path = std::getenv("STRATA_TSBS_FILE");
  CpuSeries cpu;
  std::map<std::string, size_t, std::less<>> index;
  std::mt19937_64 rng(42);
  if (path != nullptr && *path != '\0') {
    std::ifstream in(path);
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
      std::string_view key, fields;
      int64_t ts;
      double user, system;
      if (!SplitLine(line, &key, &fields, &ts) || !FieldValue(fields, "usage_user", &user) ||
          !FieldValue(fields, "usage_system", &system)) {
        continue;
      }
      AddCpuPoint(&cpu, &index, key, ts, user, system, line_no++, &rng);
    }
  } else if (SmokeMode()) {  // 4 hosts, 5000 ticks of a two-decimal random walk
    std::normal_distribution<double> step(0, 1);
    double user[4] = {10, 30, 50, 70}, system[4] = {5, 15, 25, 35};
    size_t line_no = 0;
    for (int k = 0; k < 5000; ++k) {
      for (int h = 0; h < 4; ++h) {
        user[h] = std::clamp(user[h] + step(rng), 0.0, 100.0);
        system[h] = std::clamp(system[h] + step(rng), 0.0, 100.0);
        const std::string key = "cpu,hostname=host_" + std::to_string(h);
        AddCpuPoint(&cpu, &index, key, 1767225600000000000 + k * 10'000'000'000LL,
                    std::round(user[h] * 100) / 100, std::round(system[h] * 100) / 100, line_no++,
                    &rng);
      }
    }
  }
  FinishCpu(cpu, d);
  if (d->tsbs_ts.blocks.empty()) {
    const std::string problem =
        "set STRATA_TSBS_FILE to a file from ../shared/peers/gen_workload.py --hosts 10 --days 1 "
        "--seed 42";
    for (auto* b : {&d->tsbs_ts, &d->tsbs_user_x100, &d->sys_bulk, &d->sys_live}) {
      b->problem = problem;
    }
    d->tsbs_user.problem = d->tsbs_system.problem = problem;
  }
}

void LoadNab(Data* d) {
  std::vector<std::vector<int64_t>> ts;
  std::vector<std::vector<double>> values;
  std::map<std::string, size_t, std::less<>> index;
  std::ifstream in(SharedDataPath("nab_dev/nab_dev.lp"));
  std::string line;
  while (std::getline(in, line)) {
    std::string_view key, field;
    int64_t t;
    if (!SplitLine(line, &key, &field, &t)) continue;
    const size_t eq = field.find('=');
    double v;
    if (eq == std::string_view::npos || !ParseNumber(field.substr(eq + 1), &v)) continue;
    const std::string series = std::string(key) + " " + std::string(field.substr(0, eq));
    auto [it, inserted] = index.try_emplace(series, ts.size());
    if (inserted) {
      ts.emplace_back();
      values.emplace_back();
    }
    ts[it->second].push_back(t);
    values[it->second].push_back(v);
  }
  if (ts.empty() && SmokeMode()) {  // NAB-shaped: 5-minute cadence, up to 17 digits
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> value(0.0, 100.0);
    ts.resize(1);
    values.resize(1);
    for (int i = 0; i < 3000; ++i) {
      ts[0].push_back(1392388200000000000 + i * 300'000'000'000LL);
      values[0].push_back(i % 3 == 0 ? value(rng) : std::round(value(rng) * 1000) / 1000);
    }
  }
  ToBlocks(ts, &d->nab_ts);
  ToBlocks(values, &d->nab_values);
  if (ts.empty()) d->nab_ts.problem = d->nab_values.problem = "cannot read nab_dev.lp";
}

void SynthesizeFlagsAndStrings(Data* d) {
  std::mt19937_64 rng(3);
  for (int b = 0; b < 20; ++b) {
    std::vector<uint8_t> flags(kMaxBlockPoints, 0);
    for (auto& f : flags) f = rng() % 1000 == 0;
    d->tombstones.blocks.push_back(std::move(flags));
  }
  static const char* const kStates[] = {"ok", "ok", "ok", "ok", "warn", "critical", "unknown"};
  d->status_storage = {kStates, kStates + 7};
  for (int b = 0; b < 20; ++b) {
    std::vector<std::string_view> block(kMaxBlockPoints);
    for (auto& s : block) s = d->status_storage[rng() % 7];
    d->status.blocks.push_back(std::move(block));
  }
}

const Data& GetData() {
  static const Data data = [] {
    Data d;
    LoadTsbs(&d);
    LoadNab(&d);
    SynthesizeFlagsAndStrings(&d);
    return d;
  }();
  return data;
}

template <typename T>
size_t RawBytes(const std::vector<T>& block) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    size_t n = 0;
    for (const auto& s : block) n += s.size();
    return n;
  } else {
    return block.size() * sizeof(T);
  }
}

template <typename T>
void Report(benchmark::State& state, const Blocks<T>& data, size_t encoded_bytes) {
  size_t raw = 0;
  for (const auto& b : data.blocks) raw += RawBytes(b);
  const auto passes = static_cast<int64_t>(state.iterations());
  state.SetItemsProcessed(passes * static_cast<int64_t>(data.points()));
  state.SetBytesProcessed(passes * static_cast<int64_t>(raw));
  state.counters["bytes_per_value"] =
      static_cast<double>(encoded_bytes) / static_cast<double>(data.points());
}

template <typename T>
using EncodeFn = std::function<void(std::span<const T>, std::string*)>;
template <typename T>
using DecodeFn = std::function<Status(std::string_view, size_t, std::vector<T>*)>;

template <typename T>
std::vector<std::string> EncodeAll(const Blocks<T>& data, const EncodeFn<T>& encode) {
  std::vector<std::string> out;
  for (const auto& b : data.blocks) {
    out.emplace_back();
    encode(b, &out.back());
  }
  return out;
}

template <typename T>
bool SameBits(const std::vector<T>& a, const std::vector<T>& b) {
  if constexpr (std::is_same_v<T, double>) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](double x, double y) {
      return std::bit_cast<uint64_t>(x) == std::bit_cast<uint64_t>(y);
    });
  } else {
    return a == b;
  }
}

template <typename T>
void RunEncode(benchmark::State& state, const Blocks<T>* data, EncodeFn<T> encode) {
  if (data->blocks.empty()) return state.SkipWithError(data->problem.c_str());
  size_t bytes = 0;
  std::string out;
  for (auto _ : state) {
    bytes = 0;
    for (const auto& b : data->blocks) {
      out.clear();
      encode(b, &out);
      bytes += out.size();
      benchmark::DoNotOptimize(out.data());
    }
  }
  Report(state, *data, bytes);
}

template <typename T>
void RunDecode(benchmark::State& state, const Blocks<T>* data, EncodeFn<T> encode,
               DecodeFn<T> decode) {
  if (data->blocks.empty()) return state.SkipWithError(data->problem.c_str());
  const std::vector<std::string> encoded = EncodeAll(*data, encode);
  size_t bytes = 0;
  std::vector<T> out;
  for (size_t i = 0; i < encoded.size(); ++i) {
    bytes += encoded[i].size();
    if (!decode(encoded[i], data->blocks[i].size(), &out).ok() || !SameBits(out, data->blocks[i])) {
      return state.SkipWithError("decode does not reproduce the input");
    }
  }
  for (auto _ : state) {
    for (size_t i = 0; i < encoded.size(); ++i) {
      const Status s = decode(encoded[i], data->blocks[i].size(), &out);
      benchmark::DoNotOptimize(s.ok());
      benchmark::DoNotOptimize(out.data());
    }
  }
  Report(state, *data, bytes);
}

// Compresses each block's encoded column, as a chunk writer would.
template <typename T>
void RunCompress(benchmark::State& state, const Blocks<T>* data, EncodeFn<T> encode, Compression c,
                 bool decompress) {
  if (data->blocks.empty()) return state.SkipWithError(data->problem.c_str());
  const std::vector<std::string> encoded = EncodeAll(*data, encode);
  std::vector<std::string> compressed(encoded.size());
  size_t bytes = 0;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (!Compress(c, encoded[i], &compressed[i]).ok()) return state.SkipWithError("compress");
    bytes += compressed[i].size();
  }
  std::string out;
  for (auto _ : state) {
    for (size_t i = 0; i < encoded.size(); ++i) {
      out.clear();
      const Status s = decompress ? Decompress(c, compressed[i], encoded[i].size(), &out)
                                  : Compress(c, encoded[i], &out);
      benchmark::DoNotOptimize(s.ok());
      benchmark::DoNotOptimize(out.data());
    }
  }
  Report(state, *data, bytes);
}

template <typename T>
void RegisterCodec(const std::string& codec, const std::string& data_name, const Blocks<T>* data,
                   EncodeFn<T> encode, DecodeFn<T> decode) {
  benchmark::RegisterBenchmark(("BM_" + codec + "Encode/" + data_name).c_str(),
                               [=](benchmark::State& s) { RunEncode<T>(s, data, encode); })
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("BM_" + codec + "Decode/" + data_name).c_str(),
                               [=](benchmark::State& s) { RunDecode<T>(s, data, encode, decode); })
      ->Unit(benchmark::kMicrosecond);
}

template <typename T>
void RegisterCompression(const std::string& data_name, const Blocks<T>* data, EncodeFn<T> encode) {
  for (const auto& [name, c] :
       {std::pair{"Lz4", Compression::kLz4}, {"Zstd", Compression::kZstd}}) {
    const std::string n = name;
    const Compression comp = c;
    benchmark::RegisterBenchmark(
        ("BM_" + n + "Compress/" + data_name).c_str(),
        [=](benchmark::State& s) { RunCompress<T>(s, data, encode, comp, false); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(
        ("BM_" + n + "Decompress/" + data_name).c_str(),
        [=](benchmark::State& s) { RunCompress<T>(s, data, encode, comp, true); })
        ->Unit(benchmark::kMicrosecond);
  }
}

void RegisterAll() {
  const Data& d = GetData();
  const EncodeFn<int64_t> timestamps = [](std::span<const int64_t> v, std::string* o) {
    EncodeTimestamps(v, o);
  };
  const EncodeFn<int64_t> system_times = [](std::span<const int64_t> v, std::string* o) {
    EncodeSystemTimes(v, o);
  };
  const EncodeFn<int64_t> ints = [](std::span<const int64_t> v, std::string* o) {
    EncodeInts(v, o);
  };
  const EncodeFn<double> floats = [](std::span<const double> v, std::string* o) {
    EncodeFloats(v, o);
  };
  const EncodeFn<double> xor_floats = [](std::span<const double> v, std::string* o) {
    EncodeXorFloat(v, o);
  };
  const EncodeFn<uint8_t> bools = [](std::span<const uint8_t> v, std::string* o) {
    EncodeBools(v, o);
  };
  const EncodeFn<std::string_view> strings = [](std::span<const std::string_view> v,
                                                std::string* o) { EncodeStrings(v, o); };
  const DecodeFn<int64_t> decode_ints = DecodeInts;
  const DecodeFn<double> decode_floats = DecodeFloats;

  RegisterCodec("DeltaOfDelta", "tsbs_ts", &d.tsbs_ts, timestamps, decode_ints);
  RegisterCodec("DeltaOfDelta", "nab_ts", &d.nab_ts, timestamps, decode_ints);
  RegisterCodec("RunLengthDelta", "sys_bulk", &d.sys_bulk, system_times, decode_ints);
  RegisterCodec("RunLengthDelta", "sys_live", &d.sys_live, system_times, decode_ints);
  // EncodeFloats: the decimal codec wherever it applies, else XOR.
  RegisterCodec("DecimalFloat", "tsbs_usage_user", &d.tsbs_user, floats, decode_floats);
  RegisterCodec("DecimalFloat", "tsbs_usage_system", &d.tsbs_system, floats, decode_floats);
  RegisterCodec("DecimalFloat", "nab_values", &d.nab_values, floats, decode_floats);
  RegisterCodec("XorFloat", "tsbs_usage_user", &d.tsbs_user, xor_floats, decode_floats);
  RegisterCodec("XorFloat", "nab_values", &d.nab_values, xor_floats, decode_floats);
  RegisterCodec("DeltaZigZag", "tsbs_usage_user_x100", &d.tsbs_user_x100, ints, decode_ints);
  RegisterCodec("DeltaZigZag", "nab_ts", &d.nab_ts, ints, decode_ints);
  RegisterCodec("Bitmap", "tombstones", &d.tombstones, bools, DecodeFn<uint8_t>(DecodeBools));
  RegisterCodec("Dictionary", "status", &d.status, strings,
                DecodeFn<std::string_view>(DecodeStrings));
  RegisterCompression("tsbs_usage_user", &d.tsbs_user, floats);
  RegisterCompression("tsbs_ts", &d.tsbs_ts, timestamps);
}

}  // namespace
}  // namespace strata::engine::codec

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  strata::engine::codec::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
