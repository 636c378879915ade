#include "db/zset_object.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "db/encoding_limits.h"

namespace ember {
namespace {

using Outcome = ZSetObject::AddOutcome;

// Restores the default limits after each test.
class ZSetObjectTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = Limits(); }
  void TearDown() override { Limits() = saved_; }
  EncodingLimits saved_;
};

const ZSetObject& Z(const Value& v) { return *v.As<ZSetObject>(); }

std::vector<std::pair<std::string, double>> Elements(const ZSetObject& z, bool reverse = false) {
  std::vector<std::pair<std::string, double>> out;
  for (auto c = z.AtRank(0, reverse); c.valid(); reverse ? c.Prev() : c.Next()) {
    out.emplace_back(std::string(c.member()), c.score());
  }
  return out;
}

std::string Fmt(double d, bool listpack) {
  char buf[32];
  return std::string(buf, listpack ? FormatListpackScore(d, buf) : FormatScore(d, buf));
}

TEST_F(ZSetObjectTest, ScoreFormatsAsRedis) {
  EXPECT_EQ(Fmt(1.5, false), "1.5");
  EXPECT_EQ(Fmt(-0.0, false), "-0");
  EXPECT_EQ(Fmt(0.1, false), "0.10000000000000001");
  EXPECT_EQ(Fmt(1e17, false), "1e+17");
  EXPECT_EQ(Fmt(4503599627370495.0, false), "4503599627370495");
  EXPECT_EQ(Fmt(std::numeric_limits<double>::infinity(), false), "inf");
  // The listpack keeps integral values up to 2^62 as integers, -0 included.
  EXPECT_EQ(Fmt(-0.0, true), "0");
  EXPECT_EQ(Fmt(1e17, true), "100000000000000000");
  EXPECT_EQ(Fmt(4611686018427387904.0, true), "4611686018427387904");
  EXPECT_EQ(Fmt(9223372036854775807.0, true), "9.2233720368547758e+18");
  EXPECT_EQ(Fmt(-std::numeric_limits<double>::infinity(), true), "-inf");
}

TEST_F(ZSetObjectTest, ListpackBytesEqualRedis) {
  // DUMP of `ZADD d 1 a 2.5 b` from Redis 7.0.15: the listpack blob after the type and length.
  auto z = NewZSetValue(1, 1);
  double s;
  EXPECT_EQ(ZSetAdd(z, "a", 1, 0, &s), Outcome::kAdded);
  EXPECT_EQ(ZSetAdd(z, "b", 2.5, 0, &s), Outcome::kAdded);
  EXPECT_EQ(Z(z).listpack().Bytes(),
            std::string("\x14\x00\x00\x00\x04\x00\x81" "a\x02\x01\x01\x81" "b\x02\x83" "2.5\x04\xff",
                        20));
}

TEST_F(ZSetObjectTest, AddFlagsFollowZAdd) {
  auto z = NewZSetValue(1, 1);
  double s = 0;
  EXPECT_EQ(ZSetAdd(z, "a", 1, 0, &s), Outcome::kAdded);
  EXPECT_EQ(ZSetAdd(z, "a", 1, 0, &s), Outcome::kUnchanged);
  EXPECT_EQ(ZSetAdd(z, "a", 2, ZSetObject::kNx, &s), Outcome::kNop);
  EXPECT_EQ(ZSetAdd(z, "b", 2, ZSetObject::kXx, &s), Outcome::kNop);
  EXPECT_EQ(ZSetAdd(z, "a", 0, ZSetObject::kGt, &s), Outcome::kNop);
  EXPECT_EQ(ZSetAdd(z, "a", 5, ZSetObject::kGt, &s), Outcome::kUpdated);
  EXPECT_EQ(ZSetAdd(z, "a", 6, ZSetObject::kLt, &s), Outcome::kNop);
  EXPECT_EQ(ZSetAdd(z, "a", 2, ZSetObject::kIncr, &s), Outcome::kUpdated);
  EXPECT_EQ(s, 7);
  double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ZSetAdd(z, "i", inf, 0, &s), Outcome::kAdded);
  EXPECT_EQ(ZSetAdd(z, "i", -inf, ZSetObject::kIncr, &s), Outcome::kNaN);
  EXPECT_EQ(ZSetAdd(z, "n", std::nan(""), 0, &s), Outcome::kNaN);
  EXPECT_EQ(*Z(z).Score("i"), inf);
  EXPECT_FALSE(Z(z).Score("n").has_value());
}

TEST_F(ZSetObjectTest, ConvertsAtTheEntryLimitAndNeverBack) {
  Limits().zset_max_listpack_entries = 4;
  auto z = NewZSetValue(1, 1);
  double s;
  for (int i = 0; i < 4; ++i) ZSetAdd(z, "m" + std::to_string(i), i, 0, &s);
  EXPECT_EQ(Z(z).encoding(), ObjectEncoding::kListpack);
  ZSetAdd(z, "m0", 10, 0, &s);  // an update does not grow it
  EXPECT_EQ(Z(z).encoding(), ObjectEncoding::kListpack);
  ZSetAdd(z, "m4", 4, 0, &s);
  EXPECT_EQ(Z(z).encoding(), ObjectEncoding::kSkiplist);
  for (int i = 0; i < 4; ++i) ZSetRemove(z, "m" + std::to_string(i));
  EXPECT_EQ(Z(z).encoding(), ObjectEncoding::kSkiplist);
  EXPECT_EQ(Elements(Z(z)), (std::vector<std::pair<std::string, double>>{{"m4", 4}}));
  ZSetShrinkToListpackIfFits(z);
  EXPECT_EQ(Z(z).encoding(), ObjectEncoding::kListpack);
  EXPECT_EQ(Elements(Z(z)), (std::vector<std::pair<std::string, double>>{{"m4", 4}}));
}

