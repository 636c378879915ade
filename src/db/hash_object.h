// Hash values, in one of Redis's two encodings.
//
//   listpack   field, value, field, value, ... in one Listpack blob (insertion order), while the
//              hash has at most hash-max-listpack-entries fields and every field and value is at
//              most hash-max-listpack-value bytes. The blob lives in the object's own allocation
//              (vtable + blob, one block, like IntsetSet), so a small hash costs no more than
//              Redis's robj + listpack.
//   hashtable  a StringMap (one allocation per field), once either limit is passed.
//
// The conversion is one-way, as in Redis: deleting fields never turns a hashtable back into a
// listpack (the RDB loader chooses afresh by the same limits).
//
// Reads go through HashObject (value.As<HashObject>()). Changes go through the free functions
// below, which take the Value: a listpack that outgrows its block, or converts, is replaced by a
// new object, so pointers to the object do not survive them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "db/object.h"
#include "db/packed_object.h"
#include "db/value.h"
#include "ds/listpack.h"
#include "ds/string_map.h"

namespace ember {

// What both encodings answer; the concrete classes are ListpackHash and HashtableHash.
class HashObject : public Object {
 public:
  bool is_listpack() const { return encoding() == ObjectEncoding::kListpack; }
  // The pairs. REQUIRES: is_listpack().
  ListpackView listpack() const;
  // REQUIRES: !is_listpack().
  StringMap& map() const;

  // The value of `field` (viewing into the hash: valid until it changes), or nullopt.
  std::optional<PackedValue> Get(std::string_view field) const;
  bool Contains(std::string_view field) const { return Get(field).has_value(); }

  // Calls fn(PackedValue field, PackedValue value) for every field: the listpack in insertion
  // order, the hashtable in bucket order. `fn` must not modify the hash.
  template <typename F>
  void ForEach(F&& fn) const {
    if (!is_listpack()) {
      map().ForEach([&](const StringMapEntry* e) {
        fn(PackedValue::Str(e->field()), PackedValue::Str(e->value()));
      });
      return;
    }
    const ListpackView pairs = listpack();
    for (ListpackView::Pos p = pairs.First(); p != ListpackView::kNoPos;) {
      ListpackView::Pos v = pairs.Next(p);
      fn(pairs.Get(p), pairs.Get(v));
      p = pairs.Next(v);
    }
  }

  // A uniformly chosen field with its value. REQUIRES: size() > 0.
  std::pair<PackedValue, PackedValue> RandomPair(std::mt19937_64& rng) const;
  void AddToDigest(Digest& digest) const override;
};

// The listpack form: the pairs in the object's own block (db/packed_object.h).
class ListpackHash final : public PackedObject<ListpackHash, HashObject> {
 public:
  // FromBytes(pairs) REQUIRES: a valid listpack with an even number of entries and no
  // duplicate field.
  static std::unique_ptr<ListpackHash> Empty() { return FromBytes(kEmptyListpackBytes); }

  ObjectEncoding encoding() const override { return ObjectEncoding::kListpack; }
  size_t size() const override { return pairs().size() / 2; }
  ListpackView pairs() const { return listpack(); }

 private:
  friend class PackedObject<ListpackHash, HashObject>;
  ListpackHash() = default;
};

class HashtableHash final : public HashObject {
 public:
  ObjectEncoding encoding() const override { return ObjectEncoding::kHashtable; }
  size_t size() const override { return map_.size(); }
  size_t MallocSize() const override;
  std::unique_ptr<Object> Clone() const override;

  StringMap& map() const { return map_; }

 private:
  mutable StringMap map_;  // HashObject::map() hands it out from const reads, as before
};

// ---------------------------------------------------------------------------------------------
// Changing a hash (REQUIRES: `hash` is a Value of ValueType::kHash)
// ---------------------------------------------------------------------------------------------

// An empty hash in the listpack encoding.
Value NewHashValue();
// A hash over a copy of the listpack `pairs` (see ListpackHash::FromBytes), converted to the
// hashtable encoding when `convert`.
Value NewHashValueFromListpack(std::string_view pairs, bool convert);

// Sets `field` to `value`, first converting to the hashtable encoding when either is longer
// than hash-max-listpack-value, and after inserting when the listpack holds more than
// hash-max-listpack-entries fields, also after an update (Redis's hashTypeSet). Returns true
// if the field is new.
bool HashSet(Value& hash, std::string_view field, std::string_view value);
// Adds a field known to be absent (the RDB loader, which checks for repeats itself), converting
// by the limits as HashSet does. REQUIRES: the field is absent.
void HashInsertNew(Value& hash, std::string_view field, std::string_view value);
// Removes `field`; returns whether it was there. The caller deletes the key of an emptied hash.
bool HashDelete(Value& hash, std::string_view field);

// Redis's hashTypeTryConversion: converts a listpack hash to the hashtable encoding before a
// command adds `args` (fields and values) when one is longer than hash-max-listpack-value or
// their sum would take the listpack past its safe size.
void HashConvertIfArgsTooLong(Value& hash, std::span<const std::string_view> args);
// Converts a listpack hash to the hashtable encoding (no-op if already there).
void HashConvertToHashtable(Value& hash);

// A PackedValue as bytes: integers are formatted into `scratch` (21 bytes).
std::string_view PackedBytes(const PackedValue& v, char* scratch);

}  // namespace ember
