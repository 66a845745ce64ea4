#include "engine/memtable.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <iterator>
#include <memory>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/line_protocol.h"
#include "engine/write_batch.h"

namespace strata::engine {
namespace {

class MemTableTest : public ::testing::Test {
 protected:
  // Applies the lines as one commit at system time t.
  void Commit(int64_t t, const std::vector<std::string>& lines) {
    WriteBatch batch;
    ParsedLine parsed;
    for (const std::string& line : lines) {
      ASSERT_TRUE(parser_.Parse(line, &parsed).ok()) << line;
      batch.Add(parsed, *parsed.timestamp_ns);
    }
    ASSERT_TRUE(memtable_.Apply(t, batch.Release(), index_).ok());
  }

  // The lines encoded as one write batch, as a writer hands it to the WAL.
  std::string Payload(const std::vector<std::string>& lines) {
    WriteBatch batch;
    ParsedLine parsed;
    for (const std::string& line : lines) {
      EXPECT_TRUE(parser_.Parse(line, &parsed).ok()) << line;
      batch.Add(parsed, *parsed.timestamp_ns);
    }
    return batch.Release();
  }

  std::vector<std::pair<int64_t, double>> Scan(const std::string& series, int64_t as_of,
                                               int64_t lo = INT64_MIN, int64_t hi = INT64_MAX) {
    std::vector<std::pair<int64_t, double>> out;
    const SeriesInfo* info = index_.Find(series);
    if (info == nullptr) return out;
    VersionColumn versions;
    memtable_.CollectVersions(info->id, "v", lo, hi, &versions);
    ResolveVersions(versions, lo, hi, as_of,
                    [&](int64_t t, const FieldValue& v) { out.emplace_back(t, v.f); });
    return out;
  }

