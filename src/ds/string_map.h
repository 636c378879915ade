// StringMap: a map from binary-safe strings to strings, the scalable form of a hash (Redis's
// OBJ_ENCODING_HT dict with sds fields and values).
//
// Each field lives in exactly one allocation holding the chain link, both lengths, the field
// bytes and the value bytes (where Redis spends a dictEntry and two sds strings). Replacing a
// value re-uses the allocation when the new value fits in its usable size and re-allocates the
// entry otherwise. The entries are linked into an intrusive HashTable, which rehashes
// incrementally, scans with Redis's reverse-binary cursor and samples random entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>

#include "ds/hash_table.h"

namespace ember {

struct StringMapEntry {
  StringMapEntry* next;
  uint32_t field_len;
  uint32_t value_len;
  char data[];  // field bytes, then value bytes

  std::string_view field() const { return {data, field_len}; }
  std::string_view value() const { return {data + field_len, value_len}; }
};

class StringMap {
 public:
  StringMap() = default;
  ~StringMap();
  StringMap(const StringMap&) = delete;
  StringMap& operator=(const StringMap&) = delete;

  size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }

  // The entry for `field`, or nullptr. The entry stays valid until the map is modified.
  const StringMapEntry* Find(std::string_view field) { return table_.Find(field); }

  // Sets `field` to `value`, inserting the field if absent. Returns true if it was inserted.
  bool Set(std::string_view field, std::string_view value);
  // Inserts a field known to be absent (loading, conversion). REQUIRES: Find(field) == nullptr.
  void InsertNew(std::string_view field, std::string_view value);
  // Removes `field`; returns whether it was present.
  bool Delete(std::string_view field);

  // Calls fn(const StringMapEntry*) for every entry. `fn` must not modify the map.
  template <typename F>
  void ForEach(F&& fn) const {
    table_.ForEach([&](StringMapEntry* e) { fn(static_cast<const StringMapEntry*>(e)); });
  }
  // One SCAN step over the buckets at `cursor` (HashTable::Scan); returns the next cursor.
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) {
    return table_.Scan(cursor, [&](StringMapEntry* e) { fn(static_cast<const StringMapEntry*>(e)); });
  }
  // A random entry, or nullptr when empty.
  const StringMapEntry* Random(std::mt19937_64& rng) { return table_.Random(rng); }

  // Moves rehashing along (the server's cron) and starts shrinking a mostly empty table.
  bool Rehash(size_t buckets) { return table_.Rehash(buckets); }
  void ShrinkIfNeeded() { table_.ShrinkIfNeeded(); }

  // Heap bytes held by the entries and the bucket arrays (the map object itself excluded).
  size_t AllocatedBytes() const { return entry_bytes_ + table_.bucket_bytes(); }

 private:
  struct Traits {
    static std::string_view Key(const StringMapEntry* e) { return e->field(); }
    static StringMapEntry*& Next(StringMapEntry* e) { return e->next; }
  };

  StringMapEntry* NewEntry(std::string_view field, std::string_view value);
  void FreeEntry(StringMapEntry* e);

  HashTable<StringMapEntry, Traits> table_;
  size_t entry_bytes_ = 0;  // usable bytes of every entry allocation
};

}  // namespace ember
