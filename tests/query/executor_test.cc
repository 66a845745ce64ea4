#include "query/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "engine/line_protocol.h"
#include "engine/write_batch.h"
#include "query/parser.h"
#include "query/result_format.h"
#include "tests/support/test_util.h"

namespace strata::query {
namespace {

__extension__ typedef __int128 Int128;

constexpr int64_t kBase = 1'700'000'000'000'000'000;  // valid times start here
constexpr int64_t kStep = 1'000'000;                  // 1 ms between time slots
constexpr int kHosts = 5;

// Float text that parses back to exactly v.
std::string FloatText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string Decimal(Int128 v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  std::string digits;
  while (v != 0) {
    int d = static_cast<int>(v % 10);
    digits.insert(digits.begin(), static_cast<char>('0' + (negative ? -d : d)));
    v /= 10;
  }
  return negative ? "-" + digits : digits;
}

double ParseDouble(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  EXPECT_EQ(end, text.c_str() + text.size()) << "'" << text << "' is not a number";
  return v;
}

// What the test wrote: for each (host, valid time) the last value written, per field. This is
// the reference every answer is checked against.
struct Model {
  std::map<std::pair<int, int64_t>, double> v;   // float field "v"
  std::map<std::pair<int, int64_t>, int64_t> n;  // int field "n"
};

// A time predicate as the query states it; the reference applies it literally.
struct TimeFilter {
  std::optional<std::pair<std::string, int64_t>> lower;  // ">=" or ">" or "="
  std::optional<std::pair<std::string, int64_t>> upper;  // "<" or "<="

  bool Matches(int64_t t) const {
    auto test = [t](const std::pair<std::string, int64_t>& c) {
      if (c.first == ">=") return t >= c.second;
      if (c.first == ">") return t > c.second;
      if (c.first == "<") return t < c.second;
      if (c.first == "<=") return t <= c.second;
      return t == c.second;  // "="
    };
    return (!lower || test(*lower)) && (!upper || test(*upper));
  }

  std::string Where() const {
    std::string out;
    if (lower) out = " WHERE time " + lower->first + " " + std::to_string(lower->second);
    if (upper) {
      out += lower ? " AND " : " WHERE ";
      out += "time " + upper->first + " " + std::to_string(upper->second);
    }
    return out;
  }
};

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions options;
    options.data_dir = dir_.Sub("data");
    options.fsync = wal::FsyncPolicy::kOff;
    auto opened = engine::Engine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine_ = std::move(opened).value();
  }

  void TearDown() override {
    if (engine_) {
      EXPECT_TRUE(engine_->Close().ok());
    }
  }

  // Writes lines as one batch (one commit) and waits until it is visible; returns its system
  // time.
  engine::SystemTime Write(const std::vector<std::string>& lines) {
    engine::LineParser parser;
    engine::ParsedLine parsed;
    engine::WriteBatch batch;
    for (const std::string& line : lines) {
      Status s = parser.Parse(line, &parsed);
      EXPECT_TRUE(s.ok()) << line << ": " << s.ToString();
      if (!s.ok()) continue;
      s = engine_->AddLine(parsed, kBase, &batch);
      EXPECT_TRUE(s.ok()) << line << ": " << s.ToString();
    }
    auto committed = engine_->Commit(&batch);
    EXPECT_TRUE(committed.ok()) << committed.status().ToString();
    if (!committed.ok()) return engine::SystemTime{};
    EXPECT_TRUE(engine_->WaitForCommit(*committed).ok());
    return *committed;
  }

  Result<TableSink> Query(const std::string& text) {
    auto statement = ParseSelect(text, engine_->NowNanos());
    if (!statement.ok()) return statement.status();
    TableSink sink;
    STRATA_RETURN_IF_ERROR(ExecuteSelect(*engine_, *statement, sink));
    return sink;
  }

  TableSink QueryOk(const std::string& text) {
    auto result = Query(text);
    EXPECT_TRUE(result.ok()) << text << "\n" << result.status().ToString();
    return result.ok() ? *result : TableSink{};
  }

  std::string QueryError(const std::string& text) {
    auto result = Query(text);
    if (result.ok()) return "<no error>";
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << text;
    return result.status().message();
  }

