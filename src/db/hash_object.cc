#include "db/hash_object.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

#include "common/memory.h"
#include "common/strings.h"
#include "db/encoding_limits.h"

namespace ember {

namespace {

// Redis's LISTPACK_MAX_SAFETY_SIZE: a listpack never grows past 1 GB, whatever the limits say.
constexpr size_t kListpackSafeBytes = size_t{1} << 30;

bool TooLongForListpack(size_t len) {
  return static_cast<int64_t>(len) > Limits().hash_max_listpack_value;
}

}  // namespace

std::string_view PackedBytes(const PackedValue& v, char* scratch) {
  if (!v.is_int) return v.str;
  return {scratch, FormatInt64(v.num, scratch)};
}

// ---------------------------------------------------------------------------------------------
// HashObject
// ---------------------------------------------------------------------------------------------

ListpackView HashObject::listpack() const { return static_cast<const ListpackHash*>(this)->pairs(); }

StringMap& HashObject::map() const { return static_cast<const HashtableHash*>(this)->map(); }

// Redis's xorObjectDigest for hashes: each field and its value are mixed into a digest of their
// own, and those are xored together, so the order of the fields does not matter.
void HashObject::AddToDigest(Digest& digest) const {
  ForEach([&](const PackedValue& field, const PackedValue& value) {
    char scratch[21];
    Digest pair{};
    MixDigest(pair, PackedBytes(field, scratch));
    MixDigest(pair, PackedBytes(value, scratch));
    XorDigest(digest, pair.data(), pair.size());
  });
}

std::optional<PackedValue> HashObject::Get(std::string_view field) const {
  if (!is_listpack()) {
    const StringMapEntry* e = map().Find(field);
    if (!e) return std::nullopt;
    return PackedValue::Str(e->value());
  }
  const ListpackView pairs = listpack();
  ListpackView::Pos p = pairs.Find(field, pairs.First(), /*skip=*/1);
  if (p == ListpackView::kNoPos) return std::nullopt;
  return pairs.Get(pairs.Next(p));
}

std::pair<PackedValue, PackedValue> HashObject::RandomPair(std::mt19937_64& rng) const {
  if (!is_listpack()) {
    const StringMapEntry* e = map().Random(rng);
    return {PackedValue::Str(e->field()), PackedValue::Str(e->value())};
  }
  const ListpackView pairs = listpack();
  ListpackView::Pos p = pairs.Seek(static_cast<int64_t>(2 * (rng() % size())));
  return {pairs.Get(p), pairs.Get(pairs.Next(p))};
}

// ---------------------------------------------------------------------------------------------
// HashtableHash
// ---------------------------------------------------------------------------------------------

size_t HashtableHash::MallocSize() const { return MemUsableSize(this) + map_.AllocatedBytes(); }

std::unique_ptr<Object> HashtableHash::Clone() const {
  auto copy = std::make_unique<HashtableHash>();
  map_.ForEach([&](const StringMapEntry* e) { copy->map_.InsertNew(e->field(), e->value()); });
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Changing a hash
// ---------------------------------------------------------------------------------------------

namespace {

bool IsListpack(const Value& hash) {
  return hash.object()->encoding() == ObjectEncoding::kListpack;
}

// Runs edit(ListpackEditor&) on the pairs of a listpack hash.
template <typename F>
auto EditPairs(Value& hash, F&& edit) {
  return EditPacked<ListpackHash>(hash, std::forward<F>(edit));
}

void ConvertIfPairTooLong(Value& hash, std::string_view field, std::string_view value) {
  if (IsListpack(hash) &&
      (TooLongForListpack(field.size()) || TooLongForListpack(value.size()) ||
       hash.As<ListpackHash>()->pairs().TotalBytes() + field.size() + value.size() >
           kListpackSafeBytes)) {
    HashConvertToHashtable(hash);
  }
}

// After any change, even an update: the limit may have been lowered since the hash was built.
void ConvertIfTooManyEntries(Value& hash) {
  if (static_cast<int64_t>(hash.object()->size()) > Limits().hash_max_listpack_entries) {
    HashConvertToHashtable(hash);
  }
}

void AppendPair(Value& hash, std::string_view field, std::string_view value) {
  EditPairs(hash, [&](ListpackEditor& pairs) {
    pairs.Append(field);
    pairs.Append(value);
  });
  ConvertIfTooManyEntries(hash);
}

}  // namespace

Value NewHashValue() { return Value::FromObject(ValueType::kHash, ListpackHash::Empty()); }

Value NewHashValueFromListpack(std::string_view pairs, bool convert) {
  Value hash = Value::FromObject(ValueType::kHash, ListpackHash::FromBytes(pairs));
  if (convert) HashConvertToHashtable(hash);
  return hash;
}

bool HashSet(Value& hash, std::string_view field, std::string_view value) {
  ConvertIfPairTooLong(hash, field, value);
  if (!IsListpack(hash)) return hash.As<HashObject>()->map().Set(field, value);

  const bool updated = EditPairs(hash, [&](ListpackEditor& pairs) {
    ListpackView::Pos p = pairs.Find(field, pairs.First(), /*skip=*/1);
    if (p == ListpackView::kNoPos) return false;
    pairs.Replace(pairs.Next(p), value);
    return true;
  });
  if (updated) {
    ConvertIfTooManyEntries(hash);
    return false;
  }
  AppendPair(hash, field, value);
  return true;
}

void HashInsertNew(Value& hash, std::string_view field, std::string_view value) {
  ConvertIfPairTooLong(hash, field, value);
  if (!IsListpack(hash)) return hash.As<HashObject>()->map().InsertNew(field, value);
  AppendPair(hash, field, value);
}

bool HashDelete(Value& hash, std::string_view field) {
  if (!IsListpack(hash)) return hash.As<HashObject>()->map().Delete(field);
  return EditPairs(hash, [&](ListpackEditor& pairs) {
    ListpackView::Pos p = pairs.Find(field, pairs.First(), /*skip=*/1);
    if (p == ListpackView::kNoPos) return false;
    pairs.Delete(p, 2);
    return true;
  });
}

void HashConvertIfArgsTooLong(Value& hash, std::span<const std::string_view> args) {
  if (!IsListpack(hash)) return;
  size_t sum = 0;
  for (std::string_view a : args) {
    if (TooLongForListpack(a.size())) return HashConvertToHashtable(hash);
    sum += a.size();
  }
  if (hash.As<ListpackHash>()->pairs().TotalBytes() + sum > kListpackSafeBytes) {
    HashConvertToHashtable(hash);
  }
}

void HashConvertToHashtable(Value& hash) {
  if (!IsListpack(hash)) return;
  auto table = std::make_unique<HashtableHash>();
  hash.As<HashObject>()->ForEach([&](const PackedValue& field, const PackedValue& value) {
    char f[21], v[21];
    table->map().InsertNew(PackedBytes(field, f), PackedBytes(value, v));
  });
  hash = Value::FromObject(ValueType::kHash, std::move(table));
}

}  // namespace ember
