#include "engine/write_batch.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/line_protocol.h"

namespace strata::engine {
namespace {

struct Decoded {
  std::string series_key;
  int64_t valid_time_ns;
  std::vector<std::pair<std::string, FieldValue>> fields;
  std::vector<std::string> strings;  // owns string values past the payload's life
};

std::vector<Decoded> DecodeAll(std::string_view payload, Status* status) {
  std::vector<Decoded> out;
  *status = DecodeWriteBatch(
      payload,
      [&](const BatchLine& line) {
        out.push_back({std::string(line.series_key), line.valid_time_ns, {}, {}});
      },
      [&](std::string_view key, const FieldValue& value) {
        out.back().fields.emplace_back(std::string(key), value);
      });
  return out;
}

WriteBatch BatchOf(const std::vector<std::string>& lines, int64_t default_time = 42) {
  WriteBatch batch;
  LineParser parser;
  ParsedLine parsed;
  for (const std::string& line : lines) {
    Status s = parser.Parse(line, &parsed);
    EXPECT_TRUE(s.ok()) << line << ": " << s.ToString();
    batch.Add(parsed, parsed.timestamp_ns.value_or(default_time));
  }
  return batch;
}

TEST(WriteBatchTest, EveryValueTypeRoundTripsBitExactly) {
  WriteBatch batch = BatchOf({
      "m,host=a f=-0.0,i=-9223372036854775808i,u=18446744073709551615u,b=true,s=\"x \\\"y\\\" z\" 5",
      "m,host=b nan=NaN,inf=-inf,tiny=5e-324 -7",
      "m f=1.5",
  });
  EXPECT_EQ(batch.lines(), 3u);
  EXPECT_EQ(batch.points(), 9u);
  std::string payload = batch.Release();
  EXPECT_TRUE(batch.empty());
  Status status;
  auto lines = DecodeAll(payload, &status);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(lines.size(), 3u);

  EXPECT_EQ(lines[0].series_key, "m,host=a");
  EXPECT_EQ(lines[0].valid_time_ns, 5);
  ASSERT_EQ(lines[0].fields.size(), 5u);
  EXPECT_EQ(std::bit_cast<uint64_t>(lines[0].fields[0].second.f), std::bit_cast<uint64_t>(-0.0));
  EXPECT_EQ(lines[0].fields[1].second.i, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(lines[0].fields[2].second.u, std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(lines[0].fields[3].second.b);
  EXPECT_EQ(lines[0].fields[4].second.type, FieldType::kString);
  EXPECT_EQ(lines[0].fields[4].second.s, "x \"y\" z");

  EXPECT_EQ(lines[1].valid_time_ns, -7);
  EXPECT_TRUE(std::isnan(lines[1].fields[0].second.f));
  EXPECT_EQ(lines[1].fields[1].second.f, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(lines[1].fields[2].second.f, std::numeric_limits<double>::denorm_min());

  EXPECT_EQ(lines[2].valid_time_ns, 42) << "a line without timestamp gets the default time";
}

TEST(WriteBatchTest, EncodedFormIsPinned) {
  // A format change must be deliberate: docs/format/write_batch.md v1.
  std::string payload = BatchOf({"m,t=v f=1i,g=t 1"}).Release();
  const std::string expected = std::string("\x01", 1) + "\x05" "m,t=v" +
                               std::string("\x01\0\0\0\0\0\0\0", 8) + "\x02" + "\x01" "f" +
                               "\x02" "\x02" + "\x01" "g" + "\x04" "\x01";
  EXPECT_EQ(payload, expected);
}

TEST(WriteBatchTest, EveryTruncationIsCorruptionNotACrash) {
  std::string payload =
      BatchOf({"m,host=a f=1.5,s=\"hello\",i=3i 10", "m,host=b u=7u,b=f 11"}).Release();
  for (size_t len = 0; len < payload.size(); ++len) {
    Status status;
    DecodeAll(std::string_view(payload.data(), len), &status);
    // Cutting exactly between lines leaves a valid shorter batch; anything else is corrupt.
    if (!status.ok()) {
      EXPECT_TRUE(status.IsCorruption()) << len << ": " << status.ToString();
      EXPECT_NE(status.message().find("offset"), std::string::npos) << status.ToString();
    }
  }
  Status status;
  DecodeAll("\x02", &status);
  EXPECT_TRUE(status.IsCorruption()) << "unknown version";
  std::string bad_type = payload;
  bad_type[1 + 1 + 8 + 8 + 1 + 1 + 1] = 9;  // the first field's type byte
  DecodeAll(bad_type, &status);
  EXPECT_TRUE(status.IsCorruption());
}

}  // namespace
}  // namespace strata::engine
