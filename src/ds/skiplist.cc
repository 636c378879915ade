// Skiplist: Redis's zskiplist algorithms (t_zset.c) over single-allocation nodes.
#include "ds/skiplist.h"

#include <cassert>
#include <new>

#include "common/memory.h"

namespace ember {

bool LexRange::Empty() const {
  using K = LexBound::Kind;
  // "-" and "+" are exclusive bounds below / above every member, as in Redis.
  auto order = [](const LexBound& a, const LexBound& b) {
    if (a.kind == b.kind && a.kind != K::kValue) return 0;
    if (a.kind == K::kMinusInf || b.kind == K::kPlusInf) return -1;
    if (a.kind == K::kPlusInf || b.kind == K::kMinusInf) return 1;
    return CompareMembers(a.value, b.value);
  };
  int c = order(min, max);
  bool min_ex = min.kind != K::kValue || min.exclusive;
  bool max_ex = max.kind != K::kValue || max.exclusive;
  return c > 0 || (c == 0 && (min_ex || max_ex));
}

Skiplist::Skiplist() : head_(NewNode(kMaxLevel, {}, 0)) {
  node_bytes_ = 0;  // the head is counted separately by MallocSize
}

Skiplist::~Skiplist() {
  Node* n = head_->forwards()[0];
  while (n) {
    Node* next = n->forwards()[0];
    FreeNode(n);
    n = next;
  }
  FreeNode(head_);
}

size_t Skiplist::MallocSize() const {
  return node_bytes_ + MemUsableSize(head_) + index_.bucket_bytes();
}

Skiplist::Node* Skiplist::NewNode(int level, std::string_view member, double score) {
  size_t bytes = sizeof(Node) + static_cast<size_t>(level) * (sizeof(Node*) + sizeof(uint32_t)) +
                 member.size();
  void* mem = MemAlloc(bytes);
  Node* n = new (mem) Node{nullptr, nullptr, score, static_cast<uint32_t>(member.size()),
                           static_cast<uint8_t>(level)};
  for (int i = 0; i < level; ++i) {
    n->forwards()[i] = nullptr;
    n->spans()[i] = 0;
  }
  if (!member.empty()) std::memcpy(n->member_bytes(), member.data(), member.size());
  return n;
}

void Skiplist::FreeNode(Node* n) { MemFree(n); }

int Skiplist::RandomLevel() {
  // Each further level with probability 1/4, as Redis's ZSKIPLIST_P.
  static std::minstd_rand rng(0x5eed);
  int level = 1;
  while (level < kMaxLevel && (rng() & 3) == 0) ++level;
  return level;
}

Skiplist::Node* Skiplist::Insert(std::string_view member, double score) {
  Node* n = NewNode(RandomLevel(), member, score);
  node_bytes_ += MemUsableSize(n);
  Link(n);
  index_.Insert(n);
  return n;
}

void Skiplist::Link(Node* node) {
  Node* update[kMaxLevel];
  uint32_t rank[kMaxLevel];
  Node* x = head_;
  std::string_view member = node->member();
  for (int i = level_ - 1; i >= 0; --i) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    while (x->forwards()[i] && Before(x->forwards()[i], node->score, member)) {
      rank[i] += x->spans()[i];
      x = x->forwards()[i];
    }
    update[i] = x;
  }
  int level = node->level;
  if (level > level_) {
    for (int i = level_; i < level; ++i) {
      rank[i] = 0;
      update[i] = head_;
      head_->spans()[i] = static_cast<uint32_t>(length_);
    }
    level_ = level;
  }
  for (int i = 0; i < level; ++i) {
    node->forwards()[i] = update[i]->forwards()[i];
    update[i]->forwards()[i] = node;
    node->spans()[i] = update[i]->spans()[i] - (rank[0] - rank[i]);
    update[i]->spans()[i] = (rank[0] - rank[i]) + 1;
  }
  for (int i = level; i < level_; ++i) update[i]->spans()[i]++;
  node->backward = update[0] == head_ ? nullptr : update[0];
  if (node->forwards()[0]) {
    node->forwards()[0]->backward = node;
  } else {
    tail_ = node;
  }
  ++length_;
}

void Skiplist::Unlink(Node* node, Node** update) {
  for (int i = 0; i < level_; ++i) {
    if (update[i]->forwards()[i] == node) {
      update[i]->spans()[i] += node->spans()[i] - 1;
      update[i]->forwards()[i] = node->forwards()[i];
    } else {
      update[i]->spans()[i] -= 1;
    }
  }
  if (node->forwards()[0]) {
    node->forwards()[0]->backward = node->backward;
  } else {
    tail_ = node->backward;
  }
  while (level_ > 1 && head_->forwards()[level_ - 1] == nullptr) --level_;
  --length_;
}

void Skiplist::FindPredecessors(double score, std::string_view member, Node** update) const {
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forwards()[i] && Before(x->forwards()[i], score, member)) x = x->forwards()[i];
    update[i] = x;
  }
}

bool Skiplist::Remove(std::string_view member) {
  Node* node = index_.Remove(member);
  if (!node) return false;
  Node* update[kMaxLevel];
  FindPredecessors(node->score, node->member(), update);
  assert(update[0]->forwards()[0] == node);
  Unlink(node, update);
  node_bytes_ -= MemUsableSize(node);
  FreeNode(node);
  // Like Redis after a zset delete: give the index buckets back once it is under 10% full.
  index_.ShrinkIfNeeded();
  return true;
}

