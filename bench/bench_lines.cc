#include "bench/bench_lines.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "engine/line_protocol.h"

namespace strata::bench {
namespace {

void SplitLines(LineSet* set) {
  std::string_view rest(set->bytes);
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    if (!engine::IsBlankOrComment(line)) set->lines.push_back(line);
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
}

LineSet LoadFile(const std::string& path) {
  LineSet set;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    set.problem = "cannot read " + path;
    return set;
  }
  set.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  SplitLines(&set);
  if (set.lines.empty()) set.problem = path + " holds no lines";
  return set;
}

// TSBS "cpu-only"-shaped rows, deterministic: the same tag layout and value format as
// gen_workload.py, not its exact values.
LineSet SynthesizeTsbs(int hosts, int ticks) {
  static const char* const kRegions[] = {"us-east-1", "us-west-1", "eu-west-1", "ap-southeast-2"};
  static const char* const kFields[] = {
      "usage_user", "usage_system",  "usage_idle",  "usage_nice",  "usage_iowait",
      "usage_irq",  "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> percent(0.0, 100.0);
  LineSet set;
  char buf[128];
  for (int t = 0; t < ticks; ++t) {
    for (int h = 0; h < hosts; ++h) {
      const char* region = kRegions[h % 4];
      std::snprintf(buf, sizeof(buf), "cpu,hostname=host_%d,region=%s,datacenter=%sa,rack=%d,", h,
                    region, region, h % 100);
      set.bytes += buf;
      std::snprintf(buf, sizeof(buf),
                    "os=Ubuntu16.04LTS,arch=x64,team=NYC,service=%d,service_version=%d,"
                    "service_environment=test ",
                    h % 20, h % 2);
      set.bytes += buf;
      for (int f = 0; f < 10; ++f) {
        std::snprintf(buf, sizeof(buf), "%s%s=%.2f", f ? "," : "", kFields[f], percent(rng));
        set.bytes += buf;
      }
      std::snprintf(buf, sizeof(buf), " %lld\n", 1767225600000000000LL + t * 10'000'000'000LL);
      set.bytes += buf;
    }
  }
  SplitLines(&set);
  return set;
}

// NAB-shaped rows: one measurement, two tags, one float with up to 17 significant digits.
LineSet SynthesizeNab(int lines) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> value(0.0, 100.0);
  LineSet set;
  char buf[192];
  for (int i = 0; i < lines; ++i) {
    std::snprintf(buf, sizeof(buf),
                  "cloudwatch,region=ec2,series=ec2_cpu_utilization_%d value=%.17g %lld\n", i % 22,
                  value(rng), 1392388200000000000LL + i * 300'000'000'000LL);
    set.bytes += buf;
  }
  SplitLines(&set);
  return set;
}

}  // namespace

bool SmokeMode() {
  const char* smoke = std::getenv("STRATA_BENCH_SMOKE");
  return smoke != nullptr && std::string_view(smoke) == "1";
}

std::string SharedDataPath(const std::string& name) {
  const char* source = std::getenv("STRATA_SOURCE_DIR");
  // CMake compiles this file by absolute path, so __FILE__ locates the tree when the variable
  // is unset (running the binary by hand).
  const std::filesystem::path root =
      source != nullptr && *source != '\0'
          ? std::filesystem::path(source)
          : std::filesystem::path(__FILE__).parent_path().parent_path();
  return (root / ".." / "shared" / "data" / name).string();
}

const LineSet& TsbsLines() {
  static const LineSet set = [] {
    const char* path = std::getenv("STRATA_TSBS_FILE");
    if (path != nullptr && *path != '\0') return LoadFile(path);
    if (SmokeMode()) return SynthesizeTsbs(/*hosts=*/100, /*ticks=*/20);
    LineSet missing;
    missing.problem =
        "set STRATA_TSBS_FILE to a file from ../shared/peers/gen_workload.py --hosts 100 "
        "--days 0.1 --seed 42";
    return missing;
  }();
  return set;
}

const LineSet& NabDevLines() {
  static const LineSet set = [] {
    LineSet loaded = LoadFile(SharedDataPath("nab_dev/nab_dev.lp"));
    if (loaded.lines.empty() && SmokeMode()) return SynthesizeNab(2000);
    return loaded;
  }();
  return set;
}

}  // namespace strata::bench
