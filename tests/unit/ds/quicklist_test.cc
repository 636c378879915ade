// Quicklist: every operation against a std::deque model under many fill / compress settings,
// node size limits, compression at the right depth, plain nodes for large elements, and the
// node layout Redis produces for the cases the differential corpus cannot reach cheaply.
#include "ds/quicklist.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

namespace ember {
namespace {

std::vector<std::string> Elements(const Quicklist& ql) {
  std::vector<std::string> out;
  ql.ForEach([&](const PackedValue& v) { out.push_back(v.ToString()); });
  return out;
}

std::vector<std::string> Model(const std::deque<std::string>& d) { return {d.begin(), d.end()}; }

struct NodeStats {
  size_t nodes = 0, compressed = 0, plain = 0;
  bool ends_compressed = false;
  size_t max_packed_bytes = 0;  // of packed nodes with more than one entry
};

NodeStats Stats(const Quicklist& ql) {
  NodeStats s;
  std::vector<Quicklist::NodeView> views;
  ql.ForEachNode([&](const Quicklist::NodeView& v) { views.push_back(v); });
  for (size_t i = 0; i < views.size(); ++i) {
    const auto& v = views[i];
    ++s.nodes;
    if (v.compressed) ++s.compressed;
    if (v.plain) ++s.plain;
    if (v.compressed && (i == 0 || i + 1 == views.size())) s.ends_compressed = true;
  }
  return s;
}

// Restores the default packed threshold when a test lowered it.
struct ThresholdGuard {
  explicit ThresholdGuard(size_t bytes) { Quicklist::SetPackedThreshold(bytes); }
  ~ThresholdGuard() { Quicklist::SetPackedThreshold(size_t{1} << 30); }
};

TEST(Quicklist, PushPopBothEnds) {
  Quicklist ql(-2, 0);
  EXPECT_TRUE(ql.empty());
  std::string out;
  EXPECT_FALSE(ql.PopHead(&out));
  ql.PushTail("b");
  ql.PushHead("a");
  ql.PushTail("12345");
  EXPECT_EQ(ql.size(), 3u);
  EXPECT_EQ(Elements(ql), (std::vector<std::string>{"a", "b", "12345"}));
  EXPECT_TRUE(ql.PopTail(&out));
  EXPECT_EQ(out, "12345");  // integers come back in base 10
  EXPECT_TRUE(ql.PopHead(&out));
  EXPECT_EQ(out, "a");
  EXPECT_TRUE(ql.PopHead(&out));
  EXPECT_EQ(ql.node_count(), 0u);
  EXPECT_TRUE(ql.empty());
}

TEST(Quicklist, NodesSplitAtTheFillLimits) {
  // By count: 4 per node.
  Quicklist by_count(4, 0);
  for (int i = 0; i < 10; ++i) by_count.PushTail(std::to_string(i));
  EXPECT_EQ(by_count.node_count(), 3u);
  // By size: 681 entries of 10 bytes fit a node of -2 (8 KB), the 682nd opens a second node.
  Quicklist by_size(-2, 0);
  for (int i = 0; i < 681; ++i) by_size.PushTail("aaaaaaaaaa");
  EXPECT_EQ(by_size.node_count(), 1u);
  by_size.PushTail("aaaaaaaaaa");
  EXPECT_EQ(by_size.node_count(), 2u);
  // A positive fill is still capped at 8 KB per node.
  Quicklist capped(1000, 0);
  for (int i = 0; i < 100; ++i) capped.PushTail(std::string(200, 'x'));
  capped.ForEachNode([](const Quicklist::NodeView& v) { EXPECT_LE(v.bytes.size(), 8192u); });
  EXPECT_GT(capped.node_count(), 2u);
  // Out-of-range settings are clamped as Redis clamps them.
  Quicklist clamped(-100, -3);
  EXPECT_EQ(clamped.fill(), -5);
  EXPECT_EQ(clamped.compress(), 0);
  // fill 0 means one entry per node.
  Quicklist zero(0, 0);
  for (int i = 0; i < 5; ++i) zero.PushHead("x");
  EXPECT_EQ(zero.node_count(), 5u);
}

TEST(Quicklist, IndexReplaceAndRanges) {
  Quicklist ql(3, 0);
  std::deque<std::string> model;
  for (int i = 0; i < 20; ++i) {
    ql.PushTail("v" + std::to_string(i));
    model.push_back("v" + std::to_string(i));
  }
  std::string out;
  for (int i = -25; i < 25; ++i) {
    const bool in_range = i >= -20 && i < 20;
    ASSERT_EQ(ql.Get(i, &out), in_range) << i;
    if (in_range) {
      EXPECT_EQ(out, model[i < 0 ? i + 20 : i]);
    }
  }
  EXPECT_TRUE(ql.Replace(-1, "last"));
  EXPECT_TRUE(ql.Replace(7, std::string(100, 'r')));
  EXPECT_FALSE(ql.Replace(20, "x"));
  model.back() = "last";
  model[7] = std::string(100, 'r');
  EXPECT_EQ(Elements(ql), Model(model));
  ql.DeleteRange(2, 5);
  model.erase(model.begin() + 2, model.begin() + 7);
  EXPECT_EQ(Elements(ql), Model(model));
  ql.DeleteRange(-3, 100);
  model.erase(model.end() - 3, model.end());
  EXPECT_EQ(Elements(ql), Model(model));
  ql.DeleteRange(0, 0);
  ql.DeleteRange(100, 1);
  EXPECT_EQ(Elements(ql), Model(model));
  EXPECT_EQ(ql.size(), model.size());
}

TEST(Quicklist, IteratorDeletesAndInserts) {
  Quicklist ql(2, 0);
  for (const char* s : {"a", "x", "b", "x", "x", "c", "x"}) ql.PushTail(s);
  {
    Quicklist::Iterator it = ql.IteratorAt(-1, Quicklist::Direction::kTailToHead);
    PackedValue v;
    int removed = 0;
    while (it.Next(&v)) {
      if (v.Equals("x") && removed < 3) {
        it.DeleteCurrent();
        ++removed;
      }
    }
  }
  EXPECT_EQ(Elements(ql), (std::vector<std::string>{"a", "x", "b", "c"}));
  {
    Quicklist::Iterator it = ql.IteratorAt(0, Quicklist::Direction::kHeadToTail);
    PackedValue v;
    while (it.Next(&v) && !v.Equals("b")) {
    }
    it.InsertBefore("before-b");
  }
  {
    Quicklist::Iterator it = ql.IteratorAt(-1, Quicklist::Direction::kTailToHead);
    PackedValue v;
    ASSERT_TRUE(it.Next(&v));
    it.InsertAfter("end");
  }
  EXPECT_EQ(Elements(ql), (std::vector<std::string>{"a", "x", "before-b", "b", "c", "end"}));
  // An iterator on an out-of-range index returns nothing.
  Quicklist::Iterator none = ql.IteratorAt(6, Quicklist::Direction::kHeadToTail);
  PackedValue v;
  EXPECT_FALSE(none.Next(&v));
}

TEST(Quicklist, CompressionKeepsEndsRawAndInteriorCompressed) {
  for (int depth = 1; depth <= 3; ++depth) {
    Quicklist ql(8, depth);
    for (int i = 0; i < 400; ++i) ql.PushTail("element-" + std::to_string(i % 7) + "-padding");
    NodeStats s = Stats(ql);
    EXPECT_EQ(s.nodes, 50u);
    EXPECT_FALSE(s.ends_compressed);
    // Everything deeper than `depth` from either end is compressed (it all compresses well).
    EXPECT_EQ(s.compressed, s.nodes - 2 * depth) << depth;
    Quicklist raw(8, 0);
    for (int i = 0; i < 400; ++i) raw.PushTail("element-" + std::to_string(i % 7) + "-padding");
    EXPECT_LT(ql.MallocSize(), raw.MallocSize());
    std::string out;
    ASSERT_TRUE(ql.Get(200, &out));
    EXPECT_EQ(out, "element-" + std::to_string(200 % 7) + "-padding");
    // Reading a compressed node leaves it compressed again.
    EXPECT_EQ(Stats(ql).compressed, s.compressed);
    // A copy keeps the same nodes and elements.
    Quicklist copy = ql.Clone();
    EXPECT_EQ(Elements(copy), Elements(ql));
    EXPECT_EQ(Stats(copy).compressed, s.compressed);
  }
}

// Random operations against a deque, for several fills and depths, checking the elements, the
// count and that the list ends are never compressed.
TEST(Quicklist, RandomOperationsMatchModel) {
  ThresholdGuard threshold(300);  // elements of 300+ bytes get PLAIN nodes
  std::mt19937_64 rng(7);
  const std::vector<std::string> pool = {"a", "bb", "0", "-1", "12345", "9223372036854775807",
                                         std::string(40, 'm'), std::string(120, 'k'),
                                         std::string(310, 'P'), std::string(1000, 'Q')};
  for (int fill : {-5, -2, -1, 1, 2, 5, 32}) {
    for (int depth : {0, 1, 2}) {
      Quicklist ql(fill, depth);
      std::deque<std::string> model;
      for (int step = 0; step < 1500; ++step) {
        const std::string& v = pool[rng() % pool.size()];
        const int64_t n = static_cast<int64_t>(model.size());
        switch (rng() % 9) {
          case 0: ql.PushHead(v); model.push_front(v); break;
          case 1: case 2: ql.PushTail(v); model.push_back(v); break;
          case 3:
          case 4: {
            const bool head = rng() % 2;
            std::string out;
            ASSERT_EQ(head ? ql.PopHead(&out) : ql.PopTail(&out), !model.empty());
            if (model.empty()) break;
            EXPECT_EQ(out, head ? model.front() : model.back());
            if (head) {
              model.pop_front();
            } else {
              model.pop_back();
            }
            break;
          }
          case 5: {
            if (n == 0) break;
            const int64_t i = static_cast<int64_t>(rng() % n);
            ASSERT_TRUE(ql.Replace(rng() % 2 ? i : i - n, v));
            model[i] = v;
            break;
          }
          case 6: {
            if (n == 0) break;
            const int64_t i = static_cast<int64_t>(rng() % n);
            const bool after = rng() % 2;
            Quicklist::Iterator it = ql.IteratorAt(i, Quicklist::Direction::kHeadToTail);
            PackedValue cur;
            ASSERT_TRUE(it.Next(&cur));
            if (after) {
              it.InsertAfter(v);
            } else {
              it.InsertBefore(v);
            }
            model.insert(model.begin() + i + (after ? 1 : 0), v);
            break;
          }
          case 7: {
            // Delete every element equal to v.
            Quicklist::Iterator it = ql.IteratorAt(0, Quicklist::Direction::kHeadToTail);
            PackedValue cur;
            while (it.Next(&cur)) {
              if (cur.Equals(v)) it.DeleteCurrent();
            }
            std::erase(model, v);
            break;
          }
          default: {
            if (n == 0) break;
            const int64_t start = static_cast<int64_t>(rng() % n) - (rng() % 2 ? n : 0);
            const int64_t count = static_cast<int64_t>(rng() % 5);
            ql.DeleteRange(start, count);
            int64_t s = start < 0 ? start + n : start;
            int64_t e = std::min(n, s + count);
            model.erase(model.begin() + s, model.begin() + e);
            break;
          }
        }
        ASSERT_EQ(ql.size(), model.size()) << fill << "/" << depth << " step " << step;
        if (step % 50 == 0 || ql.size() < 20) {
          ASSERT_EQ(Elements(ql), Model(model)) << fill << "/" << depth << " step " << step;
          NodeStats s = Stats(ql);
          ASSERT_FALSE(s.ends_compressed);
          ASSERT_EQ(s.nodes, ql.node_count());
          if (depth == 0) {
            ASSERT_EQ(s.compressed, 0u);
          }
        }
      }
      EXPECT_EQ(Elements(ql), Model(model));
      Quicklist copy = ql.Clone();
      EXPECT_EQ(Elements(copy), Model(model));
    }
  }
}

TEST(Quicklist, PlainNodesForLargeElements) {
  ThresholdGuard threshold(100);
  Quicklist ql(-2, 1);
  ql.PushTail("small");
  ql.PushTail(std::string(150, 'L'));
  ql.PushHead(std::string(200, 'H'));
  ql.PushTail("tail");
  NodeStats s = Stats(ql);
  EXPECT_EQ(s.plain, 2u);
  EXPECT_EQ(s.nodes, 4u);
  std::string out;
  ASSERT_TRUE(ql.Get(2, &out));
  EXPECT_EQ(out, std::string(150, 'L'));
  // A plain element replaced by a small one moves into a packed node, and back.
  ASSERT_TRUE(ql.Replace(2, "now-small"));
  EXPECT_EQ(Stats(ql).plain, 1u);
  ASSERT_TRUE(ql.Replace(2, std::string(120, 'B')));
  EXPECT_EQ(Stats(ql).plain, 2u);
  EXPECT_EQ(Elements(ql), (std::vector<std::string>{std::string(200, 'H'), "small",
                                                   std::string(120, 'B'), "tail"}));
  ASSERT_TRUE(ql.PopHead(&out));
  EXPECT_EQ(out, std::string(200, 'H'));
  ql.AppendPlain(std::string(300, 'A'));
  EXPECT_EQ(ql.size(), 4u);
  EXPECT_FALSE(Quicklist::SetPackedThreshold(size_t{1} << 33));
}

TEST(Quicklist, AppendListpackNodesAsIs) {
  Quicklist ql(2, 0);
  Listpack lp;
  for (int i = 0; i < 10; ++i) lp.Append("x" + std::to_string(i));
  ql.AppendListpack(std::move(lp));
  EXPECT_EQ(ql.node_count(), 1u);  // loaded nodes keep their size, like Redis
  EXPECT_EQ(ql.size(), 10u);
  ql.PushTail("y");
  EXPECT_EQ(ql.node_count(), 2u);
}

}  // namespace
}  // namespace ember
