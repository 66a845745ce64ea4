#include "engine/version_column.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <random>
#include <tuple>
#include <vector>

namespace strata::engine {
namespace {

constexpr int64_t kMin = INT64_MIN;
constexpr int64_t kMax = INT64_MAX;

// One row as the tests think of it; value_bits is the float's bit pattern.
struct Row {
  int64_t valid, system;
  uint64_t value_bits;
  bool tombstone;
};

VersionColumn ColumnOf(const std::vector<Row>& rows) {
  VersionColumn c;
  c.type = FieldType::kFloat;
  for (const Row& r : rows) {
    c.Append(r.valid, r.system, FieldValue::Float(std::bit_cast<double>(r.value_bits)),
             r.tombstone);
  }
  return c;
}

// The reference: the rows of each valid time known at as_of in (system, given) order, with
// same-system duplicates reduced to the last given and identical repeats dropped (DESIGN §1).
std::map<int64_t, std::vector<Row>> ReferenceVersions(const std::vector<Row>& rows, int64_t lo,
                                                      int64_t hi, int64_t as_of) {
  std::map<int64_t, std::vector<std::pair<size_t, Row>>> by_valid;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    if (r.valid >= lo && (r.valid < hi || hi == kMax) && r.system <= as_of) {
      by_valid[r.valid].emplace_back(i, r);
    }
  }
  std::map<int64_t, std::vector<Row>> out;
  for (auto& [valid, list] : by_valid) {
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& a, const auto& b) { return a.second.system < b.second.system; });
    std::vector<Row> deduped;
    for (size_t k = 0; k < list.size(); ++k) {
      if (k + 1 < list.size() && list[k + 1].second.system == list[k].second.system) continue;
      deduped.push_back(list[k].second);
    }
    std::vector<Row> versions;
    for (const Row& r : deduped) {
      const bool same =
          versions.empty()
              ? r.tombstone
              : (versions.back().tombstone == r.tombstone &&
                 (r.tombstone || versions.back().value_bits == r.value_bits));
      if (!same) versions.push_back(r);
    }
    if (!versions.empty()) out[valid] = versions;
  }
  return out;
}

std::vector<std::pair<int64_t, uint64_t>> ReferenceVisible(const std::vector<Row>& rows,
                                                           int64_t lo, int64_t hi,
                                                           int64_t as_of) {
  std::vector<std::pair<int64_t, uint64_t>> out;
  for (const auto& [valid, versions] : ReferenceVersions(rows, lo, hi, as_of)) {
    if (!versions.back().tombstone) out.emplace_back(valid, versions.back().value_bits);
  }
  return out;
}

std::vector<std::pair<int64_t, uint64_t>> Visible(const VersionColumn& c, int64_t lo, int64_t hi,
                                                  int64_t as_of) {
  std::vector<std::pair<int64_t, uint64_t>> out;
  ResolveVersions(c, lo, hi, as_of, [&](int64_t t, const FieldValue& v) {
    out.emplace_back(t, std::bit_cast<uint64_t>(v.f));
  });
  return out;
}

using VersionTuple = std::tuple<int64_t, bool, uint64_t, int64_t, int64_t>;

std::vector<VersionTuple> Listed(const VersionColumn& c, int64_t lo, int64_t hi, int64_t as_of) {
  std::vector<VersionTuple> out;
  ForEachVersion(c, lo, hi, as_of, [&](const VersionView& v) {
    out.emplace_back(v.valid_ns, v.tombstone, v.tombstone ? 0 : std::bit_cast<uint64_t>(v.value.f),
                     v.system_from_ns, v.system_to_ns);
  });
  return out;
}

std::vector<VersionTuple> ReferenceListed(const std::vector<Row>& rows, int64_t lo, int64_t hi,
                                          int64_t as_of) {
  std::vector<VersionTuple> out;
  for (const auto& [valid, versions] : ReferenceVersions(rows, lo, hi, as_of)) {
    for (size_t k = 0; k < versions.size(); ++k) {
      const Row& r = versions[k];
      out.emplace_back(valid, r.tombstone, r.tombstone ? 0 : r.value_bits, r.system,
                       k + 1 < versions.size() ? versions[k + 1].system : kOpenSystemTo);
    }
  }
  return out;
}

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

