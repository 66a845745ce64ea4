#include "engine/write_batch.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/line_protocol.h"

namespace strata::engine {
namespace {

struct Decoded {
  std::string series_key;
  int64_t valid_time_ns;
  std::vector<std::pair<std::string, FieldValue>> fields;
  std::vector<bool> tombstones;
  std::vector<std::string> strings;  // owns string values past the payload's life
};

std::vector<Decoded> DecodeAll(std::string_view payload, Status* status) {
  std::vector<Decoded> out;
  *status = DecodeWriteBatch(
      payload,
      [&](const BatchLine& line) {
        out.push_back({std::string(line.series_key), line.valid_time_ns, {}, {}, {}});
      },
      [&](std::string_view key, const FieldValue& value, bool tombstone) {
        out.back().fields.emplace_back(std::string(key), value);
        out.back().tombstones.push_back(tombstone);
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

std::string Fixed64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
  return out;
}

TEST(WriteBatchTest, EncodedFormIsPinned) {
  // A format change must be deliberate: docs/format/write_batch.md v4. The second line repeats
  // the first one's field keys and types: a field count of 0, then only the values. The third
  // is of the first line's series: a reference (1 = the first key written) instead of the key.
  std::string payload =
      BatchOf({"m,t=v f=1i,g=t 1", "m,t=w f=2i,g=f 2", "m,t=v f=3i,g=t 3"}).Release();
  const std::string zero(1, '\0');
  // clang-format off: one line of the batch per line here
  const std::string expected =
      std::string("\x04", 1) +
      zero + "\x05" "m,t=v" + Fixed64(1) + "\x02" +
          "\x01" "f" "\x02" "\x02" "\x01" "g" "\x04" "\x01" +
      zero + "\x05" "m,t=w" + Fixed64(2) + zero + "\x04" + zero +
      "\x01" + Fixed64(3) + zero + "\x06" + "\x01";
  // clang-format on
  EXPECT_EQ(payload, expected);
}

TEST(WriteBatchTest, OlderVersionsStillDecode) {
  // Version 3 (a WAL written by an older build): every line spells its series key out.
  const std::string zero(1, '\0');
  // clang-format off
  const std::string v3 =
      std::string("\x03", 1) +
      "\x05" "m,t=v" + Fixed64(1) + "\x02" + "\x01" "f" "\x02" "\x02" "\x01" "g" "\x04" "\x01" +
      "\x05" "m,t=v" + Fixed64(2) + zero + "\x04" + zero;
  // clang-format on
  Status status;
  auto lines = DecodeAll(v3, &status);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].series_key, "m,t=v");
  EXPECT_EQ(lines[1].valid_time_ns, 2);
  ASSERT_EQ(lines[1].fields.size(), 2u);
  EXPECT_EQ(lines[1].fields[0].first, "f");
  EXPECT_EQ(lines[1].fields[0].second.i, 2);
  EXPECT_EQ(lines[1].fields[1].first, "g");
  EXPECT_FALSE(lines[1].fields[1].second.b);
  // Before v4 a line's first byte is its key's length: a v3 batch read as v4 would differ.
  std::vector<BatchLine> numbered;
  ASSERT_TRUE(DecodeWriteBatch(v3, [&](const BatchLine& l) { numbered.push_back(l); },
                               [](std::string_view, const FieldValue&, bool) {})
                  .ok());
  ASSERT_EQ(numbered.size(), 2u);
  EXPECT_TRUE(numbered[1].new_series) << "before v4 every key is written out, so each is new";
  EXPECT_EQ(numbered[1].series_number, 1u);

  // clang-format off
  const std::string v1 =
      std::string("\x01", 1) + "\x05" "m,t=v" + Fixed64(1) + "\x01" + "\x01" "f" "\x02" "\x02";
  // clang-format on
  lines = DecodeAll(v1, &status);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].fields[0].second.i, 1);
}

