// End-to-end tests against a real stratad process over TCP (STYLE §7). Every expected answer is
// computed here from what the test itself wrote, never copied from the server's output.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/stratad_process.h"
#include "tests/support/test_util.h"
#include "tools/line_client.h"

namespace strata {
namespace {

using testing::RunCommand;
using testing::StratadProcess;
using testing::TempDir;
using tools::LineClient;

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

struct Reference {
  int64_t count = 0;
  double sum = 0, min = 0, max = 0;
  void Add(double v) {
    min = count == 0 ? v : std::min(min, v);
    max = count == 0 ? v : std::max(max, v);
    sum += v;
    ++count;
  }
};

void ExpectNear(const std::string& cell, double expected, const std::string& what) {
  double got = std::strtod(cell.c_str(), nullptr);
  EXPECT_NEAR(got, expected, 1e-9 * std::max(1.0, std::fabs(expected))) << what;
}

// Checks a count/sum/min/max/mean answer against the reference.
void ExpectAggregates(LineClient& client, const std::string& where, const std::string& field,
                      const std::string& measurement, const Reference& ref) {
  std::string q = "SELECT count(" + field + "), sum(" + field + "), min(" + field + "), max(" +
                  field + "), mean(" + field + ") FROM " + measurement + where;
  auto lines = client.Command(q);
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  ASSERT_GE(lines->size(), 2u) << q;
  EXPECT_EQ(lines->front(), "count(" + field + ")\tsum(" + field + ")\tmin(" + field +
                                ")\tmax(" + field + ")\tmean(" + field + ")");
  if (ref.count == 0) {
    EXPECT_EQ(lines->size(), 2u) << q << ": an aggregate over no points returns no row";
    EXPECT_EQ(lines->back().rfind("END 0 ", 0), 0u) << lines->back();
    return;
  }
  ASSERT_EQ(lines->size(), 3u) << q << " -> " << lines->back();
  auto cells = Split((*lines)[1], '\t');
  ASSERT_EQ(cells.size(), 5u) << (*lines)[1];
  EXPECT_EQ(cells[0], std::to_string(ref.count)) << q;
  ExpectNear(cells[1], ref.sum, q + " sum");
  ExpectNear(cells[2], ref.min, q + " min");
  ExpectNear(cells[3], ref.max, q + " max");
  ExpectNear(cells[4], ref.sum / static_cast<double>(ref.count), q + " mean");
  EXPECT_EQ(lines->back().rfind("END 1 ", 0), 0u) << lines->back();
}

class IntegrationTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags = {}) {
    server_ = std::make_unique<StratadProcess>(dir_.Sub("data"), std::move(flags));
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
  }
  std::unique_ptr<LineClient> Connect() {
    auto client = LineClient::Connect("127.0.0.1", server_->port());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  TempDir dir_;
  std::unique_ptr<StratadProcess> server_;
};

TEST_F(IntegrationTest, ConcurrentWritersWithCorrectionsMatchIndependentAnswers) {
  StartServer();
  constexpr int kWriters = 3;
  constexpr int kPoints = 4000;
  constexpr int64_t kBase = 1'700'000'000'000'000'000;
  // Per writer: its own series; timestamps drawn from a small range so rewrites of the same
  // point happen often, out of order. The last write of a point is its value.
  std::vector<std::map<int64_t, double>> latest(kWriters);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto client = Connect();
      if (!client) return;
      std::mt19937_64 rng(1234 + w);
      std::string text;
      for (int i = 0; i < kPoints; ++i) {
        int64_t t = kBase + static_cast<int64_t>(rng() % 1500) * 1'000'000'000;
        double v = static_cast<double>(static_cast<int64_t>(rng() % 200000) - 100000) / 100.0;
        text += "m,writer=w" + std::to_string(w) + ",region=r" + std::to_string(w % 2) +
                " v=" + std::to_string(v) + " " + std::to_string(t) + "\n";
        latest[w][t] = std::strtod(std::to_string(v).c_str(), nullptr);
        if (i % 500 == 499) text += "SYNC\n";
      }
      text += "SYNC\n";
      ASSERT_TRUE(client->Send(text).ok());
      for (int s = 0; s < kPoints / 500 + 1; ++s) {
        auto reply = client->ReadLine();
        ASSERT_TRUE(reply.ok());
        EXPECT_EQ(reply->rfind("OK ", 0), 0u) << *reply;
      }
    });
  }
  for (auto& t : threads) t.join();

  auto client = Connect();
  ASSERT_TRUE(client);
  std::mt19937_64 rng(99);
  for (int q = 0; q < 40; ++q) {
    int64_t a = kBase + static_cast<int64_t>(rng() % 1600) * 1'000'000'000 - 50'000'000'000;
    int64_t b = a + static_cast<int64_t>(rng() % 800) * 1'000'000'000;
    Reference ref;
    for (const auto& series : latest) {
      for (auto it = series.lower_bound(a); it != series.end() && it->first < b; ++it) {
        ref.Add(it->second);
      }
    }
    ExpectAggregates(*client, " WHERE time >= " + std::to_string(a) + " AND time < " +
                                  std::to_string(b), "v", "m", ref);
  }
  Reference all;
  for (const auto& series : latest) {
    for (const auto& [t, v] : series) all.Add(v);
  }
  ExpectAggregates(*client, "", "v", "m", all);
}