TEST(VersionColumnTest, LatestVersionWinsAndTombstonesHide) {
  const std::vector<Row> rows = {
      {10, 1, Bits(1.0), false}, {20, 1, Bits(2.0), false}, {10, 2, Bits(1.5), false},
      {20, 3, 0, true},          {30, 3, Bits(3.0), false},
  };
  const VersionColumn c = ColumnOf(rows);
  using V = std::vector<std::pair<int64_t, uint64_t>>;
  EXPECT_EQ(Visible(c, kMin, kMax, kMax), (V{{10, Bits(1.5)}, {30, Bits(3.0)}}));
  EXPECT_EQ(Visible(c, kMin, kMax, 2), (V{{10, Bits(1.5)}, {20, Bits(2.0)}}));
  EXPECT_EQ(Visible(c, kMin, kMax, 1), (V{{10, Bits(1.0)}, {20, Bits(2.0)}}));
  EXPECT_EQ(Visible(c, kMin, kMax, 0), V{});
  EXPECT_EQ(Visible(c, 11, 30, kMax), V{});
  EXPECT_EQ(Visible(c, 11, 31, kMax), (V{{30, Bits(3.0)}}));
}

TEST(VersionColumnTest, SameBatchRowsLeaveOneVersionTheLaterLine) {
  const VersionColumn c = ColumnOf({{5, 7, Bits(1.0), false}, {5, 7, Bits(2.0), false}});
  EXPECT_EQ(Visible(c, kMin, kMax, kMax), (std::vector<std::pair<int64_t, uint64_t>>{
                                              {5, Bits(2.0)}}));
  EXPECT_EQ(Listed(c, kMin, kMax, kMax),
            (std::vector<VersionTuple>{{5, false, Bits(2.0), 7, kOpenSystemTo}}));
}

TEST(VersionColumnTest, IdenticalRewritesAndOrphanTombstonesAreNoVersions) {
  const VersionColumn c = ColumnOf({
      {1, 1, Bits(0.0), false},
      {1, 2, Bits(0.0), false},   // identical retry
      {1, 3, Bits(-0.0), false},  // -0.0 is not bit-identical to 0.0: a version
      {1, 4, 0, true},
      {1, 5, 0, true},            // a tombstone over a tombstone
      {1, 6, Bits(-0.0), false},  // written again after the delete: a live version
      {2, 1, 0, true},            // deletes nothing
  });
  EXPECT_EQ(Listed(c, kMin, kMax, kMax), (std::vector<VersionTuple>{
                                             {1, false, Bits(0.0), 1, 3},
                                             {1, false, Bits(-0.0), 3, 4},
                                             {1, true, 0, 4, 6},
                                             {1, false, Bits(-0.0), 6, kOpenSystemTo},
                                         }));
  EXPECT_EQ(Listed(c, kMin, kMax, 4), (std::vector<VersionTuple>{
                                          {1, false, Bits(0.0), 1, 3},
                                          {1, false, Bits(-0.0), 3, 4},
                                          {1, true, 0, 4, kOpenSystemTo},
                                      }));
}

TEST(VersionColumnTest, GreatestTimestampIsReachableWithAnOpenEnd) {
  const VersionColumn c = ColumnOf({{kMax, 1, Bits(9.0), false}, {kMin, 1, Bits(8.0), false}});
  EXPECT_EQ(Visible(c, kMin, kMax, kMax).size(), 2u);
  EXPECT_EQ(Visible(c, kMin, kMax - 1, kMax).size(), 1u);
}

