// ZSetObject: a sorted set value, in Redis's two encodings.
//
//  - listpack: member, score, member, score ... sorted by score then member, in one contiguous
//    blob (ds/Listpack). Scores are stored as Redis stores them (integral values as integers,
//    others as text), so the blob, and so DUMP/RDB, are byte-identical to Redis's.
//  - skiplist: ds/Skiplist, one allocation per member (skiplist node + member index entry).
//
// A zset starts as a listpack while it has at most zset-max-listpack-entries members, each at
// most zset-max-listpack-value bytes, and becomes a skiplist once either limit is crossed. Like
// Redis, it never converts back on its own; only results built whole (ZUNIONSTORE & co., RDB
// loading) are given the compact encoding again when they fit (ShrinkToListpackIfFits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "db/object.h"
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

class ZSetObject final : public Object {
 public:
  // ZADD's options (Redis's ZADD_IN_*).
  enum AddFlag : int { kNx = 1, kXx = 2, kGt = 4, kLt = 8, kIncr = 16 };
  // kUnchanged: the member exists and its score was not changed, but the element counts as
  // processed (ZADD INCR replies the score).
  enum class AddOutcome { kNop, kAdded, kUpdated, kUnchanged, kNaN };

  // An empty zset in the encoding Redis's zsetTypeCreate picks for the expected number of
  // members and longest member.
  static std::unique_ptr<ZSetObject> Create(size_t size_hint, size_t max_member_len);
  // An empty skiplist-encoded zset: for results built whole, compacted afterwards if they fit.
  static std::unique_ptr<ZSetObject> CreateSkiplist();
  // Adopts a validated listpack of member/score pairs sorted as a zset.
  static std::unique_ptr<ZSetObject> FromListpack(Listpack lp);

  ObjectEncoding encoding() const override {
    return skiplist_ ? ObjectEncoding::kSkiplist : ObjectEncoding::kListpack;
  }
  size_t MallocSize() const override;
  std::unique_ptr<Object> Clone() const override;
  void AddToDigest(Digest& digest) const override;
  size_t size() const override { return skiplist_ ? skiplist_->size() : listpack_.size() / 2; }

  bool is_listpack() const { return !skiplist_; }
  const Listpack& listpack() const { return listpack_; }
  const Skiplist& skiplist() const { return *skiplist_; }
  Skiplist& skiplist() { return *skiplist_; }

  // Redis's zsetAdd. `*new_score` receives the resulting score unless the outcome is kNop or
  // kNaN (INCR may produce NaN: nothing changes then).
  AddOutcome Add(std::string_view member, double score, int flags, double* new_score);
  // Inserts a member known to be absent (loaders, set algebra). REQUIRES: score not NaN.
  void InsertNew(std::string_view member, double score);
  bool Remove(std::string_view member);
  std::optional<double> Score(std::string_view member) const;
  // 0-based rank, from the highest score when `reverse`.
  std::optional<size_t> Rank(std::string_view member, bool reverse) const;

  void ConvertToSkiplist();
  // Back to a listpack when the members fit the limits (Redis's
  // zsetConvertToListpackIfNeeded, used for results built whole).
  void ShrinkToListpackIfFits();

  // ---- Ordered access ----
  // A position on one member; invalid once past either end. Any change to the zset
  // invalidates it.
  class Cursor {
   public:
    bool valid() const { return node_ || pos_ != Listpack::kNoPos; }
    std::string_view member();
    double score() const;
    void Next();
    void Prev();

   private:
    friend class ZSetObject;
    const Listpack* lp_ = nullptr;
    Listpack::Pos pos_ = Listpack::kNoPos;  // the member entry (listpack)
    const Skiplist::Node* node_ = nullptr;   // (skiplist)
    char buf_[24];
  };
  // At 0-based `rank` counted from the head, or from the tail when `reverse`.
  Cursor AtRank(size_t rank, bool reverse) const;
  // At the lowest (or, when `reverse`, highest) member in the range; invalid if none.
  Cursor FirstInRange(const ScoreRange& range, bool reverse) const;
  Cursor FirstInLexRange(const LexRange& range, bool reverse) const;

  size_t CountInRange(const ScoreRange& range) const;
  size_t CountInLexRange(const LexRange& range) const;
  // Removals; each returns how many members went.
  size_t RemoveRangeByRank(size_t start, size_t end);  // 0-based, inclusive, start <= end
  size_t RemoveRangeByScore(const ScoreRange& range);
  size_t RemoveRangeByLex(const LexRange& range);

 private:
  ZSetObject() = default;
  Listpack::Pos ListpackFind(std::string_view member, double* score) const;
  void ListpackInsert(std::string_view member, double score);

  Listpack listpack_;                  // the listpack encoding (empty when skiplist)
  std::unique_ptr<Skiplist> skiplist_;  // the skiplist encoding when set
};

}  // namespace ember
