#include "engine/rollup.h"

#include "engine/chunk/chunk_writer.h"
#include "util/coding.h"

namespace strata::engine {
namespace {

__extension__ typedef __int128 Int128;

constexpr uint8_t kBucketVersion = 1;
constexpr uint8_t kUnusable = 1;

}  // namespace

int64_t RollupBucketStart(int64_t t, int64_t interval_ns) {
  // In int64 unless the floor's product overflows (near int64's ends only).
  int64_t fast = 0;
  if (!__builtin_mul_overflow(t / interval_ns - (t % interval_ns < 0 ? 1 : 0), interval_ns,
                              &fast)) {
    return fast;
  }
  Int128 k = static_cast<Int128>(t) / interval_ns;
  if (static_cast<Int128>(t) % interval_ns < 0) --k;  // floor before the epoch
  const Int128 start = k * interval_ns;
  return start < INT64_MIN ? INT64_MIN : static_cast<int64_t>(start);
}

int64_t RollupBucketEnd(int64_t start, int64_t interval_ns) {
  const Int128 end = static_cast<Int128>(start) + interval_ns;
  return end >= INT64_MAX ? kNoEndNs : static_cast<int64_t>(end);
}

namespace {

void EncodeRollupBucket(const RollupBucket& bucket, std::string* out_string) {
  std::string& out = *out_string;
  const chunk::BlockStats& s = bucket.stats;
  out.push_back(static_cast<char>(kBucketVersion));
  out.push_back(static_cast<char>(bucket.type));
  out.push_back(static_cast<char>(bucket.usable ? 0 : kUnusable));
  PutVarint64(&out, s.count);
  PutFixed64(&out, static_cast<uint64_t>(s.min_valid_ns));
  PutFixed64(&out, static_cast<uint64_t>(s.max_valid_ns));
  out.push_back(static_cast<char>(s.flags));
  for (uint64_t v : {s.sum_bits, s.min_bits, s.max_bits, s.first_bits, s.last_bits}) {
    PutFixed64(&out, v);
  }
}

// Decodes one bucket from the front of *in_view.
bool DecodeRollupBucket(std::string_view* in_view, RollupBucket* bucket) {
  std::string_view& in = *in_view;
  if (in.size() < 3 || static_cast<uint8_t>(in[0]) != kBucketVersion) return false;
  const auto type = static_cast<uint8_t>(in[1]);
  if (type < static_cast<uint8_t>(FieldType::kFloat) ||
      type > static_cast<uint8_t>(FieldType::kString)) {
    return false;
  }
  bucket->type = static_cast<FieldType>(type);
  bucket->usable = (static_cast<uint8_t>(in[2]) & kUnusable) == 0;
  in.remove_prefix(3);
  chunk::BlockStats& s = bucket->stats;
  s = chunk::BlockStats{};
  uint64_t count = 0, min_valid = 0, max_valid = 0;
  if (!GetVarint64(&in, &count) || count > UINT32_MAX || !GetFixed64(&in, &min_valid) ||
      !GetFixed64(&in, &max_valid) || in.empty()) {
    return false;
  }
  s.count = static_cast<uint32_t>(count);
  s.min_valid_ns = static_cast<int64_t>(min_valid);
  s.max_valid_ns = static_cast<int64_t>(max_valid);
  s.flags = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  for (uint64_t* v : {&s.sum_bits, &s.min_bits, &s.max_bits, &s.first_bits, &s.last_bits}) {
    if (!GetFixed64(&in, v)) return false;
  }
  return true;
}

}  // namespace

std::string EncodeRollupSegment(const RollupSegment& segment) {
  std::string out;
  PutVarint64(&out, segment.size());
  for (const auto& [start, bucket] : segment) {
    PutFixed64(&out, static_cast<uint64_t>(start));
    EncodeRollupBucket(bucket, &out);
  }
  return out;
}

bool ForEachBucketOfSegment(std::string_view in,
                            const std::function<void(int64_t start, const RollupBucket&)>& visit) {
  uint64_t count = 0;
  if (!GetVarint64(&in, &count) || count > static_cast<uint64_t>(kBucketsPerSegment)) return false;
  RollupBucket bucket;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t start = 0;
    if (!GetFixed64(&in, &start) || !DecodeRollupBucket(&in, &bucket)) return false;
    visit(static_cast<int64_t>(start), bucket);
  }
  return in.empty();
}

void ForEachRollupBucket(const VersionColumn& points, int64_t interval_ns,
                         const std::function<void(int64_t start, const RollupBucket&)>& emit) {
  for (size_t begin = 0; begin < points.size();) {
    const int64_t start = RollupBucketStart(points.valid_ns[begin], interval_ns);
    const int64_t end = RollupBucketEnd(start, interval_ns);
    size_t stop = begin + 1;
    while (stop < points.size() && BeforeRangeEnd(points.valid_ns[stop], end)) ++stop;
    RollupBucket bucket;
    bucket.type = points.type;
    if (stop - begin > UINT32_MAX) {
      bucket.usable = false;
    } else {
      bucket.stats = chunk::ComputeBlockStats(points, begin, stop);
      bucket.stats.min_system_ns = bucket.stats.max_system_ns = 0;
    }
    emit(start, bucket);
    begin = stop;
  }
}

}  // namespace strata::engine
