#include "protocol/request_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace ember {
namespace {

using Args = std::vector<std::string>;

// Feeds `input` to a fresh parser in pieces cut at `cuts`, the way a socket would deliver it,
// keeping unconsumed bytes in a growing buffer. Returns the requests parsed.
std::vector<Args> ParseInPieces(const std::string& input, const std::vector<size_t>& cuts,
                                std::string* error = nullptr) {
  RequestParser parser;
  std::string buf;
  std::vector<Args> out;
  size_t fed = 0;
  auto drain = [&]() {
    while (!buf.empty()) {
      size_t consumed = 0;
      auto st = parser.Parse(buf, &consumed);
      if (st == RequestParser::Status::kNeedMore) return true;
      if (st == RequestParser::Status::kProtocolError) {
        if (error) *error = parser.error();
        return false;
      }
      if (st == RequestParser::Status::kRequest) {
        out.emplace_back(parser.args().begin(), parser.args().end());
      }
      buf.erase(0, consumed);
    }
    return true;
  };
  for (size_t cut : cuts) {
    buf.append(input, fed, cut - fed);
    fed = cut;
    if (!drain()) return out;
  }
  buf.append(input, fed, std::string::npos);
  drain();
  return out;
}

TEST(RequestParserTest, ParsesMultibulk) {
  auto reqs = ParseInPieces("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", {});
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0], (Args{"SET", "k", "hello"}));
}

TEST(RequestParserTest, ParsesBinarySafeBulk) {
  std::string value("a\r\nb\0c", 6);
  std::string input = "*2\r\n$4\r\nECHO\r\n$6\r\n" + value + "\r\n";
  auto reqs = ParseInPieces(input, {});
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0][1], value);
}

TEST(RequestParserTest, EverySplitPointGivesTheSameRequests) {
  const std::string input =
      "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\n"
      "PING\r\n"
      "*1\r\n$4\r\nPING\r\n"
      "set \"a b\" 'c d'\n"
      "*0\r\n"
      "\r\n"
      "*2\r\n$3\r\nGET\r\n$0\r\n\r\n";
  const std::vector<Args> expected = {
      {"SET", "key", "0123456789"}, {"PING"}, {"PING"}, {"set", "a b", "c d"}, {"GET", ""}};
  for (size_t i = 0; i <= input.size(); ++i) {
    EXPECT_EQ(ParseInPieces(input, {i}), expected) << "split at " << i;
    for (size_t j = i; j <= input.size(); j += 7) {
      EXPECT_EQ(ParseInPieces(input, {i, j}), expected) << "split at " << i << "," << j;
    }
  }
}

// The one-pass path (whole request, canonical lengths, < 100 arguments) and the general one
// (anything else) give the same requests: two- and three-digit counts, and whole requests
// after a split one.
TEST(RequestParserTest, WholeAndGeneralPathsAgree) {
  std::string many = "*12\r\n", lots = "*100\r\n";
  Args many_args, lots_args;
  for (int i = 0; i < 12; ++i) {
    many += "$2\r\nv" + std::to_string(i % 10) + "\r\n";
    many_args.push_back("v" + std::to_string(i % 10));
  }
  for (int i = 0; i < 100; ++i) {
    lots += "$1\r\nx\r\n";
    lots_args.push_back("x");
  }
  const std::string input = many + lots + "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n" + many;
  const std::vector<Args> expected = {many_args, lots_args, {"GET", "k"}, many_args};
  EXPECT_EQ(ParseInPieces(input, {}), expected);
  for (size_t i = 0; i <= input.size(); i += 5) {
    EXPECT_EQ(ParseInPieces(input, {i}), expected) << "split at " << i;
  }
}

TEST(RequestParserTest, ByteAtATime) {
  std::string input;
  std::vector<Args> expected;
  for (int i = 0; i < 50; ++i) {
    std::string v(static_cast<size_t>(i * 3), 'x');
    input += "*2\r\n$4\r\nECHO\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
    expected.push_back({"ECHO", v});
  }
  std::vector<size_t> cuts;
  for (size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(ParseInPieces(input, cuts), expected);
}

TEST(RequestParserTest, InlineCommands) {
  auto reqs = ParseInPieces("GET key\r\nSET k \"v\\x41\\n\"\nECHO 'it\\'s'\r\n", {});
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0], (Args{"GET", "key"}));
  EXPECT_EQ(reqs[1], (Args{"SET", "k", "vA\n"}));
  EXPECT_EQ(reqs[2], (Args{"ECHO", "it's"}));
}