  LineParser parser_;
  SeriesIndex index_;
  MemTable memtable_;
};

TEST_F(MemTableTest, LatestVersionWinsAndAsOfSeesOlderOnes) {
  Commit(100, {"m v=1 10", "m v=2 20"});
  Commit(200, {"m v=5 10"});  // correction of t=10
  using P = std::vector<std::pair<int64_t, double>>;
  EXPECT_EQ(Scan("m", 1000), (P{{10, 5}, {20, 2}}));
  EXPECT_EQ(Scan("m", 199), (P{{10, 1}, {20, 2}}));
  EXPECT_EQ(Scan("m", 100), (P{{10, 1}, {20, 2}}));
  EXPECT_EQ(Scan("m", 99), P{});
}

TEST_F(MemTableTest, TwoWritesOfAPointInOneBatchResolveToTheLaterLine) {
  Commit(100, {"m v=1 10", "m v=2 10", "m v=3 10"});
  using P = std::vector<std::pair<int64_t, double>>;
  EXPECT_EQ(Scan("m", 100), (P{{10, 3}}));
}

TEST_F(MemTableTest, OutOfOrderWritesComeBackInTimeOrderWithinTheRange) {
  Commit(100, {"m v=3 30", "m v=1 10", "m v=2 20", "m v=4 40"});
  using P = std::vector<std::pair<int64_t, double>>;
  EXPECT_EQ(Scan("m", 100, 15, 40), (P{{20, 2}, {30, 3}}));
}

TEST_F(MemTableTest, RandomHistoryMatchesAReferenceModelAtEverySystemTime) {
  std::mt19937_64 rng(7);
  // reference[t_sys] = visible points after that commit
  std::map<int64_t, std::map<int64_t, double>> after_commit;
  std::map<int64_t, double> visible;
  int64_t sys = 1000;
  for (int commit = 0; commit < 60; ++commit) {
    std::vector<std::string> lines;
    int n = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      int64_t t = static_cast<int64_t>(rng() % 50);
      double v = static_cast<double>(rng() % 1000) / 10.0;
      lines.push_back("m v=" + std::to_string(v) + " " + std::to_string(t));
      visible[t] = std::stod(std::to_string(v));
    }
    sys += 1 + static_cast<int64_t>(rng() % 5);
    Commit(sys, lines);
    after_commit[sys] = visible;
  }
  for (const auto& [t_sys, expected] : after_commit) {
    for (int64_t as_of : {t_sys, t_sys + 0}) {
      auto got = Scan("m", as_of);
      std::vector<std::pair<int64_t, double>> want(expected.begin(), expected.end());
      EXPECT_EQ(got, want) << "as of " << as_of;
    }
  }
}

TEST_F(MemTableTest, MemoryBytesEqualTheColumnsOwnAccountAcrossManyCommits) {
  // Applies account bytes by growth; the sum must stay what the columns hold, strings (short
  // and heap-allocated) and tombstones included, and fields named in varying orders.
  std::mt19937 rng(7);
  for (int commit = 1; commit <= 40; ++commit) {
    std::vector<std::string> lines;
    for (int i = 0; i < 50; ++i) {
      const std::string text(static_cast<size_t>(rng() % 40), 'x');
      const std::string fields = rng() % 2 ? "v=1,s=\"" + text + "\"" : "s=\"" + text + "\",v=2";
      lines.push_back("m,h=" + std::to_string(rng() % 5) + " " + fields + " " +
                      std::to_string(commit * 100 + i));
    }
    Commit(commit, lines);
  }
  EXPECT_EQ(memtable_.MemoryBytes(), memtable_.MemoryBytesByWalking());
  EXPECT_EQ(memtable_.points(), 40u * 50 * 2);
}

TEST_F(MemTableTest, FieldsInAnotherOrderThanTheSeriesLastLineLandInTheirOwnColumns) {
  Commit(1, {"m a=1,b=2 10", "m b=20,a=10 20", "m b=200 30", "m c=7,a=100 40", "m a=1000,b=2000 50"});
  auto values = [&](const std::string& field) {
    std::vector<std::pair<int64_t, double>> out;
    VersionColumn versions;
    memtable_.CollectVersions(index_.Find("m")->id, field, INT64_MIN, INT64_MAX, &versions);
    ResolveVersions(versions, INT64_MIN, INT64_MAX, INT64_MAX,
                    [&](int64_t t, const FieldValue& v) { out.emplace_back(t, v.f); });
    return out;
  };
  EXPECT_EQ(values("a"), (std::vector<std::pair<int64_t, double>>{
                             {10, 1}, {20, 10}, {40, 100}, {50, 1000}}));
  EXPECT_EQ(values("b"), (std::vector<std::pair<int64_t, double>>{
                             {10, 2}, {20, 20}, {30, 200}, {50, 2000}}));
  EXPECT_EQ(values("c"), (std::vector<std::pair<int64_t, double>>{{40, 7}}));
}

TEST_F(MemTableTest, CorruptPayloadChangesNothing) {
  Commit(100, {"m v=1 10"});
  std::string bad = "\x01\x05m,t=v";  // truncated after the series key
  Status s = memtable_.Apply(200, bad, index_);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(memtable_.points(), 1u);
}

TEST_F(MemTableTest, ResolvedSeriesAreTheOnesApplied) {
  // Resolve against the index, then apply with the ids swapped: the points follow the ids given,
  // which shows the apply trusts the writer's resolution instead of resolving again.
  const std::string payload = Payload({"m,h=a v=1 10", "m,h=b v=2 10"});
  std::vector<SeriesId> ids;
  ASSERT_TRUE(ResolveBatchSeries(payload, index_, &ids).ok());
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], index_.Find("m,h=a")->id);
  EXPECT_EQ(ids[1], index_.Find("m,h=b")->id);
  std::swap(ids[0], ids[1]);
  ASSERT_TRUE(memtable_.ApplyResolved(100, payload, ids).ok());
  EXPECT_EQ(Scan("m,h=a", 100), (std::vector<std::pair<int64_t, double>>{{10, 2}}));
  EXPECT_EQ(Scan("m,h=b", 100), (std::vector<std::pair<int64_t, double>>{{10, 1}}));
}

