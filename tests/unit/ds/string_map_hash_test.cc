// StringMap (the hashtable encoding of hashes): set/replace/delete with values that grow, shrink
// and alias, iteration, the SCAN guarantee across growth, random sampling, memory accounting.
#include "ds/string_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

namespace ember {
namespace {

std::map<std::string, std::string> Contents(const StringMap& m) {
  std::map<std::string, std::string> out;
  m.ForEach([&](const StringMapEntry* e) {
    EXPECT_TRUE(out.emplace(e->field(), e->value()).second) << "field listed twice";
  });
  return out;
}

TEST(StringMapHashTest, SetReplaceDelete) {
  StringMap m;
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.Find("a"), nullptr);
  EXPECT_TRUE(m.Set("a", "1"));
  EXPECT_TRUE(m.Set("", ""));
  EXPECT_TRUE(m.Set(std::string("\0\xff", 2), std::string("v\0", 2)));
  EXPECT_FALSE(m.Set("a", "2"));
  EXPECT_EQ(m.size(), 3u);
  ASSERT_NE(m.Find("a"), nullptr);
  EXPECT_EQ(m.Find("a")->value(), "2");
  EXPECT_EQ(m.Find("")->value(), "");
  EXPECT_EQ(m.Find(std::string("\0\xff", 2))->value(), std::string("v\0", 2));

  // Grow past the allocation (re-allocated), shrink back (kept), and empty.
  std::string big(1000, 'x');
  EXPECT_FALSE(m.Set("a", big));
  EXPECT_EQ(m.Find("a")->value(), big);
  EXPECT_FALSE(m.Set("a", "s"));
  EXPECT_EQ(m.Find("a")->value(), "s");
  EXPECT_FALSE(m.Set("a", ""));
  EXPECT_EQ(m.Find("a")->value(), "");

  EXPECT_TRUE(m.Delete("a"));
  EXPECT_FALSE(m.Delete("a"));
  EXPECT_EQ(m.Find("a"), nullptr);
  EXPECT_EQ(m.size(), 2u);
}

TEST(StringMapHashTest, ValueAliasingTheEntryItself) {
  StringMap m;
  m.Set("field", "value-bytes");
  const StringMapEntry* e = m.Find("field");
  // Replacing a value by a part of itself, in place and through a re-allocation.
  m.Set("field", e->value().substr(6));
  EXPECT_EQ(m.Find("field")->value(), "bytes");
  std::string long_value(300, 'q');
  m.Set("field", long_value);
  e = m.Find("field");
  m.Set(e->field(), e->value().substr(0, 10));
  EXPECT_EQ(m.Find("field")->value(), std::string(10, 'q'));
}

TEST(StringMapHashTest, ManyFieldsMatchAReferenceMap) {
  StringMap m;
  std::map<std::string, std::string> ref;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string f = "f" + std::to_string(rng() % 3000);
    switch (rng() % 3) {
      case 0:
      case 1: {
        std::string v(rng() % 40, static_cast<char>('a' + rng() % 26));
        EXPECT_EQ(m.Set(f, v), ref.find(f) == ref.end());
        ref[f] = v;
        break;
      }
      default:
        EXPECT_EQ(m.Delete(f), ref.erase(f) == 1);
    }
  }
  EXPECT_EQ(m.size(), ref.size());
  EXPECT_EQ(Contents(m), ref);
  size_t entries = 0;
  m.ForEach([&](const StringMapEntry*) { ++entries; });
  EXPECT_EQ(entries, ref.size());
}

TEST(StringMapHashTest, ScanReturnsEveryFieldWhileTheMapGrows) {
  StringMap m;
  for (int i = 0; i < 100; ++i) m.Set("stable" + std::to_string(i), "v");
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int added = 0;
  do {
    cursor = m.Scan(cursor, [&](const StringMapEntry* e) { seen.emplace(e->field()); });
    // Growth while scanning (the table resizes several times); bounded so the scan can end.
    if (added < 2000) {
      for (int j = 0; j < 20; ++j) m.Set("added" + std::to_string(added++), "v");
    }
  } while (cursor != 0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(seen.count("stable" + std::to_string(i))) << i;
}

TEST(StringMapHashTest, RandomReachesEveryField) {
  StringMap m;
  std::mt19937_64 rng(3);
  EXPECT_EQ(m.Random(rng), nullptr);
  for (int i = 0; i < 50; ++i) m.Set(std::to_string(i), "v");
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) seen.emplace(m.Random(rng)->field());
  EXPECT_EQ(seen.size(), 50u);
}

TEST(StringMapHashTest, AllocatedBytesFollowTheEntries) {
  StringMap m;
  EXPECT_EQ(m.AllocatedBytes(), 0u);
  m.Set("f", "v");
  const size_t one = m.AllocatedBytes();
  EXPECT_GE(one, sizeof(StringMapEntry) + 2);
  m.Set("f", std::string(500, 'x'));
  EXPECT_GE(m.AllocatedBytes(), one + 400);
  m.Delete("f");
  // Only the bucket array remains, as in a map that never held a large value.
  StringMap other;
  other.Set("f", "v");
  other.Delete("f");
  EXPECT_EQ(m.AllocatedBytes(), other.AllocatedBytes());
}

}  // namespace
}  // namespace ember
