// The RDB encodings of hashes (rdb_types.h).
//
// Written as Redis 7.0 writes them: HASH_LISTPACK (the listpack blob as one string) for the
// listpack encoding, HASH (the number of fields, then field and value strings) for the hashtable.
//
// Read: HASH (4), HASH_ZIPMAP (9, Redis < 2.6), HASH_ZIPLIST (13, Redis < 7.0) and
// HASH_LISTPACK (16). Every blob is validated entry by entry before use; an empty hash, an odd
// number of entries and a repeated field are errors. The encoding follows Redis 7.0's loader:
// HASH and HASH_ZIPMAP become a listpack unless the entry count or a field or value length is
// over the limits; HASH_ZIPLIST and HASH_LISTPACK keep the listpack unless the entry count is
// over hash-max-listpack-entries.
#include <algorithm>
#include <memory>
#include <string>
#include <unordered_set>

#include "db/encoding_limits.h"
#include "db/hash_object.h"
#include "ds/listpack.h"
#include "ds/ziplist.h"
#include "ds/zipmap.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_types.h"
#include "persistence/rdb_writer.h"

namespace ember {

namespace {

constexpr const char* kErrEmpty = "Empty hash";
constexpr const char* kErrDuplicate = "Hash with dup elements";

bool OverEntryLimit(size_t fields) {
  return static_cast<int64_t>(fields) > Limits().hash_max_listpack_entries;
}

bool OverValueLimit(size_t len) {
  return static_cast<int64_t>(len) > Limits().hash_max_listpack_value;
}

// HASH: a count, then field and value strings.
bool LoadHashPairs(RdbReader& r, Value* out) {
  uint64_t len;
  if (!r.ReadLen(&len)) return false;
  if (len == 0) return r.Fail(kErrEmpty);

  Value hash = NewHashValue();
  if (OverEntryLimit(len)) HashConvertToHashtable(hash);
  // Repeats are found through a set while the pairs go to a listpack, whose own search is linear.
  std::unordered_set<std::string> listpack_fields;
  std::string field, value;
  for (uint64_t i = 0; i < len; ++i) {
    if (!r.ReadString(&field) || !r.ReadString(&value)) return false;
    const auto* read = hash.As<HashObject>();
    if (read->is_listpack() && (OverValueLimit(field.size()) || OverValueLimit(value.size()))) {
      HashConvertToHashtable(hash);
      read = hash.As<HashObject>();
    }
    const bool repeated = read->is_listpack() ? !listpack_fields.insert(field).second
                                              : read->map().Find(field) != nullptr;
    if (repeated) return r.Fail(kErrDuplicate);
    HashInsertNew(hash, field, value);
  }
  *out = std::move(hash);
  return true;
}

// Fields of a listpack of pairs, checked for repeats (fields compare by their bytes; a listpack
// stores a canonical integer string as an integer, so equal bytes are equal entries).
bool HasDuplicateField(const ListpackView& pairs) {
  std::unordered_set<std::string> seen;
  seen.reserve(pairs.size() / 2);
  for (ListpackView::Pos p = pairs.First(); p != ListpackView::kNoPos;
       p = pairs.Next(pairs.Next(p))) {
    if (!seen.insert(pairs.Get(p).ToString()).second) return true;
  }
  return false;
}

bool LoadHashListpack(RdbReader& r, Value* out) {
  std::string blob;
  if (!r.ReadString(&blob)) return false;
  size_t count = 0;
  if (!Listpack::ValidateIntegrity(blob, /*deep=*/true, &count) || count % 2 != 0) {
    return r.Fail("Hash listpack integrity check failed");
  }
  if (count == 0) return r.Fail(kErrEmpty);
  if (HasDuplicateField(ListpackView(reinterpret_cast<const uint8_t*>(blob.data()), count))) {
    return r.Fail(kErrDuplicate);
  }
  *out = NewHashValueFromListpack(blob, OverEntryLimit(count / 2));
  return true;
}

// HASH_ZIPLIST: converted to a listpack entry by entry, as Redis 7.0 does.
bool LoadHashZiplist(RdbReader& r, Value* out) {
  std::string blob;
  if (!r.ReadString(&blob)) return false;
  size_t count = 0;
  if (!ziplist::ValidateIntegrity(blob, &count) || count % 2 != 0) {
    return r.Fail("Hash ziplist integrity check failed");
  }
  if (count == 0) return r.Fail(kErrEmpty);
  Listpack pairs;
  ziplist::ForEach(blob, [&](const PackedValue& v) {
    if (v.is_int) {
      pairs.AppendInt(v.num);
    } else {
      pairs.Append(v.str);
    }
  });
  if (HasDuplicateField(pairs.View())) return r.Fail(kErrDuplicate);
  *out = NewHashValueFromListpack(pairs.Bytes(), OverEntryLimit(count / 2));
  return true;
}

// HASH_ZIPMAP (Redis 2.x): converted to a listpack, or to a hashtable past either limit.
bool LoadHashZipmap(RdbReader& r, Value* out) {
  std::string blob;
  if (!r.ReadString(&blob)) return false;
  size_t count = 0;
  if (!zipmap::ValidateIntegrity(blob, &count)) return r.Fail("Hash zipmap integrity check failed");
  if (count == 0) return r.Fail(kErrEmpty);
  Listpack pairs;
  size_t max_len = 0;
  zipmap::ForEach(blob, [&](std::string_view field, std::string_view value) {
    pairs.Append(field);
    pairs.Append(value);
    max_len = std::max({max_len, field.size(), value.size()});
  });
  if (HasDuplicateField(pairs.View())) return r.Fail(kErrDuplicate);
  *out = NewHashValueFromListpack(pairs.Bytes(), OverEntryLimit(count) || OverValueLimit(max_len));
  return true;
}

}  // namespace

bool SaveHashPayload(RdbWriter& w, const Value& value) {
  const auto* hash = value.As<HashObject>();
  if (hash->is_listpack()) return w.SaveString(hash->listpack().Bytes());
  w.SaveLen(hash->size());
  hash->map().ForEach([&](const StringMapEntry* e) {
    w.SaveString(e->field());
    w.SaveString(e->value());
  });
  return w.ok();
}

bool LoadHash(RdbReader& r, uint8_t type, Value* out) {
  switch (type) {
    case rdb::kTypeHash: return LoadHashPairs(r, out);
    case rdb::kTypeHashListpack: return LoadHashListpack(r, out);
    case rdb::kTypeHashZiplist: return LoadHashZiplist(r, out);
    case rdb::kTypeHashZipmap: return LoadHashZipmap(r, out);
    default: return r.Fail("RDB object type " + std::to_string(type) + " is not a hash");
  }
}

}  // namespace ember