TEST_F(MemTableTest, FewerResolvedSeriesThanKeysIsCorruption) {
  const std::string payload = Payload({"m,h=a v=1 10", "m,h=b v=2 10", "m,h=b v=3 11"});
  std::vector<SeriesId> ids;
  ASSERT_TRUE(ResolveBatchSeries(payload, index_, &ids).ok());
  ASSERT_EQ(ids.size(), 2u) << "one per key, not per line";
  ids.pop_back();
  Status s = memtable_.ApplyResolved(100, payload, ids);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("2 lines of series not resolved (1 resolved)"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(memtable_.points(), 1u);  // the resolved line; the others are skipped, not misfiled
}

TEST_F(MemTableTest, AnUnparsableSeriesKeyFailsTheResolution) {
  // A key without a measurement, as only a damaged WAL could hold: index and memtable untouched.
  std::string payload;
  {
    WriteBatch batch;
    ParsedLine parsed;
    ASSERT_TRUE(parser_.Parse("m,h=a v=1 10", &parsed).ok());
    batch.Add(parsed, 10);
    payload = batch.Release();
  }
  const size_t key_at = payload.find("m,h=a");
  ASSERT_NE(key_at, std::string::npos);
  payload[key_at] = ',';
  std::vector<SeriesId> ids;
  Status s = ResolveBatchSeries(payload, index_, &ids);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(index_.size(), 0u);
}

TEST_F(MemTableTest, MemoryBytesGrowWithDataAndCoverCapacity) {
  EXPECT_EQ(memtable_.MemoryBytes(), 0u);
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) lines.push_back("m v=1 " + std::to_string(i));
  Commit(100, lines);
  // A 16-byte row per point, at least.
  EXPECT_GE(memtable_.MemoryBytes(), 1000u * 16);
  EXPECT_EQ(memtable_.points(), 1000u);
  EXPECT_EQ(memtable_.min_system_ns(), 100);
  EXPECT_EQ(memtable_.max_system_ns(), 100);
}

TEST_F(MemTableTest, RandomFieldSetsAndOrdersLandInTheirColumnsAcrossCommits) {
  // Lines often repeat the previous line's field keys (the batch then writes them once and the
  // apply reuses the series' column mapping), and sometimes name another subset or order: every
  // value must still land in its own (series, field) column.
  std::mt19937 rng(11);
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<int64_t, double>>> want;
  std::vector<std::string> shape = {"a", "b"};
  int64_t t = 0;
  for (int commit = 1; commit <= 30; ++commit) {
    std::vector<std::string> lines;
    for (int i = 0; i < 40; ++i) {
      if (rng() % 5 == 0) {  // a new field set: a shuffled non-empty subset
        shape = names;
        std::shuffle(shape.begin(), shape.end(), rng);
        shape.resize(1 + rng() % names.size());
      }
      const std::string host = "h" + std::to_string(rng() % 3);
      std::string line = "m,host=" + host + " ";
      ++t;
      for (size_t f = 0; f < shape.size(); ++f) {
        const double v = static_cast<double>(rng() % 10000);
        line += (f ? "," : "") + shape[f] + "=" + std::to_string(static_cast<int>(v));
        want[{"m,host=" + host, shape[f]}].emplace_back(t, v);
      }
      lines.push_back(line + " " + std::to_string(t));
    }
    Commit(commit, lines);
  }
  for (const auto& [key, points] : want) {
    VersionColumn versions;
    memtable_.CollectVersions(index_.Find(key.first)->id, key.second, INT64_MIN, INT64_MAX,
                              &versions);
    std::vector<std::pair<int64_t, double>> got;
    ResolveVersions(versions, INT64_MIN, INT64_MAX, INT64_MAX,
                    [&](int64_t at, const FieldValue& v) { got.emplace_back(at, v.f); });
    EXPECT_EQ(got, points) << key.first << " " << key.second;
  }
}