// Rows as scans gather them: a few sorted runs (chunk files, memtables) and unsorted tails.
std::vector<Row> RandomRows(std::mt19937_64& rng, size_t n) {
  std::vector<Row> rows;
  std::uniform_int_distribution<int> pick(0, 99);
  const double values[] = {1.0, 2.0, 0.0, -0.0, std::nan("")};
  int64_t system = 1;
  while (rows.size() < n) {
    const bool sorted_run = pick(rng) < 70;
    std::vector<Row> run;
    const size_t len = 1 + rng() % 40;
    for (size_t k = 0; k < len; ++k) {
      const int64_t valid = static_cast<int64_t>(rng() % 60);
      if (pick(rng) < 80) ++system;  // sometimes two rows of one batch
      run.push_back({valid, system, Bits(values[rng() % 5]), pick(rng) < 15});
    }
    if (sorted_run) {
      std::stable_sort(run.begin(), run.end(), [](const Row& a, const Row& b) {
        return std::tie(a.valid, a.system) < std::tie(b.valid, b.system);
      });
    }
    rows.insert(rows.end(), run.begin(), run.end());
  }
  return rows;
}

TEST(VersionColumnTest, RandomColumnsMatchTheReferenceAtEveryAsOf) {
  std::mt19937_64 rng(20261122);
  for (int round = 0; round < 300; ++round) {
    const std::vector<Row> rows = RandomRows(rng, 1 + rng() % 200);
    const VersionColumn c = ColumnOf(rows);
    const int64_t max_system = rows.back().system;
    for (int64_t as_of : {int64_t{0}, max_system / 3, max_system / 2, max_system, kMax}) {
      const int64_t lo = static_cast<int64_t>(rng() % 30);
      const int64_t hi = lo + static_cast<int64_t>(rng() % 40);
      ASSERT_EQ(Visible(c, kMin, kMax, as_of), ReferenceVisible(rows, kMin, kMax, as_of))
          << "round " << round << " as_of " << as_of;
      ASSERT_EQ(Visible(c, lo, hi, as_of), ReferenceVisible(rows, lo, hi, as_of))
          << "round " << round << " [" << lo << "," << hi << ")";
      ASSERT_EQ(Listed(c, lo, hi, as_of), ReferenceListed(rows, lo, hi, as_of))
          << "round " << round;
      // Spans name exactly the visible rows, in order, each span maximal.
      std::vector<std::pair<int64_t, uint64_t>> from_spans;
      size_t previous_end = SIZE_MAX;
      ResolveVersionSpans(c, lo, hi, as_of, [&](size_t begin, size_t end) {
        ASSERT_LT(begin, end);
        ASSERT_NE(begin, previous_end) << "adjacent spans must be one";
        previous_end = end;
        for (size_t i = begin; i < end; ++i) from_spans.emplace_back(c.valid_ns[i], c.bits[i]);
      });
      ASSERT_EQ(from_spans, ReferenceVisible(rows, lo, hi, as_of)) << "round " << round;
    }
  }
}

TEST(VersionColumnTest, DropRedundantVersionsKeepsEveryAnswerAndOnlyRealVersions) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    const std::vector<Row> all = RandomRows(rng, 2 + rng() % 200);
    // Older rows are on disk, newer ones in the memtable being flushed.
    const int64_t cut = all[all.size() / 2].system;
    std::vector<Row> old_rows, new_rows;
    for (const Row& r : all) (r.system < cut ? old_rows : new_rows).push_back(r);
    const VersionColumn base = ColumnOf(old_rows);
    VersionColumn fresh = ColumnOf(new_rows);
    DropRedundantVersions(base, &fresh);

    std::vector<Row> combined = old_rows;
    for (size_t i = 0; i < fresh.size(); ++i) {
      ASSERT_TRUE(i == 0 || std::tie(fresh.valid_ns[i - 1], fresh.system_ns[i - 1]) <
                                std::tie(fresh.valid_ns[i], fresh.system_ns[i]))
          << "sorted, one row per (valid, system)";
      combined.push_back({fresh.valid_ns[i], fresh.system_ns[i], fresh.bits[i],
                          fresh.tombstone[i] != 0});
    }
    for (int64_t as_of : {cut - 1, cut, (cut + all.back().system) / 2, kMax}) {
      ASSERT_EQ(ReferenceListed(combined, kMin, kMax, as_of),
                ReferenceListed(all, kMin, kMax, as_of))
          << "round " << round;
    }
    // Every kept row is a version: none of them disappears from the listing.
    size_t listed_new = 0;
    for (const auto& v : ReferenceListed(combined, kMin, kMax, kMax)) {
      if (std::get<3>(v) >= cut) ++listed_new;
    }
    EXPECT_EQ(listed_new, fresh.size()) << "round " << round;
  }
}

