// ZSetObject: a sorted set value, in Redis's two encodings.
//
//  - listpack: member, score, member, score ... sorted by score then member, in one listpack
//    that shares the object's allocation (db/packed_object.h). Scores are stored as Redis stores them (integral values as integers,
//    others as text), so the blob, and so DUMP/RDB, are byte-identical to Redis's.
//  - skiplist: ds/Skiplist, one allocation per member (skiplist node + member index entry).
//
// A zset starts as a listpack while it has at most zset-max-listpack-entries members, each at
// most zset-max-listpack-value bytes, and becomes a skiplist once either limit is crossed. Like
// Redis, it never converts back on its own; only results built whole (ZUNIONSTORE & co., RDB
// loading) are given the compact encoding again when they fit (ZSetShrinkToListpackIfFits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "db/object.h"
#include "db/packed_object.h"
#include "db/value.h"
#include "ds/listpack.h"
#include "ds/skiplist.h"

namespace ember {

// Redis's d2string (ZSCAN's scores): integral values in [-(2^52-1), 2^52] as integers, -0 as
// "-0", others "%.17g". `buf` must hold 32 bytes; returns the length.
size_t FormatScore(double score, char* buf);
// A score as a listpack stores it (Redis's zzlInsertAt): integral values within +-2^62 as
// integers, others as d2string. `buf` must hold 32 bytes; returns the length.
size_t FormatListpackScore(double score, char* buf);

// The score stored in a listpack entry (integer or text, as Redis's zzlGetScore).
double PackedScore(const PackedValue& v);

// What both encodings answer; the concrete classes are ListpackZSet and SkiplistZSet. Reads go
// through ZSetObject (value.As<ZSetObject>()); changes go through the functions below, which
// take the Value, since a listpack that outgrows its block or converts is replaced by a new
// object: pointers to the object do not survive a change.
class ZSetObject : public Object {
 public:
  // ZADD's options (Redis's ZADD_IN_*).
  enum AddFlag : int { kNx = 1, kXx = 2, kGt = 4, kLt = 8, kIncr = 16 };
  // kUnchanged: the member exists and its score was not changed, but the element counts as
  // processed (ZADD INCR replies the score).
  enum class AddOutcome { kNop, kAdded, kUpdated, kUnchanged, kNaN };

  void AddToDigest(Digest& digest) const override;

  bool is_listpack() const { return encoding() == ObjectEncoding::kListpack; }
  // Member/score pairs. REQUIRES: is_listpack().
  ListpackView listpack() const;
  // REQUIRES: !is_listpack().
  Skiplist& skiplist() const;

  std::optional<double> Score(std::string_view member) const;
  // 0-based rank, from the highest score when `reverse`.
  std::optional<size_t> Rank(std::string_view member, bool reverse) const;

  // ---- Ordered access ----
  // A position on one member; invalid once past either end. Any change to the zset
  // invalidates it.
  class Cursor {
   public:
    bool valid() const { return node_ || pos_ != ListpackView::kNoPos; }
    std::string_view member();
    double score() const;
    void Next();
    void Prev();
    // The member's entry in a listpack zset.
    ListpackView::Pos listpack_pos() const { return pos_; }

   private:
    friend class ZSetObject;
    ListpackView lp_{nullptr, 0};
    ListpackView::Pos pos_ = ListpackView::kNoPos;  // the member entry (listpack)
    const Skiplist::Node* node_ = nullptr;           // (skiplist)
    char buf_[24];
  };
  // At 0-based `rank` counted from the head, or from the tail when `reverse`.
  Cursor AtRank(size_t rank, bool reverse) const;
  // At the lowest (or, when `reverse`, highest) member in the range; invalid if none.
  Cursor FirstInRange(const ScoreRange& range, bool reverse) const;
  Cursor FirstInLexRange(const LexRange& range, bool reverse) const;

  size_t CountInRange(const ScoreRange& range) const;
  size_t CountInLexRange(const LexRange& range) const;

  // The listpack position of `member` (and its score), or kNoPos. REQUIRES: is_listpack().
  ListpackView::Pos ListpackFind(std::string_view member, double* score) const;

 private:
  Cursor MakeCursor() const;
};

// The listpack form, in the object's own block (db/packed_object.h).
class ListpackZSet final : public PackedObject<ListpackZSet, ZSetObject> {
 public:
  ObjectEncoding encoding() const override { return ObjectEncoding::kListpack; }
  size_t size() const override { return listpack().size() / 2; }

 private:
  friend class PackedObject<ListpackZSet, ZSetObject>;
  ListpackZSet() = default;
};

class SkiplistZSet final : public ZSetObject {
 public:
  ObjectEncoding encoding() const override { return ObjectEncoding::kSkiplist; }
  size_t size() const override { return skiplist_.size(); }
  size_t MallocSize() const override;
  std::unique_ptr<Object> Clone() const override;

  Skiplist& skiplist() const { return skiplist_; }

 private:
  mutable Skiplist skiplist_;  // ZSetObject::skiplist() hands it out from const reads
};

// ---------------------------------------------------------------------------------------------
// Making and changing a sorted set (REQUIRES: `zset` is a Value of ValueType::kZSet)
// ---------------------------------------------------------------------------------------------

// An empty zset in the encoding Redis's zsetTypeCreate picks for the expected number of
// members and longest member.
Value NewZSetValue(size_t size_hint, size_t max_member_len);
// An empty skiplist-encoded zset: for results built whole, compacted afterwards if they fit.
Value NewSkiplistZSetValue();
// A zset over a copy of a validated listpack of member/score pairs sorted as a zset.
Value NewZSetValueFromListpack(std::string_view blob);

// Redis's zsetAdd. `*new_score` receives the resulting score unless the outcome is kNop or
// kNaN (INCR may produce NaN: nothing changes then).
ZSetObject::AddOutcome ZSetAdd(Value& zset, std::string_view member, double score, int flags,
                               double* new_score);
// Inserts a member known to be absent (loaders, set algebra). REQUIRES: score not NaN.
void ZSetInsertNew(Value& zset, std::string_view member, double score);
bool ZSetRemove(Value& zset, std::string_view member);
// Removals; each returns how many members went.
size_t ZSetRemoveRangeByRank(Value& zset, size_t start, size_t end);  // 0-based, inclusive
size_t ZSetRemoveRangeByScore(Value& zset, const ScoreRange& range);
size_t ZSetRemoveRangeByLex(Value& zset, const LexRange& range);

void ZSetConvertToSkiplist(Value& zset);
// Back to a listpack when the members fit the limits (Redis's zsetConvertToListpackIfNeeded,
// used for results built whole).
void ZSetShrinkToListpackIfFits(Value& zset);

}  // namespace ember
