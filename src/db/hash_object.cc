#include "db/hash_object.h"

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

size_t HashObject::MallocSize() const {
  size_t n = MemUsableSize(this) + listpack_.MallocSize();
  if (map_) n += MemUsableSize(map_.get()) + map_->AllocatedBytes();
  return n;
}

std::unique_ptr<Object> HashObject::Clone() const {
  if (!map_) return std::make_unique<HashObject>(Listpack::FromBytes(listpack_.Bytes()));
  auto copy = std::make_unique<StringMap>();
  map_->ForEach([&](const StringMapEntry* e) { copy->InsertNew(e->field(), e->value()); });
  return std::make_unique<HashObject>(std::move(copy));
}

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
  if (map_) {
    const StringMapEntry* e = map_->Find(field);
    if (!e) return std::nullopt;
    return PackedValue::Str(e->value());
  }
  Listpack::Pos p = listpack_.Find(field, listpack_.First(), /*skip=*/1);
  if (p == Listpack::kNoPos) return std::nullopt;
  return listpack_.Get(listpack_.Next(p));
}

void HashObject::ConvertIfPairTooLong(std::string_view field, std::string_view value) {
  if (!map_ && (TooLongForListpack(field.size()) || TooLongForListpack(value.size()) ||
                listpack_.ByteSize() + field.size() + value.size() > kListpackSafeBytes)) {
    ConvertToHashtable();
  }
}

// After any change, even an update: the limit may have been lowered since the hash was built.
void HashObject::ConvertIfTooManyEntries() {
  if (static_cast<int64_t>(size()) > Limits().hash_max_listpack_entries) ConvertToHashtable();
}

void HashObject::AppendToListpack(std::string_view field, std::string_view value) {
  listpack_.Append(field);
  listpack_.Append(value);
  ConvertIfTooManyEntries();
}

bool HashObject::Set(std::string_view field, std::string_view value) {
  ConvertIfPairTooLong(field, value);
  if (map_) return map_->Set(field, value);

  Listpack::Pos p = listpack_.Find(field, listpack_.First(), /*skip=*/1);
  if (p != Listpack::kNoPos) {
    listpack_.Replace(listpack_.Next(p), value);
    ConvertIfTooManyEntries();
    return false;
  }
  AppendToListpack(field, value);
  return true;
}

void HashObject::InsertNew(std::string_view field, std::string_view value) {
  ConvertIfPairTooLong(field, value);
  if (map_) return map_->InsertNew(field, value);
  AppendToListpack(field, value);
}

bool HashObject::Delete(std::string_view field) {
  if (map_) return map_->Delete(field);
  Listpack::Pos p = listpack_.Find(field, listpack_.First(), /*skip=*/1);
  if (p == Listpack::kNoPos) return false;
  listpack_.Delete(p, 2);
  return true;
}

void HashObject::ConvertIfArgsTooLong(std::span<const std::string_view> args) {
  if (map_) return;
  size_t sum = 0;
  for (std::string_view a : args) {
    if (TooLongForListpack(a.size())) return ConvertToHashtable();
    sum += a.size();
  }
  if (listpack_.ByteSize() + sum > kListpackSafeBytes) ConvertToHashtable();
}

void HashObject::ConvertToHashtable() {
  if (map_) return;
  auto map = std::make_unique<StringMap>();
  ForEach([&](const PackedValue& field, const PackedValue& value) {
    char f[21], v[21];
    map->InsertNew(PackedBytes(field, f), PackedBytes(value, v));
  });
  map_ = std::move(map);
  listpack_ = Listpack();
}

std::pair<PackedValue, PackedValue> HashObject::RandomPair(std::mt19937_64& rng) const {
  if (map_) {
    const StringMapEntry* e = map_->Random(rng);
    return {PackedValue::Str(e->field()), PackedValue::Str(e->value())};
  }
  Listpack::Pos p = listpack_.Seek(static_cast<int64_t>(2 * (rng() % size())));
  return {listpack_.Get(p), listpack_.Get(listpack_.Next(p))};
}

}  // namespace ember
