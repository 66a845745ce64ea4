#include "server/session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "query/result_format.h"
#include "tests/support/test_util.h"

namespace strata::server {
namespace {

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(start) + "<no newline>");
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> cells;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    cells.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return cells;
}

double ParseDouble(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  EXPECT_EQ(end, text.c_str() + text.size()) << "'" << text << "' is not a number";
  return v;
}

std::string FloatText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

struct SyncReply {
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  int64_t system_time = -1;
};

// Splits `line` on single spaces; the first word must equal `keyword` and every other word must be
// a decimal number. (No std::regex: GCC 12 warns inside it under ASan and -Werror.)
bool ParseKeywordNumbers(const std::string& line, std::string_view keyword,
                         std::vector<uint64_t>* numbers) {
  std::vector<std::string_view> words;
  std::string_view rest(line);
  while (true) {
    const size_t space = rest.find(' ');
    words.push_back(rest.substr(0, space));
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  if (words.empty() || words[0] != keyword) return false;
  numbers->clear();
  for (size_t i = 1; i < words.size(); ++i) {
    uint64_t value = 0;
    const char* end = words[i].data() + words[i].size();
    auto [ptr, ec] = std::from_chars(words[i].data(), end, value);
    if (words[i].empty() || ec != std::errc() || ptr != end) return false;
    numbers->push_back(value);
  }
  return true;
}

// Parses "OK <accepted> <rejected> <system-time>" exactly.
bool ParseSync(const std::string& line, SyncReply* out) {
  std::vector<uint64_t> n;
  if (!ParseKeywordNumbers(line, "OK", &n) || n.size() != 3) return false;
  out->accepted = n[0];
  out->rejected = n[1];
  out->system_time = static_cast<int64_t>(n[2]);
  return true;
}

// Parses "OK <tombstones> <system-time>" (the DELETE reply) exactly.
bool ParseDeleteReply(const std::string& line, uint64_t* tombstones, int64_t* system_time) {
  std::vector<uint64_t> n;
  if (!ParseKeywordNumbers(line, "OK", &n) || n.size() != 2) return false;
  *tombstones = n[0];
  *system_time = static_cast<int64_t>(n[1]);
  return true;
}

// True when `line` is "END <rows> <micros>" with the given row count.
bool IsEndLine(const std::string& line, uint64_t rows) {
  std::vector<uint64_t> n;
  return ParseKeywordNumbers(line, "END", &n) && n.size() == 2 && n[0] == rows;
}

// A parsed query answer: header, rows and the END line's row count.
struct Answer {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  uint64_t end_rows = 0;
};

// Parses a whole reply that must be exactly one answer: header, rows, "END <rows> <micros>".
bool ParseAnswer(const std::string& reply, Answer* out) {
  std::vector<std::string> lines = SplitLines(reply);
  if (lines.size() < 2) return false;
  std::vector<uint64_t> end;
  if (!ParseKeywordNumbers(lines.back(), "END", &end) || end.size() != 2) return false;
  out->end_rows = end[0];
  out->header = SplitTabs(lines[0]);
  for (size_t i = 1; i + 1 < lines.size(); ++i) out->rows.push_back(SplitTabs(lines[i]));
  return true;
}

class SessionTest : public ::testing::Test {
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

  std::unique_ptr<Session> NewSession() { return std::make_unique<Session>(*engine_, options_); }

  static std::string Send(Session& session, std::string_view bytes) {
    std::string out;
    session.Receive(bytes, &out);
    return out;
  }

  // Sends SYNC and parses the reply, which must be exactly one OK line.
  static SyncReply Sync(Session& session) {
    const std::string reply = Send(session, "SYNC\n");
    SyncReply r;
    EXPECT_TRUE(!reply.empty() && reply.back() == '\n' &&
                ParseSync(reply.substr(0, reply.size() - 1), &r))
        << "'" << reply << "'";
    return r;
  }

  static Answer Query(Session& session, const std::string& query) {
    const std::string reply = Send(session, query + "\n");
    Answer a;
    EXPECT_TRUE(ParseAnswer(reply, &a)) << query << "\n'" << reply << "'";
    EXPECT_EQ(a.end_rows, a.rows.size()) << reply;
    return a;
  }

  testing::TempDir dir_;
  ServerOptions options_;
  std::unique_ptr<engine::Engine> engine_;
};

// While the socket holds more bytes, a connection's writes wait for them, up to
// max_batch_bytes: each commit is one WAL record with one system time, so the commit count
// says where the batches were cut.
TEST_F(SessionTest, StreamedWritesCommitAtTheBatchLimitAndWhenTheSocketDrains) {
  options_.max_batch_bytes = 1024;
  auto session = NewSession();
  const uint64_t commits_before = engine_->Stats().commits;
  std::string out;
  // A line here encodes to 18 to 40 bytes of batch (a float value and a time at least), so 200
  // of them fill 1024 bytes at least 3 and at most 8 times.
  for (int i = 0; i < 200; ++i) {
    const std::string line = "cpu,host=h" + std::to_string(i % 7) + " u=" + std::to_string(i) +
                             " " + std::to_string(1000 + i) + "\n";
    ASSERT_TRUE(session->Receive(line, &out, /*more_coming=*/true));
  }
  ASSERT_EQ(out, "");
  // The rest waits until the socket drains.
  ASSERT_TRUE(session->Receive("", &out, /*more_coming=*/false));
  ASSERT_EQ(out, "");
  const SyncReply synced = Sync(*session);
  EXPECT_EQ(synced.accepted, 200u);
  const uint64_t commits = engine_->Stats().commits - commits_before;
  EXPECT_GE(commits, 4u) << "the batch limit cuts a long stream, and the drain commits the rest";
  EXPECT_LE(commits, 9u) << "a streamed line is not committed on its own";
  const Answer count = Query(*session, "SELECT count(u) FROM cpu");
  ASSERT_EQ(count.rows.size(), 1u);
  EXPECT_EQ(count.rows[0].back(), "200");
}

TEST_F(SessionTest, PingAnswersPongInAnyCase) {
  auto s = NewSession();
  EXPECT_EQ(Send(*s, "PING\n"), "PONG\n");
  EXPECT_EQ(Send(*s, "ping\nPing\npInG\n"), "PONG\nPONG\nPONG\n");
  EXPECT_EQ(Send(*s, "PING\r\n"), "PONG\n");
}

TEST_F(SessionTest, PartialLinesWaitForTheirNewline) {
  auto s = NewSession();
  EXPECT_EQ(Send(*s, "PI"), "");
  EXPECT_EQ(Send(*s, "NG"), "");
  EXPECT_EQ(Send(*s, "\nPING"), "PONG\n");
  std::string out;
  s->Finish(&out);  // end of stream delivers the unterminated last line
  EXPECT_EQ(out, "PONG\n");
}

TEST_F(SessionTest, QuitSaysByeAndLaterBytesAreIgnored) {
  auto s = NewSession();
  std::string out;
  EXPECT_FALSE(s->Receive("PING\nQUIT\nPING\nlate v=1 1\n", &out));
  EXPECT_EQ(out, "PONG\nOK bye\n");
  out.clear();
  EXPECT_FALSE(s->Receive("PING\nlate v=2 2\n", &out));
  EXPECT_EQ(out, "");
  s->Finish(&out);
  EXPECT_EQ(out, "");

  // Another connection proves nothing after QUIT was written.
  auto other = NewSession();
  Sync(*other);
  EXPECT_TRUE(engine_->series_index().SeriesOf("late").empty());
}

TEST_F(SessionTest, QuitStillCommitsEarlierWrites) {
  auto s = NewSession();
  std::string out;
  EXPECT_FALSE(s->Receive("cpu v=1 1\ncpu v=2 2\nquit\n", &out));
  EXPECT_EQ(out, "OK bye\n");
  // A later connection's SYNC commits after the QUIT connection's writes, so waiting for it
  // makes them visible.
  auto other = NewSession();
  Send(*other, "other v=1 1\n");
  Sync(*other);
  Answer a = Query(*other, "SELECT count(v), sum(v) FROM cpu");
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_EQ(a.rows[0][0], "2");
  EXPECT_EQ(ParseDouble(a.rows[0][1]), 1.0 + 2.0);
}

TEST_F(SessionTest, SyncCountsLinesNotPointsSinceThePreviousSync) {
  auto s = NewSession();
  const std::string first =
      "cpu,host=a u=1,s=2,i=3 1\n"
      "cpu,host=b u=4,s=5,i=6,w=7 2\n"
      "cpu,host=a u=8 3\n"
      "this is not line protocol\n";
  std::string reply = Send(*s, first);
  std::vector<std::string> lines = SplitLines(reply);
  ASSERT_EQ(lines.size(), 1u) << reply;
  EXPECT_EQ(lines[0].rfind("ERR 4 ", 0), 0u) << lines[0];
  SyncReply r1 = Sync(*s);
  EXPECT_EQ(r1.accepted, 3u);  // 3 lines with 8 points between them
  EXPECT_EQ(r1.rejected, 1u);
  EXPECT_GT(r1.system_time, 0);

  Send(*s, "cpu,host=c u=9 4\n");
  SyncReply r2 = Sync(*s);
  EXPECT_EQ(r2.accepted, 1u);
  EXPECT_EQ(r2.rejected, 0u);
  EXPECT_GT(r2.system_time, r1.system_time);
}

TEST_F(SessionTest, ErrLineNumbersCountEveryLineIncludingBlanksAndCommands) {
  auto s = NewSession();
  // Lines: 1 PING, 2 blank, 3 comment, 4 write, 5 bad, 6 SYNC, 7 blank (CRLF), 8 bad.
  std::string reply = Send(*s, "PING\n\n# comment\ncpu v=1 1\nbad\nSYNC\n\r\nbad again\n");
  std::vector<std::string> lines = SplitLines(reply);
  ASSERT_EQ(lines.size(), 4u) << reply;
  EXPECT_EQ(lines[0], "PONG");
  EXPECT_EQ(lines[1].rfind("ERR 5 ", 0), 0u) << lines[1];
  SyncReply r;
  EXPECT_TRUE(ParseSync(lines[2], &r)) << lines[2];
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(lines[3].rfind("ERR 8 ", 0), 0u) << lines[3];

  // Numbering continues across receives, and a line split across them counts once.
  EXPECT_EQ(Send(*s, "PING\nba"), "PONG\n");  // line 9
  reply = Send(*s, "d\n");                    // line 10
  EXPECT_EQ(reply.rfind("ERR 10 ", 0), 0u) << reply;
  EXPECT_EQ(s->lines_seen(), 10u);
}

TEST_F(SessionTest, KeywordsAreRecognisedInAnyCase) {
  auto s = NewSession();
  Send(*s, "cpu v=1 1\n");
  std::string reply = Send(*s, "sync\n");
  SyncReply r;
  ASSERT_TRUE(ParseSync(reply.substr(0, reply.size() - 1), &r)) << reply;
  EXPECT_EQ(r.accepted, 1u);
  reply = Send(*s, "SyNc\n");
  ASSERT_TRUE(ParseSync(reply.substr(0, reply.size() - 1), &r)) << reply;
  EXPECT_EQ(r.accepted, 0u);
  Answer a = Query(*s, "select COUNT(v) from cpu");
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_EQ(a.rows[0][0], "1");
}

TEST_F(SessionTest, MeasurementNamedLikeAKeywordIsWrittenWithTags) {
  auto s = NewSession();
  // "select,host=a" is the first token: not a keyword, so this is a write.
  EXPECT_EQ(Send(*s, "select,host=a v=1 1\nsync,host=b v=2 2\nPING,x=y v=3 3\n"), "");
  SyncReply r = Sync(*s);
  EXPECT_EQ(r.accepted, 3u);
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_EQ(engine_->series_index().SeriesOf("select").size(), 1u);
  EXPECT_EQ(engine_->series_index().SeriesOf("sync").size(), 1u);
  EXPECT_EQ(engine_->series_index().SeriesOf("PING").size(), 1u);
}

TEST_F(SessionTest, KeywordFollowedBySpaceIsACommandNotAWrite) {
  auto s = NewSession();
  // "select v=1" starts with the keyword SELECT: a (malformed) query, answered with a query
  // error (which carries a position), never written.
  std::string reply = Send(*s, "select v=1\n");
  EXPECT_EQ(reply.rfind("ERR 1:", 0), 0u) << reply;
  EXPECT_EQ(SplitLines(reply).size(), 1u) << reply;
  SyncReply r = Sync(*s);
  EXPECT_EQ(r.accepted, 0u);
  EXPECT_TRUE(engine_->series_index().SeriesOf("select").empty());
}

TEST_F(SessionTest, TooLongLineIsRejectedAndTheConnectionContinues) {
  options_.max_line_bytes = 64;
  auto s = NewSession();
  const std::string long_write = "cpu v=1 1 " + std::string(100, '#');
  EXPECT_EQ(Send(*s, "PING\n" + long_write + "\nPING\n"), "PONG\nERR 2 line too long\nPONG\n");
  // The long line arrives in pieces; it is reported once, when its newline arrives.
  EXPECT_EQ(Send(*s, std::string(50, 'x')), "");
  EXPECT_EQ(Send(*s, std::string(50, 'x')), "");
  EXPECT_EQ(Send(*s, std::string(50, 'x') + "\ncpu v=2 2\n"), "ERR 4 line too long\n");
  SyncReply r = Sync(*s);
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.rejected, 2u);
  Answer a = Query(*s, "SELECT count(v), sum(v) FROM cpu");
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_EQ(a.rows[0][0], "1");
  EXPECT_EQ(ParseDouble(a.rows[0][1]), 2.0);
}

