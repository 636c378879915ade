// ZSetObject: Redis's zset operations (t_zset.c) over the listpack and skiplist encodings.
#include "db/zset_object.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/memory.h"
#include "common/strings.h"
#include "db/encoding_limits.h"

namespace ember {

namespace {

// Redis refuses to grow a listpack past 1 GB (LISTPACK_MAX_SAFETY_SIZE) and converts instead.
constexpr size_t kListpackSafetySize = size_t{1} << 30;

bool FitsListpack(size_t count, size_t max_member_len) {
  return count <= static_cast<size_t>(Limits().zset_max_listpack_entries) &&
         max_member_len <= static_cast<size_t>(Limits().zset_max_listpack_value);
}

// The member text of a listpack entry; integers are formatted into `buf` (21 bytes).
std::string_view PackedText(const PackedValue& v, char* buf) {
  if (!v.is_int) return v.str;
  return {buf, FormatInt64(v.num, buf)};
}

// Members between `first` and `last` by rank, with Redis's arithmetic (ZCOUNT/ZLEXCOUNT): with
// members out of lex order (mixed scores) `last` may be missing or before `first`, and the
// count then wraps exactly as Redis's unsigned long does.
size_t SkiplistCount(const Skiplist& sl, const Skiplist::Node* first, const Skiplist::Node* last) {
  if (!first) return 0;
  size_t count = sl.size() - (sl.Rank(first) - 1);
  if (last) count -= sl.size() - sl.Rank(last);
  return count;
}

}  // namespace

size_t FormatScore(double score, char* buf) {
  int n;
  if (std::isnan(score)) {
    n = std::snprintf(buf, 32, "nan");
  } else if (std::isinf(score)) {
    n = std::snprintf(buf, 32, score > 0 ? "inf" : "-inf");
  } else if (score == 0) {
    n = std::snprintf(buf, 32, std::signbit(score) ? "-0" : "0");
  } else if (score > -4503599627370495.0 && score < 4503599627370496.0 &&
             score == static_cast<double>(static_cast<long long>(score))) {
    n = static_cast<int>(FormatInt64(static_cast<long long>(score), buf));
  } else {
    n = std::snprintf(buf, 32, "%.17g", score);
  }
  return static_cast<size_t>(n);
}

size_t FormatListpackScore(double score, char* buf) {
  // Redis's double2ll: integral values within +-LLONG_MAX/2 are stored as integers (-0 too).
  constexpr double kHalfRange = static_cast<double>(INT64_MAX / 2);
  if (score >= -kHalfRange && score <= kHalfRange) {
    auto as_int = static_cast<long long>(score);
    if (static_cast<double>(as_int) == score) return FormatInt64(as_int, buf);
  }
  return FormatScore(score, buf);
}

double PackedScore(const PackedValue& v) {
  if (v.is_int) return static_cast<double>(v.num);
  // Redis's zzlStrtod: at most 127 characters are looked at.
  char buf[128];
  size_t n = v.str.size() < sizeof(buf) - 1 ? v.str.size() : sizeof(buf) - 1;
  std::memcpy(buf, v.str.data(), n);
  buf[n] = '\0';
  return std::strtod(buf, nullptr);
}

// ---------------------------------------------------------------------------------------------
// Creation, memory, copy, digest
// ---------------------------------------------------------------------------------------------

ListpackView ZSetObject::listpack() const {
  return static_cast<const ListpackZSet*>(this)->listpack();
}

Skiplist& ZSetObject::skiplist() const { return static_cast<const SkiplistZSet*>(this)->skiplist(); }

size_t SkiplistZSet::MallocSize() const { return MemUsableSize(this) + skiplist_.MallocSize(); }

std::unique_ptr<Object> SkiplistZSet::Clone() const {
  auto copy = std::make_unique<SkiplistZSet>();
  for (const Skiplist::Node* n = skiplist_.First(); n; n = n->next()) {
    copy->skiplist_.Insert(n->member(), n->score);
  }
  return copy;
}

void ZSetObject::AddToDigest(Digest& digest) const {
  // Redis's xorObjectDigest: each member digested with its "%.17g" score, xored in.
  for (Cursor c = AtRank(0, false); c.valid(); c.Next()) {
    Digest element{};
    MixDigest(element, c.member());
    MixScore(element, c.score());
    XorDigest(digest, element.data(), element.size());
  }
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

ListpackView::Pos ZSetObject::ListpackFind(std::string_view member, double* score) const {
  const ListpackView lp = listpack();
  ListpackView::Pos p =
      lp.First() == ListpackView::kNoPos ? ListpackView::kNoPos : lp.Find(member, lp.First(), 1);
  if (p != ListpackView::kNoPos && score) *score = PackedScore(lp.Get(lp.Next(p)));
  return p;
}

std::optional<double> ZSetObject::Score(std::string_view member) const {
  if (!is_listpack()) {
    const Skiplist::Node* n = skiplist().Find(member);
    if (!n) return std::nullopt;
    return n->score;
  }
  double score;
  if (ListpackFind(member, &score) == ListpackView::kNoPos) return std::nullopt;
  return score;
}

std::optional<size_t> ZSetObject::Rank(std::string_view member, bool reverse) const {
  size_t n = size();
  size_t rank;
  if (!is_listpack()) {
    const Skiplist::Node* node = skiplist().Find(member);
    if (!node) return std::nullopt;
    rank = skiplist().Rank(node) - 1;
  } else {
    ListpackView::Pos p = ListpackFind(member, nullptr);
    if (p == ListpackView::kNoPos) return std::nullopt;
    const ListpackView lp = listpack();
    rank = 0;
    for (ListpackView::Pos q = lp.First(); q != p; q = lp.Next(lp.Next(q))) ++rank;
  }
  return reverse ? n - 1 - rank : rank;
}

// ---------------------------------------------------------------------------------------------
// Cursor
// ---------------------------------------------------------------------------------------------

std::string_view ZSetObject::Cursor::member() {
  if (node_) return node_->member();
  return PackedText(lp_.Get(pos_), buf_);
}

double ZSetObject::Cursor::score() const {
  if (node_) return node_->score;
  return PackedScore(lp_.Get(lp_.Next(pos_)));
}

void ZSetObject::Cursor::Next() {
  if (node_) {
    node_ = node_->next();
  } else {
    pos_ = lp_.Next(lp_.Next(pos_));
  }
}

void ZSetObject::Cursor::Prev() {
  if (node_) {
    node_ = node_->prev();
  } else {
    ListpackView::Pos score_pos = lp_.Prev(pos_);
    pos_ = score_pos == ListpackView::kNoPos ? ListpackView::kNoPos : lp_.Prev(score_pos);
  }
}

ZSetObject::Cursor ZSetObject::MakeCursor() const {
  Cursor c;
  if (is_listpack()) c.lp_ = listpack();
  return c;
}

ZSetObject::Cursor ZSetObject::AtRank(size_t rank, bool reverse) const {
  Cursor c = MakeCursor();
  size_t n = size();
  if (rank >= n) return c;
  if (reverse) rank = n - 1 - rank;
  if (!is_listpack()) {
    c.node_ = skiplist().ByRank(rank + 1);
  } else {
    c.pos_ = c.lp_.Seek(static_cast<int64_t>(rank * 2));
  }
  return c;
}

ZSetObject::Cursor ZSetObject::FirstInRange(const ScoreRange& range, bool reverse) const {
  Cursor c = MakeCursor();
  if (!is_listpack()) {
    c.node_ = reverse ? skiplist().LastInRange(range) : skiplist().FirstInRange(range);
    return c;
  }
  // Redis's zzlIsInRange: nothing when the last member is below the range or the first above.
  if (range.Empty() || size() == 0 || !range.AboveMin(AtRank(0, true).score()) ||
      !range.BelowMax(AtRank(0, false).score())) {
    return c;
  }
  Cursor it = AtRank(0, reverse);
  for (; it.valid(); reverse ? it.Prev() : it.Next()) {
    double s = it.score();
    if (reverse ? range.BelowMax(s) : range.AboveMin(s)) {
      if (range.Contains(s)) c.pos_ = it.pos_;
      break;
    }
  }
  return c;
}

ZSetObject::Cursor ZSetObject::FirstInLexRange(const LexRange& range, bool reverse) const {
  Cursor c = MakeCursor();
  if (!is_listpack()) {
    c.node_ = reverse ? skiplist().LastInLexRange(range) : skiplist().FirstInLexRange(range);
    return c;
  }
  // Redis's zzlIsInLexRange: when members are not in order (mixed scores) this pre-check decides
  // results as much as the walk does.
  if (range.Empty() || size() == 0) return c;
  Cursor last = AtRank(0, true), first = AtRank(0, false);
  if (!range.AboveMin(last.member()) || !range.BelowMax(first.member())) return c;
  Cursor it = AtRank(0, reverse);
  for (; it.valid(); reverse ? it.Prev() : it.Next()) {
    std::string_view m = it.member();
    if (reverse ? range.BelowMax(m) : range.AboveMin(m)) {
      if (range.Contains(m)) c.pos_ = it.pos_;
      break;
    }
  }
  return c;
}

size_t ZSetObject::CountInRange(const ScoreRange& range) const {
  if (!is_listpack()) {
    return SkiplistCount(skiplist(), skiplist().FirstInRange(range), skiplist().LastInRange(range));
  }
  size_t count = 0;
  for (Cursor c = FirstInRange(range, false); c.valid() && range.BelowMax(c.score()); c.Next()) {
    ++count;
  }
  return count;
}

size_t ZSetObject::CountInLexRange(const LexRange& range) const {
  if (!is_listpack()) {
    return SkiplistCount(skiplist(), skiplist().FirstInLexRange(range),
                         skiplist().LastInLexRange(range));
  }
  size_t count = 0;
  for (Cursor c = FirstInLexRange(range, false); c.valid() && range.BelowMax(c.member());
       c.Next()) {
    ++count;
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// Making and changing a sorted set
// ---------------------------------------------------------------------------------------------

namespace {

bool IsListpack(const Value& zset) {
  return zset.object()->encoding() == ObjectEncoding::kListpack;
}

const ZSetObject& Read(const Value& zset) { return *zset.As<ZSetObject>(); }

// Runs edit(ListpackEditor&) on the pairs of a listpack zset.
template <typename F>
auto EditPairs(Value& zset, F&& edit) {
  return EditPacked<ListpackZSet>(zset, std::forward<F>(edit));
}

void ListpackInsert(Value& zset, std::string_view member, double score) {
  char score_buf[32];
  std::string_view score_text(score_buf, FormatListpackScore(score, score_buf));
  char buf[21];
  EditPairs(zset, [&](ListpackEditor& lp) {
    for (ListpackView::Pos p = lp.First(); p != ListpackView::kNoPos;) {
      ListpackView::Pos sp = lp.Next(p);
      double s = PackedScore(lp.Get(sp));
      if (s > score || (s == score && CompareMembers(PackedText(lp.Get(p), buf), member) > 0)) {
        ListpackView::Pos mp = lp.InsertBefore(p, member);
        lp.InsertAfter(mp, score_text);
        return;
      }
      p = lp.Next(sp);
    }
    lp.Append(member);
    lp.Append(score_text);
  });
}

// Deletes `members` members starting at the member entry `first`.
void ListpackDelete(Value& zset, ListpackView::Pos first, size_t members) {
  EditPairs(zset, [&](ListpackEditor& lp) { lp.Delete(first, static_cast<uint32_t>(members * 2)); });
}

}  // namespace

Value NewZSetValue(size_t size_hint, size_t max_member_len) {
  if (!FitsListpack(size_hint, max_member_len) || Limits().zset_max_listpack_entries == 0) {
    return NewSkiplistZSetValue();
  }
  return Value::FromObject(ValueType::kZSet, ListpackZSet::FromBytes(kEmptyListpackBytes));
}

Value NewSkiplistZSetValue() {
  return Value::FromObject(ValueType::kZSet, std::make_unique<SkiplistZSet>());
}

Value NewZSetValueFromListpack(std::string_view blob) {
  return Value::FromObject(ValueType::kZSet, ListpackZSet::FromBytes(blob));
}

void ZSetInsertNew(Value& zset, std::string_view member, double score) {
  if (IsListpack(zset)) {
    if (FitsListpack(Read(zset).size() + 1, member.size()) &&
        Read(zset).listpack().TotalBytes() + member.size() <= kListpackSafetySize) {
      ListpackInsert(zset, member, score);
      return;
    }
    ZSetConvertToSkiplist(zset);
  }
  Read(zset).skiplist().Insert(member, score);
}

ZSetObject::AddOutcome ZSetAdd(Value& zset, std::string_view member, double score, int flags,
                               double* new_score) {
  using Outcome = ZSetObject::AddOutcome;
  const bool nx = flags & ZSetObject::kNx, xx = flags & ZSetObject::kXx;
  const bool gt = flags & ZSetObject::kGt, lt = flags & ZSetObject::kLt;
  if (std::isnan(score)) return Outcome::kNaN;

  const ZSetObject& z = Read(zset);
  double current;
  ListpackView::Pos lp_pos = ListpackView::kNoPos;
  Skiplist::Node* node = nullptr;
  bool found;
  if (!z.is_listpack()) {
    node = z.skiplist().Find(member);
    found = node != nullptr;
    if (found) current = node->score;
  } else {
    lp_pos = z.ListpackFind(member, &current);
    found = lp_pos != ListpackView::kNoPos;
  }

  if (!found) {
    if (xx) return Outcome::kNop;
    ZSetInsertNew(zset, member, score);
    *new_score = score;
    return Outcome::kAdded;
  }
  if (nx) return Outcome::kNop;
  if (flags & ZSetObject::kIncr) {
    score += current;
    if (std::isnan(score)) return Outcome::kNaN;
  }
  if ((lt && score >= current) || (gt && score <= current)) return Outcome::kNop;
  *new_score = score;
  if (score == current) return Outcome::kUnchanged;
  if (node) {
    z.skiplist().UpdateScore(node, score);
  } else {
    ListpackDelete(zset, lp_pos, 1);
    ListpackInsert(zset, member, score);
  }
  return Outcome::kUpdated;
}

bool ZSetRemove(Value& zset, std::string_view member) {
  if (!IsListpack(zset)) return Read(zset).skiplist().Remove(member);
  ListpackView::Pos p = Read(zset).ListpackFind(member, nullptr);
  if (p == ListpackView::kNoPos) return false;
  ListpackDelete(zset, p, 1);
  return true;
}

size_t ZSetRemoveRangeByRank(Value& zset, size_t start, size_t end) {
  if (!IsListpack(zset)) return Read(zset).skiplist().RemoveRangeByRank(start + 1, end + 1);
  size_t n = end - start + 1;
  ListpackDelete(zset, Read(zset).listpack().Seek(static_cast<int64_t>(start * 2)), n);
  return n;
}

size_t ZSetRemoveRangeByScore(Value& zset, const ScoreRange& range) {
  const ZSetObject& z = Read(zset);
  if (!z.is_listpack()) return range.Empty() ? 0 : z.skiplist().RemoveRangeByScore(range);
  ZSetObject::Cursor first = z.FirstInRange(range, false);
  if (!first.valid()) return 0;
  size_t n = 0;
  for (ZSetObject::Cursor c = first; c.valid() && range.BelowMax(c.score()); c.Next()) ++n;
  ListpackDelete(zset, first.listpack_pos(), n);
  return n;
}

size_t ZSetRemoveRangeByLex(Value& zset, const LexRange& range) {
  const ZSetObject& z = Read(zset);
  if (!z.is_listpack()) return z.skiplist().RemoveRangeByLex(range);
  ZSetObject::Cursor first = z.FirstInLexRange(range, false);
  if (!first.valid()) return 0;
  size_t n = 0;
  for (ZSetObject::Cursor c = first; c.valid() && range.BelowMax(c.member()); c.Next()) ++n;
  ListpackDelete(zset, first.listpack_pos(), n);
  return n;
}

void ZSetConvertToSkiplist(Value& zset) {
  if (!IsListpack(zset)) return;
  auto sl = std::make_unique<SkiplistZSet>();
  for (auto c = Read(zset).AtRank(0, false); c.valid(); c.Next()) {
    sl->skiplist().Insert(c.member(), c.score());
  }
  zset = Value::FromObject(ValueType::kZSet, std::move(sl));
}

void ZSetShrinkToListpackIfFits(Value& zset) {
  if (IsListpack(zset)) return;
  const Skiplist& sl = Read(zset).skiplist();
  size_t max_len = 0, total_len = 0;
  for (const Skiplist::Node* n = sl.First(); n; n = n->next()) {
    max_len = std::max<size_t>(max_len, n->member().size());
    total_len += n->member().size();
  }
  if (!FitsListpack(sl.size(), max_len) || total_len > kListpackSafetySize) return;
  Listpack lp;
  char score_buf[32];
  for (const Skiplist::Node* n = sl.First(); n; n = n->next()) {
    lp.Append(n->member());
    lp.Append(std::string_view(score_buf, FormatListpackScore(n->score, score_buf)));
  }
  zset = NewZSetValueFromListpack(lp.Bytes());
}

}  // namespace ember