TEST_F(ZSetObjectTest, ConvertsAtTheValueLimit) {
  Limits().zset_max_listpack_value = 8;
  auto z = NewZSetValue(1, 8);
  EXPECT_EQ(Z(z).encoding(), ObjectEncoding::kListpack);
  EXPECT_EQ(Z(NewZSetValue(1, 9)).encoding(), ObjectEncoding::kSkiplist);
  double s;
  ZSetAdd(z, "12345678", 1, 0, &s);
  EXPECT_EQ(Z(z).encoding(), ObjectEncoding::kListpack);
  ZSetAdd(z, "123456789", 2, 0, &s);
  EXPECT_EQ(Z(z).encoding(), ObjectEncoding::kSkiplist);
  ZSetRemove(z, "123456789");
  ZSetShrinkToListpackIfFits(z);
  EXPECT_EQ(Z(z).encoding(), ObjectEncoding::kListpack);
  Limits().zset_max_listpack_entries = 0;
  EXPECT_EQ(Z(NewZSetValue(1, 0)).encoding(), ObjectEncoding::kSkiplist);
}

// The same random operations on a listpack and a skiplist give the same answers everywhere.
TEST_F(ZSetObjectTest, BothEncodingsAgree) {
  Limits().zset_max_listpack_entries = 1 << 20;
  auto lp = NewZSetValue(1, 0);
  auto sl = NewSkiplistZSetValue();
  ASSERT_TRUE(Z(lp).is_listpack());
  ASSERT_FALSE(Z(sl).is_listpack());
  std::mt19937_64 rng(7);
  const double scores[] = {0, 1, -1, 2.5, 1e17, 0.1, -std::numeric_limits<double>::infinity()};
  for (int step = 0; step < 3000; ++step) {
    std::string m = std::to_string(rng() % 60);  // integer-like members are ints in a listpack
    if (rng() % 3) m = "k" + m;
    double score = scores[rng() % 7];
    int flags = static_cast<int>(rng() % 2) * ZSetObject::kIncr;
    double a = 0, b = 0;
    switch (rng() % 6) {
      case 0:
      case 1:
      case 2:
        ASSERT_EQ(ZSetAdd(lp, m, score, flags, &a), ZSetAdd(sl, m, score, flags, &b));
        break;
      case 3:
        ASSERT_EQ(ZSetRemove(lp, m), ZSetRemove(sl, m));
        break;
      case 4: {
        ScoreRange r{0, 2, rng() % 2 == 0, rng() % 2 == 0};
        ASSERT_EQ(Z(lp).CountInRange(r), Z(sl).CountInRange(r));
        bool rev = rng() % 2;
        auto c1 = Z(lp).FirstInRange(r, rev);
        auto c2 = Z(sl).FirstInRange(r, rev);
        ASSERT_EQ(c1.valid(), c2.valid());
        if (c1.valid()) {
          ASSERT_EQ(c1.member(), c2.member());
        }
        ASSERT_EQ(Z(lp).Rank(m, rev), Z(sl).Rank(m, rev));
        break;
      }
      case 5:
        if (rng() % 10 == 0) {
          ScoreRange r{-1, 0.1, false, false};
          ASSERT_EQ(ZSetRemoveRangeByScore(lp, r), ZSetRemoveRangeByScore(sl, r));
        }
        break;
    }
    ASSERT_EQ(a, b);
  }
  EXPECT_EQ(Elements(Z(lp)), Elements(Z(sl)));
  EXPECT_EQ(Elements(Z(lp), true), Elements(Z(sl), true));
  Digest d1{}, d2{};
  Z(lp).AddToDigest(d1);
  Z(sl).AddToDigest(d2);
  EXPECT_EQ(d1, d2);
  auto copy = Z(lp).Clone();
  Digest d3{};
  copy->AddToDigest(d3);
  EXPECT_EQ(d1, d3);
  EXPECT_GT(Z(lp).MallocSize(), 0u);
  EXPECT_GT(Z(sl).MallocSize(), Z(lp).MallocSize());
  size_t n = Z(lp).size();
  if (n > 2) {
    EXPECT_EQ(ZSetRemoveRangeByRank(lp, 1, n - 2), ZSetRemoveRangeByRank(sl, 1, n - 2));
    EXPECT_EQ(Elements(Z(lp)), Elements(Z(sl)));
  }
}

TEST_F(ZSetObjectTest, LexRangesOnBothEncodings) {
  for (bool skiplist : {false, true}) {
    auto z = skiplist ? NewSkiplistZSetValue() : NewZSetValue(1, 0);
    for (const char* m : {"a", "b", "c", "d", "e"}) ZSetInsertNew(z, m, 0);
    LexRange r{{LexBound::Kind::kValue, false, "b"}, {LexBound::Kind::kValue, true, "e"}};
    EXPECT_EQ(Z(z).CountInLexRange(r), 3u);
    EXPECT_EQ(Z(z).FirstInLexRange(r, false).member(), "b");
    EXPECT_EQ(Z(z).FirstInLexRange(r, true).member(), "d");
    EXPECT_EQ(ZSetRemoveRangeByLex(z, r), 3u);
    EXPECT_EQ(Elements(Z(z)), (std::vector<std::pair<std::string, double>>{{"a", 0}, {"e", 0}}));
  }
}

}  // namespace
}  // namespace ember