TEST_F(MemTableTest, ColumnsSpanningManySegmentsAnswerEveryRangeExactly) {
  // Rows are stored in segments of growing size (up to 4,096 rows); range lookups binary-search
  // across them when the column is sorted and walk them when it is not.
  std::mt19937 rng(5);
  std::vector<int64_t> shuffled(12000);
  for (size_t i = 0; i < shuffled.size(); ++i) shuffled[i] = static_cast<int64_t>(i) * 10;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::map<int64_t, double> sorted_want, unsorted_want;
  for (int commit = 0; commit < 6; ++commit) {
    std::vector<std::string> lines;
    for (int i = 0; i < 5000; ++i) {
      const int64_t t = (commit * 5000 + i) * 10;
      lines.push_back("sorted v=" + std::to_string(t % 997) + " " + std::to_string(t));
      sorted_want[t] = static_cast<double>(t % 997);
      if (commit < 2 || (commit == 2 && i < 2000)) {
        const int64_t u = shuffled[static_cast<size_t>(commit * 5000 + i)];
        lines.push_back("unsorted v=" + std::to_string(u % 991) + " " + std::to_string(u));
        unsorted_want[u] = static_cast<double>(u % 991);
      }
    }
    Commit(commit + 1, lines);
  }
  auto expect_range = [&](const std::string& series, const std::map<int64_t, double>& want,
                          int64_t lo, int64_t hi) {
    std::vector<std::pair<int64_t, double>> expected(want.lower_bound(lo), want.lower_bound(hi));
    EXPECT_EQ(Scan(series, 100, lo, hi), expected) << series << " [" << lo << ", " << hi << ")";
  };
  for (int probe = 0; probe < 200; ++probe) {
    const int64_t a = static_cast<int64_t>(rng() % 310000) - 5000;
    const int64_t b = static_cast<int64_t>(rng() % 310000) - 5000;
    expect_range("sorted", sorted_want, std::min(a, b), std::max(a, b) + 1);
    expect_range("unsorted", unsorted_want, std::min(a, b), std::max(a, b) + 1);
  }
  // Ranges that start and end exactly at each stored time, wherever segments begin and end.
  for (const auto& [t, v] : sorted_want) {
    EXPECT_EQ(Scan("sorted", 100, t, t + 1), (std::vector<std::pair<int64_t, double>>{{t, v}}));
    if (t % 70 == 0) expect_range("sorted", sorted_want, t, t + 30);
  }
  expect_range("sorted", sorted_want, INT64_MIN, INT64_MAX);
  expect_range("unsorted", unsorted_want, INT64_MIN, INT64_MAX);
  EXPECT_EQ(memtable_.MemoryBytes(), memtable_.MemoryBytesByWalking());
  // Everything, in series and field order, as a flush sees it.
  size_t rows = 0;
  memtable_.ForEachColumn([&](SeriesId, const std::string&, const VersionColumn& column) {
    rows += column.size();
  });
  EXPECT_EQ(rows, sorted_want.size() + unsorted_want.size());
}

