// Set commands: membership (SADD, SREM, SMOVE, SISMEMBER, SMISMEMBER, SCARD, SMEMBERS), random
// members (SPOP, SRANDMEMBER), the algebra (SINTER, SINTERCARD, SUNION, SDIFF and the *STORE
// forms) and SSCAN. Redis keeps these in t_set.c; db/set_object.h holds the encodings.
//
// Replies follow Redis 7.0: SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count reply a set
// (RESP3 '~'), SRANDMEMBER with a count an array. Result sets are built the way Redis builds them
// (an intset that converts as members arrive), so their encoding and, for integer results, their
// order match. SPOP is propagated as its effects, as 7.0 does: SREM key member for each popped
// member (several SREMs go out wrapped in MULTI/EXEC), or DEL key when the whole set was popped.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/command_families.h"
#include "commands/scan_options.h"
#include "common/errors.h"
#include "common/strings.h"
#include "db/database.h"
#include "db/set_object.h"
#include "db/value.h"
#include "ds/string_set.h"

namespace ember {

namespace {

using std::string_view;

// Error texts only this family sends, word for word as Redis 7.0.
constexpr string_view kErrMustBePositive = "ERR value is out of range, must be positive";
constexpr string_view kErrNumkeys = "ERR numkeys should be greater than 0";
constexpr string_view kErrTooManyNumkeys = "ERR Number of keys can't be greater than number of args";
constexpr string_view kErrLimitNegative = "ERR LIMIT can't be negative";
constexpr string_view kErrReplyTooLarge =
    "ERR count is too large: the reply would exceed proto-max-bulk-len";
constexpr string_view kErrCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

// SPOP with a count pops one member at a time while the set keeps more than 1/5 of the count
// (Redis's SPOP_MOVE_STRATEGY_MUL); otherwise it moves the survivors to a new set instead.
constexpr uint64_t kSpopMoveStrategyMul = 5;
// SRANDMEMBER with a count copies the whole set and drops members when the set holds fewer than
// 3x the count (SRANDMEMBER_SUB_STRATEGY_MUL); otherwise it samples until it has enough.
constexpr uint64_t kSrandmemberSubStrategyMul = 3;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

bool IsSet(const KeyEntry* e) { return e->value.type() == ValueType::kSet; }

// Redis's getPositiveLongFromObjectOrReply without a custom message.
bool ParseNonNegative(CommandContext& ctx, string_view arg, int64_t* out, string_view error) {
  if (!ParseInt64(arg, out) || *out < 0) {
    ctx.reply().Error(error);
    return false;
  }
  return true;
}

// The sets named by `keys` (null for a missing key), or false after replying WRONGTYPE.
bool LookupSets(CommandContext& ctx, std::span<const string_view> keys, std::vector<Value*>* sets) {
  sets->clear();
  for (string_view key : keys) {
    KeyEntry* e = ctx.LookupRead(key);
    if (e && !IsSet(e)) {
      ctx.ReplyStatus(OpStatus::kWrongType);
      return false;
    }
    sets->push_back(e ? &e->value : nullptr);
  }
  return true;
}

void ReplyMembers(CommandContext& ctx, const Value& set) {
  ctx.reply().SetLen(SetSize(set));
  SetForEach(set, [&](string_view m) { ctx.reply().Bulk(m); });
}

// Stores the result of a *STORE command as Redis's setKey (replacing the value and its TTL), or
// deletes the destination when the result is empty. Replies the result's size. `event` is the
// keyspace notification of a stored result ("sinterstore", ...); a deletion is "del".
void StoreResult(CommandContext& ctx, string_view dst, Value result, string_view event) {
  Database& db = ctx.db();
  const size_t size = SetSize(result);
  if (size > 0) {
    // As Redis's setKey: an expired destination goes first ("expired"), then the key is new.
    // An empty result deletes without that check (dbDelete), so a stale key is a "del".
    ctx.LookupWrite(dst);
    db.Set(dst, std::move(result));
    ctx.MarkDirty();
    ctx.Notify(notify::kSet, event, dst);
  } else if (db.Delete(dst)) {
    ctx.MarkDirty();
    ctx.Notify(notify::kGeneric, "del", dst);
  }
  ctx.reply().Integer(static_cast<int64_t>(size));
}

// ---------------------------------------------------------------------------------------------
// SADD, SREM, SMOVE
// ---------------------------------------------------------------------------------------------

void CmdSAdd(CommandContext& ctx) {
  string_view key = ctx.arg(1);
  KeyEntry* e = ctx.LookupWrite(key);
  if (e && !IsSet(e)) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    return;
  }
  if (!e) e = ctx.AddNewKey(key, NewSetFor(ctx.arg(2)));
  int64_t added = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) added += SetAdd(e->value, ctx.arg(i));
  if (added) {
    ctx.MarkDirty(static_cast<uint64_t>(added));
    ctx.Notify(notify::kSet, "sadd", key);
  }
  ctx.reply().Integer(added);
}