TEST_F(IntegrationTest, RealDataSetLoadsAndAggregatesMatch) {
  const std::string path = testing::SharedDataPath("nab_dev/nab_dev.lp");
  if (!std::ifstream(path)) GTEST_SKIP() << "no shared data at " << path;
  StartServer();
  std::string out, err;
  int code = RunCommand({StratadProcess::BinaryPath("tools/strata"), "--port",
                         std::to_string(server_->port()), "load", "--quiet", path},
                        "", &out, &err);
  ASSERT_EQ(code, 0) << out << err;

  // Reference: a plain split of each line (the file has no escapes); last write of a point wins.
  std::map<std::string, std::map<std::pair<std::string, int64_t>, double>> points;
  std::ifstream in(path);
  std::string line;
  int64_t lines = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++lines;
    auto parts = Split(line, ' ');
    ASSERT_EQ(parts.size(), 3u) << line;
    std::string measurement = parts[0].substr(0, parts[0].find(','));
    int64_t t = std::stoll(parts[2]);
    for (const std::string& field : Split(parts[1], ',')) {
      auto eq = field.find('=');
      points[measurement + "." + field.substr(0, eq)][{parts[0], t}] =
          std::strtod(field.c_str() + eq + 1, nullptr);
    }
  }
  EXPECT_NE(out.find("loaded " + std::to_string(lines) + " lines"), std::string::npos) << out;
  auto client = Connect();
  ASSERT_TRUE(client);
  for (const auto& [key, series_points] : points) {
    SCOPED_TRACE(key);
    Reference ref;
    for (const auto& [id, v] : series_points) ref.Add(v);
    auto dot = key.find('.');
    ExpectAggregates(*client, "", key.substr(dot + 1), key.substr(0, dot), ref);
  }
}

