// StringSet: a set of binary-safe strings for the scalable ("hashtable") encoding of Redis sets.
//
// Each member is one allocation holding the chain link, a short length header and the bytes
// inline (Redis needs a dictEntry plus an sds string per member: two allocations, ~48 bytes for
// a short member; here a member of up to 15 bytes takes one 24-byte block). The table is
// ds/HashTable, so it resizes incrementally, SCAN keeps Redis's guarantees and random members
// come from HashTable::Random.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>

#include "ds/hash_table.h"

namespace ember {

struct StringSetNode {
  StringSetNode* next;
  // A one-byte length (0..254), or 255 followed by a 4-byte little-endian length, then the
  // member's bytes.
  unsigned char header_and_bytes[];

  std::string_view member() const;
};

struct StringSetNodeTraits {
  static std::string_view Key(const StringSetNode* n) { return n->member(); }
  static StringSetNode*& Next(StringSetNode* n) { return n->next; }
};

class StringSet {
 public:
  StringSet() = default;
  ~StringSet();
  StringSet(StringSet&& o) noexcept;
  StringSet& operator=(StringSet&& o) noexcept;
  StringSet(const StringSet&) = delete;
  StringSet& operator=(const StringSet&) = delete;

  size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }

  // False if `member` was already present.
  bool Add(std::string_view member);
  // Inserts a member the caller knows is absent (conversions, copies, trusted loads).
  void AddNew(std::string_view member);
  // False if `member` was not present. Starts shrinking the table when it became mostly empty,
  // as Redis does after removing a set member.
  bool Remove(std::string_view member);
  // Not const: a lookup moves the incremental rehash one step, as every table operation does.
  bool Contains(std::string_view member) { return table_.Find(member) != nullptr; }

  // A random member (uniform over buckets, then over the chain). REQUIRES: !empty(). The view is
  // valid until the member is removed.
  std::string_view Random(std::mt19937_64& rng) { return table_.Random(rng)->member(); }

  // Calls fn(std::string_view) for every member. `fn` must not modify the set.
  template <typename F>
  void ForEach(F&& fn) const {
    table_.ForEach([&](const StringSetNode* n) { fn(n->member()); });
  }

  // One SCAN step with Redis's cursor guarantees; returns the next cursor (0: done).
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) {
    return table_.Scan(cursor, [&](const StringSetNode* n) { fn(n->member()); });
  }

  // Heap bytes held by the members and the bucket arrays (not the StringSet itself).
  size_t MallocSize() const { return member_bytes_ + table_.bucket_bytes(); }

 private:
  static StringSetNode* NewNode(std::string_view member);
  void FreeNode(StringSetNode* n);
  void FreeAll();

  HashTable<StringSetNode, StringSetNodeTraits> table_;
  size_t member_bytes_ = 0;  // usable bytes of every node's allocation
};

}  // namespace ember
