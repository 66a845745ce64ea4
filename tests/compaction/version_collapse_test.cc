#include "compaction/version_collapse.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace strata::compaction {
namespace {

using engine::FieldType;
using engine::FieldValue;
using engine::VersionColumn;
using engine::VersionView;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// (valid, value or "tombstone") visible as of t, as ResolveVersions sees the column.
std::vector<std::pair<int64_t, double>> Visible(const VersionColumn& c, int64_t as_of) {
  std::vector<std::pair<int64_t, double>> out;
  engine::ResolveVersions(c, kMin, kMax, as_of,
                          [&](int64_t valid, const FieldValue& v) { out.emplace_back(valid, v.f); });
  return out;
}

using Version = std::tuple<int64_t, int64_t, int64_t, bool, double>;  // valid, from, to, tomb, v
std::vector<Version> Versions(const VersionColumn& c, int64_t as_of) {
  std::vector<Version> out;
  engine::ForEachVersion(c, kMin, kMax, as_of, [&](const VersionView& v) {
    out.emplace_back(v.valid_ns, v.system_from_ns, v.system_to_ns, v.tombstone,
                     v.tombstone ? 0.0 : v.value.f);
  });
  return out;
}

// A history with everything compaction must handle: several versions per point, same-batch
// duplicates, identical rewrites, tombstones (of present and of absent points) and rewrites
// after tombstones, given in shuffled order as rows from several files would come.
VersionColumn RandomHistory(std::mt19937_64& rng, std::set<int64_t>* system_times) {
  VersionColumn c;
  c.type = FieldType::kFloat;
  std::uniform_int_distribution<int> point(0, 15), value(0, 3), kind(0, 9), rows(1, 200);
  const int n = rows(rng);
  int64_t system = 100;
  for (int i = 0; i < n; ++i) {
    if (kind(rng) < 6) system += 10;  // otherwise another row of the same batch
    system_times->insert(system);
    const bool tombstone = kind(rng) == 0;
    c.Append(point(rng) * 1000, system, FieldValue::Float(value(rng)), tombstone);
  }
  // Shuffle runs of rows, not single rows: equal (valid, system) keys must keep their order.
  std::vector<std::pair<size_t, size_t>> runs;
  for (size_t begin = 0; begin < c.size();) {
    size_t end = begin + 1;
    while (end < c.size() && c.system_ns[end] == c.system_ns[begin]) ++end;
    runs.emplace_back(begin, end);
    begin = end;
  }
  std::shuffle(runs.begin(), runs.end(), rng);
  VersionColumn shuffled;
  shuffled.type = c.type;
  for (auto [begin, end] : runs) {
    for (size_t i = begin; i < end; ++i) shuffled.AppendRow(c, i);
  }
  return shuffled;
}

TEST(VersionCollapseTest, KeepingAllHistoryChangesNoAnswerAsOfAnyTime) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::set<int64_t> times;
    const VersionColumn rows = RandomHistory(rng, &times);
    VersionColumn out;
    CollapseVersions(rows, kKeepAllHistory, &out);
    times.insert(kMax);
    times.insert(0);
    for (int64_t t : times) {
      ASSERT_EQ(Visible(out, t), Visible(rows, t)) << "round " << round << " as of " << t;
      ASSERT_EQ(Versions(out, t), Versions(rows, t)) << "round " << round << " as of " << t;
    }
    // Sorted by (valid, system), one row per version.
    for (size_t i = 1; i < out.size(); ++i) {
      ASSERT_TRUE(out.valid_ns[i - 1] < out.valid_ns[i] ||
                  (out.valid_ns[i - 1] == out.valid_ns[i] && out.system_ns[i - 1] < out.system_ns[i]));
    }
    ASSERT_EQ(out.size(), Versions(rows, kMax).size());
  }
}

TEST(VersionCollapseTest, HorizonDropsExactlyTheVersionsNoLaterAsOfCanSee) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 300; ++round) {
    std::set<int64_t> times;
    const VersionColumn rows = RandomHistory(rng, &times);
    const std::vector<int64_t> candidates(times.begin(), times.end());
    const int64_t horizon = candidates[rng() % candidates.size()] + static_cast<int64_t>(rng() % 2);
    VersionColumn out;
    CollapseCounts counts;
    CollapseVersions(rows, horizon, &out, &counts);

    // Independently: the versions of the whole history, minus those replaced before the horizon
    // and current tombstones written before it.
    // A tombstone that became a point's first version is dropped too: it hides nothing.
    std::vector<Version> expected;
    for (const Version& v : Versions(rows, kMax)) {
      const auto [valid, from, to, tombstone, value] = v;
      if (to != engine::kOpenSystemTo && to < horizon) continue;
      if (to == engine::kOpenSystemTo && tombstone && from < horizon) continue;
      const bool first_of_point = expected.empty() || std::get<0>(expected.back()) != valid;
      if (tombstone && first_of_point) continue;
      expected.push_back(v);
    }
    // After the drop, a kept version that followed a dropped one has no predecessor: its
    // system_to is unchanged, so comparing (valid, from, to, tombstone, value) is exact.
    ASSERT_EQ(Versions(out, kMax), expected) << "round " << round << " horizon " << horizon;
    for (int64_t t : times) {
      if (t < horizon) continue;
      ASSERT_EQ(Visible(out, t), Visible(rows, t)) << "round " << round << " as of " << t;
    }
    ASSERT_EQ(Visible(out, kMax), Visible(rows, kMax));
    EXPECT_EQ(counts.rows_in, rows.size());
    EXPECT_EQ(counts.rows_in - counts.redundant - counts.superseded - counts.expired_tombstones,
              out.size());
  }
}

TEST(VersionCollapseTest, SameBatchDuplicateThatRestoresTheValueIsNoVersion) {
  VersionColumn rows;
  rows.type = FieldType::kFloat;
  rows.Append(5, 10, FieldValue::Float(1));
  rows.Append(5, 20, FieldValue::Float(2));  // one batch: 2 then 1, so 1 wins
  rows.Append(5, 20, FieldValue::Float(1));
  rows.Append(5, 30, FieldValue::Float(3));
  VersionColumn out;
  CollapseVersions(rows, kKeepAllHistory, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out.system_ns[0], 10);
  EXPECT_EQ(out.system_ns[1], 30);
}

TEST(VersionCollapseTest, ExpiredDeleteLeavesNothingButALaterWriteStays) {
  VersionColumn rows;
  rows.type = FieldType::kFloat;
  rows.Append(1, 10, FieldValue::Float(1));
  rows.Append(1, 20, FieldValue(), /*is_tombstone=*/true);
  rows.Append(2, 10, FieldValue::Float(1));
  rows.Append(2, 20, FieldValue(), /*is_tombstone=*/true);
  rows.Append(2, 40, FieldValue::Float(7));
  VersionColumn out;
  CollapseVersions(rows, /*horizon_ns=*/30, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out.valid_ns[0], 2);
  EXPECT_EQ(out.system_ns[0], 40);
  // A tombstone inside the horizon stays, with the version it closes.
  CollapseVersions(rows, /*horizon_ns=*/15, &out);
  EXPECT_EQ(out.size(), 5u);
}

}  // namespace
}  // namespace strata::compaction
