// The RDB encodings of sorted sets (rdb_types.h).
//
// Written as Redis 7.0 writes them: ZSET_LISTPACK (the listpack blob as a string) or ZSET_2 (the
// member count, then member + binary double from the highest score down, the order Redis's
// rdbSaveObject walks its skiplist in, so a reload inserts at the head cheaply).
//
// Read: ZSET (text doubles, Redis < 4), ZSET_2, ZSET_ZIPLIST (Redis < 7) and ZSET_LISTPACK. Every
// blob is validated entry by entry before use; an empty zset, a duplicate member, a NaN or
// unparsable score, an odd entry count or pairs out of order are errors. The result gets the
// encoding the current limits call for.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>

#include "db/encoding_limits.h"
#include "db/zset_object.h"
#include "ds/listpack.h"
#include "ds/ziplist.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_types.h"
#include "persistence/rdb_writer.h"

namespace ember {

bool SaveZSetPayload(RdbWriter& w, const Value& value) {
  const ZSetObject& zset = *value.As<ZSetObject>();
  if (zset.is_listpack()) return w.SaveString(zset.listpack().Bytes());
  const Skiplist& sl = zset.skiplist();
  if (!w.SaveLen(sl.size())) return false;
  for (const Skiplist::Node* n = sl.Last(); n; n = n->prev()) {
    if (!w.SaveString(n->member()) || !w.SaveBinaryDouble(n->score)) return false;
  }
  return true;
}

namespace {

// A listpack score entry must be a number: an integer, or text strtod takes whole (not NaN).
bool ValidPackedScore(const PackedValue& v, double* score) {
  if (v.is_int) {
    *score = static_cast<double>(v.num);
    return true;
  }
  if (v.str.empty() || v.str.size() > 127) return false;
  char buf[128];
  std::memcpy(buf, v.str.data(), v.str.size());
  buf[v.str.size()] = '\0';
  char* end = nullptr;
  *score = std::strtod(buf, &end);
  return end == buf + v.str.size() && !std::isnan(*score);
}

// Checks a validated listpack as a zset: member/score pairs, at least one, numeric scores,
// sorted by score then member, as Redis keeps them, and no member twice.
bool CheckZSetListpack(RdbReader& r, const ListpackView& lp) {
  if (lp.size() == 0) return r.Fail("Empty zset listpack");
  if (lp.size() % 2) return r.Fail("Zset listpack has an odd number of entries");
  bool first = true;
  double prev_score = 0;
  std::string prev_member;
  std::unordered_set<std::string> seen;
  for (ListpackView::Pos p = lp.First(); p != ListpackView::kNoPos; p = lp.Next(lp.Next(p))) {
    std::string member = lp.Get(p).ToString();
    double score;
    if (!ValidPackedScore(lp.Get(lp.Next(p)), &score)) {
      return r.Fail("Zset listpack holds an invalid score");
    }
    if (!seen.insert(member).second) return r.Fail("Duplicate zset member detected");
    if (!first) {
      int c = CompareMembers(prev_member, member);
      if (prev_score > score || (prev_score == score && c > 0)) {
        return r.Fail("Zset listpack entries are out of order");
      }
    }
    first = false;
    prev_score = score;
    prev_member = std::move(member);
  }
  return true;
}

bool FinishListpack(RdbReader& r, const ListpackView& lp, Value* out) {
  if (!CheckZSetListpack(r, lp)) return false;
  *out = NewZSetValueFromListpack(lp.Bytes());
  if (lp.size() / 2 > static_cast<size_t>(Limits().zset_max_listpack_entries)) {
    ZSetConvertToSkiplist(*out);
  }
  return true;
}

bool LoadPairs(RdbReader& r, bool binary_scores, Value* out) {
  uint64_t len;
  if (!r.ReadLen(&len)) return false;
  if (len == 0) return r.Fail("Empty zset");
  Value zset = NewSkiplistZSetValue();  // compacted once every member is in
  std::string member;
  for (uint64_t i = 0; i < len; ++i) {
    double score;
    if (!r.ReadString(&member)) return false;
    if (!(binary_scores ? r.ReadBinaryDouble(&score) : r.ReadStringDouble(&score))) return false;
    if (std::isnan(score)) return r.Fail("Zset with NAN score detected");
    if (zset.As<ZSetObject>()->Score(member)) return r.Fail("Duplicate zset member detected");
    ZSetInsertNew(zset, member, score);
  }
  ZSetShrinkToListpackIfFits(zset);
  *out = std::move(zset);
  return true;
}

}  // namespace

bool LoadZSet(RdbReader& r, uint8_t type, Value* out) {
  switch (type) {
    case rdb::kTypeZSet: return LoadPairs(r, /*binary_scores=*/false, out);
    case rdb::kTypeZSet2: return LoadPairs(r, /*binary_scores=*/true, out);
    case rdb::kTypeZSetListpack: {
      std::string blob;
      if (!r.ReadString(&blob)) return false;
      size_t count;
      if (!Listpack::ValidateIntegrity(blob, /*deep=*/true, &count)) {
        return r.Fail("Zset listpack integrity check failed");
      }
      return FinishListpack(r, ListpackView(reinterpret_cast<const uint8_t*>(blob.data()), count),
                            out);
    }
    case rdb::kTypeZSetZiplist: {
      std::string blob;
      if (!r.ReadString(&blob)) return false;
      if (!ziplist::ValidateIntegrity(blob)) return r.Fail("Zset ziplist integrity check failed");
      // Same entries, re-encoded as a listpack (Redis converts ziplists on load too).
      Listpack lp;
      ziplist::ForEach(blob, [&](const PackedValue& v) {
        v.is_int ? lp.AppendInt(v.num) : lp.Append(v.str);
      });
      return FinishListpack(r, lp.View(), out);
    }
    default:
      return r.Fail("Unknown zset RDB type " + std::to_string(type));
  }
}

}  // namespace ember