void Skiplist::UpdateScore(Node* node, double score) {
  // Still between its neighbours: the position (and every span) is unchanged.
  Node* prev = node->backward;
  Node* next = node->forwards()[0];
  std::string_view member = node->member();
  if ((!prev || prev->score < score || (prev->score == score && CompareMembers(prev->member(), member) < 0)) &&
      (!next || next->score > score || (next->score == score && CompareMembers(next->member(), member) > 0))) {
    node->score = score;
    return;
  }
  Node* update[kMaxLevel];
  FindPredecessors(node->score, member, update);
  Unlink(node, update);
  node->score = score;
  Link(node);
}

size_t Skiplist::Rank(const Node* node) const {
  size_t rank = 0;
  Node* x = head_;
  std::string_view member = node->member();
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forwards()[i] &&
           (x->forwards()[i]->score < node->score ||
            (x->forwards()[i]->score == node->score &&
             CompareMembers(x->forwards()[i]->member(), member) <= 0))) {
      rank += x->spans()[i];
      x = x->forwards()[i];
    }
    if (x == node) return rank;
  }
  return 0;
}

Skiplist::Node* Skiplist::ByRank(size_t rank) const {
  if (rank == 0 || rank > length_) return nullptr;
  size_t traversed = 0;
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forwards()[i] && traversed + x->spans()[i] <= rank) {
      traversed += x->spans()[i];
      x = x->forwards()[i];
    }
    if (traversed == rank) return x;
  }
  return nullptr;
}

Skiplist::Node* Skiplist::FirstInRange(const ScoreRange& range) const {
  if (range.Empty() || !tail_ || !range.AboveMin(tail_->score) || !range.BelowMax(First()->score)) {
    return nullptr;
  }
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forwards()[i] && !range.AboveMin(x->forwards()[i]->score)) x = x->forwards()[i];
  }
  x = x->forwards()[0];
  return x && range.BelowMax(x->score) ? x : nullptr;
}

Skiplist::Node* Skiplist::LastInRange(const ScoreRange& range) const {
  if (range.Empty() || !tail_ || !range.AboveMin(tail_->score) || !range.BelowMax(First()->score)) {
    return nullptr;
  }
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forwards()[i] && range.BelowMax(x->forwards()[i]->score)) x = x->forwards()[i];
  }
  return x != head_ && range.AboveMin(x->score) ? x : nullptr;
}

Skiplist::Node* Skiplist::FirstInLexRange(const LexRange& range) const {
  if (range.Empty() || !tail_ || !range.AboveMin(tail_->member()) ||
      !range.BelowMax(First()->member())) {
    return nullptr;
  }
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forwards()[i] && !range.AboveMin(x->forwards()[i]->member())) x = x->forwards()[i];
  }
  x = x->forwards()[0];
  return x && range.BelowMax(x->member()) ? x : nullptr;
}

Skiplist::Node* Skiplist::LastInLexRange(const LexRange& range) const {
  if (range.Empty() || !tail_ || !range.AboveMin(tail_->member()) ||
      !range.BelowMax(First()->member())) {
    return nullptr;
  }
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forwards()[i] && range.BelowMax(x->forwards()[i]->member())) x = x->forwards()[i];
  }
  return x != head_ && range.AboveMin(x->member()) ? x : nullptr;
}

template <typename Pred>
size_t Skiplist::RemoveFrom(Node* x, Node** update, Pred keep_going) {
  size_t removed = 0;
  while (x && keep_going(x)) {
    Node* next = x->forwards()[0];
    Unlink(x, update);
    index_.Remove(x->member());
    node_bytes_ -= MemUsableSize(x);
    FreeNode(x);
    ++removed;
    x = next;
  }
  index_.ShrinkIfNeeded();
  return removed;
}

size_t Skiplist::RemoveRangeByScore(const ScoreRange& range) {
  Node* update[kMaxLevel];
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forwards()[i] && !range.AboveMin(x->forwards()[i]->score)) x = x->forwards()[i];
    update[i] = x;
  }
  return RemoveFrom(x->forwards()[0], update, [&](Node* n) { return range.BelowMax(n->score); });
}

size_t Skiplist::RemoveRangeByLex(const LexRange& range) {
  if (range.Empty()) return 0;
  Node* update[kMaxLevel];
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forwards()[i] && !range.AboveMin(x->forwards()[i]->member())) x = x->forwards()[i];
    update[i] = x;
  }
  return RemoveFrom(x->forwards()[0], update,
                    [&](Node* n) { return range.BelowMax(n->member()); });
}

size_t Skiplist::RemoveRangeByRank(size_t start, size_t end) {
  Node* update[kMaxLevel];
  size_t traversed = 0;
  Node* x = head_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->forwards()[i] && traversed + x->spans()[i] < start) {
      traversed += x->spans()[i];
      x = x->forwards()[i];
    }
    update[i] = x;
  }
  size_t rank = traversed + 1;
  return RemoveFrom(x->forwards()[0], update, [&](Node*) { return rank++ <= end; });
}

}  // namespace ember
