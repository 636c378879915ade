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

bool ListpackSafeToAdd(const Listpack& lp, size_t add) {
  return lp.ByteSize() + add <= kListpackSafetySize;
}

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

std::unique_ptr<ZSetObject> ZSetObject::Create(size_t size_hint, size_t max_member_len) {
  std::unique_ptr<ZSetObject> z(new ZSetObject());
  if (!FitsListpack(size_hint, max_member_len) || Limits().zset_max_listpack_entries == 0) {
    z->skiplist_ = std::make_unique<Skiplist>();
  }
  return z;
}

std::unique_ptr<ZSetObject> ZSetObject::CreateSkiplist() {
  std::unique_ptr<ZSetObject> z(new ZSetObject());
  z->skiplist_ = std::make_unique<Skiplist>();
  return z;
}

std::unique_ptr<ZSetObject> ZSetObject::FromListpack(Listpack lp) {
  std::unique_ptr<ZSetObject> z(new ZSetObject());
  z->listpack_ = std::move(lp);
  return z;
}

size_t ZSetObject::MallocSize() const {
  size_t bytes = MemUsableSize(this);
  if (skiplist_) return bytes + MemUsableSize(skiplist_.get()) + skiplist_->MallocSize();
  return bytes + listpack_.MallocSize();
}

