// An intrusive chained hash table that grows and shrinks without stopping the world: like
// Redis's dict, it keeps two bucket arrays while resizing and moves a few buckets on every
// operation (and on a timer), so no single call pays for the whole rehash.
//
// Nodes are owned by the caller; the table only links them through Traits::Next. SCAN uses
// Redis's reverse-binary cursor, which guarantees that every node present for the whole scan is
// returned at least once, even if the table grows or shrinks between calls.
//
// Traits must provide:
//   static std::string_view Key(const Node*);
//   static Node*& Next(Node*);
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include "ds/hash.h"

namespace ember {

// While a forked child (BGSAVE, full sync) shares the parent's memory, moving entries between
// bucket arrays would copy nearly every page that holds them: tables then neither start nor
// continue a resize unless they are more than kForceResizeRatio times overfull (Redis's
// dict_can_resize / dict_force_resize_ratio).
inline bool& HashTableResizeAllowed() {
  static bool allowed = true;
  return allowed;
}
inline constexpr size_t kForceResizeRatio = 5;

template <typename Node, typename Traits>
class HashTable {
 public:
  HashTable() = default;
  HashTable(const HashTable&) = delete;
  HashTable& operator=(const HashTable&) = delete;
  HashTable(HashTable&& o) noexcept { *this = std::move(o); }
  HashTable& operator=(HashTable&& o) noexcept {
    for (int i = 0; i < 2; ++i) table_[i] = std::move(o.table_[i]);
    size_ = o.size_;
    rehash_idx_ = o.rehash_idx_;
    pause_rehash_ = o.pause_rehash_;
    o.size_ = 0;
    o.rehash_idx_ = -1;
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool rehashing() const { return rehash_idx_ >= 0; }
  size_t bucket_count() const { return table_[0].size() + table_[1].size(); }
  // Memory held by the bucket arrays (nodes are counted by their owner).
  size_t bucket_bytes() const { return bucket_count() * sizeof(Node*); }

  Node* Find(std::string_view key) {
    if (size_ == 0) return nullptr;
    RehashStep();
    uint64_t h = HashKey(key);
    for (int t = 0; t < 2; ++t) {
      auto& tab = table_[t];
      if (tab.empty()) continue;
      for (Node* n = tab[h & (tab.size() - 1)]; n; n = Traits::Next(n)) {
        if (Traits::Key(n) == key) return n;
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  // REQUIRES: no node with the same key is present.
  void Insert(Node* node) {
    RehashStep();
    ExpandIfNeeded();
    auto& tab = rehashing() ? table_[1] : table_[0];
    Node*& head = tab[HashKey(Traits::Key(node)) & (tab.size() - 1)];
    Traits::Next(node) = head;
    head = node;
    ++size_;
  }

  // Unlinks and returns the node with `key`, or nullptr.
  Node* Remove(std::string_view key) {
    if (size_ == 0) return nullptr;
    RehashStep();
    uint64_t h = HashKey(key);
    for (int t = 0; t < 2; ++t) {
      auto& tab = table_[t];
      if (tab.empty()) continue;
      Node** link = &tab[h & (tab.size() - 1)];
      while (*link) {
        Node* n = *link;
        if (Traits::Key(n) == key) {
          *link = Traits::Next(n);
          Traits::Next(n) = nullptr;
          --size_;
          return n;
        }
        link = &Traits::Next(n);
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  // Removes every node, calling `dispose(node)` on each.
  template <typename F>
  void Clear(F&& dispose) {
    for (auto& tab : table_) {
      for (Node* head : tab) {
        while (head) {
          Node* next = Traits::Next(head);
          dispose(head);
          head = next;
        }
      }
      tab.clear();
      tab.shrink_to_fit();
    }
    size_ = 0;
    rehash_idx_ = -1;
  }

  // Calls fn(node) for every node. `fn` must not insert or remove.
  template <typename F>
  void ForEach(F&& fn) const {
    for (const auto& tab : table_) {
      for (Node* head : tab) {
        for (Node* n = head; n;) {
          Node* next = Traits::Next(n);
          fn(n);
          n = next;
        }
      }
    }
  }

  // One SCAN step: calls fn(node) for the nodes of the bucket(s) at `cursor` and returns the
  // next cursor (0 when the scan is complete).
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) {
    if (size_ == 0) return 0;
    ++pause_rehash_;
    uint64_t v = cursor;
    if (!rehashing()) {
      auto& t0 = table_[0];
      uint64_t m0 = t0.size() - 1;
      EmitBucket(t0[v & m0], fn);
      v |= ~m0;
      v = NextCursor(v);
    } else {
      // Scan the small table's bucket, then every bucket of the large table it expands into.
      auto* small = &table_[0];
      auto* large = &table_[1];
      if (small->size() > large->size()) std::swap(small, large);
      uint64_t m0 = small->size() - 1, m1 = large->size() - 1;
      EmitBucket((*small)[v & m0], fn);
      do {
        EmitBucket((*large)[v & m1], fn);
        v |= ~m1;
        v = NextCursor(v);
      } while (v & (m0 ^ m1));
    }
    --pause_rehash_;
    return v;
  }

  // A random node (uniform over buckets, then over the chain), or nullptr when empty.
  Node* Random(std::mt19937_64& rng) {
    if (size_ == 0) return nullptr;
    RehashStep();
    Node* head = nullptr;
    for (int tries = 0; !head; ++tries) {
      if (rehashing()) {
        // Buckets below rehash_idx_ in table 0 are empty.
        size_t s0 = table_[0].size(), s1 = table_[1].size();
        size_t i = static_cast<size_t>(rehash_idx_) +
                   rng() % (s0 + s1 - static_cast<size_t>(rehash_idx_));
        head = i >= s0 ? table_[1][i - s0] : table_[0][i];
      } else {
        head = table_[0][rng() % table_[0].size()];
      }
    }
    size_t len = 0;
    for (Node* n = head; n; n = Traits::Next(n)) ++len;
    size_t pick = rng() % len;
    Node* n = head;
    while (pick--) n = Traits::Next(n);
    return n;
  }

  // Moves up to `buckets` buckets to the new table. Returns true if rehashing remains.
  bool Rehash(size_t buckets) {
    if (!rehashing()) return false;
    size_t empty_visits = buckets * 10;
    auto& from = table_[0];
    auto& to = table_[1];
    while (buckets-- && size_t(rehash_idx_) < from.size()) {
      while (from[rehash_idx_] == nullptr) {
        ++rehash_idx_;
        if (size_t(rehash_idx_) >= from.size()) break;
        if (--empty_visits == 0) return true;
      }
      if (size_t(rehash_idx_) >= from.size()) break;
      Node* n = from[rehash_idx_];
      while (n) {
        Node* next = Traits::Next(n);
        Node*& head = to[HashKey(Traits::Key(n)) & (to.size() - 1)];
        Traits::Next(n) = head;
        head = n;
        n = next;
      }
      from[rehash_idx_] = nullptr;
      ++rehash_idx_;
    }
    if (size_t(rehash_idx_) >= from.size()) {
      table_[0] = std::move(table_[1]);
      table_[1] = {};
      rehash_idx_ = -1;
      return false;
    }
    return true;
  }

  // Starts shrinking when the table is mostly empty (called from the server's cron, as Redis's
  // tryResizeHashTables, because shrinking on delete would thrash).
  void ShrinkIfNeeded() {
    if (rehashing() || table_[0].size() <= kMinBuckets || !HashTableResizeAllowed()) return;
    if (size_ * 10 < table_[0].size()) StartResize(size_);
  }

  void PauseRehash() { ++pause_rehash_; }
  void ResumeRehash() { --pause_rehash_; }

 private:
  static constexpr size_t kMinBuckets = 4;

  static uint64_t HashKey(std::string_view key) { return HashBytes(key); }

  static uint64_t NextCursor(uint64_t v) {
    v = ReverseBits(v);
    ++v;
    return ReverseBits(v);
  }

  static uint64_t ReverseBits(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
  }

  template <typename F>
  static void EmitBucket(Node* head, F& fn) {
    for (Node* n = head; n;) {
      Node* next = Traits::Next(n);
      fn(n);
      n = next;
    }
  }

  bool ResizeAllowed() const {
    return HashTableResizeAllowed() || size_ > table_[0].size() * kForceResizeRatio;
  }

  void RehashStep() {
    if (pause_rehash_ == 0 && rehashing() && ResizeAllowed()) Rehash(1);
  }

  void ExpandIfNeeded() {
    if (rehashing()) return;
    if (table_[0].empty()) {
      table_[0].assign(kMinBuckets, nullptr);
      return;
    }
    if (size_ >= table_[0].size() && ResizeAllowed()) StartResize(size_ + 1);
  }

  void StartResize(size_t min_size) {
    size_t n = kMinBuckets;
    while (n < min_size) n <<= 1;
    if (n == table_[0].size()) return;
    table_[1].assign(n, nullptr);
    rehash_idx_ = 0;
    if (size_ == 0) Rehash(table_[0].size());
  }

  std::vector<Node*> table_[2];
  size_t size_ = 0;
  int64_t rehash_idx_ = -1;
  int pause_rehash_ = 0;
};

}  // namespace ember