void CmdSRem(CommandContext& ctx) {
  string_view key = ctx.arg(1);
  KeyEntry* e = ctx.LookupWrite(key);
  if (!e) {
    ctx.reply().Integer(0);
    return;
  }
  if (!IsSet(e)) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    return;
  }
  int64_t removed = 0;
  bool key_removed = false;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (!SetRemove(e->value, ctx.arg(i))) continue;
    ++removed;
    if (SetSize(e->value) == 0) {
      ctx.db().Delete(key);
      key_removed = true;
      break;
    }
  }
  if (removed) {
    ctx.MarkDirty(static_cast<uint64_t>(removed));
    ctx.Notify(notify::kSet, "srem", key);
    if (key_removed) ctx.Notify(notify::kGeneric, "del", key);
  }
  ctx.reply().Integer(removed);
}

void CmdSMove(CommandContext& ctx) {
  string_view src_key = ctx.arg(1), dst_key = ctx.arg(2), member = ctx.arg(3);
  KeyEntry* src = ctx.LookupWrite(src_key);
  KeyEntry* dst = ctx.LookupWrite(dst_key);
  // As Redis: a missing source answers 0 before the destination's type is looked at.
  if (!src) {
    ctx.reply().Integer(0);
    return;
  }
  if (!IsSet(src) || (dst && !IsSet(dst))) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    return;
  }
  if (src == dst) {
    ctx.reply().Integer(SetIsMember(src->value, member) ? 1 : 0);
    return;
  }
  if (!SetRemove(src->value, member)) {
    ctx.reply().Integer(0);
    return;
  }
  ctx.Notify(notify::kSet, "srem", src_key);
  if (SetSize(src->value) == 0) {
    ctx.db().Delete(src_key);
    ctx.Notify(notify::kGeneric, "del", src_key);
  }
  if (!dst) dst = ctx.AddNewKey(dst_key, NewSetFor(member));
  ctx.MarkDirty();
  if (SetAdd(dst->value, member)) {
    ctx.MarkDirty();
    ctx.Notify(notify::kSet, "sadd", dst_key);
  }
  ctx.reply().Integer(1);
}

// ---------------------------------------------------------------------------------------------
// SCARD, SISMEMBER, SMISMEMBER
// ---------------------------------------------------------------------------------------------

void CmdSCard(CommandContext& ctx) {
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (e && !IsSet(e)) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    return;
  }
  ctx.reply().Integer(e ? static_cast<int64_t>(SetSize(e->value)) : 0);
}

void CmdSIsMember(CommandContext& ctx) {
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (e && !IsSet(e)) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    return;
  }
  ctx.reply().Integer(e && SetIsMember(e->value, ctx.arg(2)) ? 1 : 0);
}

