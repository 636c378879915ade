#include "ds/listpack.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "blob_test_util.h"

namespace ember {
namespace {

using Pos = Listpack::Pos;

std::vector<std::string> Forward(const Listpack& lp) {
  std::vector<std::string> out;
  for (Pos p = lp.First(); p != Listpack::kNoPos; p = lp.Next(p))
    out.push_back(lp.Get(p).ToString());
  return out;
}

std::vector<std::string> Backward(const Listpack& lp) {
  std::vector<std::string> out;
  for (Pos p = lp.Last(); p != Listpack::kNoPos; p = lp.Prev(p))
    out.push_back(lp.Get(p).ToString());
  return {out.rbegin(), out.rend()};
}

Listpack Build(const std::vector<std::string>& values) {
  Listpack lp;
  for (const auto& v : values) lp.Append(v);
  return lp;
}

// Checks that `golden` (bytes real Redis produced) is what we build from `values`, that it
// validates, and that it decodes back to `values` in both directions.
void ExpectGolden(const std::string& golden, const std::vector<std::string>& values) {
  Listpack built = Build(values);
  EXPECT_TRUE(built.Bytes() == golden) << "encoder differs from Redis";
  size_t count = 0;
  ASSERT_TRUE(Listpack::ValidateIntegrity(golden, true, &count));
  EXPECT_EQ(count, values.size());
  Listpack loaded = Listpack::FromBytes(golden);
  EXPECT_EQ(loaded.size(), values.size());
  EXPECT_EQ(Forward(loaded), values);
  EXPECT_EQ(Backward(loaded), values);
}

// ---- Golden vectors: DUMP payloads of redis-server 7.0.15 -------------------------------------

TEST(ListpackGoldenTest, SmallHash) {
  // HSET h a 1 b 2
  ExpectGolden(B("\x11\x00\x00\x00\x04\x00\x81\x61\x02\x01\x01\x81\x62\x02\x02\x01\xff"),
               {"a", "1", "b", "2"});
}

TEST(ListpackGoldenTest, EveryIntegerWidthAndNearIntegers) {
  // RPUSH l <each value>: the boundaries of every integer encoding, then strings that look like
  // integers but are not canonical (or overflow) and so stay strings.
  std::vector<std::string> values = {"0",
                                     "127",
                                     "128",
                                     "-1",
                                     "-4096",
                                     "4095",
                                     "4096",
                                     "-4097",
                                     "32767",
                                     "-32768",
                                     "32768",
                                     "-32769",
                                     "8388607",
                                     "-8388608",
                                     "8388608",
                                     "-8388609",
                                     "2147483647",
                                     "-2147483648",
                                     "2147483648",
                                     "-2147483649",
                                     "9223372036854775807",
                                     "-9223372036854775808",
                                     "9223372036854775808",
                                     "-9223372036854775809",
                                     "007",
                                     "+1",
                                     " 1",
                                     "-0",
                                     "",
                                     "abc",
                                     "1 ",
                                     "0x10",
                                     "12345678901234567890123"};
  ExpectGolden(
      B("\xe1\x00\x00\x00\x21\x00\x00\x01\x7f\x01\xc0\x80\x02\xdf\xff\x02\xd0\x00\x02\xcf\xff\x02"
        "\xf1\x00\x10\x03\xf1\xff\xef\x03\xf1\xff\x7f\x03\xf1\x00\x80\x03\xf2\x00\x80\x00\x04\xf2"
        "\xff\x7f\xff\x04\xf2\xff\xff\x7f\x04\xf2\x00\x00\x80\x04\xf3\x00\x00\x80\x00\x05\xf3\xff"
        "\xff\x7f\xff\x05\xf3\xff\xff\xff\x7f\x05\xf3\x00\x00\x00\x80\x05\xf4\x00\x00\x00\x80\x00"
        "\x00\x00\x00\x09\xf4\xff\xff\xff\x7f\xff\xff\xff\xff\x09\xf4\xff\xff\xff\xff\xff\xff\xff"
        "\x7f\x09\xf4\x00\x00\x00\x00\x00\x00\x00\x80\x09\x93\x39\x32\x32\x33\x33\x37\x32\x30\x33"
        "\x36\x38\x35\x34\x37\x37\x35\x38\x30\x38\x14\x94\x2d\x39\x32\x32\x33\x33\x37\x32\x30\x33"
        "\x36\x38\x35\x34\x37\x37\x35\x38\x30\x39\x15\x83\x30\x30\x37\x04\x82\x2b\x31\x03\x82\x20"
        "\x31\x03\x82\x2d\x30\x03\x80\x01\x83\x61\x62\x63\x04\x82\x31\x20\x03\x84\x30\x78\x31\x30"
        "\x05\x97\x31\x32\x33\x34\x35\x36\x37\x38\x39\x30\x31\x32\x33\x34\x35\x36\x37\x38\x39\x30"
        "\x31\x32\x33\x18\xff"),
      values);
}

TEST(ListpackGoldenTest, StringLengthAndBacklenBoundaries) {
  // RPUSH lb a*63 b*64 c*125 d*126: 6-bit -> 12-bit string length, 1 -> 2 byte backlen.
  std::string golden = B("\x8d\x01\x00\x00\x04\x00\xbf") + std::string(63, 'a') +
                       B("\x40\xe0\x40") + std::string(64, 'b') + B("\x42\xe0\x7d") +
                       std::string(125, 'c') + B("\x7f\xe0\x7e") + std::string(126, 'd') +
                       B("\x01\x80\xff");
  ExpectGolden(golden, {std::string(63, 'a'), std::string(64, 'b'), std::string(125, 'c'),
                        std::string(126, 'd')});
}

TEST(ListpackGoldenTest, SortedSetWithScores) {
  // ZADD z 1 a 2.5 b -3 c 1e20 d 100000 e: member then score, in score order.
  ExpectGolden(B("\x2c\x00\x00\x00\x0a\x00\x81\x63\x02\xdf\xfd\x02\x81\x61\x02\x01\x01\x81\x62"
                 "\x02\x83\x32\x2e\x35\x04\x81\x65\x02\xf2\xa0\x86\x01\x04\x81\x64\x02\x85\x31"
                 "\x65\x2b\x32\x30\x06\xff"),
               {"c", "-3", "a", "1", "b", "2.5", "e", "100000", "d", "1e+20"});
}

TEST(ListpackGoldenTest, LongStrings) {
  // HSET hb k1 x*4095 k2 y*4096 k3 z*16378 k4 q*16379 (hash-max-listpack-value raised): 12-bit
  // -> 32-bit string length, and Redis's 3-byte backlen for exactly 16383 (its `<` threshold).
  std::string golden = B("\x26\xa0\x00\x00\x08\x00\x82\x6b\x31\x03\xef\xff") +
                       std::string(4095, 'x') + B("\x20\x81\x82\x6b\x32\x03\xf0\x00\x10\x00\x00") +
                       std::string(4096, 'y') + B("\x20\x85\x82\x6b\x33\x03\xf0\xfa\x3f\x00\x00") +
                       std::string(16378, 'z') +
                       B("\x00\xff\xff\x82\x6b\x34\x03\xf0\xfb\x3f\x00\x00") +
                       std::string(16379, 'q') + B("\x01\x80\x80\xff");
  ExpectGolden(golden, {"k1", std::string(4095, 'x'), "k2", std::string(4096, 'y'), "k3",
                        std::string(16378, 'z'), "k4", std::string(16379, 'q')});
}

TEST(ListpackGoldenTest, TwoMegabyteStrings) {
  // HSET hh k w*2097146 k2 v*2097147: entries of exactly 2097151 bytes get Redis's 4-byte backlen.
  std::string golden = B("\x15\x00\x40\x00\x04\x00\x81\x6b\x02\xf0\xfa\xff\x1f\x00") +
                       std::string(2097146, 'w') +
                       B("\x00\xff\xff\xff\x82\x6b\x32\x03\xf0\xfb\xff\x1f\x00") +
                       std::string(2097147, 'v') + B("\x01\x80\x80\x80\xff");
  ExpectGolden(golden, {"k", std::string(2097146, 'w'), "k2", std::string(2097147, 'v')});
}

// ---- Encoding ---------------------------------------------------------------------------------

TEST(ListpackTest, EmptyListpack) {
  Listpack lp;
  EXPECT_EQ(lp.Bytes(), B("\x07\x00\x00\x00\x00\x00\xff"));
  EXPECT_EQ(lp.size(), 0u);
  EXPECT_EQ(lp.First(), Listpack::kNoPos);
  EXPECT_EQ(lp.Last(), Listpack::kNoPos);
  EXPECT_EQ(lp.Seek(0), Listpack::kNoPos);
  EXPECT_EQ(lp.Seek(-1), Listpack::kNoPos);
  EXPECT_TRUE(Listpack::ValidateIntegrity(lp.Bytes(), true));
  Listpack loaded = Listpack::FromBytes(lp.Bytes());
  EXPECT_TRUE(loaded.empty());
}

TEST(ListpackTest, IntegerEdgesRoundTripWithTheSmallestEncoding) {
  struct Case {
    int64_t v;
    size_t encoded;  // encoding + data bytes
  };
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const Case cases[] = {
      {0, 1},
      {127, 1},
      {128, 2},
      {-1, 2},
      {-4096, 2},
      {4095, 2},
      {-4097, 3},
      {4096, 3},
      {-32768, 3},
      {32767, 3},
      {-32769, 4},
      {32768, 4},
      {-8388608, 4},
      {8388607, 4},
      {-8388609, 5},
      {8388608, 5},
      {INT32_MIN, 5},
      {INT32_MAX, 5},
      {INT32_MIN - 1LL, 9},
      {INT32_MAX + 1LL, 9},
      {kMin, 9},
      {kMax, 9},
      {kMin + 1, 9},
      {kMax - 1, 9},
  };
  for (const Case& c : cases) {
    Listpack a, b;
    a.Append(std::to_string(c.v));
    b.AppendInt(c.v);
    EXPECT_EQ(a.Bytes(), b.Bytes()) << c.v;
    EXPECT_EQ(a.ByteSize(), 7 + c.encoded + 1) << c.v;  // header + entry + 1-byte backlen + EOF
    PackedValue got = a.Get(a.First());
    EXPECT_TRUE(got.is_int) << c.v;
    EXPECT_EQ(got.num, c.v);
    EXPECT_EQ(got.ToString(), std::to_string(c.v));
    EXPECT_TRUE(got.Equals(std::to_string(c.v)));
    EXPECT_FALSE(got.Equals(std::to_string(c.v) + " "));
  }
}

TEST(ListpackTest, NonCanonicalIntegersStayStrings) {
  for (std::string s : {"", "-", "-0", "00", "01", "+5", " 5", "5 ", "1e3", "0x1",
                        "9223372036854775808", "-9223372036854775809", "123456789012345678901"}) {
    Listpack lp;
    lp.Append(s);
    PackedValue v = lp.Get(lp.First());
    EXPECT_FALSE(v.is_int) << s;
    EXPECT_EQ(v.str, s);
    EXPECT_TRUE(v.Equals(s));
  }
}

TEST(ListpackTest, BinarySafeStrings) {
  std::string s("a\0\xff\x80z", 5);
  Listpack lp;
  lp.Append(s);
  EXPECT_EQ(lp.Get(lp.First()).str, s);
}

// ---- Navigation and search --------------------------------------------------------------------

TEST(ListpackTest, SeekFromBothEnds) {
  std::vector<std::string> values;
  for (int i = 0; i < 25; ++i)
    values.push_back(i % 3 ? "s" + std::to_string(i) : std::to_string(i));
  Listpack lp = Build(values);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(lp.Get(lp.Seek(i)).ToString(), values[i]);
    EXPECT_EQ(lp.Get(lp.Seek(i - 25)).ToString(), values[i]);
  }
  EXPECT_EQ(lp.Seek(25), Listpack::kNoPos);
  EXPECT_EQ(lp.Seek(-26), Listpack::kNoPos);
  EXPECT_EQ(lp.Seek(std::numeric_limits<int64_t>::min()), Listpack::kNoPos);
}

TEST(ListpackTest, FindWithSkipMatchesFieldsOnly) {
  // A hash as field/value pairs where a value equals a later field.
  Listpack lp = Build({"a", "1", "b", "2", "1", "a", "big", std::string(5000, 'x')});
  auto index_of = [&](Pos p) {
    int i = 0;
    for (Pos q = lp.First(); q != p; q = lp.Next(q)) ++i;
    return i;
  };
  EXPECT_EQ(index_of(lp.Find("1", lp.First(), 1)), 4);  // the field "1", not the value at 1
  EXPECT_EQ(index_of(lp.Find("a", lp.First(), 1)), 0);
  EXPECT_EQ(index_of(lp.Find("big", lp.First(), 1)), 6);
  EXPECT_EQ(lp.Find("2", lp.First(), 1), Listpack::kNoPos);
  // Values only: start at the first value.
  EXPECT_EQ(index_of(lp.Find("2", lp.Next(lp.First()), 1)), 3);
  EXPECT_EQ(index_of(lp.Find(std::string(5000, 'x'), lp.Next(lp.First()), 1)), 7);
  // No skip: every entry.
  EXPECT_EQ(index_of(lp.Find("1", lp.First())), 1);
  EXPECT_EQ(lp.Find("01", lp.First()), Listpack::kNoPos);
  EXPECT_EQ(lp.Find("c", lp.First()), Listpack::kNoPos);
}

// ---- Mutation ---------------------------------------------------------------------------------

TEST(ListpackTest, InsertReplaceDelete) {
  Listpack lp;
  lp.Append("b");
  lp.Prepend("a");
  lp.Append("d");
  Pos c = lp.InsertAfter(lp.Seek(1), "c");
  EXPECT_EQ(lp.Get(c).str, "c");
  Pos zero = lp.InsertBefore(lp.First(), "0");
  EXPECT_EQ(zero, lp.First());
  EXPECT_EQ(Forward(lp), (std::vector<std::string>{"0", "a", "b", "c", "d"}));

  // Grow, shrink, and switch between string and integer in place.
  Pos p = lp.Replace(lp.Seek(1), std::string(300, 'A'));
  EXPECT_EQ(lp.Get(p).str, std::string(300, 'A'));
  p = lp.ReplaceInt(p, -70000);
  EXPECT_EQ(lp.Get(p).num, -70000);
  p = lp.Replace(p, "z");
  EXPECT_EQ(Forward(lp), (std::vector<std::string>{"0", "z", "b", "c", "d"}));
  EXPECT_EQ(Backward(lp), Forward(lp));

  Pos next = lp.Delete(lp.Seek(1), 2);  // z, b
  EXPECT_EQ(lp.Get(next).str, "c");
  EXPECT_EQ(lp.Delete(lp.Last()), Listpack::kNoPos);
  EXPECT_EQ(lp.Delete(lp.First(), 100), Listpack::kNoPos);  // count past the end
  EXPECT_TRUE(lp.empty());
  EXPECT_EQ(lp.Bytes(), B("\x07\x00\x00\x00\x00\x00\xff"));
}

TEST(ListpackTest, MoveLeavesAnEmptyListpack) {
  Listpack a = Build({"x", "1"});
  Listpack b = std::move(a);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(a.Bytes(), B("\x07\x00\x00\x00\x00\x00\xff"));
  a.Append("again");
  a = std::move(b);
  EXPECT_EQ(Forward(a), (std::vector<std::string>{"x", "1"}));
}

TEST(ListpackTest, CountAbove65535IsStoredAsUnknown) {
  // Build the blob directly: 70000 one-byte integers.
  const size_t n = 70000;
  std::string blob(6, '\0');
  for (size_t i = 0; i < n; ++i) blob += B("\x01\x01");
  blob += '\xff';
  uint32_t total = static_cast<uint32_t>(blob.size());
  for (int i = 0; i < 4; ++i) blob[i] = static_cast<char>(total >> (8 * i));
  blob[4] = blob[5] = '\xff';
  size_t count = 0;
  ASSERT_TRUE(Listpack::ValidateIntegrity(blob, true, &count));
  EXPECT_EQ(count, n);

  Listpack lp = Listpack::FromBytes(blob);
  EXPECT_EQ(lp.size(), n);
  lp.Append("x");
  EXPECT_EQ(lp.size(), n + 1);
  EXPECT_EQ(lp.Bytes().substr(4, 2), B("\xff\xff"));
  EXPECT_EQ(lp.Get(lp.Seek(-1)).str, "x");
  EXPECT_EQ(lp.Get(lp.Seek(n - 1)).num, 1);
  lp.Delete(lp.First(), 10001);  // 60000 left: the header holds the exact count again
  EXPECT_EQ(lp.size(), 60000u);
  EXPECT_EQ(lp.Bytes().substr(4, 2), B("\x60\xea"));
  EXPECT_TRUE(Listpack::ValidateIntegrity(lp.Bytes(), true));
}

// Random operations checked against a vector of strings.
TEST(ListpackTest, RandomOperationsMatchAModel) {
  std::mt19937_64 rng(7);
  auto random_value = [&]() -> std::string {
    switch (rng() % 6) {
      case 0:
        return std::to_string(static_cast<int64_t>(rng()) >> (rng() % 64));
      case 1:
        return std::to_string(static_cast<int64_t>(rng() % 9000) - 4500);
      case 2:
        return std::string(rng() % 64, 'a' + rng() % 26);
      case 3:
        return std::string(60 + rng() % 100, 'b');
      case 4:
        return rng() % 8 ? "v" + std::to_string(rng() % 1000)
                         : std::string(4000 + rng() % 200, 'c');
      default:
        return "0" + std::to_string(rng() % 100);  // leading zero: a string
    }
  };
  Listpack lp;
  std::vector<std::string> model;
  for (int step = 0; step < 3000; ++step) {
    size_t n = model.size();
    size_t i = n ? rng() % n : 0;
    switch (rng() % 7) {
      case 0:
      case 1: {
        std::string v = random_value();
        lp.Append(v);
        model.push_back(v);
        break;
      }
      case 2: {
        std::string v = random_value();
        lp.Prepend(v);
        model.insert(model.begin(), v);
        break;
      }
      case 3:
        if (n) {
          std::string v = random_value();
          bool after = rng() % 2;
          Pos p = after ? lp.InsertAfter(lp.Seek(i), v) : lp.InsertBefore(lp.Seek(i), v);
          model.insert(model.begin() + i + after, v);
          ASSERT_EQ(lp.Get(p).ToString(), v);
        }
        break;
      case 4:
        if (n) {
          std::string v = random_value();
          Pos p = lp.Replace(lp.Seek(i), v);
          model[i] = v;
          ASSERT_EQ(lp.Get(p).ToString(), v);
        }
        break;
      case 5:
        if (n) {
          size_t count = 1 + rng() % 3;
          lp.Delete(lp.Seek(i), static_cast<uint32_t>(count));
          model.erase(model.begin() + i, model.begin() + std::min(n, i + count));
        }
        break;
      default:
        if (n) {
          const std::string& want = model[i];
          Pos p = lp.Find(want, lp.First());
          ASSERT_NE(p, Listpack::kNoPos);
          ASSERT_EQ(lp.Get(p).ToString(), want);
        }
    }
    ASSERT_EQ(lp.size(), model.size());
    if (step % 50 == 0) {
      size_t count = 0;
      ASSERT_TRUE(Listpack::ValidateIntegrity(lp.Bytes(), true, &count));
      ASSERT_EQ(count, model.size());
      ASSERT_EQ(Forward(lp), model);
      ASSERT_EQ(Backward(lp), model);
      ASSERT_EQ(Build(model).Bytes(), lp.Bytes());  // same bytes however it was built
    }
  }
}

// ---- Validation -------------------------------------------------------------------------------

TEST(ListpackValidateTest, RejectsMalformedHeadersAndEntries) {
  auto valid = [](const std::string& b) { return Listpack::ValidateIntegrity(b, true); };
  EXPECT_FALSE(valid(""));
  EXPECT_FALSE(valid(B("\x06\x00\x00\x00\x00\x00")));
  EXPECT_FALSE(valid(B("\x08\x00\x00\x00\x00\x00\xff")));          // total != size
  EXPECT_FALSE(valid(B("\x07\x00\x00\x00\x00\x00\x00")));          // no terminator
  EXPECT_FALSE(valid(B("\x07\x00\x00\x00\x01\x00\xff")));          // count mismatch
  EXPECT_TRUE(valid(B("\x07\x00\x00\x00\xff\xff\xff")));           // unknown count
  EXPECT_TRUE(valid(B("\x09\x00\x00\x00\x01\x00\x05\x01\xff")));   // [5]
  EXPECT_FALSE(valid(B("\x09\x00\x00\x00\x01\x00\x05\x02\xff")));  // backlen 2 != 1
  EXPECT_FALSE(valid(B("\x09\x00\x00\x00\x01\x00\xf5\x01\xff")));  // no such encoding
  EXPECT_FALSE(valid(B("\x09\x00\x00\x00\x01\x00\x85\x01\xff")));  // string runs past the end
  EXPECT_FALSE(valid(B("\x09\x00\x00\x00\x01\x00\xf4\x01\xff")));  // int64 runs past the end
  EXPECT_FALSE(valid(B("\x09\x00\x00\x00\x01\x00\xf0\x01\xff")));  // 32-bit length cut
  EXPECT_FALSE(valid(B("\x09\x00\x00\x00\x01\x00\xe0\x01\xff")));  // 12-bit length cut
  EXPECT_FALSE(valid(B("\x0b\x00\x00\x00\x01\x00\x05\x01\xff\x00\xff")));  // early terminator
  EXPECT_FALSE(valid(B("\x09\x00\x00\x00\x01\x00\x05\x81\xff")));          // backlen never ends
  // Shallow validation looks at the header and the first entry only.
  EXPECT_TRUE(
      Listpack::ValidateIntegrity(B("\x0b\x00\x00\x00\x07\x00\x05\x01\x05\x07\xff"), false));
  EXPECT_FALSE(
      Listpack::ValidateIntegrity(B("\x0b\x00\x00\x00\x02\x00\x05\x02\x05\x01\xff"), false));
}

// Mutated and truncated blobs must be rejected or, if accepted, be safe to walk both ways.
TEST(ListpackValidateTest, FuzzedBlobsNeverReadOutOfBounds) {
  std::mt19937_64 rng(11);
  std::vector<std::string> seeds = {
      std::string(Build({"a", "1", "b", "2"}).Bytes()),
      std::string(Build({"-4097", "8388608", "x", std::string(70, 'y'), "", "-9223372036854775808"})
                      .Bytes()),
      std::string(Build({std::string(300, 'p'), std::string(5000, 'q'), "7"}).Bytes()),
      std::string(Listpack().Bytes()),
  };
  int accepted = 0;
  for (int iter = 0; iter < 30000; ++iter) {
    std::string b = seeds[rng() % seeds.size()];
    MutateBlob(b, rng);
    if (rng() % 2) FixTotalBytes(b);  // half the time, get past the size check
    ExactBlob heap(b);
    std::string_view blob = heap.view();
    Listpack::ValidateIntegrity(blob, false);
    size_t count = 0;
    if (!Listpack::ValidateIntegrity(blob, true, &count)) continue;
    ++accepted;
    Listpack lp = Listpack::FromBytes(blob);
    ASSERT_EQ(lp.size(), count);
    std::vector<std::string> fwd = Forward(lp);
    ASSERT_EQ(fwd.size(), count);
    ASSERT_EQ(Backward(lp), fwd);
  }
  EXPECT_GT(accepted, 100);  // the mutations do reach the accepting paths
}

}  // namespace
}  // namespace ember
