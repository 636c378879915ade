// Set values in Redis 7.0's two encodings:
//   "intset"    every member is an integer (Redis's string2ll rule) and there are at most
//               set-max-intset-entries of them: Redis's intset blob, stored inside the object's
//               own allocation (vtable + blob, one block; Redis needs a robj plus the blob);
//   "hashtable" anything else: a StringSet (ds/string_set.h), one allocation per member.
// Conversion is one way, intset -> hashtable, when a non-integer arrives or the intset grows past
// the limit, as Redis does (7.0 has no listpack sets).
//
// Commands, the RDB code and tests use the free functions below, Redis's setType* API, which work
// on a Value of ValueType::kSet whatever its encoding. Mutators take the Value itself because an
// intset that outgrows its allocation, or converts, is replaced by a new object: pointers to the
// object do not survive SetAdd/SetRemove.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "db/object.h"
#include "db/value.h"
#include "ds/string_set.h"

namespace ember {

// ---------------------------------------------------------------------------------------------
// The encodings
// ---------------------------------------------------------------------------------------------

// The intset form. The object is sizeof(IntsetSet) bytes followed by the Redis intset blob
//   <width u32 = 2|4|8> <count u32> <count values, ascending, little endian>
// in one MemAlloc'd block whose usable size is the capacity; it is created only by the factories.
class IntsetSet final : public Object {
 public:
  // An intset holding `blob`. REQUIRES: Intset::ValidateIntegrity(blob, /*deep=*/true), or the
  // 8-byte empty header.
  static std::unique_ptr<IntsetSet> FromBlob(std::string_view blob);
  static std::unique_ptr<IntsetSet> Empty();

  // Allocated by the factories with MemAlloc; freed here, whatever deletes it.
  static void* operator new(size_t, void* where) { return where; }
  static void operator delete(void* p) { FreeBlock(p); }

  ObjectEncoding encoding() const override { return ObjectEncoding::kIntset; }
  size_t MallocSize() const override;
  size_t FreeEffort() const override { return 1; }  // one block
  std::unique_ptr<Object> Clone() const override;
  void AddToDigest(Digest& digest) const override;
  size_t size() const override;

  // The serialized intset, as RDB files and DUMP payloads store it.
  std::string_view Bytes() const;
  uint32_t width() const;
  // REQUIRES: i < size().
  int64_t Get(size_t i) const;
  bool Contains(int64_t v) const;

  // Blob bytes the intset needs once `v` (absent) is added: the width may have to grow.
  size_t BytesAfterAdding(int64_t v) const;
  // Bytes the allocation can hold for the blob.
  size_t Capacity() const;
  // A copy whose allocation holds at least `min_blob_bytes` of blob.
  std::unique_ptr<IntsetSet> CopyWithCapacity(size_t min_blob_bytes) const;
  // Inserts an absent `v` in order, widening every value first if `v` needs it.
  // REQUIRES: !Contains(v) and BytesAfterAdding(v) <= Capacity().
  void InsertInPlace(int64_t v);
  // False if `v` was absent. The width never shrinks (as Redis).
  bool Remove(int64_t v);

 private:
  IntsetSet() = default;
  static void FreeBlock(void* p);
  static std::unique_ptr<IntsetSet> Allocate(size_t blob_bytes);
  uint8_t* blob();
  const uint8_t* blob() const;
  // Binary search: true and the index when present, else false and the insertion index.
  bool Find(int64_t v, size_t* index) const;
};

class HashtableSet final : public Object {
 public:
  ObjectEncoding encoding() const override { return ObjectEncoding::kHashtable; }
  size_t MallocSize() const override;
  std::unique_ptr<Object> Clone() const override;
  void AddToDigest(Digest& digest) const override;
  size_t size() const override { return members_.size(); }

  StringSet& members() { return members_; }
  const StringSet& members() const { return members_; }

 private:
  StringSet members_;
};

// ---------------------------------------------------------------------------------------------
// The set API (REQUIRES: `set` is a Value of ValueType::kSet)
// ---------------------------------------------------------------------------------------------

// An empty set that can hold `first_member`: intset for an integer, else hashtable (Redis's
// setTypeCreate). The caller adds the member.
Value NewSetFor(std::string_view first_member);
// An empty intset: the starting point of the SINTERSTORE/SUNIONSTORE/SDIFFSTORE result, which
// then converts exactly as Redis's does while members are added.
Value NewIntsetSetValue();
// An empty hashtable set.
Value NewHashtableSetValue();

// set-max-intset-entries, capped at 2^30 as Redis caps it (intset internals).
size_t SetMaxIntsetEntries();

size_t SetSize(const Value& set);
bool SetIsMember(Value& set, std::string_view member);
// Adds `member`, converting to hashtable when Redis would. False if it was already present.
bool SetAdd(Value& set, std::string_view member);
// False if `member` was absent. The caller deletes the key of a set that became empty.
bool SetRemove(Value& set, std::string_view member);
// Converts an intset to a hashtable (a no-op for a hashtable).
void SetConvertToHashtable(Value& set);

// Calls fn(std::string_view) for every member, integers in base 10, in the encoding's order
// (ascending for an intset). `fn` must not modify the set.
template <typename F>
void SetForEach(const Value& set, F&& fn);

// A random member into *out (uniform for an intset; bucket-then-chain for a hashtable, as
// Redis's dictGetFairRandomKey approximates). REQUIRES: SetSize(set) > 0.
void SetRandomMember(Value& set, std::mt19937_64& rng, std::string* out);

// One SSCAN step: an intset returns everything and cursor 0, as Redis's scanGenericCommand does
// for compact encodings; a hashtable visits the buckets at `cursor`. Returns the next cursor.
template <typename F>
uint64_t SetScan(Value& set, uint64_t cursor, F&& fn);

// ---- template definitions ----

namespace set_internal {
// Base-10 form of v into buf (at least 21 bytes).
std::string_view FormatMember(int64_t v, char* buf);
}  // namespace set_internal

template <typename F>
void SetForEach(const Value& set, F&& fn) {
  const Object* obj = set.object();
  if (obj->encoding() == ObjectEncoding::kIntset) {
    const auto* is = static_cast<const IntsetSet*>(obj);
    char buf[24];
    for (size_t i = 0, n = is->size(); i < n; ++i) fn(set_internal::FormatMember(is->Get(i), buf));
  } else {
    static_cast<const HashtableSet*>(obj)->members().ForEach(fn);
  }
}

template <typename F>
uint64_t SetScan(Value& set, uint64_t cursor, F&& fn) {
  if (set.object()->encoding() == ObjectEncoding::kIntset) {
    SetForEach(set, fn);
    return 0;
  }
  return set.As<HashtableSet>()->members().Scan(cursor, fn);
}

}  // namespace ember