void CmdSMIsMember(CommandContext& ctx) {
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (e && !IsSet(e)) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    return;
  }
  ctx.reply().ArrayLen(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply().Integer(e && SetIsMember(e->value, ctx.arg(i)) ? 1 : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// SINTER, SINTERCARD, SINTERSTORE, SMEMBERS
// ---------------------------------------------------------------------------------------------

enum class InterOutput { kReply, kCardinality, kStore };

// Redis's sinterGenericCommand: walks the smallest set and keeps the members every other set
// holds. `limit` (SINTERCARD) stops counting early; 0 is no limit.
void InterGeneric(CommandContext& ctx, std::span<const string_view> keys, InterOutput output,
                  string_view dst, uint64_t limit) {
  std::vector<Value*> sets;
  if (!LookupSets(ctx, keys, &sets)) return;

  // Intersecting with a missing (empty) set gives the empty set.
  if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) {
    switch (output) {
      case InterOutput::kStore: StoreResult(ctx, dst, NewIntsetSetValue(), "sinterstore"); break;
      case InterOutput::kCardinality: ctx.reply().Integer(0); break;
      case InterOutput::kReply: ctx.reply().SetLen(0); break;
    }
    return;
  }
  std::stable_sort(sets.begin(), sets.end(),
                   [](const Value* a, const Value* b) { return SetSize(*a) < SetSize(*b); });

  Value* smallest = sets[0];
  std::vector<std::string> members;
  Value stored = NewIntsetSetValue();
  uint64_t cardinality = 0;
  bool stop = false;
  SetForEach(*smallest, [&](string_view m) {
    if (stop) return;
    for (size_t j = 1; j < sets.size(); ++j) {
      // The same key twice: never probe the table being walked (a lookup moves its rehash).
      if (sets[j]->object() == smallest->object()) continue;
      if (!SetIsMember(*sets[j], m)) return;
    }
    ++cardinality;
    if (output == InterOutput::kCardinality) {
      stop = limit && cardinality >= limit;
    } else if (output == InterOutput::kReply) {
      members.emplace_back(m);
    } else {
      SetAdd(stored, m);
    }
  });

  switch (output) {
    case InterOutput::kStore: StoreResult(ctx, dst, std::move(stored), "sinterstore"); break;
    case InterOutput::kCardinality: ctx.reply().Integer(static_cast<int64_t>(cardinality)); break;
    case InterOutput::kReply:
      ctx.reply().SetLen(members.size());
      for (const auto& m : members) ctx.reply().Bulk(m);
      break;
  }
}

void CmdSInter(CommandContext& ctx) {
  InterGeneric(ctx, ctx.args().subspan(1), InterOutput::kReply, {}, 0);
}

void CmdSInterStore(CommandContext& ctx) {
  InterGeneric(ctx, ctx.args().subspan(2), InterOutput::kStore, ctx.arg(1), 0);
}

void CmdSInterCard(CommandContext& ctx) {
  int64_t numkeys;
  if (!ParseInt64(ctx.arg(1), &numkeys) || numkeys < 1) {
    ctx.reply().Error(kErrNumkeys);
    return;
  }
  if (numkeys > static_cast<int64_t>(ctx.argc()) - 2) {
    ctx.reply().Error(kErrTooManyNumkeys);
    return;
  }
  int64_t limit = 0;
  for (size_t j = 2 + static_cast<size_t>(numkeys); j < ctx.argc(); ++j) {
    if (EqualsIgnoreCase(ctx.arg(j), "limit") && j + 1 < ctx.argc()) {
      if (!ParseNonNegative(ctx, ctx.arg(++j), &limit, kErrLimitNegative)) return;
    } else {
      ctx.ReplySyntaxError();
      return;
    }
  }
  InterGeneric(ctx, ctx.args().subspan(2, static_cast<size_t>(numkeys)),
               InterOutput::kCardinality, {}, static_cast<uint64_t>(limit));
}

// ---------------------------------------------------------------------------------------------
// SUNION, SDIFF and their *STORE forms
// ---------------------------------------------------------------------------------------------

enum class SetOp { kUnion, kDiff };

// Redis's sunionDiffGenericCommand: the result is built as a new set starting as an intset.
// Returns false after replying an error.
bool UnionDiff(CommandContext& ctx, std::span<const string_view> keys, SetOp op, Value* result) {
  std::vector<Value*> sets;
  if (!LookupSets(ctx, keys, &sets)) return false;
  *result = NewIntsetSetValue();
  if (op == SetOp::kUnion) {
    for (Value* s : sets) {
      if (s) SetForEach(*s, [&](string_view m) { SetAdd(*result, m); });
    }
    return true;
  }
  Value* first = sets[0];
  if (!first) return true;

  // Two ways to subtract, chosen as Redis chooses: probe every other set for each member of the
  // first (size(first) * number of sets), or copy the first and remove every other set's members
  // (sum of the sizes). The first is favoured: it stops early when a member is found.
  uint64_t probe_work = 0, remove_work = 0;
  for (Value* s : sets) {
    if (!s) continue;
    probe_work += SetSize(*first);
    remove_work += SetSize(*s);
  }
  if (probe_work / 2 <= remove_work) {
    // Larger sets first: a member present elsewhere is more likely found early.
    std::stable_sort(sets.begin() + 1, sets.end(), [](const Value* a, const Value* b) {
      return (a ? SetSize(*a) : 0) > (b ? SetSize(*b) : 0);
    });
    SetForEach(*first, [&](string_view m) {
      for (size_t j = 1; j < sets.size(); ++j) {
        if (!sets[j]) continue;
        if (sets[j]->object() == first->object()) return;  // subtracting the set from itself
        if (SetIsMember(*sets[j], m)) return;
      }
      SetAdd(*result, m);
    });
    return true;
  }
  for (size_t j = 0; j < sets.size(); ++j) {
    if (!sets[j]) continue;
    SetForEach(*sets[j], [&](string_view m) {
      if (j == 0) {
        SetAdd(*result, m);
      } else {
        SetRemove(*result, m);
      }
    });
    if (SetSize(*result) == 0) break;
  }
  return true;
}

void UnionDiffReply(CommandContext& ctx, SetOp op) {
  Value result;
  if (UnionDiff(ctx, ctx.args().subspan(1), op, &result)) ReplyMembers(ctx, result);
}

void UnionDiffStore(CommandContext& ctx, SetOp op) {
  Value result;
  if (UnionDiff(ctx, ctx.args().subspan(2), op, &result)) {
    StoreResult(ctx, ctx.arg(1), std::move(result),
                op == SetOp::kUnion ? "sunionstore" : "sdiffstore");
  }
}

void CmdSUnion(CommandContext& ctx) { UnionDiffReply(ctx, SetOp::kUnion); }
void CmdSUnionStore(CommandContext& ctx) { UnionDiffStore(ctx, SetOp::kUnion); }
void CmdSDiff(CommandContext& ctx) { UnionDiffReply(ctx, SetOp::kDiff); }
void CmdSDiffStore(CommandContext& ctx) { UnionDiffStore(ctx, SetOp::kDiff); }

// ---------------------------------------------------------------------------------------------
// SPOP, SRANDMEMBER
// ---------------------------------------------------------------------------------------------

void SPopWithCount(CommandContext& ctx) {
  string_view key = ctx.arg(1);
  int64_t requested;
  if (!ParseNonNegative(ctx, ctx.arg(2), &requested, kErrMustBePositive)) return;
  KeyEntry* e = ctx.LookupWrite(key);
  if (e && !IsSet(e)) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    return;
  }
  if (!e || requested == 0) {
    ctx.reply().SetLen(0);
    return;
  }
  const uint64_t count = static_cast<uint64_t>(requested);
  const uint64_t size = SetSize(e->value);
  auto& rng = ctx.keyspace().rng();
  ctx.Notify(notify::kSet, "spop", key);

  // Everything: reply as SUNION of the one set would, drop the key, propagate DEL.
  if (count >= size) {
    Value all = NewIntsetSetValue();
    SetForEach(e->value, [&](string_view m) { SetAdd(all, m); });
    ReplyMembers(ctx, all);
    ctx.db().Delete(key);
    ctx.Notify(notify::kGeneric, "del", key);
    ctx.MarkDirty(size);
    ctx.Propagate({"DEL", std::string(key)});
    return;
  }

  ctx.MarkDirty(count);
  ctx.reply().SetLen(count);
  auto pop_reply = [&](string_view member) {
    ctx.reply().Bulk(member);
    ctx.Propagate({"SREM", std::string(key), std::string(member)});
  };
  const uint64_t remaining = size - count;
  std::string member;
  if (remaining * kSpopMoveStrategyMul > count) {
    for (uint64_t i = 0; i < count; ++i) {
      SetRandomMember(e->value, rng, &member);
      SetRemove(e->value, member);
      pop_reply(member);
    }
    return;
  }
  // Most of the set goes: move the few survivors to a new set, hand out the rest.
  Value survivors;
  for (uint64_t i = 0; i < remaining; ++i) {
    SetRandomMember(e->value, rng, &member);
    if (i == 0) survivors = NewSetFor(member);
    SetAdd(survivors, member);
    SetRemove(e->value, member);
  }
  SetForEach(e->value, pop_reply);
  e->value = std::move(survivors);
}

