#include "server/line_splitter.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::server {
namespace {

// (text, too_long) as the handler saw them.
using Lines = std::vector<std::pair<std::string, bool>>;

class Collector {
 public:
  LineSplitter::LineHandler handler() {
    return [this](std::string_view line, bool too_long) {
      lines_.emplace_back(std::string(line), too_long);
    };
  }
  Lines& lines() { return lines_; }

 private:
  Lines lines_;
};

// The test's own splitting: pieces between '\n'; a piece longer than max is reported as too
// long with no text; the unterminated tail counts only at end of stream.
Lines ReferenceSplit(std::string_view input, size_t max_line_bytes) {
  Lines out;
  size_t start = 0;
  while (start <= input.size()) {
    size_t nl = input.find('\n', start);
    std::string_view piece =
        input.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (nl == std::string_view::npos && piece.empty()) break;
    if (piece.size() > max_line_bytes) {
      out.emplace_back("", true);
    } else {
      out.emplace_back(std::string(piece), false);
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

Lines FeedInChunks(std::string_view input, size_t max_line_bytes,
                   const std::vector<size_t>& chunk_sizes) {
  LineSplitter splitter(max_line_bytes);
  Collector collector;
  size_t pos = 0, i = 0;
  while (pos < input.size()) {
    size_t n = std::min(chunk_sizes[i++ % chunk_sizes.size()], input.size() - pos);
    splitter.Feed(input.substr(pos, n), collector.handler());
    EXPECT_LE(splitter.buffered_bytes(), max_line_bytes);
    pos += n;
  }
  splitter.Finish(collector.handler());
  return collector.lines();
}

TEST(LineSplitterTest, FeedBoundariesDoNotChangeTheLines) {
  constexpr size_t kMax = 24;
  std::mt19937_64 rng(314);
  std::uniform_int_distribution<int> length(0, 40);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> chunk(1, 50);
  for (int round = 0; round < 200; ++round) {
    std::string input;
    const int lines = 1 + round % 30;
    for (int l = 0; l < lines; ++l) {
      int n = length(rng);
      for (int k = 0; k < n; ++k) {
        char c = static_cast<char>(byte(rng));
        input.push_back(c == '\n' ? 'x' : c);
      }
      if (l + 1 < lines || round % 2 == 0) input.push_back('\n');  // odd rounds: open tail
    }
    const Lines want = ReferenceSplit(input, kMax);
    SCOPED_TRACE("round " + std::to_string(round));
    EXPECT_EQ(FeedInChunks(input, kMax, {input.size() + 1}), want) << "all at once";
    EXPECT_EQ(FeedInChunks(input, kMax, {1}), want) << "byte by byte";
    std::vector<size_t> sizes;
    for (int k = 0; k < 16; ++k) sizes.push_back(chunk(rng));
    EXPECT_EQ(FeedInChunks(input, kMax, sizes), want) << "random chunks";
  }
}

TEST(LineSplitterTest, CarriageReturnIsLeftForTheCaller) {
  LineSplitter splitter(100);
  Collector c;
  splitter.Feed("PING\r\nab\rcd\r\n\r\n", c.handler());
  EXPECT_EQ(c.lines(), (Lines{{"PING\r", false}, {"ab\rcd\r", false}, {"\r", false}}));
}

TEST(LineSplitterTest, EmptyLinesAreDelivered) {
  LineSplitter splitter(100);
  Collector c;
  splitter.Feed("\n\na\n\n", c.handler());
  EXPECT_EQ(c.lines(), (Lines{{"", false}, {"", false}, {"a", false}, {"", false}}));
}

TEST(LineSplitterTest, LineOfExactlyTheLimitPassesOneMoreByteDoesNot) {
  constexpr size_t kMax = 10;
  const std::string exact(kMax, 'a');
  const std::string over(kMax + 1, 'b');
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{100}}) {
    EXPECT_EQ(FeedInChunks(exact + "\n" + over + "\n" + exact + "\n", kMax, {chunk}),
              (Lines{{exact, false}, {"", true}, {exact, false}}))
        << "chunk " << chunk;
  }
}

TEST(LineSplitterTest, OverLongLineIsReportedOnceWhenItsNewlineArrivesInALaterFeed) {
  constexpr size_t kMax = 8;
  LineSplitter splitter(kMax);
  Collector c;
  splitter.Feed("ok\n" + std::string(15, 'x'), c.handler());
  EXPECT_EQ(c.lines(), (Lines{{"ok", false}}));
  splitter.Feed(std::string(100, 'y'), c.handler());
  splitter.Feed(std::string(100, 'z'), c.handler());
  EXPECT_EQ(c.lines().size(), 1u) << "nothing is reported before the newline";
  EXPECT_LE(splitter.buffered_bytes(), kMax);
  splitter.Feed("zz\nnext\npart", c.handler());
  EXPECT_EQ(c.lines(), (Lines{{"ok", false}, {"", true}, {"next", false}}));
  splitter.Feed("ial\n", c.handler());
  EXPECT_EQ(c.lines().back(), (std::pair<std::string, bool>{"partial", false}));
  EXPECT_EQ(c.lines().size(), 4u);
}

TEST(LineSplitterTest, MemoryStaysBoundedWhileDiscarding) {
  constexpr size_t kMax = 16;
  LineSplitter splitter(kMax);
  Collector c;
  for (int i = 0; i < 1000; ++i) {
    splitter.Feed(std::string(37, 'q'), c.handler());
    ASSERT_LE(splitter.buffered_bytes(), kMax);
  }
  EXPECT_TRUE(c.lines().empty());
  splitter.Feed("\n", c.handler());
  EXPECT_EQ(c.lines(), (Lines{{"", true}}));
  EXPECT_EQ(splitter.buffered_bytes(), 0u);
}

TEST(LineSplitterTest, FinishDeliversAnUnterminatedLastLine) {
  LineSplitter splitter(100);
  Collector c;
  splitter.Feed("a\nlast", c.handler());
  EXPECT_EQ(c.lines(), (Lines{{"a", false}}));
  splitter.Finish(c.handler());
  EXPECT_EQ(c.lines(), (Lines{{"a", false}, {"last", false}}));
  splitter.Finish(c.handler());  // nothing more to deliver
  EXPECT_EQ(c.lines().size(), 2u);
}

TEST(LineSplitterTest, FinishWithNothingPendingDeliversNothing) {
  LineSplitter splitter(100);
  Collector c;
  splitter.Feed("a\n", c.handler());
  splitter.Finish(c.handler());
  EXPECT_EQ(c.lines(), (Lines{{"a", false}}));
}

TEST(LineSplitterTest, FinishInsideAnOverLongLineReportsItOnce) {
  LineSplitter splitter(4);
  Collector c;
  splitter.Feed("abcdefgh", c.handler());
  splitter.Finish(c.handler());
  splitter.Finish(c.handler());
  EXPECT_EQ(c.lines(), (Lines{{"", true}}));
}

}  // namespace
}  // namespace strata::server
