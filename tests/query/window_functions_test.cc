// rolling_median and moving_average (query/window_functions.h) through the parser and executor,
// against small hand-computed answers and against a naive reference computed here from the
// points the test wrote: each window is collected from scratch, sorted, and its middle taken;
// means are a plain long double loop. Data: several series created out of key order, written
// out of order in several batches with a flush, timestamps shared across series, corrections
// (read AS OF before and after), NaN and infinities, and an integer field.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/query/engine_fixture.h"

namespace strata::query {
namespace {

constexpr int64_t kBase = 1767225600LL * 1000000000LL;  // 2026-01-01T00:00:00Z
constexpr int64_t kSecond = 1000000000LL;

std::string At(int64_t seconds) { return std::to_string(kBase + seconds * kSecond); }
std::string TimeAt(int64_t seconds) { return FormatTime(kBase + seconds * kSecond); }

// Floats compare at 1e-9 relative; empty (null), NaN and infinite cells exactly.
void ExpectNear(const std::string& got, const std::string& want, const std::string& what) {
  const double g = std::strtod(got.c_str(), nullptr), w = std::strtod(want.c_str(), nullptr);
  if (got.empty() || want.empty() || !std::isfinite(g) || !std::isfinite(w)) {
    EXPECT_EQ(got, want) << what;
    return;
  }
  EXPECT_LE(std::fabs(g - w), 1e-9 * std::max(1.0, std::fabs(w)))
      << what << ": " << got << " vs " << want;
}

using Rows = std::vector<std::vector<std::string>>;

class WindowFunctionsTest : public EngineFixture {
 protected:
  // Hand data: host=b is created before host=a, so series ids do not follow key order.
  //   a: 1s=1, 2s=5, 4s=3      b: 2s=2, 3s=10
  // The stream, ties by key: (1s a 1) (2s a 5) (2s b 2) (3s b 10) (4s a 3).
  void WriteHandData() {
    Write({"m,host=b v=2 " + At(2), "m,host=b v=10 " + At(3)});
    Write({"m,host=a v=3 " + At(4), "m,host=a v=1 " + At(1), "m,host=a v=5 " + At(2)});
  }
  Rows Run(const std::string& text) { return QueryOk(text).rows(); }
};

TEST_F(WindowFunctionsTest, PerPointHandComputed) {
  WriteHandData();
  const TableSink got =
      QueryOk("SELECT rolling_median(v, 2s), rolling_median(v, 2), moving_average(v, 3) FROM m");
  EXPECT_EQ(got.columns(),
            (std::vector<std::string>{"time", "rolling_median(v,2s)", "rolling_median(v,2)",
                                      "moving_average(v,3)"}));
  // (t - 2s, t] takes both points at 2s, for both rows; the last-2 window follows key order.
  const Rows want = {{TimeAt(1), "1", "1", ""},
                     {TimeAt(2), "2", "3", ""},
                     {TimeAt(2), "2", "3.5", FormatFloat((1.0 + 5 + 2) / 3)},
                     {TimeAt(3), "5", "6", FormatFloat((5.0 + 2 + 10) / 3)},
                     {TimeAt(4), "6.5", "6.5", "5"}};
  EXPECT_EQ(got.rows(), want);
  EXPECT_EQ(Run("SELECT rolling_median(v, 2s) FROM m GROUP BY host"),
            (Rows{{TimeAt(1), "a", "1"},
                  {TimeAt(2), "a", "3"},
                  {TimeAt(4), "a", "3"},
                  {TimeAt(2), "b", "2"},
                  {TimeAt(3), "b", "6"}}));
  EXPECT_EQ(Run("SELECT rolling_median(v, 2) FROM m WHERE time >= " + At(2) +
                " ORDER BY time DESC LIMIT 2"),
            (Rows{{TimeAt(4), "6.5"}, {TimeAt(3), "6"}}));
  EXPECT_EQ(Run("SELECT moving_average(v, 1) AS m1 FROM m WHERE host = 'a' LIMIT 2"),
            (Rows{{TimeAt(1), "1"}, {TimeAt(2), "5"}}));
}

TEST_F(WindowFunctionsTest, PerStepHandComputed) {
  WriteHandData();
  const std::string range = " WHERE time >= " + At(0) + " AND time < " + At(8);
  // Labels 0s, 2s, 4s, 6s; the row labelled t sees the points at or before t.
  const std::string items = "rolling_median(v, 2s), rolling_median(v, 2), moving_average(v, 2)";
  EXPECT_EQ(Run("SELECT " + items + " FROM m" + range + " GROUP BY time(2s)"),
            (Rows{{TimeAt(0), "", "", ""},
                  {TimeAt(2), "2", "3.5", "3.5"},
                  {TimeAt(4), "6.5", "6.5", "6.5"},
                  {TimeAt(6), "", "6.5", "6.5"}}));
  EXPECT_EQ(Run("SELECT rolling_median(v, 2s) FROM m" + range + " GROUP BY time(2s) FILL(none)"),
            (Rows{{TimeAt(2), "2"}, {TimeAt(4), "6.5"}}));
  EXPECT_EQ(Run("SELECT rolling_median(v, 2s) FROM m" + range + " GROUP BY time(2s) FILL(7)"),
            (Rows{{TimeAt(0), "7"}, {TimeAt(2), "2"}, {TimeAt(4), "6.5"}, {TimeAt(6), "7"}}));
  EXPECT_EQ(Run("SELECT rolling_median(v, 2s) FROM m" + range +
                " GROUP BY time(2s) FILL(previous) ORDER BY time DESC LIMIT 3"),
            (Rows{{TimeAt(6), "6.5"}, {TimeAt(4), "6.5"}, {TimeAt(2), "2"}}));
  // Without a time range: from the step of the first point (0s) to that of the last (4s).
  EXPECT_EQ(Run("SELECT rolling_median(v, 1s) FROM m GROUP BY time(2s), host FILL(linear)"),
            (Rows{{TimeAt(0), "a", ""},
                  {TimeAt(2), "a", "5"},
                  {TimeAt(4), "a", "3"},
                  {TimeAt(0), "b", ""},
                  {TimeAt(2), "b", "2"},
                  {TimeAt(4), "b", ""}}));
  EXPECT_EQ(Run("SELECT rolling_median(v, 3s) FROM m GROUP BY time(2s, 1s)"),
            (Rows{{TimeAt(1), "1"}, {TimeAt(3), "3.5"}}));
}

TEST_F(WindowFunctionsTest, SpecialValuesAndIntegers) {
  Write({"s v=1 " + At(1), "s v=NaN " + At(2), "s v=3 " + At(3), "s v=4 " + At(4),
         "s v=+Inf " + At(5), "s v=6 " + At(6), "s v=-Inf " + At(7), "s v=8 " + At(8),
         "s v=9 " + At(9)});
  EXPECT_EQ(Run("SELECT rolling_median(v, 2), moving_average(v, 2) FROM s"),
            (Rows{{TimeAt(1), "1", ""},
                  {TimeAt(2), "NaN", "NaN"},
                  {TimeAt(3), "NaN", "NaN"},
                  {TimeAt(4), "3.5", "3.5"},  // the NaN has left: exact again
                  {TimeAt(5), "+Inf", "+Inf"},
                  {TimeAt(6), "+Inf", "+Inf"},
                  {TimeAt(7), "-Inf", "-Inf"},
                  {TimeAt(8), "-Inf", "-Inf"},
                  {TimeAt(9), "8.5", "8.5"}}));
  EXPECT_EQ(
      Run("SELECT moving_average(v, 3) FROM s WHERE time >= " + At(5) + " AND time < " + At(8)),
      (Rows{{TimeAt(5), ""}, {TimeAt(6), ""}, {TimeAt(7), "NaN"}}));
  Write({"n,host=x i=5i " + At(1), "n,host=x i=-3i " + At(2), "n,host=y i=4i " + At(2),
         "n,host=y u=7u " + At(3)});
  EXPECT_EQ(Run("SELECT rolling_median(i, 3), moving_average(i, 2) FROM n"),
            (Rows{{TimeAt(1), "5", ""}, {TimeAt(2), "1", "1"}, {TimeAt(2), "4", "0.5"}}));
  EXPECT_EQ(Run("SELECT rolling_median(u, 1h) FROM n"), (Rows{{TimeAt(3), "7"}}));
}

TEST_F(WindowFunctionsTest, MovingAverageDoesNotDriftOverALongStream) {
  // Huge values next to small ones: a plain running sum that adds the newest value and
  // subtracts the oldest loses the small ones and never recovers.
  std::vector<std::string> lines;
  std::vector<double> values;
  std::mt19937_64 rng(3);
  for (int k = 0; k < 6000; ++k) {
    const double v =
        k % 3 == 0 ? 1e16 * (rng() % 2 ? 1 : -1) : static_cast<double>(rng() % 1000) / 8;
    values.push_back(v);
    lines.push_back("d v=" + FormatFloat(v) + " " + At(k));
  }
  Write(lines);
  const Rows got = Run("SELECT moving_average(v, 7) FROM d");
  ASSERT_EQ(got.size(), values.size());
  for (size_t k = 6; k < values.size(); ++k) {
    long double sum = 0;
    for (size_t j = k - 6; j <= k; ++j) sum += values[j];
    ExpectNear(got[k][1], FormatFloat(static_cast<double>(sum / 7)), "row " + std::to_string(k));
    if (::testing::Test::HasFailure()) return;
  }
}

TEST_F(WindowFunctionsTest, Errors) {
  Write({"e,host=a s=\"x\",ok=true,v=1,w=2 " + At(1)});
  std::string q = "SELECT rolling_median(s, 3) FROM e";
  EXPECT_EQ(QueryError(q), PositionOf(q, "rolling_median") +
                               "rolling_median() needs a numeric field, 's' is string");
  q = "SELECT moving_average(ok, 3) FROM e GROUP BY time(1m)";
  EXPECT_EQ(QueryError(q), PositionOf(q, "moving_average") +
                               "moving_average() needs a numeric field, 'ok' is boolean");
  q = "SELECT rolling_median(v, 3), moving_average(w, 2) FROM e";
  EXPECT_EQ(QueryError(q), PositionOf(q, "moving_average") +
                               "window functions over different fields cannot share a statement");
  q = "SELECT mean(v), rolling_median(v, 1m) FROM e GROUP BY time(1m)";
  EXPECT_EQ(QueryError(q), PositionOf(q, "rolling_median") +
                               "mixing aggregates and window functions is not supported yet");
  EXPECT_NE(QueryError("SELECT rolling_median(v, 1h) FROM e WHERE time >= 0 GROUP BY time(1ns)")
                .find("buckets"),
            std::string::npos);
  // A field the measurement does not have: the header, no rows.
  const TableSink none = QueryOk("SELECT rolling_median(nope, 3) FROM e GROUP BY host");
  EXPECT_EQ(none.columns(), (std::vector<std::string>{"time", "host", "rolling_median(nope,3)"}));
  EXPECT_TRUE(none.rows().empty());
}

// --- The randomized comparison with the naive reference. ---

struct Point {
  double v;
  int64_t i;
};

struct SeriesData {
  std::string host, region, key;
  std::map<int64_t, Point> now, before_correction;
};

struct ItemSpec {
  std::string function, field, arg;
  int64_t duration_ns = 0;  // rolling_median over a duration
  size_t points = 0;        // otherwise
};

struct StreamPoint {
  int64_t t;
  std::string key;
  double v;
};

// The reference value of an item over stream[0, end) for the window ending at t; nullopt for
// a null cell.
std::optional<double> Reference(const ItemSpec& item, const std::vector<StreamPoint>& stream,
                                size_t end, int64_t t) {
  std::vector<double> window;
  if (item.duration_ns > 0) {
    for (size_t j = 0; j < end; ++j) {
      if (stream[j].t > t - item.duration_ns) window.push_back(stream[j].v);
    }
  } else {
    if (item.function == "moving_average" && end < item.points) return std::nullopt;
    for (size_t j = end > item.points ? end - item.points : 0; j < end; ++j) {
      window.push_back(stream[j].v);
    }
  }
  if (window.empty()) return std::nullopt;
  if (item.function == "moving_average") {
    long double sum = 0;
    for (double v : window) sum += v;
    return static_cast<double>(sum / static_cast<long double>(window.size()));
  }
  for (double v : window) {
    if (std::isnan(v)) return v;
  }
  std::sort(window.begin(), window.end());
  const size_t n = window.size();
  return n % 2 ? window[n / 2] : (window[n / 2 - 1] + window[n / 2]) / 2;
}

int64_t StepStart(int64_t t, int64_t step, int64_t offset) {
  int64_t k = (t - offset) / step;
  if ((t - offset) % step < 0) --k;
  return k * step + offset;
}

class WindowFunctionsRandomTest : public WindowFunctionsTest {
 protected:
  // 3 series (created c, a, b) of ~250 points over ~70 minutes, a quarter of them on a 30 s grid
  // so series share timestamps; written shuffled in 3 batches with a flush, then corrected.
  void Load() {
    std::mt19937_64 rng(17);
    series_ = {{"c", "us", "cpu,host=c,region=us", {}, {}},
               {"a", "eu", "cpu,host=a,region=eu", {}, {}},
               {"b", "eu", "cpu,host=b,region=eu", {}, {}}};
    auto line = [](const SeriesData& s, int64_t t, const Point& p) {
      return s.key + " v=" + FormatFloat(p.v) + ",i=" + std::to_string(p.i) + "i " +
             std::to_string(t);
    };
    std::vector<std::string> lines;
    for (SeriesData& s : series_) {
      int64_t t = kBase;
      for (int k = 0; k < 250; ++k) {
        t += (1 + static_cast<int64_t>(rng() % 30)) * kSecond;
        if (rng() % 4 == 0) t = StepStart(t, 30 * kSecond, 0) + 30 * kSecond;
        Point p{static_cast<double>(rng() % 10000) / 100, static_cast<int64_t>(rng() % 101) - 50};
        if (s.host == "c" && (k == 40 || k == 200)) p.v = std::nan("");
        if (s.host == "c" && k == 90) p.v = INFINITY;
        if (s.host == "a" && k == 150) p.v = -INFINITY;
        s.now[t] = p;
        lines.push_back(line(s, t, p));
      }
    }
    std::shuffle(lines.begin(), lines.end(), rng);
    const size_t third = lines.size() / 3;
    using Lines = std::vector<std::string>;
    Write(Lines(lines.begin(), lines.begin() + third));
    ASSERT_TRUE(engine_->Flush().ok());
    Write(Lines(lines.begin() + third, lines.begin() + 2 * third));
    Write(Lines(lines.begin() + 2 * third, lines.end()));
    before_correction_ = engine_->LastVisibleTime().ns;
    std::vector<std::string> corrections;
    for (SeriesData& s : series_) {
      s.before_correction = s.now;
      std::set<int64_t> corrected;  // one correction per point: a batch keeps one version
      for (int c = 0; c < 15; ++c) {
        auto it = s.now.begin();
        std::advance(it, static_cast<long>(rng() % s.now.size()));
        if (!corrected.insert(it->first).second) continue;
        it->second.v = std::round(it->second.v * 3 + 7);
        it->second.i += 1000;
        corrections.push_back(line(s, it->first, it->second));
      }
    }
    Write(corrections);
  }