// `count` distinct random members of a set larger than `count`.
std::vector<std::string> DistinctRandomMembers(Value& set, uint64_t count, std::mt19937_64& rng) {
  std::vector<std::string> picked;
  const uint64_t size = SetSize(set);
  if (count * kSrandmemberSubStrategyMul > size) {
    // Close to the whole set: take all, keep a uniformly random `count` of them.
    picked.reserve(size);
    SetForEach(set, [&](string_view m) { picked.emplace_back(m); });
    for (uint64_t i = 0; i < count; ++i) {
      std::swap(picked[i], picked[i + rng() % (size - i)]);
    }
    picked.resize(count);
    return picked;
  }
  // Much larger than `count`: sample until enough distinct members turned up.
  StringSet seen;
  picked.reserve(count);
  std::string member;
  while (picked.size() < count) {
    SetRandomMember(set, rng, &member);
    if (seen.Add(member)) picked.push_back(member);
  }
  return picked;
}

void SRandMemberWithCount(CommandContext& ctx) {
  int64_t requested;
  if (!ParseInt64(ctx.arg(2), &requested)) {
    ctx.reply().Error(errors::kNotInteger);
    return;
  }
  // As Redis 7.0: the most negative value has no positive counterpart and is out of range.
  if (requested == INT64_MIN) {
    ctx.reply().Error(kErrCountRange);
    return;
  }
  const bool distinct = requested >= 0;
  const uint64_t count = static_cast<uint64_t>(distinct ? requested : -requested);
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (e && !IsSet(e)) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    return;
  }
  if (!e || count == 0) {
    ctx.reply().EmptyArray();
    return;
  }
  // A negative count asks for that many members, repeats allowed, whatever the set's size: Redis
  // 7.0 builds such a reply whole and runs out of memory for a huge one. A count whose reply
  // (at least 4 bytes a member) could not fit in proto-max-bulk-len is refused instead.
  if (!distinct && count > static_cast<uint64_t>(ctx.services().max_string_len()) / 4) {
    ctx.reply().Error(kErrReplyTooLarge);
    return;
  }
  auto& rng = ctx.keyspace().rng();
  const uint64_t size = SetSize(e->value);
  std::string member;
  if (!distinct || count == 1) {
    ctx.reply().ArrayLen(count);
    for (uint64_t i = 0; i < count; ++i) {
      SetRandomMember(e->value, rng, &member);
      ctx.reply().Bulk(member);
    }
    return;
  }
  if (count >= size) {
    ctx.reply().ArrayLen(size);
    SetForEach(e->value, [&](string_view m) { ctx.reply().Bulk(m); });
    return;
  }
  std::vector<std::string> picked = DistinctRandomMembers(e->value, count, rng);
  ctx.reply().ArrayLen(picked.size());
  for (const auto& m : picked) ctx.reply().Bulk(m);
}