// Whatever the mix of series, repeats and tombstones, every line decodes to its own series key;
// a key the parser gave a series token is written once per batch, and the numbers the decoder
// hands out say exactly which lines share a key.
TEST(WriteBatchTest, SeriesKeysAreWrittenOncePerBatchAndReferencedAfter) {
  const std::vector<std::string> prefixes = {"cpu,host=a", "cpu,host=b", "cpu,host=c,rack=1",
                                             "mem,host=a", "cpu,host=\\ d"};  // the last escapes
  std::mt19937_64 rng(11);
  WriteBatch batch;  // reused, as a connection reuses its batch: Release starts afresh
  LineParser parser;
  for (int round = 0; round < 200; ++round) {
    ParsedLine parsed;
    std::vector<std::string> expected_keys;
    const size_t n = 1 + rng() % 20;
    for (size_t i = 0; i < n; ++i) {
      const std::string& prefix = prefixes[rng() % prefixes.size()];
      const std::string line = prefix + " f=" + std::to_string(i);  // the key may view it
      ASSERT_TRUE(parser.Parse(line, &parsed).ok()) << line;
      if (rng() % 5 == 0) {
        batch.AddTombstone(parsed.series_key, 1, "f", FieldType::kFloat);
      } else {
        batch.Add(parsed, static_cast<int64_t>(i));
      }
      expected_keys.emplace_back(parsed.series_key);
    }
    const std::string payload = batch.Release();
    std::vector<std::string> keys;
    std::vector<std::string> key_of_number;
    Status status = DecodeWriteBatch(
        payload,
        [&](const BatchLine& line) {
          keys.emplace_back(line.series_key);
          if (line.new_series) {
            EXPECT_EQ(line.series_number, key_of_number.size()) << "numbers count up from 0";
            key_of_number.emplace_back(line.series_key);
          } else {
            ASSERT_LT(line.series_number, key_of_number.size());
          }
          EXPECT_EQ(key_of_number[line.series_number], line.series_key);
        },
        [](std::string_view, const FieldValue&, bool) {});
    ASSERT_TRUE(status.ok()) << status.ToString();
    EXPECT_EQ(keys, expected_keys) << "round " << round;
  }
  // A key with a token appears once however many lines name it; an escaped prefix has no
  // token (the parser does not cache it), so its key is spelled out on every line.
  std::string once = BatchOf({"cpu,host=a f=1 1", "cpu,host=b f=1 1", "cpu,host=a f=2 2",
                              "cpu,host=a f=3 3"}).Release();
  EXPECT_EQ(once.find("cpu,host=a"), once.rfind("cpu,host=a"));
  std::string escaped = BatchOf({"cpu,host=\\ a f=1 1", "cpu,host=\\ a f=2 2"}).Release();
  EXPECT_NE(escaped.find("host=\\ a"), escaped.rfind("host=\\ a"));
}

TEST(WriteBatchTest, AReferenceToAKeyNotYetWrittenIsCorruption) {
  const std::string zero(1, '\0');
  const std::string line_a = zero + "\x03" "m,a" + Fixed64(1) + "\x01" + "\x01" "f" + "\x02" "\x02";
  const std::string ref = [](uint8_t n) { return std::string(1, static_cast<char>(n)); }(2) +
                          Fixed64(2) + zero + "\x04";
  Status status;
  DecodeAll(std::string("\x04", 1) + line_a + ref, &status);
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(status.message().find("series reference to a key not yet written"), std::string::npos)
      << status.ToString();
  auto lines = DecodeAll(std::string("\x04", 1) + line_a + "\x01" + Fixed64(2) + zero + "\x04",
                         &status);
  ASSERT_TRUE(status.ok()) << "reference 1 is the first key: " << status.ToString();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].series_key, "m,a");
  EXPECT_EQ(lines[1].fields[0].second.i, 2);
  DecodeAll(std::string("\x04", 1) + "\x01" + Fixed64(2) + zero + "\x04", &status);
  EXPECT_TRUE(status.IsCorruption()) << "a reference before any key: " << status.ToString();
}

// Lines with the previous line's keys and types are written as values only; any difference in
// count, name, order or type, and any tombstone in between, writes the keys out again.
TEST(WriteBatchTest, RepeatedFieldKeysDecodeAsWrittenInEveryMix) {
  const std::vector<std::string> kinds = {
      "cpu,host=a usage_user=1.5,usage_system=2 ", "cpu,host=b usage_user=-3,usage_system=4.25 ",
      "cpu,host=a usage_system=2,usage_user=1.5 ", "cpu,host=a usage_user=1i,usage_system=2 ",
      "cpu,host=c usage_user=7 ", "mem,host=a used=5u,free=\"x\",ok=true "};
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200; ++round) {
    WriteBatch batch;
    LineParser parser;
    ParsedLine parsed;
    std::vector<Decoded> expected;
    const size_t n = 1 + rng() % 12;
    for (size_t i = 0; i < n; ++i) {
      if (rng() % 6 == 0) {
        batch.AddTombstone("cpu,host=a", static_cast<int64_t>(i), "usage_user", FieldType::kFloat);
        expected.push_back({"cpu,host=a", static_cast<int64_t>(i),
                            {{"usage_user", FieldValue::Float(0)}}, {true}, {}});
        continue;
      }
      const std::string line = kinds[rng() % kinds.size()] + std::to_string(i);
      ASSERT_TRUE(parser.Parse(line, &parsed).ok()) << line;
      batch.Add(parsed, static_cast<int64_t>(i));
      Decoded d{std::string(parsed.series_key), static_cast<int64_t>(i), {}, {}, {}};
      for (const Field& f : parsed.fields) {
        d.fields.emplace_back(std::string(f.key), f.value);
        d.tombstones.push_back(false);
      }
      expected.push_back(std::move(d));
    }
    Status status;
    const std::string payload = batch.Release();
    auto lines = DecodeAll(payload, &status);
    ASSERT_TRUE(status.ok()) << status.ToString();
    ASSERT_EQ(lines.size(), expected.size()) << "round " << round;
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(lines[i].series_key, expected[i].series_key);
      EXPECT_EQ(lines[i].valid_time_ns, expected[i].valid_time_ns);
      EXPECT_EQ(lines[i].tombstones, expected[i].tombstones) << "round " << round << " line " << i;
      ASSERT_EQ(lines[i].fields.size(), expected[i].fields.size()) << "round " << round;
      for (size_t f = 0; f < lines[i].fields.size(); ++f) {
        const FieldValue& got = lines[i].fields[f].second;
        const FieldValue& want = expected[i].fields[f].second;
        EXPECT_EQ(lines[i].fields[f].first, expected[i].fields[f].first);
        ASSERT_EQ(got.type, want.type) << "round " << round << " line " << i;
        if (expected[i].tombstones[f]) continue;
        switch (got.type) {
          case FieldType::kFloat: EXPECT_EQ(std::bit_cast<uint64_t>(got.f), std::bit_cast<uint64_t>(want.f)); break;
          case FieldType::kInt: EXPECT_EQ(got.i, want.i); break;
          case FieldType::kUint: EXPECT_EQ(got.u, want.u); break;
          case FieldType::kBool: EXPECT_EQ(got.b, want.b); break;
          case FieldType::kString: break;  // views into the parser's buffer, checked elsewhere
        }
      }
    }
  }
  // The bytes saved: a batch of one kind of line spells the keys out once.
  WriteBatch same = BatchOf({"cpu,host=a usage_user=1.5,usage_system=2 1",
                             "cpu,host=b usage_user=2.5,usage_system=3 1"});
  WriteBatch differ = BatchOf({"cpu,host=a usage_user=1.5,usage_system=2 1",
                               "cpu,host=b usage_system=3,usage_user=2.5 1"});
  EXPECT_EQ(differ.bytes() - same.bytes(), std::string("usage_user").size() +
                                               std::string("usage_system").size() + 2 * 2);
}

