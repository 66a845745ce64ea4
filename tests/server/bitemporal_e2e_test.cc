// End to end over TCP (issue 4): write, correct, retry, delete, restart, then query the latest
// data, AS OF every acknowledged system time, and VERSIONS. Expected answers are written out
// here from what the test sent; system times come from the server's own acknowledgements.

#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <vector>

#include "tests/support/stratad_process.h"
#include "tests/support/test_util.h"
#include "tools/line_client.h"

namespace strata {
namespace {

using testing::StratadProcess;
using testing::TempDir;
using tools::LineClient;

// RFC 3339 UTC with nine fraction digits, computed with gmtime_r (independent of the server).
std::string Rfc3339(int64_t ns) {
  int64_t seconds = ns / 1000000000;
  int64_t fraction = ns % 1000000000;
  if (fraction < 0) {
    fraction += 1000000000;
    --seconds;
  }
  const time_t t = static_cast<time_t>(seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%09lldZ", date, static_cast<long long>(fraction));
  return out;
}

class BitemporalEndToEndTest : public ::testing::Test {
 protected:
  void Start() {
    server_ = std::make_unique<StratadProcess>(dir_.Sub("data"));
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    auto client = LineClient::Connect("127.0.0.1", server_->port());
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  // Sends lines then SYNC; expects "OK <accepted> 0 <t>" and returns t.
  int64_t WriteAndSync(const std::string& lines, int accepted) {
    EXPECT_TRUE(client_->Send(lines + "SYNC\n").ok());
    auto reply = client_->ReadLine();
    EXPECT_TRUE(reply.ok());
    const std::string prefix = "OK " + std::to_string(accepted) + " 0 ";
    EXPECT_EQ(reply->rfind(prefix, 0), 0u) << *reply;
    return std::stoll(reply->substr(prefix.size()));
  }

  // The lines of an answer; for a query the header and rows, after checking that the END line
  // counts the rows.
  std::vector<std::string> Ask(const std::string& query) {
    auto lines = client_->Command(query);
    EXPECT_TRUE(lines.ok()) << query << ": " << lines.status().ToString();
    if (!lines.ok()) return {};
    std::vector<std::string> out = *lines;
    if (out.back().rfind("END ", 0) == 0) {
      const std::string rows = std::to_string(out.size() - 2);
      EXPECT_EQ(out.back().rfind("END " + rows + " ", 0), 0u) << out.back();
      out.pop_back();
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<StratadProcess> server_;
  std::unique_ptr<LineClient> client_;
};

constexpr int64_t kT1 = 1767225600000000000;  // 2026-01-01T00:00:00Z
constexpr int64_t kT2 = kT1 + 1500000000;     // 1.5 s later

TEST_F(BitemporalEndToEndTest, CorrectRetryDeleteThenLatestAsOfAndVersions) {
  Start();
  const std::string t1s = std::to_string(kT1), t2s = std::to_string(kT2);
  const int64_t written = WriteAndSync("temp,host=a,region=eu v=20.5 " + t1s + "\n" +
                                           "temp,host=b,region=eu v=10 " + t1s + "\n" +
                                           "temp,host=a,region=eu v=21 " + t2s + "\n",
                                       3);
  const int64_t corrected = WriteAndSync("temp,host=a,region=eu v=22.5 " + t1s + "\n", 1);
  const int64_t retried = WriteAndSync("temp,host=a,region=eu v=22.5 " + t1s + "\n", 1);
  EXPECT_LT(written, corrected);
  EXPECT_LT(corrected, retried);
  ASSERT_EQ(Ask("FLUSH"), std::vector<std::string>{"OK"});

  ASSERT_TRUE(client_->Send("DELETE FROM temp WHERE host = 'b'\n").ok());
  auto deleted_reply = client_->ReadLine();
  ASSERT_TRUE(deleted_reply.ok());
  ASSERT_EQ(deleted_reply->rfind("OK 1 ", 0), 0u) << *deleted_reply;
  const int64_t deleted = std::stoll(deleted_reply->substr(5));
  EXPECT_GT(deleted, retried);

  // Everything above must survive a restart: part is in chunk files, part only in the WAL.
  client_.reset();
  ASSERT_EQ(server_->Terminate(), 0);
  Start();

  const std::string header = "count(v)\tsum(v)\tmin(v)\tmax(v)";
  auto aggregates = [&](const std::string& as_of) {
    return Ask("SELECT count(v), sum(v), min(v), max(v) FROM temp" + as_of);
  };
  EXPECT_EQ(aggregates(""), (std::vector<std::string>{header, "2\t43.5\t21\t22.5"}));
  EXPECT_EQ(aggregates(" AS OF " + std::to_string(written)),
            (std::vector<std::string>{header, "3\t51.5\t10\t21"}));
  EXPECT_EQ(aggregates(" AS OF " + std::to_string(corrected)),
            (std::vector<std::string>{header, "3\t53.5\t10\t22.5"}));
  EXPECT_EQ(aggregates(" AS OF " + std::to_string(retried)),
            (std::vector<std::string>{header, "3\t53.5\t10\t22.5"}));
  EXPECT_EQ(aggregates(" AS OF " + std::to_string(deleted)),
            (std::vector<std::string>{header, "2\t43.5\t21\t22.5"}));
  EXPECT_EQ(aggregates(" AS OF " + std::to_string(written - 1)),
            std::vector<std::string>{header});

  const std::string t1 = Rfc3339(kT1), t2 = Rfc3339(kT2);
  EXPECT_EQ(t1, "2026-01-01T00:00:00.000000000Z");
  const std::string w = Rfc3339(written), c = Rfc3339(corrected), d = Rfc3339(deleted);
  const std::string versions_header = "time\thost\tregion\tv\tsystem_from\tsystem_to\ttombstone";
  // The identical retry is no version; the delete is one, and AS OF before it sees the point.
  EXPECT_EQ(Ask("SELECT VERSIONS v FROM temp"),
            (std::vector<std::string>{
                versions_header,
                t1 + "\ta\teu\t20.5\t" + w + "\t" + c + "\tfalse",
                t1 + "\ta\teu\t22.5\t" + c + "\t\tfalse",
                t2 + "\ta\teu\t21\t" + w + "\t\tfalse",
                t1 + "\tb\teu\t10\t" + w + "\t" + d + "\tfalse",
                t1 + "\tb\teu\t\t" + d + "\t\ttrue",
            }));
  EXPECT_EQ(Ask("SELECT VERSIONS v FROM temp WHERE host = 'b' AS OF " + std::to_string(retried)),
            (std::vector<std::string>{versions_header,
                                      t1 + "\tb\teu\t10\t" + w + "\t\tfalse"}));

  // Writing a deleted point again, even with its old value, makes it live again.
  const int64_t revived = WriteAndSync("temp,host=b,region=eu v=10 " + t1s + "\n", 1);
  EXPECT_EQ(aggregates(""), (std::vector<std::string>{header, "3\t53.5\t10\t22.5"}));
  EXPECT_EQ(Ask("SELECT VERSIONS v FROM temp WHERE host = 'b'"),
            (std::vector<std::string>{
                versions_header,
                t1 + "\tb\teu\t10\t" + w + "\t" + d + "\tfalse",
                t1 + "\tb\teu\t\t" + d + "\t" + Rfc3339(revived) + "\ttrue",
                t1 + "\tb\teu\t10\t" + Rfc3339(revived) + "\t\tfalse",
            }));
  // A delete that matches nothing writes nothing and names the latest system time.
  ASSERT_TRUE(client_->Send("DELETE FROM temp WHERE host = 'nobody'\n").ok());
  auto nothing = client_->ReadLine();
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(*nothing, "OK 0 " + std::to_string(revived));
}

}  // namespace
}  // namespace strata