// SPOP and SRANDMEMBER: with a count, or one member (a bulk string; null for a missing key).
void RandomMemberCommand(CommandContext& ctx, bool pop) {
  if (ctx.argc() == 3) {
    pop ? SPopWithCount(ctx) : SRandMemberWithCount(ctx);
    return;
  }
  if (ctx.argc() > 3) {
    ctx.ReplySyntaxError();
    return;
  }
  string_view key = ctx.arg(1);
  KeyEntry* e = pop ? ctx.LookupWrite(key) : ctx.LookupRead(key);
  if (!e) {
    ctx.reply().Null();
    return;
  }
  if (!IsSet(e)) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    return;
  }
  std::string member;
  SetRandomMember(e->value, ctx.keyspace().rng(), &member);
  ctx.reply().Bulk(member);
  if (!pop) return;
  SetRemove(e->value, member);
  ctx.Notify(notify::kSet, "spop", key);
  ctx.Propagate({"SREM", std::string(key), member});
  if (SetSize(e->value) == 0) {
    ctx.db().Delete(key);
    ctx.Notify(notify::kGeneric, "del", key);
  }
  ctx.MarkDirty();
}

void CmdSPop(CommandContext& ctx) { RandomMemberCommand(ctx, /*pop=*/true); }
void CmdSRandMember(CommandContext& ctx) { RandomMemberCommand(ctx, /*pop=*/false); }

// ---------------------------------------------------------------------------------------------
// SMEMBERS, SSCAN
// ---------------------------------------------------------------------------------------------

void CmdSMembers(CommandContext& ctx) {
  InterGeneric(ctx, ctx.args().subspan(1, 1), InterOutput::kReply, {}, 0);
}