TEST(WriteBatchTest, ARepeatWithNothingToRepeatIsCorruption) {
  const std::string line = std::string("\x05" "m,t=v") + std::string("\x01\0\0\0\0\0\0\0", 8) +
                           std::string("\0", 1) + std::string(8, '\0');
  Status status;
  DecodeAll(std::string("\x03", 1) + line, &status);
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_NE(status.message().find("no field keys to repeat"), std::string::npos);
  DecodeAll(std::string("\x02", 1) + line, &status);
  EXPECT_TRUE(status.IsCorruption()) << "a version 2 batch has no repeats";
  const std::string v4_line = std::string("\0", 1) + line;  // v4: the key is new to the batch
  DecodeAll(std::string("\x04", 1) + v4_line, &status);
  EXPECT_NE(status.message().find("no field keys to repeat"), std::string::npos)
      << status.ToString();
  WriteBatch batch;
  batch.AddTombstone("m,t=v", 1, "f", FieldType::kFloat);
  DecodeAll(batch.Release() + v4_line, &status);
  EXPECT_TRUE(status.IsCorruption()) << "a tombstone's keys are never repeated";
  EXPECT_NE(status.message().find("no field keys to repeat"), std::string::npos)
      << status.ToString();
}

TEST(WriteBatchTest, TombstonesRoundTripWithTheirTypeAndNoValue) {
  WriteBatch batch = BatchOf({"m,host=a f=1.5 5"});
  batch.AddTombstone("m,host=a", 5, "f", FieldType::kFloat);
  batch.AddTombstone("m,host=b", -3, "s", FieldType::kString);
  EXPECT_EQ(batch.lines(), 3u);
  EXPECT_EQ(batch.points(), 3u);
  Status status;
  auto lines = DecodeAll(batch.Release(), &status);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].tombstones, std::vector<bool>{false});
  EXPECT_EQ(lines[1].series_key, "m,host=a");
  EXPECT_EQ(lines[1].valid_time_ns, 5);
  EXPECT_EQ(lines[1].fields[0].first, "f");
  EXPECT_EQ(lines[1].fields[0].second.type, FieldType::kFloat);
  EXPECT_EQ(lines[1].tombstones, std::vector<bool>{true});
  EXPECT_EQ(lines[2].valid_time_ns, -3);
  EXPECT_EQ(lines[2].fields[0].second.type, FieldType::kString);
  EXPECT_EQ(lines[2].tombstones, std::vector<bool>{true});
}

TEST(WriteBatchTest, EveryTruncationIsCorruptionNotACrash) {
  std::string payload =
      BatchOf({"m,host=a f=1.5,s=\"hello\",i=3i 10", "m,host=b u=7u,b=f 11",
               "m,host=c u=8u,b=t 12"}).Release();
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
  DecodeAll("\x05", &status);
  EXPECT_TRUE(status.IsCorruption()) << "unknown version";
  DecodeAll(std::string("\x00", 1), &status);
  EXPECT_TRUE(status.IsCorruption()) << "version 0";
  std::string bad_type = payload;
  bad_type[1 + 1 + 1 + 8 + 8 + 1 + 1 + 1] = 9;  // the first field's type byte
  DecodeAll(bad_type, &status);
  EXPECT_TRUE(status.IsCorruption());
  bad_type[1 + 1 + 1 + 8 + 8 + 1 + 1 + 1] = static_cast<char>(0x80 | 9);  // tombstone of no type
  DecodeAll(bad_type, &status);
  EXPECT_TRUE(status.IsCorruption());
}

}  // namespace
}  // namespace strata::engine
