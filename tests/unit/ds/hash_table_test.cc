// HashTable: basic operations, incremental growth and shrinking, Random, and the SCAN guarantee
// (every node present for the whole scan is returned at least once even if the table is resized
// or rehashing between Scan calls).
#include "ds/hash_table.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace ember {
namespace {

struct TestNode {
  TestNode* next = nullptr;
  std::string key;
};

struct TestTraits {
  static std::string_view Key(const TestNode* n) { return n->key; }
  static TestNode*& Next(TestNode* n) { return n->next; }
};

using Table = HashTable<TestNode, TestTraits>;

// Owns the nodes that a table links.
class Nodes {
 public:
  TestNode* Make(std::string key) {
    auto n = std::make_unique<TestNode>();
    n->key = std::move(key);
    TestNode* raw = n.get();
    owned_[raw->key] = std::move(n);
    return raw;
  }
  void Free(std::string_view key) { owned_.erase(std::string(key)); }

 private:
  std::map<std::string, std::unique_ptr<TestNode>, std::less<>> owned_;
};

void FinishRehash(Table& t) {
  while (t.Rehash(100)) {
  }
}

std::string Key(const char* prefix, int i) { return prefix + std::to_string(i); }

TEST(HashTableTest, EmptyTable) {
  Table t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.Find("x"), nullptr);
  EXPECT_EQ(t.Remove("x"), nullptr);
  std::mt19937_64 rng(1);
  EXPECT_EQ(t.Random(rng), nullptr);
  int calls = 0;
  EXPECT_EQ(t.Scan(0, [&](TestNode*) { ++calls; }), 0u);
  EXPECT_EQ(calls, 0);
}

TEST(HashTableTest, InsertFindRemove) {
  Nodes nodes;
  Table t;
  TestNode* a = nodes.Make("a");
  TestNode* b = nodes.Make("b");
  t.Insert(a);
  t.Insert(b);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.Find("a"), a);
  EXPECT_EQ(t.Find("b"), b);
  EXPECT_EQ(t.Find("c"), nullptr);

  EXPECT_EQ(t.Remove("a"), a);
  EXPECT_EQ(a->next, nullptr);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Find("a"), nullptr);
  EXPECT_EQ(t.Remove("a"), nullptr);
  EXPECT_EQ(t.Find("b"), b);

  // Keys are compared as bytes: embedded NULs and empty keys are distinct keys.
  TestNode* empty = nodes.Make("");
  TestNode* nul = nodes.Make(std::string("a\0b", 3));
  t.Insert(empty);
  t.Insert(nul);
  EXPECT_EQ(t.Find(""), empty);
  EXPECT_EQ(t.Find(std::string_view("a\0b", 3)), nul);
  EXPECT_EQ(t.Find("a"), nullptr);
}

TEST(HashTableTest, GrowsIncrementallyAndKeepsEveryNode) {
  Nodes nodes;
  Table t;
  bool saw_rehashing = false;
  for (int i = 0; i < 5000; ++i) {
    t.Insert(nodes.Make(Key("k", i)));
    saw_rehashing |= t.rehashing();
    // Every node stays reachable while the table is between two bucket arrays.
    if (i % 97 == 0) {
      for (int j = 0; j <= i; j += 13) ASSERT_NE(t.Find(Key("k", j)), nullptr) << j;
    }
  }
  EXPECT_TRUE(saw_rehashing);
  EXPECT_EQ(t.size(), 5000u);
  FinishRehash(t);
  EXPECT_FALSE(t.rehashing());
  // Load factor at most 1 once rehashed, and a power of two.
  size_t buckets = t.bucket_count();
  EXPECT_GE(buckets, 5000u);
  EXPECT_EQ(buckets & (buckets - 1), 0u);
  for (int i = 0; i < 5000; ++i) ASSERT_NE(t.Find(Key("k", i)), nullptr) << i;

  size_t count = 0;
  t.ForEach([&](TestNode*) { ++count; });
  EXPECT_EQ(count, 5000u);
}

TEST(HashTableTest, NoResizeWhileForbiddenUnlessFiveTimesOverfull) {
  Nodes nodes;
  Table t;
  for (int i = 0; i < 64; ++i) t.Insert(nodes.Make(Key("k", i)));
  FinishRehash(t);
  const size_t buckets = t.bucket_count();
  HashTableResizeAllowed() = false;  // as while a BGSAVE child runs
  for (int i = 64; i < static_cast<int>(buckets * kForceResizeRatio); ++i) {
    t.Insert(nodes.Make(Key("k", i)));
  }
  EXPECT_EQ(t.bucket_count(), buckets);
  EXPECT_FALSE(t.rehashing());
  for (int i = 0; i < 8; ++i) t.Insert(nodes.Make(Key("x", i)));  // past the ratio: forced
  EXPECT_GT(t.bucket_count(), buckets);
  HashTableResizeAllowed() = true;
  FinishRehash(t);
  EXPECT_EQ(t.size(), buckets * kForceResizeRatio + 8);
}