TEST_F(SessionTest, InvalidUtf8InAWriteIsRejected) {
  auto s = NewSession();
  const std::string bad[] = {
      "cpu,host=\xff v=1 1",          // not UTF-8 at all
      "cpu,host=\xc0\xaf v=1 2",      // overlong '/'
      "cpu,host=\xed\xa0\x80 v=1 3",  // UTF-16 surrogate
      "cpu s=\"\xe2\x82\" 4",         // truncated sequence inside a string value
  };
  for (size_t i = 0; i < std::size(bad); ++i) {
    std::string reply = Send(*s, bad[i] + "\n");
    const std::string prefix = "ERR " + std::to_string(i + 1) + " ";
    EXPECT_EQ(reply.rfind(prefix, 0), 0u) << reply;
    EXPECT_NE(reply.find("UTF-8"), std::string::npos) << reply;
  }
  // Valid multi-byte UTF-8 is fine.
  EXPECT_EQ(Send(*s, "cpu,host=z\xc3\xbcrich v=1 5\n"), "");
  SyncReply r = Sync(*s);
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.rejected, std::size(bad));
  auto series = engine_->series_index().SeriesOf("cpu");
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0]->TagValue("host"), "z\xc3\xbcrich");
}

TEST_F(SessionTest, FieldTypeConflictIsRejectedWithAReason) {
  auto s = NewSession();
  std::string reply = Send(*s, "cpu v=1 1\ncpu v=2i 2\ncpu v=3 3\ncpu v=\"x\" 4\n");
  std::vector<std::string> lines = SplitLines(reply);
  ASSERT_EQ(lines.size(), 2u) << reply;
  EXPECT_EQ(lines[0].rfind("ERR 2 ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("'v'"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("float"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("integer"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].rfind("ERR 4 ", 0), 0u) << lines[1];
  SyncReply r = Sync(*s);
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_EQ(r.rejected, 2u);
  Answer a = Query(*s, "SELECT count(v), sum(v) FROM cpu");
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_EQ(a.rows[0][0], "2");
  EXPECT_EQ(ParseDouble(a.rows[0][1]), 1.0 + 3.0);
}

TEST_F(SessionTest, SelectAnswerIsHeaderRowsThenEnd) {
  auto s = NewSession();
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> dist(-50, 50);
  double sum = 0, min = 1e9, max = -1e9;
  std::string writes;
  for (int i = 0; i < 20; ++i) {
    const double v = std::round(dist(rng) * 100) / 100;
    sum += v;
    min = std::min(min, v);
    max = std::max(max, v);
    writes += "cpu,host=h" + std::to_string(i % 3) + " v=" + FloatText(v) + " " +
              std::to_string(1000 + i) + "\n";
  }
  EXPECT_EQ(Send(*s, writes), "");
  const std::string reply = Send(*s, "SELECT count(v), sum(v), min(v), max(v) AS top FROM cpu\n");
  std::vector<std::string> lines = SplitLines(reply);
  ASSERT_EQ(lines.size(), 3u) << reply;
  EXPECT_EQ(lines[0], "count(v)\tsum(v)\tmin(v)\ttop");
  std::vector<std::string> cells = SplitTabs(lines[1]);
  ASSERT_EQ(cells.size(), 4u) << lines[1];
  EXPECT_EQ(cells[0], "20");
  EXPECT_NEAR(ParseDouble(cells[1]), sum, 1e-9 * 20 * 50);
  EXPECT_EQ(ParseDouble(cells[2]), min);
  EXPECT_EQ(ParseDouble(cells[3]), max);
  EXPECT_TRUE(IsEndLine(lines[2], 1)) << lines[2];
}

TEST_F(SessionTest, SelectOverNoPointsIsHeaderAndEndZero) {
  auto s = NewSession();
  const std::string reply = Send(*s, "SELECT count(v), mean(v) FROM nothing\n");
  std::vector<std::string> lines = SplitLines(reply);
  ASSERT_EQ(lines.size(), 2u) << reply;
  EXPECT_EQ(lines[0], "count(v)\tmean(v)");
  EXPECT_TRUE(IsEndLine(lines[1], 0)) << lines[1];
}

TEST_F(SessionTest, QueryErrorIsOneErrLineWithThePosition) {
  auto s = NewSession();
  EXPECT_EQ(Send(*s, "SELECT count(x FROM cpu\nPING\n"),
            "ERR 1:16 expected ')' after 'x', found 'FROM'\nPONG\n");
  // An error found when the statement runs, not when it parses, is one ERR line too.
  std::string reply = Send(*s, "SELECT v FROM cpu WHERE v > 'x'\n");
  EXPECT_EQ(reply.rfind("ERR 1:25 ", 0), 0u) << reply;
  EXPECT_EQ(SplitLines(reply).size(), 1u) << reply;
}

TEST_F(SessionTest, SelectSeesTheConnectionsOwnEarlierWritesWithoutSync) {
  auto s = NewSession();
  std::string reply = Send(*s, "cpu v=5 1\nSELECT count(v), sum(v) FROM cpu\n");
  Answer a;
  ASSERT_TRUE(ParseAnswer(reply, &a)) << reply;
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_EQ(a.rows[0][0], "1");
  EXPECT_EQ(ParseDouble(a.rows[0][1]), 5.0);

  // Also when the write came in an earlier Receive, and when it overwrites a point.
  Send(*s, "cpu v=7 2\n");
  Send(*s, "cpu v=11 1\n");
  a = Query(*s, "SELECT count(v), sum(v) FROM cpu");
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_EQ(a.rows[0][0], "2");
  EXPECT_EQ(ParseDouble(a.rows[0][1]), 7.0 + 11.0);
}

TEST_F(SessionTest, SyncTimeGivenToAsOfSeesExactlyWhatWasAcknowledged) {
  auto s = NewSession();
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> slot(0, 30);
  std::uniform_int_distribution<int> value(-1000, 1000);
  std::map<int64_t, int64_t> model;  // valid time -> last value written
  std::vector<std::pair<int64_t, std::map<int64_t, int64_t>>> acked;  // sync time, model
  for (int round = 0; round < 5; ++round) {
    std::string writes;
    for (int i = 0; i < 40; ++i) {
      const int64_t t = slot(rng);
      const int64_t v = value(rng);
      writes += "cpu n=" + std::to_string(v) + "i " + std::to_string(t) + "\n";
      model[t] = v;
    }
    ASSERT_EQ(Send(*s, writes), "");
    SyncReply r = Sync(*s);
    ASSERT_EQ(r.accepted, 40u);
    if (!acked.empty()) {
      ASSERT_GT(r.system_time, acked.back().first);
    }
    acked.emplace_back(r.system_time, model);
  }
  // Later, unacknowledged-by-SYNC writes of another connection must not leak into AS OF.
  auto other = NewSession();
  Send(*other, "cpu n=123456i 5\ncpu n=1i 999\n");
  Sync(*other);

  for (const auto& [time, m] : acked) {
    int64_t sum = 0;
    for (const auto& [t, v] : m) sum += v;
    Answer a = Query(*s, "SELECT count(n), sum(n) FROM cpu AS OF " + std::to_string(time));
    ASSERT_EQ(a.rows.size(), 1u);
    EXPECT_EQ(a.rows[0][0], std::to_string(m.size())) << "AS OF " << time;
    EXPECT_EQ(a.rows[0][1], std::to_string(sum)) << "AS OF " << time;
  }
}

TEST_F(SessionTest, SyncWithoutWritesReturnsTheLatestVisibleSystemTime) {
  auto a = NewSession();
  auto b = NewSession();
  SyncReply empty = Sync(*a);
  EXPECT_EQ(empty.accepted, 0u);
  EXPECT_EQ(empty.system_time, engine_->LastVisibleTime().ns);

  Send(*a, "cpu v=1 1\n");
  SyncReply ra = Sync(*a);
  EXPECT_GT(ra.system_time, empty.system_time);
  // Nothing new written: the same, latest, time.
  SyncReply again = Sync(*a);
  EXPECT_EQ(again.accepted, 0u);
  EXPECT_EQ(again.system_time, ra.system_time);

  // Another connection commits; a's empty SYNC reports that newer commit.
  Send(*b, "cpu v=2 2\n");
  SyncReply rb = Sync(*b);
  EXPECT_GT(rb.system_time, ra.system_time);
  SyncReply after = Sync(*a);
  EXPECT_EQ(after.system_time, rb.system_time);
  EXPECT_EQ(after.system_time, engine_->LastVisibleTime().ns);
}

TEST_F(SessionTest, RejectedOnlyBatchSyncReturnsLatestVisibleTime) {
  auto s = NewSession();
  Send(*s, "cpu v=1 1\n");
  SyncReply first = Sync(*s);
  Send(*s, "garbage\n");
  SyncReply second = Sync(*s);
  EXPECT_EQ(second.accepted, 0u);
  EXPECT_EQ(second.rejected, 1u);
  EXPECT_EQ(second.system_time, first.system_time);
}

TEST_F(SessionTest, SuccessiveSyncsAfterWritesStrictlyIncrease) {
  auto s = NewSession();
  int64_t previous = -1;
  for (int i = 0; i < 30; ++i) {
    Send(*s, "cpu v=" + std::to_string(i) + " " + std::to_string(i % 4) + "\n");
    SyncReply r = Sync(*s);
    ASSERT_EQ(r.accepted, 1u);
    ASSERT_GT(r.system_time, previous) << "sync " << i;
    previous = r.system_time;
  }
}

TEST_F(SessionTest, GoodLinesOfABatchWithBadOnesAreWritten) {
  auto s = NewSession();
  std::string reply = Send(*s, "cpu v=1 1\ncpu v= 2\ncpu v=4 3\ncpu,=x v=8 4\ncpu v=16 5\n");
  std::vector<std::string> lines = SplitLines(reply);
  ASSERT_EQ(lines.size(), 2u) << reply;
  EXPECT_EQ(lines[0].rfind("ERR 2 ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("ERR 4 ", 0), 0u) << lines[1];
  Answer a = Query(*s, "SELECT count(v), sum(v) FROM cpu");
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_EQ(a.rows[0][0], "3");
  EXPECT_EQ(ParseDouble(a.rows[0][1]), 1.0 + 4.0 + 16.0);
}

TEST_F(SessionTest, DeleteAnswersTombstonesAndSystemTimeAndSeesOwnWrites) {
  auto s = NewSession();
  Send(*s, "cpu,host=a v=1 1\ncpu,host=b v=2 1\n");
  const SyncReply synced = Sync(*s);
  // Not yet synced: the delete must still see (and delete) this connection's write.
  std::string reply = Send(*s, "cpu,host=a v=3 2\nDELETE FROM cpu WHERE host = 'a'\n");
  ASSERT_FALSE(reply.empty());
  ASSERT_EQ(reply.back(), '\n');
  uint64_t tombstones = 0;
  int64_t deleted_at = 0;
  ASSERT_TRUE(ParseDeleteReply(reply.substr(0, reply.size() - 1), &tombstones, &deleted_at))
      << reply;
  EXPECT_EQ(tombstones, 2u);
  EXPECT_GT(deleted_at, synced.system_time);
  EXPECT_EQ(deleted_at, engine_->LastVisibleTime().ns);

  Answer now = Query(*s, "SELECT count(v), sum(v) FROM cpu");
  ASSERT_EQ(now.rows.size(), 1u);
  EXPECT_EQ(now.rows[0], (std::vector<std::string>{"1", "2"}));
  Answer before =
      Query(*s, "SELECT count(v), sum(v) FROM cpu AS OF " + std::to_string(deleted_at - 1));
  ASSERT_EQ(before.rows.size(), 1u);
  EXPECT_EQ(before.rows[0], (std::vector<std::string>{"3", "6"}));

  // VERSIONS goes through the SELECT path: header, rows, END.
  Answer versions = Query(*s, "SELECT VERSIONS v FROM cpu WHERE host = 'a'");
  EXPECT_EQ(versions.header, (std::vector<std::string>{"time", "host", "v", "system_from",
                                                       "system_to", "tombstone"}));
  ASSERT_EQ(versions.rows.size(), 4u);
  const std::string d = query::FormatTime(deleted_at);
  EXPECT_EQ(versions.rows[0][0], query::FormatTime(1));
  EXPECT_EQ(versions.rows[0][2], "1");
  EXPECT_EQ(versions.rows[0][3], query::FormatTime(synced.system_time));
  EXPECT_EQ(versions.rows[0][4], d);
  EXPECT_EQ(versions.rows[1],
            (std::vector<std::string>{query::FormatTime(1), "a", "", d, "", "true"}));
  EXPECT_EQ(versions.rows[2][2], "3");
  EXPECT_EQ(versions.rows[2][4], d);
  EXPECT_EQ(versions.rows[3],
            (std::vector<std::string>{query::FormatTime(2), "a", "", d, "", "true"}));
}

TEST_F(SessionTest, DeleteOfNothingAnswersZeroAndTheLatestSystemTime) {
  auto s = NewSession();
  Send(*s, "cpu,host=a v=1 1\n");
  const SyncReply synced = Sync(*s);
  for (const char* statement : {"DELETE FROM cpu WHERE host = 'b'\n", "delete from nosuch\n"}) {
    EXPECT_EQ(Send(*s, statement), "OK 0 " + std::to_string(synced.system_time) + "\n")
        << statement;
  }
}

TEST_F(SessionTest, DeleteErrorsAreOneErrLineAndTheConnectionContinues) {
  auto s = NewSession();
  Send(*s, "cpu,host=a v=1 1\n");
  EXPECT_EQ(Send(*s, "DELETE cpu\nPING\n"),
            "ERR 1:8 expected FROM after DELETE, found 'cpu'\nPONG\n");
  EXPECT_EQ(Send(*s, "DELETE FROM cpu WHERE v > 'x'\n"),
            "ERR 1:23 field 'v' is float; compare it with a number using =, !=, <, <=, > or >=\n");
  EXPECT_EQ(Send(*s, "DELETE FROM cpu WHERE host = 'a' AS OF 5\n"),
            "ERR 1:34 DELETE takes no AS OF: it deletes the points visible now\n");
  Answer a = Query(*s, "SELECT count(v) FROM cpu");
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_EQ(a.rows[0][0], "1");
  // An error in VERSIONS is a query error like any other.
  const std::string reply = Send(*s, "SELECT VERSIONS v, w FROM cpu\n");
  EXPECT_EQ(reply.rfind("ERR 1:18 ", 0), 0u) << reply;
}

TEST_F(SessionTest, ShowMeasurementsAnswersATableAndSeesTheConnectionsOwnWrites) {
  auto s = NewSession();
  // No SYNC: like SELECT, SHOW sees this connection's earlier writes.
  EXPECT_EQ(Send(*s, "mem,host=a free=1i 1\ncpu,host=a v=1 1\ncpu,host=b v=2 1\n"), "");
  Answer a = Query(*s, "show measurements");
  EXPECT_EQ(a.header, std::vector<std::string>{"name"});
  EXPECT_EQ(a.rows, (std::vector<std::vector<std::string>>{{"cpu"}, {"mem"}}));
  a = Query(*s, "SHOW TAG VALUES FROM cpu WITH KEY = host WHERE host != 'a'");
  EXPECT_EQ(a.header, (std::vector<std::string>{"measurement", "key", "value"}));
  EXPECT_EQ(a.rows, (std::vector<std::vector<std::string>>{{"cpu", "host", "b"}}));
}

TEST_F(SessionTest, ExplainSelectAnswersThePlanAsATable) {
  auto s = NewSession();
  EXPECT_EQ(Send(*s, "cpu,host=a v=1 1\ncpu,host=a v=2 2\ncpu,host=b v=3 3\n"), "");
  const Answer a = Query(*s, "explain SELECT count(v) FROM cpu WHERE host = 'a'");
  EXPECT_EQ(a.header, std::vector<std::string>{"plan"});
  std::vector<std::string> plan;
  for (const auto& row : a.rows) {
    ASSERT_EQ(row.size(), 1u);
    plan.push_back(row[0]);
  }
  // Nothing is flushed: the two points of host a come from the memtable.
  for (const char* line : {"SELECT count(v) FROM cpu WHERE ...", "series: 1 of 2 matched",
                           "memtable rows: 2", "rows: 1", "rollups: none"}) {
    EXPECT_NE(std::find(plan.begin(), plan.end(), line), plan.end()) << line;
  }
}

TEST_F(SessionTest, CreateAndDropRollupAnswerOkOrOneErrLine) {
  auto s = NewSession();
  // Without SYNC or FLUSH: the connection's writes are in a memtable, read raw until flushed.
  EXPECT_EQ(Send(*s, "cpu,host=a v=1 1\ncpu,host=a v=2 2000000000\n"), "");
  EXPECT_EQ(Send(*s, "CREATE ROLLUP cpu_1s ON cpu EVERY 1s\n"), "OK\n");
  EXPECT_EQ(Query(*s, "SHOW ROLLUPS").rows.size(), 1u);
  Answer a = Query(*s, "SELECT sum(v) FROM cpu GROUP BY time(1s)");
  EXPECT_EQ(a.rows, (std::vector<std::vector<std::string>>{
                        {"1970-01-01T00:00:00.000000000Z", "1"},
                        {"1970-01-01T00:00:01.000000000Z", ""},
                        {"1970-01-01T00:00:02.000000000Z", "2"}}));
  EXPECT_EQ(Send(*s, "FLUSH\n"), "OK\n");
  a = Query(*s, "EXPLAIN SELECT sum(v) FROM cpu GROUP BY time(1s)");
  ASSERT_FALSE(a.rows.empty());
  EXPECT_EQ(a.rows.back()[0],
            "rollups: cpu_1s (2 buckets from the rollup, 0 raw scans of partial or unflushed "
            "buckets, 0 series-fields from the cache)");
  EXPECT_EQ(Send(*s, "CREATE ROLLUP cpu_1s ON cpu EVERY 1m\n"),
            "ERR rollup cpu_1s already exists\n");
  EXPECT_EQ(Send(*s, "CREATE ROLLUP x ON cpu EVERY 10\n"),
            "ERR 1:30 expected a duration such as 1m or 1h, found '10'\n");
  EXPECT_EQ(Send(*s, "DROP ROLLUP cpu_1s\n"), "OK\n");
  EXPECT_EQ(Send(*s, "drop rollup cpu_1s\n"), "ERR no rollup named cpu_1s\n");
  EXPECT_EQ(Send(*s, "DROP TABLE cpu\n"), "ERR 1:6 expected ROLLUP, found 'TABLE'\n");
  EXPECT_EQ(Query(*s, "SHOW ROLLUPS").rows.size(), 0u);
  EXPECT_EQ(Send(*s, "PING\n"), "PONG\n");
}

TEST_F(SessionTest, MalformedShowAndExplainAreErrLinesAndTheConnectionContinues) {
  auto s = NewSession();
  std::string reply = Send(*s, "SHOW TAGS\nPING\n");
  std::vector<std::string> lines = SplitLines(reply);
  ASSERT_EQ(lines.size(), 2u) << reply;
  EXPECT_EQ(lines[0].rfind("ERR 1:6 expected MEASUREMENTS", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("'TAGS'"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1], "PONG");
  // SHOW takes no time condition; the error points at it.
  reply = Send(*s, "SHOW SERIES WHERE time > 0\n");
  EXPECT_EQ(reply.rfind("ERR 1:19 ", 0), 0u) << reply;
  EXPECT_EQ(SplitLines(reply).size(), 1u) << reply;
  reply = Send(*s, "EXPLAIN DELETE FROM cpu\n");
  EXPECT_EQ(reply.rfind("ERR 1:9 expected SELECT after EXPLAIN", 0), 0u) << reply;
  EXPECT_EQ(SplitLines(reply).size(), 1u) << reply;
  // An error of the explained statement is the statement's error.
  reply = Send(*s, "EXPLAIN SELECT count(v) FROM cpu WHERE time > 1 OR host = 'a'\n");
  EXPECT_EQ(reply.rfind("ERR 1:", 0), 0u) << reply;
  EXPECT_NE(reply.find("not supported yet"), std::string::npos) << reply;
  EXPECT_EQ(Send(*s, "PING\n"), "PONG\n");
}

TEST_F(SessionTest, LargeAnswersStreamThroughTheDrainInChunks) {
  options_.answer_chunk_bytes = 200;
  auto s = NewSession();
  std::vector<std::string> chunks;
  s->SetDrain([&chunks](std::string* out) {
    chunks.push_back(*out);
    out->clear();
    return true;
  });
  std::string writes;
  for (int i = 0; i < 500; ++i)
    writes += "cpu v=" + std::to_string(i) + " " + std::to_string(i) + "\n";
  EXPECT_EQ(Send(*s, writes), "");
  const std::string tail = Send(*s, "SELECT v FROM cpu\n");
  ASSERT_GE(chunks.size(), 20u);  // ~12 bytes per row: many chunks, none much over 200 bytes
  std::string whole;
  for (const std::string& chunk : chunks) {
    EXPECT_LT(chunk.size(), 200u + 64u);
    whole += chunk;
  }
  whole += tail;
  Answer a;
  ASSERT_TRUE(ParseAnswer(whole, &a)) << whole;
  ASSERT_EQ(a.rows.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(a.rows[static_cast<size_t>(i)][1], std::to_string(i));
}

TEST_F(SessionTest, AFailureAfterPartOfTheAnswerLeftEndsItWithErrInsteadOfEnd) {
  options_.answer_chunk_bytes = 100;
  auto s = NewSession();
  int calls = 0;
  s->SetDrain([&calls](std::string* out) {
    out->clear();
    return ++calls < 3;  // the client goes away at the third chunk
  });
  std::string writes;
  for (int i = 0; i < 300; ++i)
    writes += "cpu v=" + std::to_string(i) + " " + std::to_string(i) + "\n";
  Send(*s, writes);
  const std::string tail = Send(*s, "SELECT v FROM cpu\nPING\n");
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(tail, "ERR the client went away\nPONG\n");
}

}  // namespace
}  // namespace strata::server
