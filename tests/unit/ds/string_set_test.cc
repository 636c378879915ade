#include "ds/string_set.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/memory.h"

namespace ember {
namespace {

std::set<std::string> Members(const StringSet& s) {
  std::set<std::string> out;
  s.ForEach([&](std::string_view m) { EXPECT_TRUE(out.emplace(m).second) << "seen twice: " << m; });
  return out;
}

TEST(StringSetTest, AddRemoveContains) {
  StringSet s;
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.Add("a"));
  EXPECT_FALSE(s.Add("a"));
  EXPECT_TRUE(s.Add(""));
  EXPECT_TRUE(s.Add(std::string("\0\xff", 2)));
  EXPECT_EQ(s.size(), 3u);
  EXPECT_TRUE(s.Contains(""));
  EXPECT_TRUE(s.Contains(std::string("\0\xff", 2)));
  EXPECT_FALSE(s.Contains(std::string("\0", 1)));
  EXPECT_FALSE(s.Remove("b"));
  EXPECT_TRUE(s.Remove("a"));
  EXPECT_FALSE(s.Contains("a"));
  EXPECT_EQ(Members(s), (std::set<std::string>{"", std::string("\0\xff", 2)}));
}

// Members of 254 bytes keep a one-byte length; from 255 on the length takes five bytes.
TEST(StringSetTest, LengthHeaderBoundaries) {
  StringSet s;
  std::vector<std::string> members;
  for (size_t len : {0, 1, 15, 16, 253, 254, 255, 256, 70000}) {
    members.emplace_back(len, static_cast<char>('a' + len % 26));
    EXPECT_TRUE(s.Add(members.back()));
  }
  for (const auto& m : members) EXPECT_TRUE(s.Contains(m)) << m.size();
  EXPECT_EQ(Members(s), std::set<std::string>(members.begin(), members.end()));
  for (const auto& m : members) EXPECT_TRUE(s.Remove(m)) << m.size();
  EXPECT_TRUE(s.empty());
}

// One allocation per member: a short member costs the node's usable size and nothing else.
TEST(StringSetTest, OneAllocationPerMemberAndAccountingReturnsToZero) {
  StringSet s;
  const size_t before = UsedMemory();
  for (int i = 0; i < 1000; ++i) s.Add("member:" + std::to_string(i));
  const size_t used = UsedMemory() - before;
  // Bucket arrays are counted at their requested size, the allocator rounds them up a little.
  EXPECT_NEAR(static_cast<double>(used), static_cast<double>(s.MallocSize()), 64);
  // 8-byte link + 1-byte length + up to 11 bytes: one 24-byte block each, plus the buckets.
  EXPECT_LE(s.MallocSize(), 1000 * 24 + 2048 * sizeof(void*));
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(s.Remove("member:" + std::to_string(i)));
  EXPECT_TRUE(s.empty());
  s = StringSet();
  EXPECT_EQ(UsedMemory(), before);
}

TEST(StringSetTest, MoveTransfersMembers) {
  StringSet a;
  for (int i = 0; i < 50; ++i) a.Add(std::to_string(i));
  StringSet b(std::move(a));
  EXPECT_EQ(b.size(), 50u);
  EXPECT_TRUE(b.Contains("49"));
  StringSet c;
  c.Add("x");
  c = std::move(b);
  EXPECT_EQ(c.size(), 50u);
  EXPECT_FALSE(c.Contains("x"));
}

// Redis's SCAN guarantee: every member present for the whole scan is returned, even when the
// table grows or shrinks between steps.
TEST(StringSetTest, ScanReturnsEveryStableMemberAcrossResizes) {
  for (bool grow : {true, false}) {
    StringSet s;
    for (int i = 0; i < 200; ++i) s.Add("stable" + std::to_string(i));
    constexpr int kExtras = 3000;
    if (!grow) {
      for (int i = 0; i < kExtras; ++i) s.Add("extra" + std::to_string(i));
    }
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int changed = 0;  // extras added (grow) or removed (shrink) so far
    do {
      cursor = s.Scan(cursor, [&](std::string_view m) { seen.emplace(m); });
      // Between steps the table doubles or halves several times over the scan.
      for (int k = 0; k < 100 && changed < kExtras; ++k, ++changed) {
        const std::string extra = "extra" + std::to_string(changed);
        if (grow) {
          s.Add(extra);
        } else {
          s.Remove(extra);
        }
      }
    } while (cursor != 0);
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(seen.count("stable" + std::to_string(i))) << i;
  }
}

TEST(StringSetTest, RandomReachesEveryMember) {
  StringSet s;
  for (int i = 0; i < 20; ++i) s.Add(std::to_string(i));
  std::mt19937_64 rng(7);
  std::set<std::string> drawn;
  for (int i = 0; i < 2000; ++i) {
    std::string_view m = s.Random(rng);
    EXPECT_TRUE(s.Contains(m));
    drawn.emplace(m);
  }
  EXPECT_EQ(drawn.size(), 20u);
}

TEST(StringSetTest, RandomOperationsMatchStdSet) {
  std::mt19937_64 rng(42);
  StringSet s;
  std::set<std::string> model;
  for (int i = 0; i < 20000; ++i) {
    const std::string m = "m" + std::to_string(rng() % 3000);
    switch (rng() % 3) {
      case 0: EXPECT_EQ(s.Add(m), model.insert(m).second); break;
      case 1: EXPECT_EQ(s.Remove(m), model.erase(m) == 1); break;
      default: EXPECT_EQ(s.Contains(m), model.count(m) == 1); break;
    }
    ASSERT_EQ(s.size(), model.size());
  }
  EXPECT_EQ(Members(s), model);
}

}  // namespace
}  // namespace ember