TEST(HashTableTest, ShrinksWhenMostlyEmpty) {
  Nodes nodes;
  Table t;
  for (int i = 0; i < 4096; ++i) t.Insert(nodes.Make(Key("k", i)));
  FinishRehash(t);
  size_t big = t.bucket_count();
  EXPECT_GE(big, 4096u);

  // Removing does not shrink by itself (that is the cron's decision).
  for (int i = 0; i < 4096 - 100; ++i) ASSERT_NE(t.Remove(Key("k", i)), nullptr);
  FinishRehash(t);
  EXPECT_EQ(t.bucket_count(), big);

  t.ShrinkIfNeeded();
  EXPECT_TRUE(t.rehashing());
  // Lookups and removals work mid-shrink.
  for (int i = 4096 - 100; i < 4096; ++i) ASSERT_NE(t.Find(Key("k", i)), nullptr) << i;
  ASSERT_NE(t.Remove(Key("k", 4095)), nullptr);
  FinishRehash(t);
  EXPECT_FALSE(t.rehashing());
  EXPECT_EQ(t.size(), 99u);
  EXPECT_EQ(t.bucket_count(), 128u);
  for (int i = 4096 - 100; i < 4095; ++i) ASSERT_NE(t.Find(Key("k", i)), nullptr) << i;

  // A table that is not sparse enough stays as it is.
  t.ShrinkIfNeeded();
  EXPECT_FALSE(t.rehashing());
}

TEST(HashTableTest, ShrinkingAnEmptyTableCompletesAtOnce) {
  Nodes nodes;
  Table t;
  for (int i = 0; i < 1000; ++i) t.Insert(nodes.Make(Key("k", i)));
  FinishRehash(t);
  for (int i = 0; i < 1000; ++i) t.Remove(Key("k", i));
  t.ShrinkIfNeeded();
  EXPECT_FALSE(t.rehashing());
  EXPECT_EQ(t.bucket_count(), 4u);
  t.Insert(nodes.Make("again"));
  EXPECT_NE(t.Find("again"), nullptr);
}

TEST(HashTableTest, ClearDisposesEveryNode) {
  Nodes nodes;
  Table t;
  for (int i = 0; i < 100; ++i) t.Insert(nodes.Make(Key("k", i)));
  std::set<std::string> disposed;
  t.Clear([&](TestNode* n) { disposed.insert(n->key); });
  EXPECT_EQ(disposed.size(), 100u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.bucket_count(), 0u);
  EXPECT_EQ(t.Find("k1"), nullptr);
  t.Insert(nodes.Make("new"));
  EXPECT_EQ(t.size(), 1u);
}

TEST(HashTableTest, MoveLeavesSourceEmpty) {
  Nodes nodes;
  Table a;
  for (int i = 0; i < 50; ++i) a.Insert(nodes.Make(Key("k", i)));
  Table b(std::move(a));
  EXPECT_EQ(b.size(), 50u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(a.Find("k1"), nullptr);
  EXPECT_NE(b.Find("k1"), nullptr);
}

TEST(HashTableTest, RandomReturnsEveryNodeEventually) {
  Nodes nodes;
  Table t;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20; ++i) t.Insert(nodes.Make(Key("k", i)));
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    TestNode* n = t.Random(rng);
    ASSERT_NE(n, nullptr);
    ASSERT_EQ(t.Find(n->key), n);
    seen.insert(n->key);
  }
  EXPECT_EQ(seen.size(), 20u);

  // A single node is always the one returned.
  Table one;
  TestNode* only = nodes.Make("only");
  one.Insert(only);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(one.Random(rng), only);
}

TEST(HashTableTest, RandomWhileRehashing) {
  Nodes nodes;
  Table t;
  std::mt19937_64 rng(7);
  // 1025 inserts: the last one starts growing 1024 -> 2048 buckets.
  for (int i = 0; i < 1025; ++i) t.Insert(nodes.Make(Key("k", i)));
  ASSERT_TRUE(t.rehashing());
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    TestNode* n = t.Random(rng);
    ASSERT_NE(n, nullptr);
    seen.insert(n->key);
  }
  EXPECT_TRUE(t.rehashing()) << "test must sample while rehashing";
  EXPECT_GT(seen.size(), 100u);

  // Mostly-empty table mid-rehash (shrinking): Random still finds the few nodes.
  FinishRehash(t);
  for (int i = 0; i < 1020; ++i) t.Remove(Key("k", i));
  FinishRehash(t);
  t.ShrinkIfNeeded();
  ASSERT_TRUE(t.rehashing());
  for (int i = 0; i < 100; ++i) {
    TestNode* n = t.Random(rng);
    ASSERT_NE(n, nullptr);
    ASSERT_GE(n->key, std::string("k1020"));
  }
}

