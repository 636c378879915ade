#include "ds/skiplist.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ember {
namespace {

using Model = std::set<std::pair<double, std::string>, bool (*)(const std::pair<double, std::string>&,
                                                                 const std::pair<double, std::string>&)>;

bool ModelLess(const std::pair<double, std::string>& a, const std::pair<double, std::string>& b) {
  if (a.first != b.first) return a.first < b.first;
  return CompareMembers(a.second, b.second) < 0;
}

// Checks every invariant against the model: order, backward links, ranks both ways, the index.
void ExpectMatches(const Skiplist& sl, const Model& model) {
  ASSERT_EQ(sl.size(), model.size());
  const Skiplist::Node* prev = nullptr;
  const Skiplist::Node* n = sl.First();
  size_t rank = 1;
  for (const auto& [score, member] : model) {
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->score, score);
    EXPECT_EQ(n->member(), member);
    EXPECT_EQ(n->prev(), prev);
    EXPECT_EQ(sl.Rank(n), rank);
    EXPECT_EQ(sl.ByRank(rank), n);
    EXPECT_EQ(sl.Find(member), n);
    prev = n;
    n = n->next();
    ++rank;
  }
  EXPECT_EQ(n, nullptr);
  EXPECT_EQ(sl.Last(), prev);
  EXPECT_EQ(sl.ByRank(0), nullptr);
  EXPECT_EQ(sl.ByRank(model.size() + 1), nullptr);
}

TEST(Skiplist, OrdersByScoreThenBytes) {
  Skiplist sl;
  sl.Insert("b", 1);
  sl.Insert("a", 1);
  sl.Insert("ab", 1);
  sl.Insert("", 1);
  sl.Insert("\xff", 0);
  sl.Insert("z", -std::numeric_limits<double>::infinity());
  std::vector<std::string> order;
  for (auto* n = sl.First(); n; n = n->next()) order.emplace_back(n->member());
  EXPECT_EQ(order, (std::vector<std::string>{"z", "\xff", "", "a", "ab", "b"}));
  EXPECT_EQ(sl.Find("nope"), nullptr);
  EXPECT_FALSE(sl.Remove("nope"));
}

TEST(Skiplist, RandomOperationsMatchAModel) {
  std::mt19937_64 rng(42);
  Skiplist sl;
  Model model(ModelLess);
  std::map<std::string, double> scores;
  for (int step = 0; step < 20000; ++step) {
    std::string member = "m" + std::to_string(rng() % 500);
    double score = static_cast<double>(rng() % 50) / 2;
    switch (rng() % 4) {
      case 0:
      case 1:
        if (!scores.count(member)) {
          sl.Insert(member, score);
          model.insert({score, member});
          scores[member] = score;
        }
        break;
      case 2:
        EXPECT_EQ(sl.Remove(member), scores.count(member) == 1);
        if (scores.count(member)) {
          model.erase({scores[member], member});
          scores.erase(member);
        }
        break;
      case 3:
        if (auto* n = sl.Find(member)) {
          model.erase({n->score, member});
          sl.UpdateScore(n, score);
          model.insert({score, member});
          scores[member] = score;
        }
        break;
    }
    if (step % 997 == 0) ExpectMatches(sl, model);
  }
  ExpectMatches(sl, model);
}

TEST(Skiplist, ScoreAndLexRanges) {
  Skiplist sl;
  for (int i = 0; i < 100; ++i) sl.Insert("m" + std::to_string(i), i / 10);  // scores 0..9
  ScoreRange r{2, 4, false, true};
  EXPECT_EQ(sl.FirstInRange(r)->score, 2);
  EXPECT_EQ(sl.LastInRange(r)->score, 3);
  EXPECT_EQ(sl.Rank(sl.LastInRange(r)) - sl.Rank(sl.FirstInRange(r)) + 1, 20u);
  EXPECT_EQ(sl.FirstInRange({10, 20, false, false}), nullptr);
  EXPECT_EQ(sl.FirstInRange({5, 5, true, false}), nullptr);
  EXPECT_EQ(sl.LastInRange({-5, -1, false, false}), nullptr);
  EXPECT_EQ(sl.RemoveRangeByScore(r), 20u);
  EXPECT_EQ(sl.size(), 80u);
  EXPECT_EQ(sl.RemoveRangeByRank(1, 10), 10u);  // the ten scoring 0
  EXPECT_EQ(sl.First()->score, 1);
  EXPECT_EQ(sl.RemoveRangeByRank(70, 70), 1u);
  EXPECT_EQ(sl.size(), 69u);

  Skiplist lex;
  for (const char* m : {"a", "b", "c", "d", "e"}) lex.Insert(m, 0);
  LexRange lr{{LexBound::Kind::kValue, true, "a"}, {LexBound::Kind::kValue, false, "d"}};
  EXPECT_EQ(lex.FirstInLexRange(lr)->member(), "b");
  EXPECT_EQ(lex.LastInLexRange(lr)->member(), "d");
  LexRange all{{LexBound::Kind::kMinusInf, false, {}}, {LexBound::Kind::kPlusInf, false, {}}};
  EXPECT_FALSE(all.Empty());
  LexRange inverted{{LexBound::Kind::kPlusInf, false, {}}, {LexBound::Kind::kMinusInf, false, {}}};
  EXPECT_TRUE(inverted.Empty());
  EXPECT_EQ(lex.FirstInLexRange(inverted), nullptr);
  EXPECT_EQ(lex.RemoveRangeByLex(lr), 3u);
  EXPECT_EQ(lex.RemoveRangeByLex(all), 2u);
  EXPECT_EQ(lex.size(), 0u);
  EXPECT_EQ(lex.First(), nullptr);
  EXPECT_EQ(lex.Last(), nullptr);
}

TEST(Skiplist, ScanVisitsEveryMemberAndMemoryIsTracked) {
  Skiplist sl;
  size_t empty = sl.MallocSize();
  for (int i = 0; i < 1000; ++i) sl.Insert("member:" + std::to_string(i), i);
  EXPECT_GT(sl.MallocSize(), empty + 1000 * 32);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = sl.Scan(cursor, [&](Skiplist::Node* n) { seen.emplace(n->member()); });
  } while (cursor);
  EXPECT_EQ(seen.size(), 1000u);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) ASSERT_NE(sl.Random(rng), nullptr);
  for (int i = 0; i < 990; ++i) sl.Remove("member:" + std::to_string(i));
  // The nodes are freed and the member index shrinks (incrementally) as it empties.
  for (int i = 0; i < 100; ++i) sl.Find("member:999");  // lookups advance the rehash
  EXPECT_LT(sl.MallocSize(), empty + 2048);  // was over 8 KB of buckets at 1000 members
  EXPECT_EQ(sl.RemoveRangeByRank(1, 10), 10u);
  EXPECT_EQ(sl.size(), 0u);
}

TEST(Skiplist, UpdateScoreKeepsTheNode) {
  Skiplist sl;
  for (int i = 0; i < 50; ++i) sl.Insert("m" + std::to_string(i), i);
  Skiplist::Node* n = sl.Find("m10");
  sl.UpdateScore(n, 10.5);  // stays between its neighbours
  EXPECT_EQ(sl.Find("m10"), n);
  EXPECT_EQ(sl.Rank(n), 11u);
  sl.UpdateScore(n, 100);  // moves to the end
  EXPECT_EQ(sl.Find("m10"), n);
  EXPECT_EQ(sl.Last(), n);
  EXPECT_EQ(sl.Rank(n), 50u);
}

}  // namespace
}  // namespace ember