TEST_F(IntegrationTest, ALoadOnSeveralConnectionsKeepsEachSeriesInFileOrderAndNamesFileLines) {
  StartServer();
  // 40 series, each point written three times in file order (the last write must win), the
  // series interleaved, and a bad line every 97 lines.
  std::mt19937 rng(11);
  std::map<std::string, std::map<int64_t, double>> last;
  std::string file;
  std::vector<int> bad_lines;
  int line_no = 0;
  for (int round = 0; round < 3; ++round) {
    for (int t = 0; t < 50; ++t) {
      for (int host = 0; host < 40; ++host) {
        if (++line_no % 97 == 0) {
          file += "cpu,host=h" + std::to_string(host) + " v=notanumber 1\n";
          bad_lines.push_back(line_no);
          ++line_no;
        }
        const double v = static_cast<double>(rng() % 100000) / 100;
        const std::string series = "cpu,host=h" + std::to_string(host);
        file += series + " v=" + std::to_string(v) + " " + std::to_string(1'000'000'000 + t) + "\n";
        last[series][t] = std::stod(std::to_string(v));
      }
    }
  }
  const std::string path = dir_.Sub("lanes.lp");
  std::ofstream(path) << file;
  std::string out, err;
  int code = RunCommand({StratadProcess::BinaryPath("tools/strata"), "--port",
                         std::to_string(server_->port()), "load", "--quiet", "--connections", "3",
                         path},
                        "", &out, &err);
  EXPECT_EQ(code, 1) << "rejected lines make the exit code 1";
  for (int n : bad_lines) {
    EXPECT_NE(err.find(path + ": line " + std::to_string(n) + " "), std::string::npos)
        << "file line " << n << " not named in:\n" << err;
  }
  const int good = 3 * 50 * 40;
  EXPECT_NE(out.find("loaded " + std::to_string(good) + " lines (" + std::to_string(good) +
                     " points)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("rejected " + std::to_string(bad_lines.size()) + " lines"),
            std::string::npos)
      << out;
  auto client = Connect();
  ASSERT_TRUE(client);
  Reference all;
  for (const auto& [series, points] : last) {
    Reference one;
    for (const auto& [t, v] : points) {
      one.Add(v);
      all.Add(v);
    }
    ExpectAggregates(*client, " WHERE host = '" + series.substr(series.find('=') + 1) + "'", "v",
                     "cpu", one);
  }
  ExpectAggregates(*client, "", "v", "cpu", all);
}

TEST_F(IntegrationTest, ALoadOfSeveralMegabytesFromAFileOrStdinLosesNoLineAtChunkEnds) {
  StartServer();
  // Lines of uneven length, so the client's 1 MiB chunks end inside lines, and a last line
  // without its newline. The file is mapped; standard input is read: both must load every line.
  std::mt19937 rng(5);
  std::vector<std::string> tails;  // each line after its measurement
  size_t bytes = 0;
  Reference ref;
  for (int t = 0; bytes < (3u << 20) + 12345; ++t) {
    const double v = static_cast<double>(rng() % 1000000) / 100;
    const std::string pad(rng() % 90, 'p');
    tails.push_back(",host=h" + std::to_string(t % 7) + ",pad=" + (pad.empty() ? "x" : pad) +
                    " v=" + std::to_string(v) + " " + std::to_string(1'000'000'000 + t));
    bytes += tails.back().size() + 1;
    ref.Add(std::stod(std::to_string(v)));
  }
  const size_t lines = tails.size();
  auto with_measurement = [&](const std::string& measurement) {
    std::string text;
    for (const std::string& tail : tails) text += measurement + tail + "\n";
    text.pop_back();  // the last line ends the input without a newline
    return text;
  };
  const std::string path = dir_.Sub("chunks.lp");
  std::ofstream(path) << with_measurement("from_file");
  const std::string expected =
      "loaded " + std::to_string(lines) + " lines (" + std::to_string(lines) + " points)";
  for (const auto& [source, stdin_text] :
       {std::pair<std::string, std::string>{path, ""}, {"-", with_measurement("from_stdin")}}) {
    SCOPED_TRACE(source);
    std::string out, err;
    int code = RunCommand({StratadProcess::BinaryPath("tools/strata"), "--port",
                           std::to_string(server_->port()), "load", "--quiet", "--connections",
                           "2", source},
                          stdin_text, &out, &err);
    EXPECT_EQ(code, 0) << out << err;
    EXPECT_NE(out.find(expected), std::string::npos) << out << err;
  }
  auto client = Connect();
  ASSERT_TRUE(client);
  ExpectAggregates(*client, "", "v", "from_file", ref);
  ExpectAggregates(*client, "", "v", "from_stdin", ref);
}

TEST_F(IntegrationTest, ALoadCountsPointsPastQuotesAndEscapes) {
  StartServer();
  // Commas and spaces inside strings and behind backslashes separate nothing: 11 points.
  const std::string file =
      "m,host=a\\ b v=1,w=2 1\n"                          // 2, escaped space in a tag
      "m,host=a s=\"x, y z\",w=3 2\n"                      // 2, comma and space in a string
      "m,host=a s=\"say \\\"hi, there\\\" ok\",n=1i 3\n"  // 2, escaped quotes in a string
      "m\\,x,host=a v=1 4\n"                              // 1, escaped comma in the measurement
      "m,host=a f\\,g=1,h\\ i=2,j=3 5\n"                 // 3, escaped comma and space in keys
      "m,host=a v=7\n";                                     // 1, no timestamp
  const std::string path = dir_.Sub("escapes.lp");
  std::ofstream(path) << file;
  for (const char* connections : {"1", "2"}) {
    SCOPED_TRACE(connections);
    std::string out, err;
    int code = RunCommand({StratadProcess::BinaryPath("tools/strata"), "--port",
                           std::to_string(server_->port()), "load", "--quiet", "--connections",
                           connections, path},
                          "", &out, &err);
    EXPECT_EQ(code, 0) << out << err;
    EXPECT_NE(out.find("loaded 6 lines (11 points)"), std::string::npos) << out << err;
  }
}

TEST_F(IntegrationTest, BadLinesAreReportedByNumberAndGoodLinesLoad) {
  StartServer({"--max-line-bytes", "1024"});
  const std::vector<std::string> bad = {
      "bad line",                          // no field set
      "cpu",                               // measurement only
      "cpu,host=a",                        // tags, no fields
      "cpu v=",                            // empty value
      "cpu v=abc",                         // unquoted string
      "cpu v=\"unterminated",              // open string
      "cpu v=1i2",                         // junk after integer
      "cpu v=99999999999999999999i",       // integer overflow
      "cpu v=-1u",                         // negative unsigned
      "cpu v=1 notatime",                  // bad timestamp
      "cpu v=1 1 extra",                   // text after timestamp
      "cpu,host v=1",                      // tag without '='
      "cpu,host= v=1",                     // empty tag value
      ",host=a v=1",                       // empty measurement
      "cpu,host=a,host=b v=1",             // duplicate tag
      "cpu v=1,v=2",                       // duplicate field
      "cpu v=1e400",                       // float out of range
      "cpu v=7i",                          // type conflict: v is float
      "cpu,host=\xff\xfe v=1",             // invalid UTF-8
      "cpu v=1," ,                         // trailing comma
      "cpu v=tru",                         // misspelt boolean
      std::string(2000, 'x') + " v=1",     // longer than --max-line-bytes
  };
  std::string file;
  std::vector<int> bad_line_numbers;
  Reference good;
  int line_no = 0;
  for (size_t i = 0; i < bad.size(); ++i) {
    double v = static_cast<double>(i) * 1.5;
    file += "cpu,host=h" + std::to_string(i) + " v=" + std::to_string(v) + " " +
            std::to_string(1'700'000'000'000'000'000 + static_cast<int64_t>(i)) + "\n";
    ++line_no;
    good.Add(v);
    file += bad[i] + "\n";
    bad_line_numbers.push_back(++line_no);
  }
  const std::string path = dir_.Sub("mixed.lp");
  std::ofstream(path) << file;
  std::string out, err;
  int code = RunCommand({StratadProcess::BinaryPath("tools/strata"), "--port",
                         std::to_string(server_->port()), "load", path},
                        "", &out, &err);
  EXPECT_EQ(code, 1) << "a load with rejected lines exits 1";
  for (int n : bad_line_numbers) {
    EXPECT_NE(err.find(path + ": line " + std::to_string(n) + " "), std::string::npos)
        << "line " << n << " not reported in:\n" << err;
  }
  EXPECT_NE(out.find("loaded " + std::to_string(bad.size()) + " lines"), std::string::npos) << out;
  EXPECT_NE(out.find("rejected " + std::to_string(bad.size()) + " lines"), std::string::npos)
      << out;

  auto client = Connect();
  ASSERT_TRUE(client);
  auto pong = client->Command("PING");
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(pong->front(), "PONG");
  ExpectAggregates(*client, "", "v", "cpu", good);
}

TEST_F(IntegrationTest, LoadSaysWhichInputItCannotReadAndExitsOne) {
  StartServer();
  std::string out, err;
  const std::string strata = StratadProcess::BinaryPath("tools/strata");
  const std::string port = std::to_string(server_->port());
  EXPECT_EQ(RunCommand({strata, "--port", port, "load", dir_.Sub("no-such.lp")}, "", &out, &err),
            1);
  EXPECT_NE(err.find("cannot open " + dir_.Sub("no-such.lp")), std::string::npos) << err;
  err.clear();
  // A directory opens, but reading it fails: that is an error, not an empty load.
  EXPECT_EQ(RunCommand({strata, "--port", port, "load", dir_.path()}, "", &out, &err), 1);
  EXPECT_NE(err.find("reading " + dir_.path() + " failed after 0 bytes: Is a directory"),
            std::string::npos)
      << err;
}

TEST_F(IntegrationTest, SigtermExitsZeroAndRestartKeepsDataAndSystemTimeGrows) {
  StartServer();
  auto client = Connect();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("t v=1.5 1000\nt v=2.5 2000\nSYNC\n").ok());
  auto first = client->ReadLine();
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->rfind("OK 2 0 ", 0), 0u) << *first;
  const int64_t first_time = std::stoll(first->substr(7));
  client.reset();
  EXPECT_EQ(server_->Terminate(), 0);

  StartServer();
  client = Connect();
  ASSERT_TRUE(client);
  Reference ref;
  ref.Add(1.5);
  ref.Add(2.5);
  ExpectAggregates(*client, "", "v", "t", ref);
  ASSERT_TRUE(client->Send("t v=3.5 3000\nSYNC\n").ok());
  auto second = client->ReadLine();
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->rfind("OK 1 0 ", 0), 0u) << *second;
  EXPECT_GT(std::stoll(second->substr(7)), first_time) << "system time went backwards";
  // AS OF the first acknowledgement sees exactly what was acknowledged then.
  ExpectAggregates(*client, " AS OF " + std::to_string(first_time), "v", "t", ref);
}

TEST_F(IntegrationTest, FlushMovesDataToChunkFilesAndACorruptBlockIsReportedNeverWrong) {
  StartServer();
  auto client = Connect();
  ASSERT_TRUE(client);
  std::string text;
  Reference ref;
  for (int i = 0; i < 3000; ++i) {
    double v = (i % 17) * 0.25;
    text += "flushed,region=eu v=" + std::to_string(v) + " " +
            std::to_string(1'767'225'600'000'000'000 + int64_t{i} * 1'000'000'000) + "\n";
    ref.Add(v);
  }
  ASSERT_TRUE(client->Send(text).ok());
  auto flushed = client->Command("FLUSH");
  ASSERT_TRUE(flushed.ok());
  EXPECT_EQ(flushed->front(), "OK");
  ExpectAggregates(*client, "", "v", "flushed", ref);
  auto stats = client->Command("STATS");
  ASSERT_TRUE(stats.ok());
  bool saw_files = false;
  for (const std::string& line : *stats) saw_files = saw_files || line == "chunk_files\t1";
  EXPECT_TRUE(saw_files) << "one partition, one file";
  client.reset();
  ASSERT_EQ(server_->Terminate(), 0);

  // Find the chunk file and flip a byte in the middle of its first block.
  const std::string chunk_dir = dir_.Sub("data/chunks/eu/2026-01-01");
  std::string out, err;
  ASSERT_EQ(RunCommand({"/bin/sh", "-c", "ls " + chunk_dir + "/*.chunk"}, "", &out, &err), 0);
  const std::string chunk = out.substr(0, out.find('\n'));
  ASSERT_EQ(RunCommand({StratadProcess::BinaryPath("tools/strata"), "inspect", chunk}, "", &out,
                       &err),
            0)
      << out << err;
  EXPECT_NE(out.find("checksum ok"), std::string::npos) << out;
  testing::FlipByte(chunk, 40, 0x55);
  out.clear();
  err.clear();
  EXPECT_EQ(RunCommand({StratadProcess::BinaryPath("tools/strata"), "inspect", chunk}, "", &out,
                       &err),
            1);
  EXPECT_NE(out.find("checksum mismatch"), std::string::npos) << out;
  EXPECT_NE(out.find("1 bad blocks"), std::string::npos) << out;

  StartServer();
  client = Connect();
  ASSERT_TRUE(client);
  // count() alone is answered from the block's statistics, which live in the checksummed index;
  // median() must read the points, so it meets the corrupt block.
  auto from_stats = client->Command("SELECT count(v) FROM flushed");
  ASSERT_TRUE(from_stats.ok());
  EXPECT_EQ(from_stats->at(1), "3000") << from_stats->back();
  auto answer = client->Command("SELECT median(v) FROM flushed");
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->back().rfind("ERR ", 0), 0u) << answer->back();
  EXPECT_NE(answer->back().find(chunk), std::string::npos) << answer->back();
  EXPECT_NE(answer->back().find("block 0"), std::string::npos) << answer->back();
  auto pong = client->Command("PING");
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(pong->front(), "PONG") << "the server keeps serving";
}

TEST_F(IntegrationTest, SecondServerOnTheSameDataDirectoryIsRefused) {
  StartServer();
  StratadProcess second(dir_.Sub("data"));
  std::string error;
  EXPECT_FALSE(second.Start(&error));
  EXPECT_NE(error.find("exited"), std::string::npos) << error;
}

}  // namespace
}  // namespace strata
