// The RDB encodings of sets (rdb_types.h).
//
// Written as Redis 7.0 writes them: an intset as SET_INTSET (the blob as one string), a hashtable
// as SET (the member count, then each member as a string). Read: SET (2), SET_INTSET (11) and
// Redis 7.2's SET_LISTPACK (20). Every blob is validated deeply before use; an empty set or a
// duplicate member is an error; the result takes the encoding the current set-max-intset-entries
// calls for (7.0 has no listpack sets, so a 7.2 listpack set becomes an intset or a hashtable).
#include <string>

#include "db/set_object.h"
#include "ds/intset.h"
#include "ds/listpack.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_types.h"
#include "persistence/rdb_writer.h"

namespace ember {

namespace {

// SET: a count, then the members as strings.
bool LoadStringsSet(RdbReader& r, Value* out) {
  uint64_t count;
  if (!r.ReadLen(&count)) return false;
  if (count == 0) return r.Fail("empty set");
  // As Redis: start as an intset unless the count alone already rules it out.
  Value set = count > SetMaxIntsetEntries() ? NewHashtableSetValue() : NewIntsetSetValue();
  std::string member;
  for (uint64_t i = 0; i < count; ++i) {
    if (!r.ReadString(&member)) return false;
    if (!SetAdd(set, member)) return r.Fail("duplicate set member");
  }
  *out = std::move(set);
  return true;
}

// SET_INTSET: the intset blob as one string.
bool LoadIntsetSet(RdbReader& r, Value* out) {
  std::string blob;
  if (!r.ReadString(&blob)) return false;
  // Deep validation also rejects an empty intset and duplicates (values must strictly ascend).
  if (!Intset::ValidateIntegrity(blob, /*deep=*/true)) {
    return r.Fail("intset integrity check failed");
  }
  Value set = Value::FromObject(ValueType::kSet, IntsetSet::FromBlob(blob));
  if (SetSize(set) > SetMaxIntsetEntries()) SetConvertToHashtable(set);
  *out = std::move(set);
  return true;
}

// SET_LISTPACK (Redis 7.2): the members as one listpack.
bool LoadListpackSet(RdbReader& r, Value* out) {
  std::string blob;
  if (!r.ReadString(&blob)) return false;
  size_t count = 0;
  if (!Listpack::ValidateIntegrity(blob, /*deep=*/true, &count)) {
    return r.Fail("listpack integrity check failed");
  }
  if (count == 0) return r.Fail("empty set");
  const Listpack lp = Listpack::FromBytes(blob);
  Value set = count > SetMaxIntsetEntries() ? NewHashtableSetValue() : NewIntsetSetValue();
  for (Listpack::Pos p = lp.First(); p != Listpack::kNoPos; p = lp.Next(p)) {
    if (!SetAdd(set, lp.Get(p).ToString())) return r.Fail("duplicate set member");
  }
  *out = std::move(set);
  return true;
}

}  // namespace

bool SaveSetPayload(RdbWriter& w, const Value& set) {
  if (set.object()->encoding() == ObjectEncoding::kIntset) {
    return w.SaveString(set.As<IntsetSet>()->Bytes());
  }
  w.SaveLen(SetSize(set));
  SetForEach(set, [&](std::string_view member) { w.SaveString(member); });
  return w.ok();
}

bool LoadSet(RdbReader& r, uint8_t type, Value* out) {
  switch (type) {
    case rdb::kTypeSet:
      return LoadStringsSet(r, out);
    case rdb::kTypeSetIntset:
      return LoadIntsetSet(r, out);
    case rdb::kTypeSetListpack:
      return LoadListpackSet(r, out);
    default:
      return r.Fail("RDB object type " + std::to_string(type) + " is not a set encoding");
  }
}

}  // namespace ember
