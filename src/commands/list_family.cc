// List commands: pushes (LPUSH, RPUSH, LPUSHX, RPUSHX), pops (LPOP, RPOP with COUNT, LMPOP),
// reads (LLEN, LINDEX, LRANGE, LPOS), edits (LSET, LINSERT, LREM, LTRIM), moves between lists
// (LMOVE, RPOPLPUSH) and the blocking forms (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP). Redis
// keeps these in t_list.c. Every list is a quicklist (db/list_object.h); a list emptied by a
// command is deleted.
//
// Blocking commands first try to serve exactly like their non-blocking twin and then propagate
// the twin (BLPOP -> LPOP key, BLMPOP -> LPOP key count, BLMOVE -> LMOVE, BRPOPLPUSH ->
// RPOPLPUSH). With nothing to serve they ask the dispatcher to park the client
// (ctx.BlockOnKeys) and return without a reply; the dispatcher re-runs the same handler when a
// key becomes ready, so each handler can run again as is. Where blocking is not allowed (MULTI,
// scripts) they answer as a timeout would.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/command_families.h"
#include "common/errors.h"
#include "common/strings.h"
#include "db/database.h"
#include "db/list_object.h"
#include "db/value.h"

namespace ember {

namespace {

using std::string_view;

// Error texts only this family sends, word for word as Redis 7.0.
constexpr string_view kErrCountPositive = "ERR value is out of range, must be positive";
constexpr string_view kErrRankZero =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
constexpr string_view kErrLposCountNegative = "ERR COUNT can't be negative";
constexpr string_view kErrMaxlenNegative = "ERR MAXLEN can't be negative";
constexpr string_view kErrNumkeys = "ERR numkeys should be greater than 0";
constexpr string_view kErrMpopCount = "ERR count should be greater than 0";

enum class End { kHead, kTail };

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

Quicklist& ListOf(KeyEntry* e) { return e->value.As<ListObject>()->ql(); }

// Looks `key` up for a write: null when missing; replies WRONGTYPE and sets *failed for another
// type.
KeyEntry* LookupListWrite(CommandContext& ctx, string_view key, bool* failed) {
  KeyEntry* e = ctx.LookupWrite(key);
  *failed = e && e->value.type() != ValueType::kList;
  if (*failed) ctx.ReplyStatus(OpStatus::kWrongType);
  return *failed ? nullptr : e;
}

KeyEntry* LookupListRead(CommandContext& ctx, string_view key, bool* failed) {
  KeyEntry* e = ctx.LookupRead(key);
  *failed = e && e->value.type() != ValueType::kList;
  if (*failed) ctx.ReplyStatus(OpStatus::kWrongType);
  return *failed ? nullptr : e;
}

// Creates an empty list at `key`, which a write lookup just reported missing.
KeyEntry* CreateList(CommandContext& ctx, string_view key) {
  return ctx.AddNewKey(key, Value::FromObject(ValueType::kList, std::make_unique<ListObject>()));
}

// Deletes a list its command emptied, with Redis's "del" event (after the command's own).
void DeleteIfEmpty(CommandContext& ctx, KeyEntry* e, string_view key) {
  if (ListOf(e).empty()) {
    ctx.db().Delete(key);
    ctx.Notify(notify::kGeneric, "del", key);
  }
}

string_view PopEvent(End end) { return end == End::kHead ? "lpop" : "rpop"; }
string_view PushEvent(End end) { return end == End::kHead ? "lpush" : "rpush"; }

void ReplyElement(ReplyBuilder& reply, const PackedValue& v) {
  if (v.is_int) {
    char buf[21];
    reply.Bulk(string_view(buf, FormatInt64(v.num, buf)));
  } else {
    reply.Bulk(v.str);
  }
}

// Redis's getLongFromObjectOrReply with its default message.
bool ParseIndex(CommandContext& ctx, string_view arg, int64_t* out) {
  if (ParseInt64(arg, out)) return true;
  ctx.ReplyStatus(OpStatus::kNotAnInteger);
  return false;
}

// Redis's getListPositionFromObjectOrReply: LEFT or RIGHT.
bool ParseEnd(CommandContext& ctx, string_view arg, End* end) {
  if (EqualsIgnoreCase(arg, "left")) {
    *end = End::kHead;
  } else if (EqualsIgnoreCase(arg, "right")) {
    *end = End::kTail;
  } else {
    ctx.ReplySyntaxError();
    return false;
  }
  return true;
}

void Push(Quicklist& ql, End end, string_view value) {
  if (end == End::kHead) {
    ql.PushHead(value);
  } else {
    ql.PushTail(value);
  }
}

std::string Pop(Quicklist& ql, End end) {
  std::string out;
  if (end == End::kHead) {
    ql.PopHead(&out);
  } else {
    ql.PopTail(&out);
  }
  return out;
}

// Redis's addListRangeReply: the elements from start to end (inclusive, negative from the tail,
// clamped), or in reverse order from end to start.
void ReplyRange(CommandContext& ctx, Quicklist& ql, int64_t start, int64_t end, bool reverse) {
  const int64_t len = static_cast<int64_t>(ql.size());
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return ctx.reply().EmptyArray();
  if (end >= len) end = len - 1;
  int64_t n = end - start + 1;
  ctx.reply().ArrayLen(static_cast<size_t>(n));
  Quicklist::Iterator it = reverse ? ql.IteratorAt(end, Quicklist::Direction::kTailToHead)
                                   : ql.IteratorAt(start, Quicklist::Direction::kHeadToTail);
  PackedValue v;
  while (n-- > 0 && it.Next(&v)) ReplyElement(ctx.reply(), v);
}

// Replies with up to `count` elements popped from `end` of the list at `e` (in pop order) and
// deletes the key if that emptied it. Returns how many were popped.
int64_t PopRangeReply(CommandContext& ctx, KeyEntry* e, string_view key, End end, int64_t count) {
  Quicklist& ql = ListOf(e);
  const int64_t len = static_cast<int64_t>(ql.size());
  const int64_t n = std::min(count, len);
  if (end == End::kHead) {
    ReplyRange(ctx, ql, 0, n - 1, /*reverse=*/false);
    ql.DeleteRange(0, n);
  } else {
    ReplyRange(ctx, ql, -n, -1, /*reverse=*/true);
    ql.DeleteRange(-n, n);
  }
  ctx.Notify(notify::kList, PopEvent(end), key);
  DeleteIfEmpty(ctx, e, key);
  ctx.MarkDirty(static_cast<uint64_t>(n));
  return n;
}

// Redis's listPopRangeAndReplyWithKey plus the [LR]POP key count effect (LMPOP, BLMPOP).
void MpopServe(CommandContext& ctx, KeyEntry* e, string_view key, End end, int64_t count) {
  ctx.reply().ArrayLen(2);
  ctx.reply().Bulk(key);
  const int64_t n = PopRangeReply(ctx, e, key, end, count);
  ctx.Propagate({end == End::kHead ? "LPOP" : "RPOP", std::string(key), Int64ToString(n)});
}

// ---------------------------------------------------------------------------------------------
// Pushes
// ---------------------------------------------------------------------------------------------

// Redis's pushGenericCommand; `existing_only` for LPUSHX/RPUSHX.
void PushGeneric(CommandContext& ctx, End end, bool existing_only) {
  const string_view key = ctx.arg(1);
  bool failed;
  KeyEntry* e = LookupListWrite(ctx, key, &failed);
  if (failed) return;
  if (!e) {
    if (existing_only) return ctx.reply().Integer(0);
    e = CreateList(ctx, key);
  }
  Quicklist& ql = ListOf(e);
  for (size_t i = 2; i < ctx.argc(); ++i) Push(ql, end, ctx.arg(i));
  ctx.MarkDirty(ctx.argc() - 2);
  ctx.Notify(notify::kList, PushEvent(end), key);
  ctx.reply().Integer(static_cast<int64_t>(ql.size()));
}

void CmdLPush(CommandContext& ctx) { PushGeneric(ctx, End::kHead, false); }
void CmdRPush(CommandContext& ctx) { PushGeneric(ctx, End::kTail, false); }
void CmdLPushX(CommandContext& ctx) { PushGeneric(ctx, End::kHead, true); }
void CmdRPushX(CommandContext& ctx) { PushGeneric(ctx, End::kTail, true); }

// ---------------------------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------------------------

// Redis's popGenericCommand: one element as a bulk string, or with a count an array (empty for
// count 0; a null array for a missing key).
void PopGeneric(CommandContext& ctx, End end) {
  if (ctx.argc() > 3) return ctx.ReplyWrongArity();
  const bool has_count = ctx.argc() == 3;
  int64_t count = 0;
  if (has_count && (!ParseInt64(ctx.arg(2), &count) || count < 0)) {
    return ctx.reply().Error(kErrCountPositive);
  }
  const string_view key = ctx.arg(1);
  bool failed;
  KeyEntry* e = LookupListWrite(ctx, key, &failed);
  if (failed) return;
  if (!e) return has_count ? ctx.reply().NullArray() : ctx.reply().Null();
  if (has_count && count == 0) return ctx.reply().EmptyArray();
  if (!has_count) {
    ctx.reply().Bulk(Pop(ListOf(e), end));
    ctx.Notify(notify::kList, PopEvent(end), key);
    DeleteIfEmpty(ctx, e, key);
    ctx.MarkDirty();
    return;
  }
  PopRangeReply(ctx, e, key, end, count);
}

void CmdLPop(CommandContext& ctx) { PopGeneric(ctx, End::kHead); }
void CmdRPop(CommandContext& ctx) { PopGeneric(ctx, End::kTail); }

// Redis's lmpopGenericCommand: numkeys at `numkeys_idx`, the keys, LEFT|RIGHT, [COUNT n].
// Parses into *keys, *end and *count; false after replying an error.
bool ParseMpop(CommandContext& ctx, size_t numkeys_idx, std::vector<string_view>* keys, End* end,
               int64_t* count) {
  int64_t numkeys;
  if (!ParseInt64(ctx.arg(numkeys_idx), &numkeys) || numkeys < 1) {
    ctx.reply().Error(kErrNumkeys);
    return false;
  }
  const size_t where_idx = numkeys_idx + 1;
  if (static_cast<uint64_t>(numkeys) >= ctx.argc() - where_idx) {
    ctx.ReplySyntaxError();
    return false;
  }
  const size_t end_idx = where_idx + static_cast<size_t>(numkeys);
  if (!ParseEnd(ctx, ctx.arg(end_idx), end)) return false;
  *count = -1;
  for (size_t j = end_idx + 1; j < ctx.argc(); ++j) {
    const bool more = j + 1 < ctx.argc();
    if (*count == -1 && more && EqualsIgnoreCase(ctx.arg(j), "count")) {
      if (!ParseInt64(ctx.arg(++j), count) || *count < 1) {
        ctx.reply().Error(kErrMpopCount);
        return false;
      }
    } else {
      ctx.ReplySyntaxError();
      return false;
    }
  }
  if (*count == -1) *count = 1;
  keys->assign(ctx.args().begin() + where_idx, ctx.args().begin() + end_idx);
  return true;
}

// Serves the first non-empty list among `keys`: true if it did (or replied WRONGTYPE).
bool MpopFirst(CommandContext& ctx, const std::vector<string_view>& keys, End end, int64_t count,
               bool* failed) {
  for (string_view key : keys) {
    KeyEntry* e = LookupListWrite(ctx, key, failed);
    if (*failed) return true;
    if (!e || ListOf(e).empty()) continue;
    MpopServe(ctx, e, key, end, count);
    return true;
  }
  return false;
}

void CmdLMPop(CommandContext& ctx) {
  std::vector<string_view> keys;
  End end;
  int64_t count;
  if (!ParseMpop(ctx, 1, &keys, &end, &count)) return;
  bool failed = false;
  if (!MpopFirst(ctx, keys, end, count, &failed)) ctx.reply().NullArray();
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

void CmdLLen(CommandContext& ctx) {
  bool failed;
  KeyEntry* e = LookupListRead(ctx, ctx.arg(1), &failed);
  if (failed) return;
  ctx.reply().Integer(e ? static_cast<int64_t>(ListOf(e).size()) : 0);
}

void CmdLIndex(CommandContext& ctx) {
  bool failed;
  KeyEntry* e = LookupListRead(ctx, ctx.arg(1), &failed);
  if (failed) return;
  if (!e) return ctx.reply().Null();
  int64_t index;
  if (!ParseIndex(ctx, ctx.arg(2), &index)) return;
  std::string value;
  if (!ListOf(e).Get(index, &value)) return ctx.reply().Null();
  ctx.reply().Bulk(value);
}

void CmdLRange(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseIndex(ctx, ctx.arg(2), &start) || !ParseIndex(ctx, ctx.arg(3), &end)) return;
  bool failed;
  KeyEntry* e = LookupListRead(ctx, ctx.arg(1), &failed);
  if (failed) return;
  if (!e) return ctx.reply().EmptyArray();
  ReplyRange(ctx, ListOf(e), start, end, /*reverse=*/false);
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len].
void CmdLPos(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;
  // Redis 7.0 negates RANK in a C long: -LONG_MIN stays LONG_MIN, which then matches from the
  // tail from the first match on and never reaches a COUNT. Keep that answer without the overflow.
  bool unbounded_rank = false;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    const string_view opt = ctx.arg(j);
    const bool more = j + 1 < ctx.argc();
    if (more && EqualsIgnoreCase(opt, "rank")) {
      if (!ParseIndex(ctx, ctx.arg(++j), &rank)) return;
      unbounded_rank = rank == INT64_MIN;
      if (rank == 0) return ctx.reply().Error(kErrRankZero);
    } else if (more && EqualsIgnoreCase(opt, "count")) {
      if (!ParseInt64(ctx.arg(++j), &count) || count < 0) {
        return ctx.reply().Error(kErrLposCountNegative);
      }
    } else if (more && EqualsIgnoreCase(opt, "maxlen")) {
      if (!ParseInt64(ctx.arg(++j), &maxlen) || maxlen < 0) {
        return ctx.reply().Error(kErrMaxlenNegative);
      }
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  const bool from_tail = rank < 0;
  if (unbounded_rank) {
    rank = 1;
  } else if (from_tail) {
    rank = -rank;
  }

  bool failed;
  KeyEntry* e = LookupListRead(ctx, ctx.arg(1), &failed);
  if (failed) return;
  if (!e) return count != -1 ? ctx.reply().EmptyArray() : ctx.reply().Null();

  Quicklist& ql = ListOf(e);
  const int64_t len = static_cast<int64_t>(ql.size());
  const string_view element = ctx.arg(2);
  std::vector<int64_t> found;
  Quicklist::Iterator it = from_tail ? ql.IteratorAt(-1, Quicklist::Direction::kTailToHead)
                                     : ql.IteratorAt(0, Quicklist::Direction::kHeadToTail);
  PackedValue v;
  int64_t index = 0, matches = 0;
  while ((maxlen == 0 || index < maxlen) && it.Next(&v)) {
    if (v.Equals(element) && ++matches >= rank) {
      found.push_back(from_tail ? len - index - 1 : index);
      // Without COUNT the first match is the answer; COUNT 0 means all of them.
      if (count == -1 || (count && !unbounded_rank && matches - rank + 1 >= count)) break;
    }
    ++index;
  }
  if (count != -1) {
    ctx.reply().ArrayLen(found.size());
    for (int64_t i : found) ctx.reply().Integer(i);
  } else if (found.empty()) {
    ctx.reply().Null();
  } else {
    ctx.reply().Integer(found[0]);
  }
}

// ---------------------------------------------------------------------------------------------
// Edits
// ---------------------------------------------------------------------------------------------

void CmdLSet(CommandContext& ctx) {
  bool failed;
  KeyEntry* e = LookupListWrite(ctx, ctx.arg(1), &failed);
  if (failed) return;
  if (!e) return ctx.ReplyStatus(OpStatus::kKeyNotFound);
  int64_t index;
  if (!ParseIndex(ctx, ctx.arg(2), &index)) return;
  if (!ListOf(e).Replace(index, ctx.arg(3))) return ctx.ReplyStatus(OpStatus::kOutOfRange);
  ctx.MarkDirty();
  ctx.Notify(notify::kList, "lset", ctx.arg(1));
  ctx.reply().Ok();
}

// LINSERT key BEFORE|AFTER pivot element: -1 when the pivot is absent, 0 for a missing key.
void CmdLInsert(CommandContext& ctx) {
  bool after;
  if (EqualsIgnoreCase(ctx.arg(2), "after")) {
    after = true;
  } else if (EqualsIgnoreCase(ctx.arg(2), "before")) {
    after = false;
  } else {
    return ctx.ReplySyntaxError();
  }
  bool failed;
  KeyEntry* e = LookupListWrite(ctx, ctx.arg(1), &failed);
  if (failed) return;
  if (!e) return ctx.reply().Integer(0);
  Quicklist& ql = ListOf(e);
  bool inserted = false;
  {
    Quicklist::Iterator it = ql.IteratorAt(0, Quicklist::Direction::kHeadToTail);
    PackedValue v;
    while (it.Next(&v)) {
      if (v.Equals(ctx.arg(3))) {
        if (after) {
          it.InsertAfter(ctx.arg(4));
        } else {
          it.InsertBefore(ctx.arg(4));
        }
        inserted = true;
        break;
      }
    }
  }
  if (!inserted) return ctx.reply().Integer(-1);
  ctx.MarkDirty();
  ctx.Notify(notify::kList, "linsert", ctx.arg(1));
  ctx.reply().Integer(static_cast<int64_t>(ql.size()));
}

// LREM key count element: count > 0 from the head, < 0 from the tail, 0 all.
void CmdLRem(CommandContext& ctx) {
  int64_t to_remove;
  if (!ParseIndex(ctx, ctx.arg(2), &to_remove)) return;
  const string_view key = ctx.arg(1);
  bool failed;
  KeyEntry* e = LookupListWrite(ctx, key, &failed);
  if (failed) return;
  if (!e) return ctx.reply().Integer(0);
  Quicklist& ql = ListOf(e);
  const bool from_tail = to_remove < 0;
  // -INT64_MIN overflows; any count beyond the length removes every match anyway.
  const uint64_t limit = from_tail ? 0 - static_cast<uint64_t>(to_remove)
                                   : static_cast<uint64_t>(to_remove);
  uint64_t removed = 0;
  {
    Quicklist::Iterator it = from_tail ? ql.IteratorAt(-1, Quicklist::Direction::kTailToHead)
                                       : ql.IteratorAt(0, Quicklist::Direction::kHeadToTail);
    PackedValue v;
    const string_view element = ctx.arg(3);
    while (it.Next(&v)) {
      if (!v.Equals(element)) continue;
      it.DeleteCurrent();
      ++removed;
      if (limit && removed == limit) break;
    }
  }
  if (removed) {
    ctx.Notify(notify::kList, "lrem", key);
    DeleteIfEmpty(ctx, e, key);
    ctx.MarkDirty(removed);
  }
  ctx.reply().Integer(static_cast<int64_t>(removed));
}

void CmdLTrim(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseIndex(ctx, ctx.arg(2), &start) || !ParseIndex(ctx, ctx.arg(3), &end)) return;
  const string_view key = ctx.arg(1);
  bool failed;
  KeyEntry* e = LookupListWrite(ctx, key, &failed);
  if (failed) return;
  if (!e) return ctx.reply().Ok();
  Quicklist& ql = ListOf(e);
  const int64_t len = static_cast<int64_t>(ql.size());
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  int64_t ltrim, rtrim;
  if (start > end || start >= len) {
    ltrim = len;  // nothing left
    rtrim = 0;
  } else {
    if (end >= len) end = len - 1;
    ltrim = start;
    rtrim = len - end - 1;
  }
  ql.DeleteRange(0, ltrim);
  ql.DeleteRange(-rtrim, rtrim);
  ctx.Notify(notify::kList, "ltrim", key);  // even when nothing was trimmed, as Redis
  DeleteIfEmpty(ctx, e, key);
  if (ltrim + rtrim) ctx.MarkDirty(static_cast<uint64_t>(ltrim + rtrim));
  ctx.reply().Ok();
}

// ---------------------------------------------------------------------------------------------
// Moves
// ---------------------------------------------------------------------------------------------

// Redis's lmoveGenericCommand: pops from `from` of the source and pushes to `to` of the
// destination (which may be the same list), replying with the element. Null for a missing
// source. Returns whether it moved an element.
bool MoveGeneric(CommandContext& ctx, End from, End to) {
  const string_view src_key = ctx.arg(1);
  const string_view dst_key = ctx.arg(2);
  bool failed;
  KeyEntry* src = LookupListWrite(ctx, src_key, &failed);
  if (failed) return false;
  if (!src || ListOf(src).empty()) {
    ctx.reply().Null();
    return false;
  }
  KeyEntry* dst = LookupListWrite(ctx, dst_key, &failed);
  if (failed) return false;
  std::string value = Pop(ListOf(src), from);
  if (!dst) dst = CreateList(ctx, dst_key);
  Push(ListOf(dst), to, value);
  ctx.Notify(notify::kList, PushEvent(to), dst_key);
  ctx.reply().Bulk(value);
  // As Redis: the push event, then the pop (and "del" when the source emptied).
  ctx.Notify(notify::kList, PopEvent(from), src_key);
  // The source may be the destination: look it up again rather than trust `src`.
  if (KeyEntry* again = ctx.db().FindRaw(src_key); again && ListOf(again).empty()) {
    ctx.db().Delete(src_key);
    ctx.Notify(notify::kGeneric, "del", src_key);
  }
  ctx.MarkDirty();
  return true;
}

void CmdLMove(CommandContext& ctx) {
  End from, to;
  if (!ParseEnd(ctx, ctx.arg(3), &from) || !ParseEnd(ctx, ctx.arg(4), &to)) return;
  MoveGeneric(ctx, from, to);
}

void CmdRPopLPush(CommandContext& ctx) { MoveGeneric(ctx, End::kTail, End::kHead); }

// ---------------------------------------------------------------------------------------------
// Blocking
// ---------------------------------------------------------------------------------------------

// BLPOP/BRPOP key [key ...] timeout.
void BlockingPop(CommandContext& ctx, End end) {
  int64_t deadline_ms;
  if (!ParseBlockingTimeout(ctx, ctx.arg(ctx.argc() - 1), &deadline_ms)) return;
  for (size_t i = 1; i + 1 < ctx.argc(); ++i) {
    const string_view key = ctx.arg(i);
    bool failed;
    KeyEntry* e = LookupListWrite(ctx, key, &failed);
    if (failed) return;
    if (!e || ListOf(e).empty()) continue;
    ctx.reply().ArrayLen(2);
    ctx.reply().Bulk(key);
    ctx.reply().Bulk(Pop(ListOf(e), end));
    ctx.Notify(notify::kList, PopEvent(end), key);
    DeleteIfEmpty(ctx, e, key);
    ctx.MarkDirty();
    ctx.Propagate({end == End::kHead ? "LPOP" : "RPOP", std::string(key)});
    return;
  }
  if (!ctx.may_block()) return ctx.reply().NullArray();
  ctx.BlockOnKeys(std::vector<std::string>(ctx.args().begin() + 1, ctx.args().end() - 1),
                  deadline_ms, ValueType::kList);
}

void CmdBLPop(CommandContext& ctx) { BlockingPop(ctx, End::kHead); }
void CmdBRPop(CommandContext& ctx) { BlockingPop(ctx, End::kTail); }

// Redis's blmoveGenericCommand: LMOVE when the source exists, otherwise block on it (a null
// bulk reply where blocking is not allowed, as Redis answers in MULTI).
void BlockingMove(CommandContext& ctx, End from, End to, int64_t deadline_ms) {
  bool failed;
  KeyEntry* src = LookupListWrite(ctx, ctx.arg(1), &failed);
  if (failed) return;
  if (!src) {
    if (!ctx.may_block()) return ctx.reply().Null();
    return ctx.BlockOnKeys({std::string(ctx.arg(1))}, deadline_ms, ValueType::kList);
  }
  if (!MoveGeneric(ctx, from, to)) return;
  if (ctx.argc() == 6) {
    ctx.Propagate({"LMOVE", std::string(ctx.arg(1)), std::string(ctx.arg(2)),
                   std::string(ctx.arg(3)), std::string(ctx.arg(4))});
  } else {
    ctx.Propagate({"RPOPLPUSH", std::string(ctx.arg(1)), std::string(ctx.arg(2))});
  }
}

void CmdBLMove(CommandContext& ctx) {
  End from, to;
  if (!ParseEnd(ctx, ctx.arg(3), &from) || !ParseEnd(ctx, ctx.arg(4), &to)) return;
  int64_t deadline_ms;
  if (!ParseBlockingTimeout(ctx, ctx.arg(5), &deadline_ms)) return;
  BlockingMove(ctx, from, to, deadline_ms);
}

void CmdBRPopLPush(CommandContext& ctx) {
  int64_t deadline_ms;
  if (!ParseBlockingTimeout(ctx, ctx.arg(3), &deadline_ms)) return;
  BlockingMove(ctx, End::kTail, End::kHead, deadline_ms);
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
void CmdBLMPop(CommandContext& ctx) {
  std::vector<string_view> keys;
  End end;
  int64_t count;
  if (!ParseMpop(ctx, 2, &keys, &end, &count)) return;
  int64_t deadline_ms;
  if (!ParseBlockingTimeout(ctx, ctx.arg(1), &deadline_ms)) return;
  bool failed = false;
  if (MpopFirst(ctx, keys, end, count, &failed)) return;
  if (!ctx.may_block()) return ctx.reply().NullArray();
  ctx.BlockOnKeys(std::vector<std::string>(keys.begin(), keys.end()), deadline_ms,
                  ValueType::kList);
}

}  // namespace

void RegisterListFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kList = acl_cat::kList;
  table.Add(MakeCommand("lpush", -3, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdLPush, "list", kList,
                        "Prepends one or more elements to a list, creating it if needed.",
                        "1.0.0"));
  table.Add(MakeCommand("rpush", -3, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdRPush, "list", kList,
                        "Appends one or more elements to a list, creating it if needed.",
                        "1.0.0"));
  table.Add(MakeCommand("lpushx", -3, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdLPushX, "list",
                        kList, "Prepends elements to a list only if the list exists.", "2.2.0"));
  table.Add(MakeCommand("rpushx", -3, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdRPushX, "list",
                        kList, "Appends elements to a list only if the list exists.", "2.2.0"));
  table.Add(MakeCommand("lpop", -2, kWrite | kFast, {1, 1, 1}, CmdLPop, "list", kList,
                        "Removes and returns the first elements of a list.", "1.0.0"));
  table.Add(MakeCommand("rpop", -2, kWrite | kFast, {1, 1, 1}, CmdRPop, "list", kList,
                        "Removes and returns the last elements of a list.", "1.0.0"));
  table.Add(MakeCommand("lmpop", -4, kWrite | kMovableKeys, kNoKeys, CmdLMPop, "list", kList,
                        "Pops elements from the first non-empty list among several.", "7.0.0"));
  table.Add(MakeCommand("llen", 2, kReadOnly | kFast, {1, 1, 1}, CmdLLen, "list", kList,
                        "Returns the length of a list.", "1.0.0"));
  table.Add(MakeCommand("lindex", 3, kReadOnly, {1, 1, 1}, CmdLIndex, "list", kList,
                        "Returns an element of a list by its index.", "1.0.0"));
  table.Add(MakeCommand("lrange", 4, kReadOnly, {1, 1, 1}, CmdLRange, "list", kList,
                        "Returns a range of elements of a list.", "1.0.0"));
  table.Add(MakeCommand("lpos", -3, kReadOnly, {1, 1, 1}, CmdLPos, "list", kList,
                        "Returns the indexes of the elements of a list equal to a value.",
                        "6.0.6"));
  table.Add(MakeCommand("lset", 4, kWrite | kDenyOom, {1, 1, 1}, CmdLSet, "list", kList,
                        "Sets the element of a list at an index.", "1.0.0"));
  table.Add(MakeCommand("linsert", 5, kWrite | kDenyOom, {1, 1, 1}, CmdLInsert, "list", kList,
                        "Inserts an element before or after another element of a list.",
                        "2.2.0"));
  table.Add(MakeCommand("lrem", 4, kWrite, {1, 1, 1}, CmdLRem, "list", kList,
                        "Removes elements equal to a value from a list.", "1.0.0"));
  table.Add(MakeCommand("ltrim", 4, kWrite, {1, 1, 1}, CmdLTrim, "list", kList,
                        "Keeps only a range of elements of a list.", "1.0.0"));
  table.Add(MakeCommand("lmove", 5, kWrite | kDenyOom, {1, 2, 1}, CmdLMove, "list", kList,
                        "Moves an element from one end of a list to an end of another.",
                        "6.2.0"));
  table.Add(MakeCommand("rpoplpush", 3, kWrite | kDenyOom, {1, 2, 1}, CmdRPopLPush, "list", kList,
                        "Moves the last element of a list to the head of another.", "1.2.0"));
  table.Add(MakeCommand("blpop", -3, kWrite | kNoScript | kBlocking, {1, -2, 1}, CmdBLPop, "list",
                        kList, "Pops the first element of the first non-empty list, or blocks.",
                        "2.0.0"));
  table.Add(MakeCommand("brpop", -3, kWrite | kNoScript | kBlocking, {1, -2, 1}, CmdBRPop, "list",
                        kList, "Pops the last element of the first non-empty list, or blocks.",
                        "2.0.0"));
  table.Add(MakeCommand("blmove", 6, kWrite | kDenyOom | kNoScript | kBlocking, {1, 2, 1},
                        CmdBLMove, "list", kList,
                        "Moves an element between lists, or blocks until one is available.",
                        "6.2.0"));
  table.Add(MakeCommand("brpoplpush", 4, kWrite | kDenyOom | kNoScript | kBlocking, {1, 2, 1},
                        CmdBRPopLPush, "list", kList,
                        "Moves the last element of a list to another, or blocks.", "2.2.0"));
  table.Add(MakeCommand("blmpop", -5, kWrite | kBlocking | kMovableKeys, kNoKeys, CmdBLMPop,
                        "list", kList,
                        "Pops elements from the first non-empty list among several, or blocks.",
                        "7.0.0"));
}

}  // namespace ember
