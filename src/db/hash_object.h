// HashObject: the value of a hash key, in one of Redis's two encodings.
//
//   listpack   field, value, field, value, ... in one Listpack blob (insertion order), while the
//              hash has at most hash-max-listpack-entries fields and every field and value is at
//              most hash-max-listpack-value bytes.
//   hashtable  a StringMap (one allocation per field), once either limit is passed.
//
// The conversion is one-way, as in Redis: deleting fields never turns a hashtable back into a
// listpack (the RDB loader chooses afresh by the same limits).
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
#include "ds/listpack.h"
#include "ds/string_map.h"

namespace ember {

class HashObject final : public Object {
 public:
  // An empty hash in the listpack encoding.
  HashObject() = default;
  // A hash over a listpack of field/value pairs. REQUIRES: a valid listpack with an even number
  // of entries and no duplicate field.
  explicit HashObject(Listpack pairs) : listpack_(std::move(pairs)) {}
  // A hash over a map (hashtable encoding). REQUIRES: map != nullptr.
  explicit HashObject(std::unique_ptr<StringMap> map) : map_(std::move(map)) {}

  ObjectEncoding encoding() const override {
    return map_ ? ObjectEncoding::kHashtable : ObjectEncoding::kListpack;
  }
  size_t size() const override { return map_ ? map_->size() : listpack_.size() / 2; }
  size_t MallocSize() const override;
  std::unique_ptr<Object> Clone() const override;
  void AddToDigest(Digest& digest) const override;

  bool is_listpack() const { return !map_; }
  // REQUIRES: is_listpack().
  const Listpack& listpack() const { return listpack_; }
  // REQUIRES: !is_listpack().
  StringMap& map() const { return *map_; }

  // The value of `field` (viewing into the hash: valid until it changes), or nullopt.
  std::optional<PackedValue> Get(std::string_view field) const;
  bool Contains(std::string_view field) const { return Get(field).has_value(); }

  // Sets `field` to `value`, first converting to the hashtable encoding when either is longer
  // than hash-max-listpack-value, and after inserting when the listpack holds more than
  // hash-max-listpack-entries fields, also after an update (Redis's hashTypeSet). Returns true
  // if the field is new.
  bool Set(std::string_view field, std::string_view value);
  // Adds a field known to be absent (the RDB loader, which checks for repeats itself), converting
  // by the limits as Set does. REQUIRES: !Contains(field).
  void InsertNew(std::string_view field, std::string_view value);
  // Removes `field`; returns whether it was there.
  bool Delete(std::string_view field);

  // Redis's hashTypeTryConversion: converts a listpack hash to the hashtable encoding before a
  // command adds `args` (fields and values) when one is longer than hash-max-listpack-value or
  // their sum would take the listpack past its safe size.
  void ConvertIfArgsTooLong(std::span<const std::string_view> args);
  // Converts a listpack hash to the hashtable encoding (no-op if already there).
  void ConvertToHashtable();

  // Calls fn(PackedValue field, PackedValue value) for every field: the listpack in insertion
  // order, the hashtable in bucket order. `fn` must not modify the hash.
  template <typename F>
  void ForEach(F&& fn) const {
    if (map_) {
      map_->ForEach([&](const StringMapEntry* e) {
        fn(PackedValue::Str(e->field()), PackedValue::Str(e->value()));
      });
      return;
    }
    for (Listpack::Pos p = listpack_.First(); p != Listpack::kNoPos;) {
      Listpack::Pos v = listpack_.Next(p);
      fn(listpack_.Get(p), listpack_.Get(v));
      p = listpack_.Next(v);
    }
  }

  // A uniformly chosen field with its value. REQUIRES: size() > 0.
  std::pair<PackedValue, PackedValue> RandomPair(std::mt19937_64& rng) const;

 private:
  void ConvertIfPairTooLong(std::string_view field, std::string_view value);
  void AppendToListpack(std::string_view field, std::string_view value);
  void ConvertIfTooManyEntries();

  Listpack listpack_;                // the pairs while in the listpack encoding
  std::unique_ptr<StringMap> map_;   // set once in the hashtable encoding
};

// A PackedValue as bytes: integers are formatted into `scratch` (21 bytes).
std::string_view PackedBytes(const PackedValue& v, char* scratch);

}  // namespace ember