  std::vector<SeriesData> series_;
  int64_t before_correction_ = 0;
};

TEST_F(WindowFunctionsRandomTest, RandomQueriesMatchTheNaiveReference) {
  Load();
  std::mt19937_64 rng(29);
  const std::vector<std::pair<std::string, int64_t>> durations = {
      {"30s", 30 * kSecond}, {"90s", 90 * kSecond}, {"5m", 300 * kSecond}, {"17m", 1020 * kSecond}};
  const std::vector<std::pair<std::string, int64_t>> steps = {
      {"1m", 60 * kSecond}, {"30s", 30 * kSecond}, {"7m", 420 * kSecond}, {"1h", 3600 * kSecond}};
  const std::vector<std::string> fills = {"", "none", "null", "previous", "linear", "-1"};
  int checked_rows = 0;
  for (int q = 0; q < 300; ++q) {
    const std::string field = rng() % 5 == 0 ? "i" : "v";
    std::vector<ItemSpec> items(1 + rng() % 3);
    for (ItemSpec& item : items) {
      item.field = field;
      const int kind = static_cast<int>(rng() % 3);
      item.function = kind == 2 ? "moving_average" : "rolling_median";
      if (kind == 0) {
        const auto& [text, ns] = durations[rng() % durations.size()];
        item.arg = text;
        item.duration_ns = ns;
      } else {
        item.points = 1 + rng() % 40;
        item.arg = std::to_string(item.points);
      }
    }
    const bool per_step = rng() % 2 == 0;
    const auto& [step_text, step] = steps[rng() % steps.size()];
    const int64_t offset = per_step && rng() % 3 == 0 ? 90 * kSecond : 0;
    const int group_mode = static_cast<int>(rng() % 4);  // none, region, host, *
    const int range_mode = static_cast<int>(rng() % 4);  // both ends, lower, upper, none
    const int64_t lo = kBase + static_cast<int64_t>(rng() % 3000) * kSecond;
    const int64_t hi = lo + static_cast<int64_t>(1 + rng() % 3000) * kSecond;
    const std::string fill = per_step ? fills[rng() % fills.size()] : "";
    const bool descending = rng() % 4 == 0;
    const uint64_t limit = rng() % 5 == 0 ? rng() % 8 : 0;
    const bool as_of_before = rng() % 5 == 0;

    std::string text = "SELECT ";
    std::vector<std::string> columns = {"time"};
    if (group_mode == 1) columns.push_back("region");
    if (group_mode == 2 || group_mode == 3) columns.push_back("host");
    if (group_mode == 3) columns.push_back("region");
    for (size_t k = 0; k < items.size(); ++k) {
      text += (k ? ", " : "") + items[k].function + "(" + field + ", " + items[k].arg + ")";
      columns.push_back(items[k].function + "(" + field + "," + items[k].arg + ")");
    }
    text += " FROM cpu";
    const bool has_lo = range_mode == 0 || range_mode == 1,
               has_hi = range_mode != 1 && range_mode != 3;
    if (has_lo) text += " WHERE time >= " + std::to_string(lo);
    if (has_hi) text += std::string(has_lo ? " AND" : " WHERE") + " time < " + std::to_string(hi);
    std::vector<std::string> group_parts;
    if (per_step) {
      group_parts.push_back("time(" + step_text + (offset ? ", 90s" : "") + ")");
    }
    if (group_mode == 1) group_parts.push_back("region");
    if (group_mode == 2) group_parts.push_back("host");
    if (group_mode == 3) group_parts.push_back("*");
    for (size_t k = 0; k < group_parts.size(); ++k) {
      text += (k ? ", " : " GROUP BY ") + group_parts[k];
    }
    if (!fill.empty()) text += " FILL(" + fill + ")";
    if (descending) text += " ORDER BY time DESC";
    if (limit || rng() % 10 == 0) text += " LIMIT " + std::to_string(limit);
    if (as_of_before) text += " AS OF " + std::to_string(before_correction_);
    const bool limited = text.find("LIMIT") != std::string::npos;

    // Reference: streams per group, in (time, series key) order.
    const int64_t range_lo = has_lo ? lo : INT64_MIN, range_hi = has_hi ? hi : INT64_MAX;
    std::map<std::string, std::vector<StreamPoint>> streams;
    int64_t first_point = INT64_MAX, last_point = INT64_MIN;
    for (const SeriesData& s : series_) {
      const std::string group = group_mode == 1   ? s.region
                                : group_mode == 2 ? s.host
                                : group_mode == 3 ? s.host + "\t" + s.region
                                                  : "";
      for (const auto& [t, p] : as_of_before ? s.before_correction : s.now) {
        if (t < range_lo || t >= range_hi) continue;
        streams[group].push_back({t, s.key, field == "v" ? p.v : static_cast<double>(p.i)});
        first_point = std::min(first_point, t);
        last_point = std::max(last_point, t);
      }
    }
    const bool any_point = first_point <= last_point;
    const int64_t first_label = has_lo      ? StepStart(lo, step, offset)
                                : any_point ? StepStart(first_point, step, offset)
                                            : 0;
    const int64_t last_label = has_hi      ? StepStart(hi - 1, step, offset)
                               : any_point ? StepStart(last_point, step, offset)
                                           : -1;
    Rows expected;
    for (auto& [group, stream] : streams) {
      std::sort(stream.begin(), stream.end(), [](const StreamPoint& a, const StreamPoint& b) {
        return a.t != b.t ? a.t < b.t : a.key < b.key;
      });
      auto past = [&](int64_t t) {  // index past the last point at or before t
        return static_cast<size_t>(
            std::upper_bound(stream.begin(), stream.end(), t,
                             [](int64_t x, const StreamPoint& p) { return x < p.t; }) -
            stream.begin());
      };
      std::vector<int64_t> times;
      Rows cells;
      std::vector<std::vector<bool>> present;
      auto add_row = [&](int64_t t, size_t end_for_counts, size_t end_for_durations) {
        times.push_back(t);
        cells.emplace_back();
        present.emplace_back();
        for (const ItemSpec& item : items) {
          const auto value =
              Reference(item, stream, item.duration_ns > 0 ? end_for_durations : end_for_counts, t);
          cells.back().push_back(value ? FormatFloat(*value) : "");
          present.back().push_back(value.has_value());
        }
      };
      if (per_step) {
        for (int64_t t = first_label; t <= last_label; t += step) add_row(t, past(t), past(t));
      } else {
        for (size_t j = 0; j < stream.size(); ++j) add_row(stream[j].t, j + 1, past(stream[j].t));
      }
      for (size_t c = 0; c < items.size(); ++c) {
        for (size_t r = 0; r < cells.size(); ++r) {
          if (present[r][c]) continue;
          if (fill == "-1") cells[r][c] = "-1";
          if (fill == "previous" && r > 0) cells[r][c] = cells[r - 1][c];
          if (fill != "linear") continue;
          size_t prev = r, next = r;
          while (prev > 0 && !present[prev][c]) --prev;
          while (next < cells.size() && !present[next][c]) ++next;
          if (!present[prev][c] || next == cells.size()) continue;
          const double y0 = std::strtod(cells[prev][c].c_str(), nullptr);
          const double y1 = std::strtod(cells[next][c].c_str(), nullptr);
          const double x = static_cast<double>(times[r] - times[prev]) /
                           static_cast<double>(times[next] - times[prev]);
          cells[r][c] = FormatFloat(y0 + (y1 - y0) * x);
        }
      }
      uint64_t emitted = 0;
      for (size_t k = 0; k < cells.size(); ++k) {
        const size_t r = descending ? cells.size() - 1 - k : k;
        const bool any = std::find(present[r].begin(), present[r].end(), true) != present[r].end();
        if (fill == "none" && !any) continue;
        if (limited && emitted >= limit) break;
        std::vector<std::string> row = {FormatTime(times[r])};
        if (!group.empty()) {
          const size_t tab = group.find('\t');
          row.push_back(group.substr(0, tab));
          if (tab != std::string::npos) row.push_back(group.substr(tab + 1));
        }
        row.insert(row.end(), cells[r].begin(), cells[r].end());
        expected.push_back(row);
        ++emitted;
      }
    }

    const TableSink got = QueryOk(text);
    ASSERT_EQ(got.columns(), columns) << text;
    ASSERT_EQ(got.rows().size(), expected.size()) << text;
    for (size_t r = 0; r < expected.size(); ++r) {
      ASSERT_EQ(got.rows()[r].size(), expected[r].size()) << text;
      const size_t first_item = expected[r].size() - items.size();
      for (size_t c = 0; c < expected[r].size(); ++c) {
        const std::string what =
            text + "\nrow " + std::to_string(r) + " column " + std::to_string(c);
        if (c >= first_item && items[c - first_item].function == "moving_average") {
          ExpectNear(got.rows()[r][c], expected[r][c], what);
        } else {
          EXPECT_EQ(got.rows()[r][c], expected[r][c]) << what;  // medians exactly
        }
      }
      ++checked_rows;
    }
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(checked_rows, 10000);
}

}  // namespace
}  // namespace strata::query
