// The scalable form of a sorted set, as Redis's zset (skiplist + dict) but with one allocation
// per member: each node holds the member bytes inline, its score, the backward link, its skiplist
// levels (forward links and spans, so ranks cost O(log n)) and the chain link of the member
// index, an intrusive HashTable over the same nodes. Members are ordered by score, then by their
// bytes (memcmp, shorter first on a common prefix), exactly as Redis orders them.
//
// Node layout: [header 32 bytes][forward: Node* x level][span: uint32 x level][member bytes].
// Spans are 32-bit, so a skiplist holds at most 2^32-1 members (far beyond any memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>

#include "ds/hash_table.h"

namespace ember {

// A score interval: [min, max], either end exclusive ("(" in ZRANGEBYSCORE).
struct ScoreRange {
  double min = 0, max = 0;
  bool min_exclusive = false, max_exclusive = false;

  bool AboveMin(double v) const { return min_exclusive ? v > min : v >= min; }
  bool BelowMax(double v) const { return max_exclusive ? v < max : v <= max; }
  bool Contains(double v) const { return AboveMin(v) && BelowMax(v); }
  // Whether no score can be inside (min > max, or min == max with an exclusive end).
  bool Empty() const { return min > max || (min == max && (min_exclusive || max_exclusive)); }
};

// One end of a lexicographic interval: "-" (below everything), "+" (above everything), or a
// value with "[" (inclusive) or "(" (exclusive).
struct LexBound {
  enum class Kind : uint8_t { kMinusInf, kPlusInf, kValue } kind = Kind::kMinusInf;
  bool exclusive = false;
  std::string_view value;
};

// Redis's sdscmp: bytes compared as unsigned, a prefix sorts first.
inline int CompareMembers(std::string_view a, std::string_view b) {
  size_t n = a.size() < b.size() ? a.size() : b.size();
  int c = n ? std::memcmp(a.data(), b.data(), n) : 0;
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

struct LexRange {
  LexBound min, max;

  bool AboveMin(std::string_view v) const {
    switch (min.kind) {
      case LexBound::Kind::kMinusInf: return true;
      case LexBound::Kind::kPlusInf: return false;
      default: {
        int c = CompareMembers(v, min.value);
        return min.exclusive ? c > 0 : c >= 0;
      }
    }
  }
  bool BelowMax(std::string_view v) const {
    switch (max.kind) {
      case LexBound::Kind::kMinusInf: return false;
      case LexBound::Kind::kPlusInf: return true;
      default: {
        int c = CompareMembers(v, max.value);
        return max.exclusive ? c < 0 : c <= 0;
      }
    }
  }
  bool Contains(std::string_view v) const { return AboveMin(v) && BelowMax(v); }
  // Whether no member can be inside (Redis's zslIsInLexRange pre-check).
  bool Empty() const;
};

class Skiplist {
 public:
  static constexpr int kMaxLevel = 32;

  struct Node {
    Node* hash_next;
    Node* backward;  // the previous node, null for the first
    double score;
    uint32_t member_len;
    uint8_t level;

    std::string_view member() const {
      return {reinterpret_cast<const char*>(spans() + level), member_len};
    }
    Node* next() const { return forwards()[0]; }
    Node* prev() const { return backward; }

   private:
    friend class Skiplist;
    Node** forwards() const {
      return reinterpret_cast<Node**>(const_cast<char*>(reinterpret_cast<const char*>(this)) +
                                      sizeof(Node));
    }
    uint32_t* spans() const { return reinterpret_cast<uint32_t*>(forwards() + level); }
    char* member_bytes() const { return reinterpret_cast<char*>(spans() + level); }
  };
  static_assert(sizeof(Node) == 32);

  Skiplist();
  ~Skiplist();
  Skiplist(const Skiplist&) = delete;
  Skiplist& operator=(const Skiplist&) = delete;

  size_t size() const { return length_; }
  // Heap bytes: nodes, the head, the index buckets (the object itself excluded).
  size_t MallocSize() const;

  Node* Find(std::string_view member) const { return index_.Find(member); }
  // REQUIRES: `member` is absent and `score` is not NaN.
  Node* Insert(std::string_view member, double score);
  // Removes `member`; false if absent.
  bool Remove(std::string_view member);
  // Moves a node to `score` (same allocation). REQUIRES: `score` is not NaN.
  void UpdateScore(Node* node, double score);

  Node* First() const { return head_->forwards()[0]; }
  Node* Last() const { return tail_; }
  // 1-based rank of a present node.
  size_t Rank(const Node* node) const;
  // The node at 1-based `rank`, or null.
  Node* ByRank(size_t rank) const;

  // The first / last node whose score is in the range, or null.
  Node* FirstInRange(const ScoreRange& range) const;
  Node* LastInRange(const ScoreRange& range) const;
  Node* FirstInLexRange(const LexRange& range) const;
  Node* LastInLexRange(const LexRange& range) const;

  // Removes nodes; each returns how many.
  size_t RemoveRangeByScore(const ScoreRange& range);
  size_t RemoveRangeByLex(const LexRange& range);
  // 1-based inclusive ranks.
  size_t RemoveRangeByRank(size_t start, size_t end);

  // One SCAN step of the member index.
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) {
    return index_.Scan(cursor, std::forward<F>(fn));
  }
  Node* Random(std::mt19937_64& rng) { return index_.Random(rng); }
  // Each node in hash-index order (the order Redis's dict iteration would give, not sorted).
  template <typename F>
  void ForEachUnordered(F&& fn) const {
    index_.ForEach(std::forward<F>(fn));
  }

 private:
  struct Traits {
    static std::string_view Key(const Node* n) { return n->member(); }
    static Node*& Next(Node* n) { return n->hash_next; }
  };

  static Node* NewNode(int level, std::string_view member, double score);
  static void FreeNode(Node* n);
  static int RandomLevel();
  static bool Before(const Node* n, double score, std::string_view member) {
    return n->score < score || (n->score == score && CompareMembers(n->member(), member) < 0);
  }
  // Fills `update` with the last node before (score, member) on every level.
  void FindPredecessors(double score, std::string_view member, Node** update) const;
  // Unlinks `node`, given the last node before it on every level.
  void Unlink(Node* node, Node** update);
  // Links an unlinked node of known level at its (score, member) position.
  void Link(Node* node);
  // Removes and frees nodes from `first` while `keep_going(node)` holds, given the
  // predecessors of `first`.
  template <typename Pred>
  size_t RemoveFrom(Node* first, Node** update, Pred keep_going);

  Node* head_;
  Node* tail_ = nullptr;
  size_t length_ = 0;
  int level_ = 1;
  size_t node_bytes_ = 0;
  // Mutable: lookups advance the incremental rehash, as Redis's dictFind does.
  mutable HashTable<Node, Traits> index_;
};

}  // namespace ember
