// The identities the line-protocol parser hands out with a line, which its consumers key their
// caches by: shape ids (the field set) and series tokens (the series key).

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/line_protocol.h"

namespace strata::engine {
namespace {

uint64_t ShapeOf(LineParser& parser, std::string_view line) {
  ParsedLine out;
  const Status s = parser.Parse(line, &out);
  EXPECT_TRUE(s.ok()) << line << ": " << s.ToString();
  return out.shape_id;
}

TEST(LineProtocolIdentityTest, ShapeIdsAreEqualExactlyForEqualFieldKeysAndTypes) {
  LineParser parser;
  ParsedLine out;
  const uint64_t first = ShapeOf(parser, "cpu,host=a u=1,s=2 1");
  EXPECT_NE(first, 0u);
  EXPECT_EQ(ShapeOf(parser, "cpu,host=b u=5,s=-2.5 2"), first) << "other series and values";
  EXPECT_EQ(ShapeOf(parser, "mem,host=b u=5,s=3"), first) << "the shape is the field set alone";
  const uint64_t int_s = ShapeOf(parser, "cpu,host=a u=1,s=2i 3");
  EXPECT_NE(int_s, first) << "a type differs";
  EXPECT_NE(ShapeOf(parser, "cpu,host=a s=2,u=1 4"), int_s) << "order differs";
  EXPECT_NE(ShapeOf(parser, "cpu,host=a u=1 5"), first) << "fewer fields";
  EXPECT_FALSE(parser.Parse("cpu,host=a u=1,u=2 6", &out).ok()) << "repeated key";
  EXPECT_FALSE(parser.Parse("cpu,host=a u=1,u=2 6", &out).ok()) << "and again";
  const uint64_t again = ShapeOf(parser, "cpu,host=a u=1,s=2 7");
  EXPECT_NE(again, 0u);
  LineParser other;
  EXPECT_NE(ShapeOf(other, "cpu,host=a u=1,s=2 8"), again) << "ids are unique across parsers";
}

// Equal nonzero tokens mean equal series keys, across parsers and whatever the parser's prefix
// cache evicted meanwhile; and a series seen again while cached keeps its token (the point of
// having one).
TEST(LineProtocolIdentityTest, EqualSeriesTokensMeanEqualSeriesKeys) {
  // More prefixes than the cache has slots, so slots are overwritten and refilled; tags in two
  // orders give one key from two raw prefixes.
  std::vector<std::string> prefixes;
  for (int i = 0; i < 6000; ++i) {
    prefixes.push_back("cpu,host=h" + std::to_string(i % 3000) + (i < 3000 ? ",rack=r1" : "") +
                       (i >= 3000 ? ",a=1,b=2" : ""));
  }
  prefixes.push_back("cpu,b=2,a=1,host=h7");  // the key of "cpu,host=h7,a=1,b=2" reordered
  std::map<uint64_t, std::string> key_of_token;
  std::mt19937_64 rng(5);
  LineParser parsers[2];
  ParsedLine out;
  size_t repeated_tokens = 0;
  for (int i = 0; i < 40000; ++i) {
    // Mostly a few hot series, so some lines find their prefix still cached.
    const std::string& prefix = rng() % 2 ? prefixes[rng() % 8] : prefixes[rng() % prefixes.size()];
    LineParser& parser = parsers[rng() % 2];
    const std::string line = prefix + " f=1 " + std::to_string(i);  // the key may view it
    ASSERT_TRUE(parser.Parse(line, &out).ok()) << line;
    ASSERT_NE(out.series_token, 0u) << prefix;
    auto [it, inserted] = key_of_token.emplace(out.series_token, std::string(out.series_key));
    if (!inserted) {
      ++repeated_tokens;
      ASSERT_EQ(it->second, out.series_key) << "token " << out.series_token << " line " << i;
    }
  }
  EXPECT_GT(repeated_tokens, 10000u) << "cached prefixes keep their token";

  // A prefix with a backslash is not cached: no token, rather than a wrong one.
  LineParser parser;
  ASSERT_TRUE(parser.Parse("cpu,host=a\\ b f=1 1", &out).ok());
  EXPECT_EQ(out.series_token, 0u);
  ASSERT_TRUE(parser.Parse("cpu,host=a f=1 1", &out).ok());
  const uint64_t token = out.series_token;
  ASSERT_TRUE(parser.Parse("cpu,host=a f=2 2", &out).ok());
  EXPECT_EQ(out.series_token, token);
  ASSERT_TRUE(parser.Parse("cpu,host=b f=2 2", &out).ok());
  EXPECT_NE(out.series_token, token);
}

}  // namespace
}  // namespace strata::engine
