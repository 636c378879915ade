#include "ds/intset.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "blob_test_util.h"

namespace ember {
namespace {

std::vector<int64_t> Values(const Intset& s) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < s.size(); ++i) out.push_back(s.Get(i));
  return out;
}

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// ---- Golden vectors: DUMP payloads of redis-server 7.0.15 -------------------------------------

void ExpectGolden(const std::string& golden, const Intset& built, std::vector<int64_t> values) {
  EXPECT_TRUE(built.Bytes() == golden) << "encoder differs from Redis";
  ASSERT_TRUE(Intset::ValidateIntegrity(golden, true));
  Intset loaded = Intset::FromBytes(golden);
  EXPECT_EQ(Values(loaded), values);
}

TEST(IntsetGoldenTest, SixteenBit) {
  Intset s;  // SADD s16 1 2 3 -5
  for (int64_t v : {1, 2, 3, -5}) EXPECT_TRUE(s.Add(v));
  ExpectGolden(B("\x02\x00\x00\x00\x04\x00\x00\x00\xfb\xff\x01\x00\x02\x00\x03\x00"), s,
               {-5, 1, 2, 3});
}

TEST(IntsetGoldenTest, ThirtyTwoBit) {
  Intset s;  // SADD s32 70000 -70000 1
  for (int64_t v : {70000, -70000, 1}) EXPECT_TRUE(s.Add(v));
  ExpectGolden(
      B("\x04\x00\x00\x00\x03\x00\x00\x00\x90\xee\xfe\xff\x01\x00\x00\x00\x70\x11\x01\x00"), s,
      {-70000, 1, 70000});
}

TEST(IntsetGoldenTest, SixtyFourBit) {
  Intset s;  // SADD s64 INT64_MIN INT64_MAX 0
  for (int64_t v : {kMin, kMax, int64_t{0}}) EXPECT_TRUE(s.Add(v));
  ExpectGolden(B("\x08\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00"
                 "\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\x7f"),
               s, {kMin, 0, kMax});
}

TEST(IntsetGoldenTest, EncodingNeverShrinks) {
  Intset s;  // SADD su 1; SADD su 100000; SREM su 100000
  s.Add(1);
  s.Add(100000);
  EXPECT_TRUE(s.Remove(100000));
  ExpectGolden(B("\x04\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00"), s, {1});
}

// ---- Behaviour --------------------------------------------------------------------------------

TEST(IntsetTest, EmptySet) {
  Intset s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.encoding(), 2u);
  EXPECT_EQ(s.Bytes(), B("\x02\x00\x00\x00\x00\x00\x00\x00"));
  EXPECT_FALSE(s.Contains(0));
  EXPECT_FALSE(s.Remove(0));
  EXPECT_EQ(s.MallocSize(), 0u);
}

TEST(IntsetTest, UpgradesPrependOrAppendTheWiderValue) {
  struct Case {
    int64_t first, wider;
    uint32_t enc;
  };
  for (Case c :
       {Case{32, 65535, 4}, Case{32, -65535, 4}, Case{32, 4294967295LL, 8},
        Case{32, -4294967295LL, 8}, Case{65535, 4294967295LL, 8}, Case{-65535, -4294967295LL, 8},
        Case{INT16_MAX, INT16_MAX + 1, 4}, Case{INT16_MIN, INT16_MIN - 1, 4},
        Case{INT32_MAX, INT32_MAX + 1LL, 8}, Case{INT32_MIN, INT32_MIN - 1LL, 8}}) {
    Intset s;
    s.Add(c.first);
    s.Add(c.first + (c.first > 0 ? -1 : 1));
    EXPECT_TRUE(s.Add(c.wider));
    EXPECT_EQ(s.encoding(), c.enc) << c.wider;
    EXPECT_TRUE(s.Contains(c.first));
    EXPECT_TRUE(s.Contains(c.wider));
    EXPECT_EQ(s.size(), 3u);
    EXPECT_EQ(c.wider < 0 ? s.Min() : s.Max(), c.wider);
    EXPECT_TRUE(Intset::ValidateIntegrity(s.Bytes(), true));
  }
}

TEST(IntsetTest, WiderValuesAreNeverMembersOfANarrowSet) {
  Intset s;
  s.Add(5);
  EXPECT_FALSE(s.Contains(65536 + 5));
  EXPECT_FALSE(s.Contains(kMax));
  EXPECT_FALSE(s.Remove(kMin));
  EXPECT_EQ(s.encoding(), 2u);
  EXPECT_FALSE(s.Add(5));
}