  // Writes `lines` random lines of cpu,host=h<k> as batches of batch_lines, recording each write
  // in *model (and returning the commits' system times). Duplicates of (series, time) are
  // frequent, within a batch and across batches; times arrive out of order.
  std::vector<engine::SystemTime> WriteRandom(std::mt19937_64& rng, int lines, int batch_lines,
                                              int slots, Model* model) {
    std::uniform_int_distribution<int> host(0, kHosts - 1);
    std::uniform_int_distribution<int> slot(0, slots - 1);
    std::uniform_int_distribution<int64_t> milli(-200'000, 1'000'000);
    std::uniform_int_distribution<int64_t> integer(-(int64_t{1} << 40), int64_t{1} << 40);
    std::uniform_int_distribution<int> coin(0, 99);
    std::vector<engine::SystemTime> commits;
    std::vector<std::string> batch;
    int last_host = 0;
    int64_t last_t = kBase;
    for (int i = 0; i < lines; ++i) {
      int h = host(rng);
      int64_t t = kBase + slot(rng) * kStep;
      if (i > 0 && coin(rng) < 10) {  // rewrite the previous point, often in the same batch
        h = last_host;
        t = last_t;
      }
      const double v = static_cast<double>(milli(rng)) / 1000.0;
      std::string line = "cpu,host=h" + std::to_string(h) + " v=" + FloatText(v);
      model->v[{h, t}] = v;
      if (coin(rng) < 50) {
        const int64_t n = integer(rng);
        line += ",n=" + std::to_string(n) + "i";
        model->n[{h, t}] = n;
      }
      line += " " + std::to_string(t);
      batch.push_back(std::move(line));
      last_host = h;
      last_t = t;
      if (static_cast<int>(batch.size()) == batch_lines) {
        commits.push_back(Write(batch));
        batch.clear();
      }
    }
    if (!batch.empty()) commits.push_back(Write(batch));
    return commits;
  }

  testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
};

const std::vector<std::string> kAllColumns = {"count(v)", "sum(v)", "min(v)", "max(v)", "mean(v)",
                                              "count(n)", "sum(n)", "min(n)", "max(n)", "mean(n)"};
const char kAllItems[] =
    "SELECT count(v), sum(v), min(v), max(v), mean(v), count(n), sum(n), min(n), max(n), "
    "mean(n) FROM cpu";

// Checks one answer of kAllItems against the model restricted by filter.
void ExpectMatchesModel(const TableSink& got, const Model& model, const TimeFilter& filter,
                        const std::string& context) {
  SCOPED_TRACE(context);
  ASSERT_EQ(got.columns(), kAllColumns);

  std::vector<double> vs;
  for (const auto& [key, value] : model.v) {
    if (filter.Matches(key.second)) vs.push_back(value);
  }
  std::vector<int64_t> ns;
  for (const auto& [key, value] : model.n) {
    if (filter.Matches(key.second)) ns.push_back(value);
  }
  if (vs.empty() && ns.empty()) {
    EXPECT_TRUE(got.rows().empty()) << "an aggregate over no points returns no row";
    return;
  }
  ASSERT_EQ(got.rows().size(), 1u);
  const std::vector<std::string>& row = got.rows()[0];
  ASSERT_EQ(row.size(), kAllColumns.size());

  EXPECT_EQ(row[0], std::to_string(vs.size()));
  if (vs.empty()) {
    for (int i = 1; i <= 4; ++i) EXPECT_EQ(row[i], "") << kAllColumns[i];
  } else {
    long double sum = 0;
    double abs_sum = 0;
    for (double v : vs) {
      sum += v;
      abs_sum += std::fabs(v);
    }
    const double tolerance = 1e-9 * std::max(abs_sum, 1.0);
    EXPECT_NEAR(ParseDouble(row[1]), static_cast<double>(sum), tolerance);
    EXPECT_EQ(std::bit_cast<uint64_t>(ParseDouble(row[2])),
              std::bit_cast<uint64_t>(*std::min_element(vs.begin(), vs.end())))
        << row[2];
    EXPECT_EQ(std::bit_cast<uint64_t>(ParseDouble(row[3])),
              std::bit_cast<uint64_t>(*std::max_element(vs.begin(), vs.end())))
        << row[3];
    EXPECT_NEAR(ParseDouble(row[4]), static_cast<double>(sum / vs.size()), tolerance / vs.size());
  }

  EXPECT_EQ(row[5], std::to_string(ns.size()));
  if (ns.empty()) {
    for (int i = 6; i <= 9; ++i) EXPECT_EQ(row[i], "") << kAllColumns[i];
  } else {
    Int128 sum = 0;
    for (int64_t n : ns) sum += n;
    EXPECT_EQ(row[6], Decimal(sum));
    EXPECT_EQ(row[7], std::to_string(*std::min_element(ns.begin(), ns.end())));
    EXPECT_EQ(row[8], std::to_string(*std::max_element(ns.begin(), ns.end())));
    const double mean = static_cast<double>(static_cast<long double>(sum) / ns.size());
    EXPECT_NEAR(ParseDouble(row[9]), mean, 1e-9 * std::max(std::fabs(mean), 1.0));
  }
}

TEST_F(ExecutorTest, RandomRangeAggregatesMatchWhatWasWrittenLastWriteWins) {
  std::mt19937_64 rng(20260101);
  constexpr int kSlots = 2000;
  Model model;
  WriteRandom(rng, /*lines=*/4000, /*batch_lines=*/250, kSlots, &model);
  // The data set must exercise what the test is about.
  ASSERT_LT(model.v.size(), 4000u) << "no duplicate (series, time) writes";

  // Another measurement with the same field names must not leak into cpu's answers.
  Write({"mem,host=h0 v=1e300,n=99i " + std::to_string(kBase + 5 * kStep),
         "mem,host=h9 v=-1e300,n=-99i " + std::to_string(kBase + 7 * kStep)});

  ExpectMatchesModel(QueryOk(kAllItems), model, TimeFilter{}, "no WHERE");

  std::uniform_int_distribution<int> slot(-10, kSlots + 10);
  std::uniform_int_distribution<int> shape(0, 9);
  std::uniform_int_distribution<int> jitter(-1, 1);
  for (int q = 0; q < 150; ++q) {
    int a = slot(rng), b = slot(rng);
    if (a > b) std::swap(a, b);
    // Bounds on a slot or one nanosecond off it, so inclusive/exclusive edges matter.
    const int64_t lo = kBase + a * kStep + jitter(rng);
    const int64_t hi = kBase + b * kStep + jitter(rng);
    TimeFilter filter;
    switch (shape(rng)) {
      case 0:
        filter.lower = {">=", lo};
        break;
      case 1:
        filter.upper = {"<", hi};
        break;
      case 2:
        filter.lower = {"=", kBase + a * kStep};
        break;
      case 3:
        filter.lower = {">", lo};
        filter.upper = {"<=", hi};
        break;
      case 4:
        filter.lower = {">=", hi};  // empty when hi > lo, usually
        filter.upper = {"<", lo};
        break;
      default:
        filter.lower = {shape(rng) % 2 ? ">=" : ">", lo};
        filter.upper = {shape(rng) % 2 ? "<" : "<=", hi};
        break;
    }
    const std::string query = std::string(kAllItems) + filter.Where();
    ExpectMatchesModel(QueryOk(query), model, filter, query);
    if (HasFatalFailure()) return;
  }
}

TEST_F(ExecutorTest, AggregateOverNoPointsReturnsHeaderOnly) {
  Write({"cpu,host=a v=1.5,n=3i " + std::to_string(kBase)});
  struct Case {
    std::string query;
    std::vector<std::string> columns;
  };
  const Case cases[] = {
      {"SELECT count(v), sum(v) FROM cpu WHERE time < " + std::to_string(kBase),
       {"count(v)", "sum(v)"}},
      {"SELECT count(v), sum(v) FROM cpu WHERE time > " + std::to_string(kBase),
       {"count(v)", "sum(v)"}},
      {"SELECT count(v), sum(v) FROM nosuch", {"count(v)", "sum(v)"}},
      {"SELECT count(nosuch), max(nosuch) FROM cpu", {"count(nosuch)", "max(nosuch)"}},
  };
  for (const Case& c : cases) {
    TableSink got = QueryOk(c.query);
    EXPECT_EQ(got.columns(), c.columns) << c.query;
    EXPECT_TRUE(got.rows().empty()) << c.query;
  }
  // The same point is found when the range includes it.
  TableSink found =
      QueryOk("SELECT count(v), sum(v) FROM cpu WHERE time = " + std::to_string(kBase));
  ASSERT_EQ(found.rows().size(), 1u);
  EXPECT_EQ(found.rows()[0], (std::vector<std::string>{"1", FormatFloat(1.5)}));
}

TEST_F(ExecutorTest, AliasesNameTheColumns) {
  Write({"cpu,host=a v=2 " + std::to_string(kBase), "cpu,host=b v=4 " + std::to_string(kBase)});
  TableSink got = QueryOk("SELECT mean(v) AS m, max(v), count( v ) AS \"how many\" FROM cpu");
  EXPECT_EQ(got.columns(), (std::vector<std::string>{"m", "max(v)", "how many"}));
  ASSERT_EQ(got.rows().size(), 1u);
  EXPECT_EQ(ParseDouble(got.rows()[0][0]), (2.0 + 4.0) / 2);
  EXPECT_EQ(ParseDouble(got.rows()[0][1]), 4.0);
  EXPECT_EQ(got.rows()[0][2], "2");
}

TEST_F(ExecutorTest, AsOfCommitKSeesExactlyCommitsOneToK) {
  std::mt19937_64 rng(77);
  constexpr int kCommits = 6;
  // Few slots, so later commits overwrite much of what earlier ones wrote.
  std::vector<Model> after;  // after[k]: the model once commits 0..k are applied
  std::vector<engine::SystemTime> times;
  Model model;
  for (int k = 0; k < kCommits; ++k) {
    auto t = WriteRandom(rng, /*lines=*/150, /*batch_lines=*/150, /*slots=*/60, &model);
    ASSERT_EQ(t.size(), 1u);
    if (!times.empty()) {
      ASSERT_GT(t[0], times.back()) << "system times must increase";
    }
    times.push_back(t[0]);
    after.push_back(model);
  }
  for (int k = 0; k < kCommits; ++k) {
    const std::string at = std::string(kAllItems) + " AS OF " + std::to_string(times[k].ns);
    ExpectMatchesModel(QueryOk(at), after[k], TimeFilter{}, at);
    // One nanosecond earlier is the state after the previous commit.
    const std::string before = std::string(kAllItems) + " AS OF " + std::to_string(times[k].ns - 1);
    ExpectMatchesModel(QueryOk(before), k == 0 ? Model{} : after[k - 1], TimeFilter{}, before);
  }
  // Without AS OF a query sees the latest commit; with a time range as well.
  ExpectMatchesModel(QueryOk(kAllItems), after.back(), TimeFilter{}, "no AS OF");
  TimeFilter filter;
  filter.lower = {">=", kBase + 10 * kStep};
  filter.upper = {"<", kBase + 30 * kStep};
  const std::string ranged =
      std::string(kAllItems) + filter.Where() + " AS OF " + std::to_string(times[2].ns);
  ExpectMatchesModel(QueryOk(ranged), after[2], filter, ranged);
}

TEST_F(ExecutorTest, SumOfStringFieldIsAnErrorNamingTheField) {
  Write({"cpu,host=a name=\"x\",v=1 " + std::to_string(kBase),
         "cpu,host=a name=\"y\",v=2 " + std::to_string(kBase + 1)});
  const std::string q = "SELECT count(v), sum(name) FROM cpu";
  std::string error = QueryError(q);
  const std::string position = "1:" + std::to_string(q.find("sum") + 1) + " ";
  EXPECT_EQ(error.substr(0, position.size()), position) << error;
  EXPECT_NE(error.find("'name'"), std::string::npos) << error;
  // Counting a string field is fine.
  TableSink got = QueryOk("SELECT count(name) FROM cpu");
  ASSERT_EQ(got.rows().size(), 1u);
  EXPECT_EQ(got.rows()[0][0], "2");
}

TEST_F(ExecutorTest, UnsupportedQueriesAreErrorsWithPositions) {
  Write({"cpu,host=a v=1 " + std::to_string(kBase)});
  struct Case {
    std::string query;
    std::string needle;  // where the error must point
    std::string mentions;
  };
  const Case cases[] = {
      {"SELECT count(v) FROM cpu WHERE time > 0 AND host > 'a'", "host", "host"},
      {"SELECT count(v) FROM cpu WHERE v > 'high'", "v >", "'v'"},
      {"SELECT count(v) FROM cpu WHERE time != 5", "time", "!="},
      {"SELECT count(v) FROM cpu\nWHERE time > 0 OR time < 5", "OR", "OR"},
      {"SELECT count(v)\nFROM cpu\nWHERE (time > 0 AND time < 9)\n   OR host =~ /a/", "OR", "OR"},
      {"SELECT v, count(v) FROM cpu", "count", "mix"},
      {"SELECT percentile(v) FROM cpu", ") FROM", "percentile"},
      {"SELECT sum(v, 5) FROM cpu", "5", "argument"},
  };
  for (const Case& c : cases) {
    const std::string error = QueryError(c.query);
    size_t at = c.query.find(c.needle);
    ASSERT_NE(at, std::string::npos);
    const size_t line = 1 + std::count(c.query.begin(), c.query.begin() + at, '\n');
    const size_t newline = c.query.rfind('\n', at);
    const size_t line_start = newline == std::string::npos ? 0 : newline + 1;
    const size_t column = at - line_start + 1;
    const std::string position = std::to_string(line) + ":" + std::to_string(column) + " ";
    EXPECT_EQ(error.substr(0, position.size()), position) << c.query << "\n" << error;
    EXPECT_NE(error.find(c.mentions), std::string::npos) << c.query << "\n" << error;
  }
}

TEST_F(ExecutorTest, AScanPastItsDeadlineStopsTheQuery) {
  Write({"cpu,host=a v=1 " + std::to_string(kBase), "cpu,host=a v=2 " + std::to_string(kBase + 1)});
  auto statement = ParseSelect("SELECT median(v) FROM cpu", engine_->NowNanos());
  ASSERT_TRUE(statement.ok());
  engine::ScanContext limits;
  limits.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  TableSink sink;
  Status status = ExecuteSelect(*engine_, *statement, sink, &limits);
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "query timed out");
  // Without a deadline the same statement answers.
  TableSink answer;
  ASSERT_TRUE(ExecuteSelect(*engine_, *statement, answer).ok());
  EXPECT_EQ(answer.rows(), (std::vector<std::vector<std::string>>{{"1.5"}}));
}

