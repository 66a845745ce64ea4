#include "tools/line_shape.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace strata::tools {
namespace {

// The definition, a byte at a time: the series ends at the first space not escaped by a
// backslash; after the spaces that follow, the field set ends at the first space outside a
// quoted string, and has one point more than it has commas outside quoted strings.
LineShape Reference(const std::string& line) {
  LineShape shape;
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i == line.size() || line[i] == '#') return shape;
  while (i < line.size() && line[i] != ' ') i += line[i] == '\\' ? 2 : 1;
  shape.series_end = std::min(i, line.size());
  while (i < line.size() && line[i] == ' ') ++i;
  if (i >= line.size()) return shape;
  shape.points = 1;
  bool quoted = false;
  for (; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;
    } else if (line[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && line[i] == ',') {
      ++shape.points;
    } else if (!quoted && line[i] == ' ') {
      break;
    }
  }
  return shape;
}

void ExpectShape(const std::string& line, size_t series_end, uint32_t points) {
  const LineShape shape = ScanLine(line);
  EXPECT_EQ(shape.series_end, series_end) << line;
  EXPECT_EQ(shape.points, points) << line;
}

TEST(LineShapeTest, CountsFieldsOfPlainLines) {
  const std::string tsbs =
      "cpu,hostname=host_0,region=eu-west-1,datacenter=eu-west-1a,rack=87,os=Ubuntu16.10 "
      "usage_user=58.47,usage_system=2.13,usage_idle=24.58,usage_nice=61.5 1451606400000000000";
  ExpectShape(tsbs, tsbs.find(' '), 4);
  ExpectShape("m v=1", 1, 1);
  ExpectShape("m,host=a v=1,w=2i", 8, 2);
  ExpectShape("m,host=a v=1,w=2i 17", 8, 2);
  ExpectShape("m,host=a   v=1,w=2", 8, 2);  // several spaces before the fields
}

TEST(LineShapeTest, BlankLinesCommentsAndLinesWithoutFieldsHaveNoPoints) {
  ExpectShape("", 0, 0);
  ExpectShape("   \t ", 0, 0);
  ExpectShape("# a comment, with commas", 0, 0);
  ExpectShape("  # indented comment", 0, 0);
  ExpectShape("measurement_without_fields", 26, 0);
  ExpectShape("m,t=a   ", 5, 0);
}

TEST(LineShapeTest, EscapesAndQuotedStringsKeepTheirSpacesAndCommas) {
  ExpectShape("m,host=a\\ b v=1,w=2", 11, 2);        // escaped space in a tag value
  ExpectShape("m,host=a\\,b v=1", 11, 1);            // escaped comma in a tag value
  ExpectShape("m s=\"a, b, c\",v=1 17", 1, 2);       // commas and spaces inside a string
  ExpectShape("m s=\"say \\\"hi, there\\\"\" 17", 1, 1);  // escaped quotes inside a string
  ExpectShape("  m v=1,w=2", 3, 2);                  // leading blanks
}

TEST(LineShapeTest, LongLinesCrossTheSixteenByteStepsAtEveryOffset) {
  // The separators land at every position of the 16-byte blocks the scanner reads.
  for (size_t pad = 0; pad < 40; ++pad) {
    const std::string series = "m,t=" + std::string(pad, 'x');
    const std::string line = series + " a=1,b=2,c" + std::string(pad, 'y') + "=3 99";
    ExpectShape(line, series.size(), 3);
    const std::string quoted = series + " a=1,s=\"" + std::string(pad, 'z') + ", ,\",c=3 99";
    ExpectShape(quoted, series.size(), 3);
    const std::string escaped = "m,t=" + std::string(pad, 'x') + "\\ q v=1";
    ExpectShape(escaped, escaped.size() - 4, 1);
  }
}

TEST(LineShapeTest, CountsMoreCommasThanAByteCounterHolds) {
  // Over 255 16-byte steps of nothing but commas, then a few more fields.
  const std::string line = "m v=1" + std::string(5000, ',') + ",w=2 17";
  ExpectShape(line, 1, 5002);
}

TEST(LineShapeTest, AgreesWithTheDefinitionOnRandomLines) {
  // Few distinct bytes, so separators, escapes and quotes meet in every order.
  const std::string alphabet = "ab=, \"\\#\tx";
  std::mt19937 random(20261204);
  for (int round = 0; round < 200000; ++round) {
    std::string line(random() % 70, ' ');
    for (char& c : line) c = alphabet[random() % alphabet.size()];
    const LineShape want = Reference(line);
    const LineShape got = ScanLine(line);
    ASSERT_EQ(got.series_end, want.series_end) << '[' << line << ']';
    ASSERT_EQ(got.points, want.points) << '[' << line << ']';
  }
}

}  // namespace
}  // namespace strata::tools