TEST(IntsetTest, RandomMinMax) {
  Intset s;
  for (int64_t v : {-3, 10, 7, 100000}) s.Add(v);
  EXPECT_EQ(s.Min(), -3);
  EXPECT_EQ(s.Max(), 100000);
  std::mt19937_64 rng(3);
  std::set<int64_t> seen;
  for (int i = 0; i < 200; ++i) seen.insert(s.Random(rng));
  EXPECT_EQ(seen, (std::set<int64_t>{-3, 7, 10, 100000}));
}

TEST(IntsetTest, MoveLeavesAnEmptySet) {
  Intset a;
  a.Add(1);
  Intset b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(Values(b), std::vector<int64_t>{1});
  a.Add(2);
  a = std::move(b);
  EXPECT_EQ(Values(a), std::vector<int64_t>{1});
}

TEST(IntsetTest, RandomOperationsMatchASet) {
  std::mt19937_64 rng(5);
  auto random_value = [&]() -> int64_t {
    switch (rng() % 4) {
      case 0:
        return static_cast<int64_t>(rng() % 200) - 100;
      case 1:
        return static_cast<int16_t>(rng());
      case 2:
        return static_cast<int32_t>(rng());
      default:
        return static_cast<int64_t>(rng());
    }
  };
  for (int round = 0; round < 20; ++round) {
    Intset s;
    std::set<int64_t> model;
    for (int step = 0; step < 500; ++step) {
      int64_t v = rng() % 3 && !model.empty() ? *std::next(model.begin(), rng() % model.size())
                                              : random_value();
      if (rng() % 3) {
        ASSERT_EQ(s.Add(v), model.insert(v).second);
      } else {
        ASSERT_EQ(s.Remove(v), model.erase(v) == 1);
      }
      ASSERT_EQ(s.Contains(v), model.count(v) == 1);
    }
    ASSERT_EQ(Values(s), std::vector<int64_t>(model.begin(), model.end()));
    if (model.empty()) continue;
    ASSERT_TRUE(Intset::ValidateIntegrity(s.Bytes(), true));
    ASSERT_EQ(Intset::FromBytes(s.Bytes()).Bytes(), s.Bytes());  // same bytes when loaded back
  }
}

// ---- Validation -------------------------------------------------------------------------------

TEST(IntsetValidateTest, Rejects) {
  auto deep = [](const std::string& b) { return Intset::ValidateIntegrity(b, true); };
  EXPECT_FALSE(deep(""));
  EXPECT_FALSE(deep(B("\x02\x00\x00\x00\x00\x00\x00")));                      // short header
  EXPECT_FALSE(deep(B("\x02\x00\x00\x00\x00\x00\x00\x00")));                  // empty
  EXPECT_FALSE(deep(B("\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00")));      // encoding 3
  EXPECT_FALSE(deep(B("\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00")));          // too short
  EXPECT_FALSE(deep(B("\x02\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00")));      // too long
  EXPECT_FALSE(deep(B("\x02\x00\x00\x00\xff\xff\xff\xff\x01\x00")));          // huge length
  EXPECT_TRUE(deep(B("\x02\x00\x00\x00\x02\x00\x00\x00\xff\xff\x01\x00")));   // -1, 1
  EXPECT_FALSE(deep(B("\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\xff\xff")));  // 1, -1
  EXPECT_FALSE(deep(B("\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x01\x00")));  // duplicate
  // Order is only checked deep.
  EXPECT_TRUE(
      Intset::ValidateIntegrity(B("\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x01\x00"), false));
}

TEST(IntsetValidateTest, FuzzedBlobsNeverReadOutOfBounds) {
  std::mt19937_64 rng(9);
  Intset seed;
  for (int64_t v : {-70000, 1, 2, 70000, 5}) seed.Add(v);
  const std::string base(seed.Bytes());
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string b = base;
    MutateBlob(b, rng);
    ExactBlob heap(b);
    std::string_view blob = heap.view();
    Intset::ValidateIntegrity(blob, false);
    if (!Intset::ValidateIntegrity(blob, true)) continue;
    ++accepted;
    Intset s = Intset::FromBytes(blob);
    for (size_t i = 1; i < s.size(); ++i) ASSERT_LT(s.Get(i - 1), s.Get(i));
  }
  EXPECT_GT(accepted, 50);
}

}  // namespace
}  // namespace ember