struct ErrorCase {
  std::string input;
  std::string error;
};

TEST(RequestParserTest, ProtocolErrorsMatchRedis) {
  const ErrorCase cases[] = {
      {"*abc\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*3000000000\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*1\r\nfoo\r\n", "ERR Protocol error: expected '$', got 'f'"},
      {"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"},
      {"*1\r\n$abc\r\n", "ERR Protocol error: invalid bulk length"},
      {"*1\r\n$600000000\r\n", "ERR Protocol error: invalid bulk length"},
      {"SET \"a\r\n", "ERR Protocol error: unbalanced quotes in request"},
      {"SET \"a\"b\r\n", "ERR Protocol error: unbalanced quotes in request"},
      {std::string(70000, 'a'), "ERR Protocol error: too big inline request"},
      {"*" + std::string(70000, '1'), "ERR Protocol error: too big mbulk count string"},
      {"*1\r\n$" + std::string(70000, '1'), "ERR Protocol error: too big bulk count string"},
  };
  for (const auto& c : cases) {
    std::string error;
    ParseInPieces(c.input, {}, &error);
    EXPECT_EQ(error, c.error) << c.input.substr(0, 40);
  }
}

TEST(RequestParserTest, UnauthenticatedLimits) {
  RequestParser parser;
  parser.set_unauthenticated(true);
  size_t consumed;
  EXPECT_EQ(parser.Parse("*11\r\n", &consumed), RequestParser::Status::kProtocolError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: unauthenticated multibulk length");
  parser.Reset();
  EXPECT_EQ(parser.Parse("*1\r\n$16385\r\n", &consumed), RequestParser::Status::kProtocolError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: unauthenticated bulk length");
}

TEST(RequestParserTest, ReportsPendingBulkBytes) {
  RequestParser parser;
  size_t consumed;
  std::string buf = "*1\r\n$1000000\r\nabc";
  EXPECT_EQ(parser.Parse(buf, &consumed), RequestParser::Status::kNeedMore);
  EXPECT_EQ(parser.pending_bulk_bytes(), 1000000u + 2 - 3);
}

TEST(RequestParserTest, RandomGarbageNeverCrashes) {
  std::mt19937 rng(42);
  const char alphabet[] = "*$\r\n0123456789-abc \"'\\x\0\v\f\xff";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string input;
    size_t len = rng() % 64;
    for (size_t i = 0; i < len; ++i) input.push_back(alphabet[rng() % (sizeof(alphabet) - 1)]);
    std::vector<size_t> cuts;
    if (len > 1) cuts.push_back(1 + rng() % (len - 1));
    std::string error;
    ParseInPieces(input, cuts, &error);
  }
}

TEST(SplitArgsTest, QuotingRules) {
  std::vector<std::string> out;
  ASSERT_TRUE(SplitArgs("  a  \"b c\" 'd e' \"\\x41\\t\" f\"g\"", &out));
  EXPECT_EQ(out, (std::vector<std::string>{"a", "b c", "d e", "A\t", "fg"}));
  out.clear();
  EXPECT_FALSE(SplitArgs("\"unterminated", &out));
  out.clear();
  EXPECT_FALSE(SplitArgs("'x'y", &out));
  out.clear();
  // A NUL byte ends the line, as in Redis's C-string split.
  ASSERT_TRUE(SplitArgs(std::string_view("SET a b\0c d", 11), &out));
  EXPECT_EQ(out, (std::vector<std::string>{"SET", "a", "b"}));
  out.clear();
  ASSERT_TRUE(SplitArgs(std::string_view("\0'x", 3), &out));
  EXPECT_TRUE(out.empty());
  out.clear();
  ASSERT_TRUE(SplitArgs("", &out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace ember
