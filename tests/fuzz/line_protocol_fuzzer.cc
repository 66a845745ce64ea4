// libFuzzer target for the line-protocol parser (STYLE §7). Splits the input into lines, parses
// each, and on success checks the ParsedLine contract, aborting on any violation:
//   - fields are non-empty and their keys unique; tags are sorted by key and unique;
//   - "<series_key> f=1" parses back to the same measurement and tags and the same key;
//   - ParseSeriesKey inverts the key;
//   - a parser that has seen earlier lines (its prefix cache) answers as a fresh parser does;
//   - the accepted lines, added to one write batch (which refers to a key it wrote earlier when
//     the parser gave two lines the same series token), decode to their own series keys.
// Errors are fine (most fuzz input is malformed); crashes, sanitizer reports and aborts are not.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/line_protocol.h"
#include "engine/write_batch.h"

namespace {

using strata::engine::LineParser;
using strata::engine::ParsedLine;

[[noreturn]] void Fail(const char* what, std::string_view line) {
  std::fprintf(stderr, "line_protocol_fuzzer: %s\nline: '%.*s'\n", what,
               static_cast<int>(line.size()), line.data());
  std::abort();
}

void CheckParsed(std::string_view line, const ParsedLine& parsed) {
  if (parsed.measurement.empty()) Fail("empty measurement", line);
  if (parsed.fields.empty()) Fail("no fields", line);
  for (size_t i = 1; i < parsed.tags.size(); ++i) {
    if (!(parsed.tags[i - 1].key < parsed.tags[i].key)) Fail("tags not sorted and unique", line);
  }
  for (size_t i = 0; i < parsed.fields.size(); ++i) {
    if (parsed.fields[i].key.empty()) Fail("empty field key", line);
    for (size_t j = 0; j < i; ++j) {
      if (parsed.fields[i].key == parsed.fields[j].key) Fail("duplicate field key", line);
    }
  }
  for (const auto& tag : parsed.tags) {
    if (tag.key.empty() || tag.value.empty()) Fail("empty tag key or value", line);
  }

  // Copy what the re-parse would overwrite: the views may point into the parser's scratch.
  const std::string key(parsed.series_key);
  const std::string measurement(parsed.measurement);
  std::vector<std::pair<std::string, std::string>> tags;
  for (const auto& tag : parsed.tags) tags.emplace_back(tag.key, tag.value);

  LineParser reparser;
  ParsedLine again;
  const std::string line_again = key + " f=1";
  if (!reparser.Parse(line_again, &again).ok()) Fail("series key + ' f=1' does not parse", line);
  if (again.measurement != measurement) Fail("measurement changed on re-parse", line);
  if (again.series_key != key) Fail("series key not canonical", line);
  if (again.tags.size() != tags.size()) Fail("tag count changed on re-parse", line);
  for (size_t i = 0; i < tags.size(); ++i) {
    if (again.tags[i].key != tags[i].first || again.tags[i].value != tags[i].second) {
      Fail("tags changed on re-parse", line);
    }
  }

  std::string split_measurement;
  std::vector<std::pair<std::string, std::string>> split_tags;
  if (!strata::engine::ParseSeriesKey(key, &split_measurement, &split_tags).ok()) {
    Fail("ParseSeriesKey rejects a canonical key", line);
  }
  if (split_measurement != measurement || split_tags != tags) {
    Fail("ParseSeriesKey disagrees with the parser", line);
  }
}

// The long-lived parser may answer from its prefix cache; a fresh one parses everything.
void CheckSameAsFresh(std::string_view line, strata::engine::Precision precision,
                      const strata::Status& status, const ParsedLine& parsed) {
  LineParser fresh(precision);
  ParsedLine expected;
  const strata::Status want = fresh.Parse(line, &expected);
  if (want.ok() != status.ok() || want.message() != status.message()) {
    Fail("a reused parser's status differs from a fresh parser's", line);
  }
  if (!want.ok()) return;
  bool same = parsed.series_key == expected.series_key &&
              parsed.measurement == expected.measurement &&
              parsed.tags.size() == expected.tags.size() &&
              parsed.fields.size() == expected.fields.size() &&
              parsed.timestamp_ns == expected.timestamp_ns;
  for (size_t i = 0; same && i < parsed.tags.size(); ++i) {
    same = parsed.tags[i].key == expected.tags[i].key &&
           parsed.tags[i].value == expected.tags[i].value;
  }
  for (size_t i = 0; same && i < parsed.fields.size(); ++i) {
    same = parsed.fields[i].key == expected.fields[i].key;
  }
  if (!same) Fail("a reused parser's line differs from a fresh parser's", line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kMaxInputBytes = 64 * 1024;  // longer inputs add time, not coverage
  if (size > kMaxInputBytes) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Alternate precisions by the first byte so scaling and its overflow checks get exercised.
  static constexpr strata::engine::Precision kPrecisions[] = {
      strata::engine::Precision::kNanoseconds, strata::engine::Precision::kMicroseconds,
      strata::engine::Precision::kMilliseconds, strata::engine::Precision::kSeconds};
  const strata::engine::Precision precision = size > 0 ? kPrecisions[data[0] % 4] : kPrecisions[0];
  LineParser parser(precision);
  ParsedLine parsed;
  strata::engine::WriteBatch batch;
  std::vector<std::string> batch_keys;
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    (void)strata::engine::IsBlankOrComment(line);
    const strata::Status status = parser.Parse(line, &parsed);
    CheckSameAsFresh(line, precision, status, parsed);
    if (status.ok()) {
      CheckParsed(line, parsed);
      batch.Add(parsed, 0);
      batch_keys.emplace_back(parsed.series_key);
    }
    start = end + 1;
  }
  size_t decoded_lines = 0;
  const std::string payload = batch.Release();
  const strata::Status decoded = strata::engine::DecodeWriteBatch(
      payload,
      [&](const strata::engine::BatchLine& line) {
        if (decoded_lines >= batch_keys.size() || line.series_key != batch_keys[decoded_lines]) {
          Fail("a write batch line decodes to another series key", line.series_key);
        }
        ++decoded_lines;
      },
      [](std::string_view, const strata::engine::FieldValue&, bool) {});
  if (!decoded.ok() || decoded_lines != batch_keys.size()) {
    Fail("the write batch of the accepted lines does not decode", decoded.message());
  }
  return 0;
}
