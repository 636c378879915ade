#include "common/strings.h"

#include <gtest/gtest.h>

namespace ember {
namespace {

TEST(StringsTest, ParseInt64FollowsRedis) {
  int64_t v;
  EXPECT_TRUE(ParseInt64("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseInt64("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_TRUE(ParseInt64("9223372036854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
  for (const char* bad : {"", "-", "+1", " 1", "1 ", "01", "-0", "9223372036854775808",
                          "-9223372036854775809", "1a", "0x10"}) {
    EXPECT_FALSE(ParseInt64(bad, &v)) << bad;
  }
}

TEST(StringsTest, FormatInt64) {
  EXPECT_EQ(Int64ToString(0), "0");
  EXPECT_EQ(Int64ToString(INT64_MIN), "-9223372036854775808");
  EXPECT_EQ(Int64ToString(123), "123");
  EXPECT_EQ(Int64ToString(INT64_MAX), "9223372036854775807");
  // Every length and both parities of digit count agree with std::to_string.
  for (int64_t v : {1L, 9L, 10L, 99L, 100L, 101L, 999L, 1000L, 1024L, 65535L, 1000000007L}) {
    EXPECT_EQ(Int64ToString(v), std::to_string(v));
    EXPECT_EQ(Int64ToString(-v), std::to_string(-v));
  }
  for (int64_t v = 1; v < INT64_MAX / 10; v = v * 10 + 7) {
    EXPECT_EQ(Int64ToString(v), std::to_string(v));
  }
}

TEST(StringsTest, EqualsIgnoreCaseIsAsciiOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("GeT", "get"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("get", "gets"));
  EXPECT_FALSE(EqualsIgnoreCase("@", "`"));  // differ only in bit 0x20, but not letters
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));
  EXPECT_TRUE(EqualsIgnoreCase("a1-_", "A1-_"));
  EXPECT_FALSE(EqualsIgnoreCase("\xc9", "\xe9"));  // Latin-1 letters are not folded
}

TEST(StringsTest, LongDoubleHumanForm) {
  EXPECT_EQ(LongDoubleToHumanString(10.5L), "10.5");
  EXPECT_EQ(LongDoubleToHumanString(3.0L), "3");
  EXPECT_EQ(LongDoubleToHumanString(-0.0L), "0");
  EXPECT_EQ(LongDoubleToHumanString(5.0e3L), "5000");
}

TEST(StringsTest, ParseDoubleRejectsSpacesAndNan) {
  double d;
  EXPECT_TRUE(ParseDouble("1.5", &d));
  EXPECT_TRUE(ParseDouble("-inf", &d));
  EXPECT_FALSE(ParseDouble(" 1", &d));
  EXPECT_FALSE(ParseDouble("nan", &d));
  EXPECT_FALSE(ParseDouble("1x", &d));
  EXPECT_FALSE(ParseDouble("", &d));
}

TEST(StringsTest, GlobMatch) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h\\*llo", "h*llo"));
  EXPECT_FALSE(GlobMatch("h\\*llo", "hello"));
  EXPECT_TRUE(GlobMatch("HELLO", "hello", true));
  EXPECT_FALSE(GlobMatch("a*b", "a"));
  // A pathological pattern finishes.
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*b", std::string(60, 'a')));
}

TEST(StringsTest, ParseMemoryUnits) {
  EXPECT_EQ(ParseMemory("1gb"), 1024LL * 1024 * 1024);
  EXPECT_EQ(ParseMemory("1g"), 1000000000LL);
  EXPECT_EQ(ParseMemory("10KB"), 10240);
  EXPECT_EQ(ParseMemory("100"), 100);
  EXPECT_FALSE(ParseMemory("1tb").has_value());
  EXPECT_FALSE(ParseMemory("abc").has_value());
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

TEST(StringsTest, QuotedReprEscapesLikeRedis) {
  EXPECT_EQ(QuotedRepr("a b"), "\"a b\"");
  EXPECT_EQ(QuotedRepr(std::string_view("\"\\\n\r\t\a\b\x01\xff", 9)),
            "\"\\\"\\\\\\n\\r\\t\\a\\b\\x01\\xff\"");
}

}  // namespace
}  // namespace ember
