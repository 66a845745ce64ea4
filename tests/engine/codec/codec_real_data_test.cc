// Bytes per value on TSBS-like data (informational, with a generous bound that still catches
// a broken codec). Uses $STRATA_TSBS_FILE when set (a gen_workload.py file), else a
// synthesized workload of the same shape: 10 hosts, one day at 10 s.

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "engine/codec/codec.h"
#include "tests/engine/codec/codec_test_data.h"

namespace strata::engine::codec {
namespace {

testing::CpuColumns LoadCpu() {
  const char* path = std::getenv("STRATA_TSBS_FILE");
  if (path != nullptr && *path != '\0') {
    testing::CpuColumns cols = testing::ReadCpuFile(path);
    if (!cols.usage_user.empty()) return cols;
    std::printf("cannot read %s; synthesizing\n", path);
  }
  return testing::SynthesizeCpu(10, 8640, 42);
}

template <typename T, typename EncodeFn>
std::vector<std::string> EncodeBlocks(const std::vector<std::vector<T>>& columns, EncodeFn encode) {
  std::vector<std::string> blocks;
  for (const auto& column : columns) {
    for (size_t start = 0; start < column.size(); start += kMaxBlockPoints) {
      const size_t n = std::min(kMaxBlockPoints, column.size() - start);
      blocks.emplace_back();
      encode(std::span<const T>(column).subspan(start, n), &blocks.back());
    }
  }
  return blocks;
}

TEST(CodecRealDataTest, TsbsUsageUserUsesTheDecimalCodecBelowTwoBytesPerValue) {
  const testing::CpuColumns cpu = LoadCpu();
  ASSERT_FALSE(cpu.usage_user.empty());
  size_t points = 0;
  for (const auto& c : cpu.usage_user) points += c.size();

  const std::vector<std::string> blocks = EncodeBlocks(
      cpu.usage_user, [](std::span<const double> v, std::string* out) { EncodeFloats(v, out); });
  size_t bytes = 0;
  size_t block_index = 0;
  for (const auto& column : cpu.usage_user) {
    for (size_t start = 0; start < column.size(); start += kMaxBlockPoints, ++block_index) {
      const std::string& block = blocks[block_index];
      bytes += block.size();
      ASSERT_EQ(*PeekCodec(block), CodecId::kDecimalFloat) << "block " << block_index;
      const size_t n = std::min(kMaxBlockPoints, column.size() - start);
      std::vector<double> decoded;
      ASSERT_TRUE(DecodeFloats(block, n, &decoded).ok());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(std::bit_cast<uint64_t>(decoded[i]), std::bit_cast<uint64_t>(column[start + i]));
      }
    }
  }
  const double per_value = static_cast<double>(bytes) / static_cast<double>(points);
  std::printf("usage_user (%s): %zu points in %zu blocks, %.3f bytes/value\n", cpu.source.c_str(),
              points, blocks.size(), per_value);
  EXPECT_LT(per_value, 2.0);

  size_t ts_bytes = 0;
  for (const std::string& b : EncodeBlocks(
           cpu.timestamps,
           [](std::span<const int64_t> v, std::string*out) { EncodeTimestamps(v, out); })) {
    ts_bytes += b.size();
  }
  std::printf("timestamps: %.4f bytes/value\n",
              static_cast<double>(ts_bytes) / static_cast<double>(points));
  EXPECT_LT(ts_bytes, points / 8);
}

}  // namespace
}  // namespace strata::engine::codec