// A scan that runs without changes returns every node exactly once.
TEST(HashTableTest, ScanWithoutChangesReturnsEachNodeOnce) {
  for (int n : {1, 3, 4, 5, 100, 1000}) {
    Nodes nodes;
    Table t;
    for (int i = 0; i < n; ++i) t.Insert(nodes.Make(Key("k", i)));
    FinishRehash(t);
    std::map<std::string, int> seen;
    uint64_t cursor = 0;
    int calls = 0;
    do {
      cursor = t.Scan(cursor, [&](TestNode* node) { ++seen[node->key]; });
      ASSERT_LT(++calls, 100000);
    } while (cursor != 0);
    EXPECT_EQ(seen.size(), static_cast<size_t>(n));
    for (const auto& [k, c] : seen) EXPECT_EQ(c, 1) << k;
    EXPECT_EQ(static_cast<size_t>(calls), t.bucket_count());
  }
}

// A scan over a table frozen in the middle of a rehash still returns every node.
TEST(HashTableTest, ScanWhileRehashingReturnsEveryNode) {
  for (bool shrink : {false, true}) {
    Nodes nodes;
    Table t;
    int n = shrink ? 4096 : 1025;
    for (int i = 0; i < n; ++i) t.Insert(nodes.Make(Key("k", i)));
    std::set<std::string> expect;
    if (shrink) {
      FinishRehash(t);
      for (int i = 0; i < n - 50; ++i) t.Remove(Key("k", i));
      FinishRehash(t);
      t.ShrinkIfNeeded();
      t.Rehash(3);  // part-way: some buckets moved, some not
    } else {
      t.Rehash(300);
    }
    ASSERT_TRUE(t.rehashing());
    t.ForEach([&](TestNode* node) { expect.insert(node->key); });
    std::set<std::string> seen;
    uint64_t cursor = 0;
    do {
      cursor = t.Scan(cursor, [&](TestNode* node) { seen.insert(node->key); });
    } while (cursor != 0);
    EXPECT_TRUE(t.rehashing());
    EXPECT_EQ(seen, expect) << (shrink ? "shrinking" : "growing");
  }
}

// The SCAN guarantee under churn: between Scan calls the table grows (many inserts), shrinks
// (removals followed by ShrinkIfNeeded) and rehashes a few buckets at a time, so many calls land
// while two bucket arrays coexist. Every node present from start to end must be returned.
struct ChurnStats {
  int calls = 0;
  int calls_while_rehashing = 0;
  size_t min_buckets = SIZE_MAX;
  size_t max_buckets = 0;
};

ChurnStats ScanUnderChurn(uint64_t seed, int stable_count) {
  Nodes nodes;
  Table t;
  std::mt19937_64 rng(seed);
  std::set<std::string> stable;
  for (int i = 0; i < stable_count; ++i) {
    std::string k = Key("s", i);
    stable.insert(k);
    t.Insert(nodes.Make(k));
  }
  FinishRehash(t);

  std::vector<std::string> transient;
  int next_transient = 0;
  std::set<std::string> seen;
  ChurnStats stats;
  uint64_t cursor = 0;
  do {
    cursor = t.Scan(cursor, [&](TestNode* n) { seen.insert(n->key); });
    ++stats.calls;
    if (t.rehashing()) ++stats.calls_while_rehashing;
    stats.min_buckets = std::min(stats.min_buckets, t.bucket_count());
    stats.max_buckets = std::max(stats.max_buckets, t.bucket_count());

    // Phase by call number: grow for a while, then shrink, then grow again, ...
    bool growing = (stats.calls / 40) % 2 == 0;
    if (growing) {
      int batch = static_cast<int>(rng() % 30);
      for (int i = 0; i < batch; ++i) {
        std::string k = Key("t", next_transient++);
        transient.push_back(k);
        t.Insert(nodes.Make(k));
      }
    } else {
      int batch = static_cast<int>(rng() % 60);
      for (int i = 0; i < batch && !transient.empty(); ++i) {
        size_t pos = rng() % transient.size();
        std::swap(transient[pos], transient.back());
        TestNode* n = t.Remove(transient.back());
        EXPECT_NE(n, nullptr);
        nodes.Free(transient.back());
        transient.pop_back();
      }
      t.ShrinkIfNeeded();
    }
    if (rng() % 3 == 0) t.Rehash(rng() % 3);
    EXPECT_LT(stats.calls, 1000000) << "scan does not terminate";
    if (stats.calls >= 1000000) break;
  } while (cursor != 0);

  for (const auto& k : stable) EXPECT_TRUE(seen.count(k)) << "seed " << seed << " missed " << k;
  return stats;
}

TEST(HashTableTest, ScanGuaranteeUnderGrowthShrinkAndRehash) {
  int total_rehashing_calls = 0;
  size_t min_buckets = SIZE_MAX, max_buckets = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    for (int stable_count : {5, 60, 700}) {
      ChurnStats s = ScanUnderChurn(seed, stable_count);
      total_rehashing_calls += s.calls_while_rehashing;
      min_buckets = std::min(min_buckets, s.min_buckets);
      max_buckets = std::max(max_buckets, s.max_buckets);
    }
  }
  // The churn really exercised resizing in both directions and mid-rehash scans.
  EXPECT_GT(total_rehashing_calls, 100);
  EXPECT_LE(min_buckets, 64u);
  EXPECT_GE(max_buckets, 2048u);
}

}  // namespace
}  // namespace ember