// What an append-only writer produces, with at most one flaw that makes it not plain: a repeated
// valid time (same or later batch), a tombstone, or a row out of order.
std::vector<Row> AppendedRows(std::mt19937_64& rng, size_t n, int flaw) {
  std::vector<Row> rows;
  int64_t valid = static_cast<int64_t>(rng() % 10);
  for (size_t i = 0; i < n; ++i) {
    valid += 1 + static_cast<int64_t>(rng() % 3);
    rows.push_back({valid, 1 + static_cast<int64_t>(i / 4), Bits(static_cast<double>(rng() % 5)),
                    false});
  }
  const size_t at = rng() % n;
  switch (flaw) {
    case 1:  // the same point again, in the same batch or a later one
      rows.insert(rows.begin() + at + 1, {rows[at].valid, rows[at].system + (rng() % 2 == 0 ? 0 : 1),
                                          Bits(9.0), false});
      break;
    case 2:
      rows[at].tombstone = true;
      break;
    case 3:  // a late write
      rows.push_back({rows[at].valid - 1, rows.back().system + 1, Bits(7.0), false});
      break;
    default:
      break;
  }
  return rows;
}

TEST(VersionColumnTest, PlainAppendsAreRecognizedAndEveryFlawIsNot) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 400; ++round) {
    const int flaw = round % 4;
    const std::vector<Row> rows = AppendedRows(rng, 2 + rng() % 50, flaw);
    const bool plain = flaw == 0 || (flaw == 3 && rows[rows.size() - 2].valid < rows.back().valid);
    EXPECT_EQ(IsPlainAppend(ColumnOf(rows)), plain) << "round " << round << " flaw " << flaw;

    // Sorting and dropping, which skip their work for plain columns, still give the reference.
    VersionColumn sorted = ColumnOf(rows);
    SortVersions(&sorted);
    std::vector<Row> expected = rows;
    std::stable_sort(expected.begin(), expected.end(), [](const Row& a, const Row& b) {
      return std::tie(a.valid, a.system) < std::tie(b.valid, b.system);
    });
    ASSERT_EQ(sorted.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(std::tie(sorted.valid_ns[i], sorted.system_ns[i], sorted.bits[i]),
                std::tie(expected[i].valid, expected[i].system, expected[i].value_bits))
          << "round " << round << " row " << i;
    }
    VersionColumn fresh = ColumnOf(rows);
    DropRedundantVersions(VersionColumn{}, &fresh);
    std::vector<Row> kept;
    for (size_t i = 0; i < fresh.size(); ++i) {
      kept.push_back({fresh.valid_ns[i], fresh.system_ns[i], fresh.bits[i], fresh.tombstone[i] != 0});
    }
    ASSERT_EQ(ReferenceListed(kept, kMin, kMax, kMax), ReferenceListed(rows, kMin, kMax, kMax))
        << "round " << round;
    EXPECT_EQ(fresh.size(), ReferenceListed(rows, kMin, kMax, kMax).size()) << "round " << round;
  }
}

TEST(VersionColumnTest, ResendingIdenticalDataAddsNothing) {
  std::vector<Row> old_rows, resent;
  for (int64_t t = 0; t < 1000; ++t) {
    old_rows.push_back({t, 1 + t / 100, Bits(t * 0.5), false});
    resent.push_back({t, 100 + t / 100, Bits(t * 0.5), false});
  }
  resent[500].value_bits = Bits(-1.0);  // one real correction among the retries
  VersionColumn fresh = ColumnOf(resent);
  DropRedundantVersions(ColumnOf(old_rows), &fresh);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh.valid_ns[0], 500);
}

}  // namespace
}  // namespace strata::engine