void CmdSScan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(2), &cursor)) {
    ctx.reply().Error(errors::kInvalidCursor);
    return;
  }
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (!e) {
    ctx.reply().ArrayLen(2);
    ctx.reply().Bulk("0");
    ctx.reply().EmptyArray();
    return;
  }
  if (!IsSet(e)) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    return;
  }
  ScanOptions opts;
  if (!ParseScanOptions(ctx, 3, /*allow_type=*/false, &opts)) return;

  // As Redis: gather ~count members (visiting at most count*10 buckets), then apply MATCH, so a
  // call may return fewer than COUNT members, even none, with a cursor to continue from.
  std::vector<std::string> found;
  int64_t max_iterations = opts.max_iterations();
  do {
    cursor = SetScan(e->value, cursor, [&](string_view m) { found.emplace_back(m); });
  } while (cursor && max_iterations-- && found.size() < static_cast<uint64_t>(opts.count));
  std::erase_if(found, [&](const std::string& m) { return !opts.Matches(m); });

  ctx.reply().ArrayLen(2);
  ctx.reply().Bulk(std::to_string(cursor));
  ctx.reply().ArrayLen(found.size());
  for (const auto& m : found) ctx.reply().Bulk(m);
}

}  // namespace

void RegisterSetFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kSetCat = acl_cat::kSet;
  table.Add(MakeCommand("sadd", -3, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdSAdd, "set", kSetCat,
                        "Adds one or more members to a set.", "1.0.0"));
  table.Add(MakeCommand("srem", -3, kWrite | kFast, {1, 1, 1}, CmdSRem, "set", kSetCat,
                        "Removes one or more members from a set.", "1.0.0"));
  table.Add(MakeCommand("smove", 4, kWrite | kFast, {1, 2, 1}, CmdSMove, "set", kSetCat,
                        "Moves a member from one set to another.", "1.0.0"));
  table.Add(MakeCommand("scard", 2, kReadOnly | kFast, {1, 1, 1}, CmdSCard, "set", kSetCat,
                        "Returns the number of members in a set.", "1.0.0"));
  table.Add(MakeCommand("sismember", 3, kReadOnly | kFast, {1, 1, 1}, CmdSIsMember, "set",
                        kSetCat, "Determines whether a member belongs to a set.", "1.0.0"));
  table.Add(MakeCommand("smismember", -3, kReadOnly | kFast, {1, 1, 1}, CmdSMIsMember, "set",
                        kSetCat, "Determines whether multiple members belong to a set.",
                        "6.2.0"));
  table.Add(MakeCommand("smembers", 2, kReadOnly, {1, 1, 1}, CmdSMembers, "set", kSetCat,
                        "Returns all members of a set.", "1.0.0"));
  table.Add(MakeCommand("spop", -2, kWrite | kFast, {1, 1, 1}, CmdSPop, "set", kSetCat,
                        "Returns one or more random members from a set after removing them. "
                        "Deletes the set if the last member was popped.",
                        "1.0.0"));
  table.Add(MakeCommand("srandmember", -2, kReadOnly, {1, 1, 1}, CmdSRandMember, "set", kSetCat,
                        "Get one or multiple random members from a set", "1.0.0"));
  table.Add(MakeCommand("sinter", -2, kReadOnly, {1, -1, 1}, CmdSInter, "set", kSetCat,
                        "Returns the intersect of multiple sets.", "1.0.0"));
  table.Add(MakeCommand("sintercard", -3, kReadOnly | kMovableKeys, kNoKeys, CmdSInterCard, "set",
                        kSetCat, "Returns the number of members of the intersect of multiple sets.",
                        "7.0.0"));
  table.Add(MakeCommand("sinterstore", -3, kWrite | kDenyOom, {1, -1, 1}, CmdSInterStore, "set",
                        kSetCat, "Stores the intersect of multiple sets in a key.", "1.0.0"));
  table.Add(MakeCommand("sunion", -2, kReadOnly, {1, -1, 1}, CmdSUnion, "set", kSetCat,
                        "Returns the union of multiple sets.", "1.0.0"));
  table.Add(MakeCommand("sunionstore", -3, kWrite | kDenyOom, {1, -1, 1}, CmdSUnionStore, "set",
                        kSetCat, "Stores the union of multiple sets in a key.", "1.0.0"));
  table.Add(MakeCommand("sdiff", -2, kReadOnly, {1, -1, 1}, CmdSDiff, "set", kSetCat,
                        "Returns the difference of multiple sets.", "1.0.0"));
  table.Add(MakeCommand("sdiffstore", -3, kWrite | kDenyOom, {1, -1, 1}, CmdSDiffStore, "set",
                        kSetCat, "Stores the difference of multiple sets in a key.", "1.0.0"));
  table.Add(MakeCommand("sscan", -3, kReadOnly, {1, 1, 1}, CmdSScan, "set", kSetCat,
                        "Iterates over members of a set.", "2.8.0"));
}

}  // namespace ember