TEST_F(ExecutorTest, AStatementHoldingMoreThanItsMemoryLimitFails) {
  std::vector<std::string> lines;
  for (int i = 0; i < 2000; ++i) {
    lines.push_back("cpu,host=a v=" + std::to_string(i) + " " + std::to_string(kBase + i));
  }
  Write(lines);
  // The last: few points, but a bucket per nanosecond between them to fill.
  Write({"cpu,host=b v=1 " + std::to_string(kBase + 100'000)});
  for (const char* text : {"SELECT median(v) FROM cpu", "SELECT rolling_median(v, 10) FROM cpu",
                           "SELECT count(v) FROM cpu GROUP BY time(1ns)",
                           "SELECT count(v) FROM cpu WHERE host = 'b' OR host = 'a' GROUP BY "
                           "time(1ns) FILL(0)"}) {
    auto statement = ParseSelect(text, engine_->NowNanos());
    ASSERT_TRUE(statement.ok()) << text;
    engine::ScanContext limits;
    limits.memory_limit_bytes = 4096;  // 2000 points need more than that
    TableSink sink;
    Status status = ExecuteSelect(*engine_, *statement, sink, &limits);
    EXPECT_EQ(status.code(), StatusCode::kResourceExhausted) << text;
    EXPECT_EQ(status.message().rfind("query memory limit exceeded: it holds ", 0), 0u)
        << status.message();
    limits = engine::ScanContext{};
    limits.memory_limit_bytes = 64 << 20;
    TableSink answer;
    EXPECT_TRUE(ExecuteSelect(*engine_, *statement, answer, &limits).ok()) << text;
    EXPECT_FALSE(answer.rows().empty());
  }
  // Two points, so almost no aggregator memory, but 100,001 one-nanosecond buckets to fill: the
  // buckets themselves are charged while the rows are built.
  Write({"gap v=1 " + std::to_string(kBase), "gap v=2 " + std::to_string(kBase + 100'000)});
  auto gap = ParseSelect("SELECT count(v) FROM gap GROUP BY time(1ns)", engine_->NowNanos());
  ASSERT_TRUE(gap.ok());
  engine::ScanContext small;
  small.memory_limit_bytes = 64 << 10;
  TableSink refused;
  EXPECT_EQ(ExecuteSelect(*engine_, *gap, refused, &small).code(), StatusCode::kResourceExhausted);
  engine::ScanContext large;
  large.memory_limit_bytes = 64 << 20;
  TableSink filled;
  ASSERT_TRUE(ExecuteSelect(*engine_, *gap, filled, &large).ok());
  EXPECT_EQ(filled.rows().size(), 100'001u);
}

}  // namespace
}  // namespace strata::query