TEST_F(MemTableTest, EveryVersionKeepsItsCommitAndTombstoneWhereverARangeStarts) {
  // A row's commit and tombstone flag are stored once per run of rows (a commit writes a run of
  // points to each column): a range that starts or ends inside a run, or a segment, must still
  // give every row its own system time and flag. Commits mix values and tombstones, so a commit
  // makes several runs in a column; columns are sorted, unsorted and of strings.
  struct Version {
    int64_t valid, system;
    uint64_t bits;
    bool tombstone;
    std::string text;
    bool operator==(const Version&) const = default;
  };
  std::map<std::string, std::vector<Version>> want;  // by series, in arrival order
  std::mt19937 rng(11);
  int64_t next_sorted = 0;
  for (int commit = 0; commit < 300; ++commit) {
    const int64_t system = 1000 + commit * 3;
    WriteBatch batch;
    ParsedLine parsed;
    const int points = static_cast<int>(rng() % 40);
    for (int i = 0; i < points; ++i) {
      const bool tombstone = rng() % 6 == 0;
      const std::string series = std::vector<std::string>{"sorted", "unsorted", "text"}[rng() % 3];
      const int64_t valid =
          series == "sorted" ? next_sorted += 1 + rng() % 5 : static_cast<int64_t>(rng() % 5000);
      const FieldType type = series == "text" ? FieldType::kString : FieldType::kFloat;
      const double value = static_cast<double>(rng() % 100000) / 8;
      const std::string text(rng() % 30, static_cast<char>('a' + rng() % 26));
      if (tombstone) {
        batch.AddTombstone(series, valid, "v", type);
        want[series].push_back({valid, system, 0, true, ""});
        continue;
      }
      const std::string value_text =
          type == FieldType::kString ? "\"" + text + "\"" : std::to_string(value);
      const std::string line = series + " v=" + value_text + " " + std::to_string(valid);
      ASSERT_TRUE(parser_.Parse(line, &parsed).ok()) << line;
      batch.Add(parsed, valid);
      want[series].push_back({valid, system,
                              type == FieldType::kString ? 0 : std::bit_cast<uint64_t>(value),
                              false, type == FieldType::kString ? text : ""});
    }
    if (batch.empty()) continue;
    ASSERT_TRUE(memtable_.Apply(system, batch.Release(), index_).ok());
  }
  auto rows_of = [](const VersionColumn& column) {
    std::vector<Version> rows;
    for (size_t i = 0; i < column.size(); ++i) {
      rows.push_back({column.valid_ns[i], column.system_ns[i], column.bits[i],
                      column.tombstone[i] != 0,
                      column.type == FieldType::kString ? column.strings[i] : ""});
    }
    return rows;
  };
  auto expect_range = [&](const std::string& series, int64_t lo, int64_t hi) {
    std::vector<Version> expected;
    std::copy_if(want[series].begin(), want[series].end(), std::back_inserter(expected),
                 [&](const Version& v) { return v.valid >= lo && v.valid < hi; });
    VersionColumn versions;
    memtable_.CollectVersions(index_.Find(series)->id, "v", lo, hi, &versions);
    EXPECT_EQ(rows_of(versions), expected) << series << " [" << lo << ", " << hi << ")";
  };
  for (const auto& [series, versions] : want) {
    ASSERT_GT(versions.size(), 1500u) << series;  // several segments of rows, many runs
    for (int probe = 0; probe < 100; ++probe) {
      const int64_t a = static_cast<int64_t>(rng() % (series == "sorted" ? next_sorted : 5000));
      const int64_t b = a + static_cast<int64_t>(rng() % 400);
      expect_range(series, a, b + 1);
    }
    expect_range(series, INT64_MIN, INT64_MAX);
  }
  size_t columns = 0;
  memtable_.ForEachColumn([&](SeriesId id, const std::string& field, const VersionColumn& column) {
    ++columns;
    EXPECT_EQ(field, "v");
    for (const auto& [series, versions] : want) {
      if (index_.Find(series)->id == id) {
        EXPECT_EQ(rows_of(column), versions) << series;
      }
    }
  });
  EXPECT_EQ(columns, 3u);
  EXPECT_EQ(memtable_.MemoryBytes(), memtable_.MemoryBytesByWalking());
}

TEST(MemTableBlocksTest, AMemTableOnReusedBlocksHoldsOnlyItsOwnRows) {
  // The engine's memtables share a pool: the next one reuses a flushed one's blocks, whose old
  // rows must never show through.
  auto pool = std::make_shared<BlockPool>(64 * BlockPool::kBlockBytes);
  SeriesIndex index;
  LineParser parser;
  auto apply = [&](MemTable& memtable, int64_t t, int hosts, int rows, int value) {
    WriteBatch batch;
    ParsedLine parsed;
    for (int r = 0; r < rows; ++r) {
      for (int h = 0; h < hosts; ++h) {
        const std::string line = "m,h=" + std::to_string(h) + " v=" + std::to_string(value) +
                                 " " + std::to_string(r);
        ASSERT_TRUE(parser.Parse(line, &parsed).ok());
        batch.Add(parsed, *parsed.timestamp_ns);
      }
    }
    ASSERT_TRUE(memtable.Apply(t, batch.Release(), index).ok());
  };
  {
    MemTable first(pool);
    apply(first, 1, 200, 2000, 1);  // 400,000 rows: several blocks
  }
  const size_t kept = pool->free_blocks();
  ASSERT_GT(kept, 1u);
  MemTable second(pool);
  apply(second, 2, 50, 30, 2);
  EXPECT_LT(pool->free_blocks(), kept) << "the second memtable took kept blocks";
  size_t rows = 0;
  second.ForEachColumn([&](SeriesId, const std::string&, const VersionColumn& column) {
    ASSERT_EQ(column.size(), 30u);
    for (size_t i = 0; i < column.size(); ++i) {
      EXPECT_EQ(column.valid_ns[i], static_cast<int64_t>(i));
      EXPECT_EQ(column.system_ns[i], 2);
      EXPECT_EQ(std::bit_cast<double>(column.bits[i]), 2.0);
      EXPECT_EQ(column.tombstone[i], 0);
    }
    rows += column.size();
  });
  EXPECT_EQ(rows, 50u * 30u);
}

}  // namespace
}  // namespace strata::engine