std::unique_ptr<Object> ZSetObject::Clone() const {
  std::unique_ptr<ZSetObject> z(new ZSetObject());
  if (skiplist_) {
    z->skiplist_ = std::make_unique<Skiplist>();
    for (const Skiplist::Node* n = skiplist_->First(); n; n = n->next()) {
      z->skiplist_->Insert(n->member(), n->score);
    }
  } else if (!listpack_.empty()) {
    z->listpack_ = Listpack::FromBytes(listpack_.Bytes());
  }
  return z;
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
// Point operations
// ---------------------------------------------------------------------------------------------

Listpack::Pos ZSetObject::ListpackFind(std::string_view member, double* score) const {
  Listpack::Pos p = listpack_.First() == Listpack::kNoPos
                        ? Listpack::kNoPos
                        : listpack_.Find(member, listpack_.First(), 1);
  if (p != Listpack::kNoPos && score) *score = PackedScore(listpack_.Get(listpack_.Next(p)));
  return p;
}

void ZSetObject::ListpackInsert(std::string_view member, double score) {
  char score_buf[32];
  std::string_view score_text(score_buf, FormatListpackScore(score, score_buf));
  char buf[21];
  for (Listpack::Pos p = listpack_.First(); p != Listpack::kNoPos;) {
    Listpack::Pos sp = listpack_.Next(p);
    double s = PackedScore(listpack_.Get(sp));
    if (s > score ||
        (s == score && CompareMembers(PackedText(listpack_.Get(p), buf), member) > 0)) {
      Listpack::Pos mp = listpack_.InsertBefore(p, member);
      listpack_.InsertAfter(mp, score_text);
      return;
    }
    p = listpack_.Next(sp);
  }
  listpack_.Append(member);
  listpack_.Append(score_text);
}

void ZSetObject::InsertNew(std::string_view member, double score) {
  if (!skiplist_) {
    if (FitsListpack(size() + 1, member.size()) &&
        ListpackSafeToAdd(listpack_, member.size())) {
      ListpackInsert(member, score);
      return;
    }
    ConvertToSkiplist();
  }
  skiplist_->Insert(member, score);
}

ZSetObject::AddOutcome ZSetObject::Add(std::string_view member, double score, int flags,
                                       double* new_score) {
  const bool nx = flags & kNx, xx = flags & kXx, gt = flags & kGt, lt = flags & kLt;
  if (std::isnan(score)) return AddOutcome::kNaN;

  double current;
  Listpack::Pos lp_pos = Listpack::kNoPos;
  Skiplist::Node* node = nullptr;
  bool found;
  if (skiplist_) {
    node = skiplist_->Find(member);
    found = node != nullptr;
    if (found) current = node->score;
  } else {
    lp_pos = ListpackFind(member, &current);
    found = lp_pos != Listpack::kNoPos;
  }

  if (!found) {
    if (xx) return AddOutcome::kNop;
    InsertNew(member, score);
    *new_score = score;
    return AddOutcome::kAdded;
  }
  if (nx) return AddOutcome::kNop;
  if (flags & kIncr) {
    score += current;
    if (std::isnan(score)) return AddOutcome::kNaN;
  }
  if ((lt && score >= current) || (gt && score <= current)) return AddOutcome::kNop;
  *new_score = score;
  if (score == current) return AddOutcome::kUnchanged;
  if (skiplist_) {
    skiplist_->UpdateScore(node, score);
  } else {
    listpack_.Delete(lp_pos, 2);
    ListpackInsert(member, score);
  }
  return AddOutcome::kUpdated;
}

bool ZSetObject::Remove(std::string_view member) {
  if (skiplist_) return skiplist_->Remove(member);
  Listpack::Pos p = ListpackFind(member, nullptr);
  if (p == Listpack::kNoPos) return false;
  listpack_.Delete(p, 2);
  return true;
}

std::optional<double> ZSetObject::Score(std::string_view member) const {
  if (skiplist_) {
    const Skiplist::Node* n = skiplist_->Find(member);
    if (!n) return std::nullopt;
    return n->score;
  }
  double score;
  if (ListpackFind(member, &score) == Listpack::kNoPos) return std::nullopt;
  return score;
}

std::optional<size_t> ZSetObject::Rank(std::string_view member, bool reverse) const {
  size_t n = size();
  size_t rank;
  if (skiplist_) {
    const Skiplist::Node* node = skiplist_->Find(member);
    if (!node) return std::nullopt;
    rank = skiplist_->Rank(node) - 1;
  } else {
    Listpack::Pos p = ListpackFind(member, nullptr);
    if (p == Listpack::kNoPos) return std::nullopt;
    rank = 0;
    for (Listpack::Pos q = listpack_.First(); q != p; q = listpack_.Next(listpack_.Next(q))) {
      ++rank;
    }
  }
  return reverse ? n - 1 - rank : rank;
}

// ---------------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------------

void ZSetObject::ConvertToSkiplist() {
  if (skiplist_) return;
  auto sl = std::make_unique<Skiplist>();
  for (Cursor c = AtRank(0, false); c.valid(); c.Next()) sl->Insert(c.member(), c.score());
  listpack_ = Listpack();
  skiplist_ = std::move(sl);
}

void ZSetObject::ShrinkToListpackIfFits() {
  if (!skiplist_) return;
  size_t max_len = 0, total_len = 0;
  for (const Skiplist::Node* n = skiplist_->First(); n; n = n->next()) {
    max_len = std::max<size_t>(max_len, n->member().size());
    total_len += n->member().size();
  }
  if (!FitsListpack(skiplist_->size(), max_len) || total_len > kListpackSafetySize) return;
  Listpack lp;
  char score_buf[32];
  for (const Skiplist::Node* n = skiplist_->First(); n; n = n->next()) {
    lp.Append(n->member());
    lp.Append(std::string_view(score_buf, FormatListpackScore(n->score, score_buf)));
  }
  skiplist_.reset();
  listpack_ = std::move(lp);
}

// ---------------------------------------------------------------------------------------------
// Cursor
// ---------------------------------------------------------------------------------------------

std::string_view ZSetObject::Cursor::member() {
  if (node_) return node_->member();
  return PackedText(lp_->Get(pos_), buf_);
}

double ZSetObject::Cursor::score() const {
  if (node_) return node_->score;
  return PackedScore(lp_->Get(lp_->Next(pos_)));
}

void ZSetObject::Cursor::Next() {
  if (node_) {
    node_ = node_->next();
  } else {
    pos_ = lp_->Next(lp_->Next(pos_));
  }
}

void ZSetObject::Cursor::Prev() {
  if (node_) {
    node_ = node_->prev();
  } else {
    Listpack::Pos score_pos = lp_->Prev(pos_);
    pos_ = score_pos == Listpack::kNoPos ? Listpack::kNoPos : lp_->Prev(score_pos);
  }
}

ZSetObject::Cursor ZSetObject::AtRank(size_t rank, bool reverse) const {
  Cursor c;
  c.lp_ = &listpack_;
  size_t n = size();
  if (rank >= n) return c;
  if (reverse) rank = n - 1 - rank;
  if (skiplist_) {
    c.node_ = skiplist_->ByRank(rank + 1);
  } else {
    c.pos_ = listpack_.Seek(static_cast<int64_t>(rank * 2));
  }
  return c;
}

ZSetObject::Cursor ZSetObject::FirstInRange(const ScoreRange& range, bool reverse) const {
  Cursor c;
  c.lp_ = &listpack_;
  if (skiplist_) {
    c.node_ = reverse ? skiplist_->LastInRange(range) : skiplist_->FirstInRange(range);
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
  Cursor c;
  c.lp_ = &listpack_;
  if (skiplist_) {
    c.node_ = reverse ? skiplist_->LastInLexRange(range) : skiplist_->FirstInLexRange(range);
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

// ---------------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------------

size_t ZSetObject::CountInRange(const ScoreRange& range) const {
  if (skiplist_) {
    return SkiplistCount(*skiplist_, skiplist_->FirstInRange(range),
                         skiplist_->LastInRange(range));
  }
  size_t count = 0;
  for (Cursor c = FirstInRange(range, false); c.valid() && range.BelowMax(c.score()); c.Next()) {
    ++count;
  }
  return count;
}

size_t ZSetObject::CountInLexRange(const LexRange& range) const {
  if (skiplist_) {
    return SkiplistCount(*skiplist_, skiplist_->FirstInLexRange(range),
                         skiplist_->LastInLexRange(range));
  }
  size_t count = 0;
  for (Cursor c = FirstInLexRange(range, false); c.valid() && range.BelowMax(c.member());
       c.Next()) {
    ++count;
  }
  return count;
}

size_t ZSetObject::RemoveRangeByRank(size_t start, size_t end) {
  if (skiplist_) return skiplist_->RemoveRangeByRank(start + 1, end + 1);
  size_t n = end - start + 1;
  listpack_.Delete(listpack_.Seek(static_cast<int64_t>(start * 2)), static_cast<uint32_t>(n * 2));
  return n;
}

size_t ZSetObject::RemoveRangeByScore(const ScoreRange& range) {
  if (skiplist_) return range.Empty() ? 0 : skiplist_->RemoveRangeByScore(range);
  Cursor first = FirstInRange(range, false);
  if (!first.valid()) return 0;
  size_t n = 0;
  for (Cursor c = first; c.valid() && range.BelowMax(c.score()); c.Next()) ++n;
  listpack_.Delete(first.pos_, static_cast<uint32_t>(n * 2));
  return n;
}

size_t ZSetObject::RemoveRangeByLex(const LexRange& range) {
  if (skiplist_) return skiplist_->RemoveRangeByLex(range);
  Cursor first = FirstInLexRange(range, false);
  if (!first.valid()) return 0;
  size_t n = 0;
  for (Cursor c = first; c.valid() && range.BelowMax(c.member()); c.Next()) ++n;
  listpack_.Delete(first.pos_, static_cast<uint32_t>(n * 2));
  return n;
}

}  // namespace ember
