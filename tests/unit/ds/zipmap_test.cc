#include "ds/zipmap.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "blob_test_util.h"

namespace ember {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs Decode(std::string_view blob) {
  Pairs out;
  zipmap::ForEach(blob, [&](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
  return out;
}

void ExpectDecodes(const std::string& blob, const Pairs& pairs) {
  size_t count = 0;
  ASSERT_TRUE(zipmap::ValidateIntegrity(blob, &count));
  EXPECT_EQ(count, pairs.size());
  EXPECT_EQ(Decode(blob), pairs);
}

// Redis 7 cannot write zipmaps; these follow zipmap.c and were each checked against
// redis-server 7.0.15: RESTORE as an RDB v9 zipmap hash with sanitize-dump-payload yes succeeds
// and HGETALL returns exactly these pairs.

TEST(ZipmapTest, ExampleFromZipmapC) {
  ExpectDecodes(B("\x02\x03"
                  "foo"
                  "\x03\x00"
                  "bar"
                  "\x05"
                  "hello"
                  "\x05\x00"
                  "world"
                  "\xff"),
                {{"foo", "bar"}, {"hello", "world"}});
}

TEST(ZipmapTest, LongLengthsFreeBytesAndEmptyValue) {
  // A 300-byte value and a 254-byte key (5-byte lengths), an empty value, and a value followed
  // by 2 free bytes.
  std::string blob = B("\x04\x01"
                       "k"
                       "\x01\x00"
                       "v"
                       "\x03"
                       "big"
                       "\xfe\x2c\x01\x00\x00\x00") +
                     std::string(300, 'x') + B("\xfe\xfe\x00\x00\x00") + std::string(254, 'K') +
                     B("\x00\x00\x04"
                       "free"
                       "\x03\x02"
                       "val"
                       "\x00\x00\xff");
  ExpectDecodes(
      blob,
      {{"k", "v"}, {"big", std::string(300, 'x')}, {std::string(254, 'K'), ""}, {"free", "val"}});
}

TEST(ZipmapTest, UnknownCount) {
  // zmlen 254: count by walking.
  ExpectDecodes(B("\xfe\x01"
                  "a"
                  "\x01\x00"
                  "1"
                  "\x01"
                  "b"
                  "\x01\x00"
                  "2"
                  "\xff"),
                {{"a", "1"}, {"b", "2"}});
}

TEST(ZipmapTest, RejectsMalformed) {
  const std::string good =
      B("\x02\x01"
        "a"
        "\x01\x00"
        "1"
        "\x01"
        "b"
        "\x01\x00"
        "2"
        "\xff");
  ASSERT_TRUE(zipmap::ValidateIntegrity(good));
  auto with = [&](size_t i, char c) {
    std::string b = good;
    b[i] = c;
    return zipmap::ValidateIntegrity(b);
  };
  EXPECT_FALSE(with(0, '\x03'));   // zmlen mismatch (Redis rejects it too)
  EXPECT_FALSE(with(1, '\x09'));   // key runs past the end
  EXPECT_FALSE(with(3, '\x09'));   // value runs past the end
  EXPECT_FALSE(with(4, '\x09'));   // free bytes run past the end
  EXPECT_FALSE(with(3, '\xfe'));   // 5-byte length cut short
  EXPECT_FALSE(with(3, '\xff'));   // end marker where a value length belongs
  EXPECT_FALSE(with(6, '\xff'));   // end marker before the end
  EXPECT_FALSE(with(11, '\x00'));  // no terminator
  EXPECT_FALSE(zipmap::ValidateIntegrity(B("\x00\xff")));  // empty (Redis rejects it too)
  // A 5-byte length holding 5: Redis's iterator would misread it, and its RESTORE fails.
  EXPECT_FALSE(
      zipmap::ValidateIntegrity(B("\x01\x01"
                                  "k"
                                  "\xfe\x05\x00\x00\x00\x00"
                                  "vvvvv"
                                  "\xff")));
  EXPECT_FALSE(zipmap::ValidateIntegrity(B("\xff")));
  EXPECT_FALSE(zipmap::ValidateIntegrity(""));
}

TEST(ZipmapTest, FuzzedBlobsNeverReadOutOfBounds) {
  std::mt19937_64 rng(17);
  const std::vector<std::string> seeds = {
      B("\x02\x03"
        "foo"
        "\x03\x00"
        "bar"
        "\x05"
        "hello"
        "\x05\x00"
        "world"
        "\xff"),
      B("\x02\x01"
        "k"
        "\x05\x01"
        "vvvvv"
        "\x00"
        "\x01"
        "z"
        "\x00\x00\xff"),
  };
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string b = seeds[rng() % seeds.size()];
    MutateBlob(b, rng);
    ExactBlob heap(b);
    std::string_view blob = heap.view();
    size_t count = 0;
    if (!zipmap::ValidateIntegrity(blob, &count)) continue;
    ++accepted;
    ASSERT_EQ(Decode(blob).size(), count);
  }
  EXPECT_GT(accepted, 50);
}

}  // namespace
}  // namespace ember
