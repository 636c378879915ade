// String commands: SET and its variants (SETNX, SETEX, PSETEX, GETSET, MSET, MSETNX), reads
// (GET, MGET, GETRANGE/SUBSTR, STRLEN, LCS), read-and-modify (GETEX, GETDEL), in-place edits
// (APPEND, SETRANGE) and counters (INCR & co., INCRBYFLOAT). Redis keeps these in t_string.c.
//
// Values are created the way Redis's tryObjectEncoding would leave them ("int" for integers that
// round-trip, "embstr" up to 44 bytes, "raw" beyond); in-place edits turn a value "raw".
//
// Propagation follows Redis 7.0: any expiry option is sent as `SET key value PXAT <abs-ms>`
// (even one already in the past: the key is stored and expires lazily, as in 7.0), GETEX as
// PEXPIREAT / PERSIST / DEL, GETDEL as DEL, GETSET as SET, and INCRBYFLOAT as
// `SET key <result> KEEPTTL` so replicas never redo floating point arithmetic.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/command_families.h"
#include "commands/string_helpers.h"
#include "common/errors.h"
#include "common/strings.h"
#include "db/database.h"
#include "db/value.h"
#include "ds/bitops.h"

namespace ember {

namespace {

using std::string_view;
using namespace string_helpers;

// Error texts only this family sends, word for word as Redis 7.0.
constexpr string_view kErrOffsetRange = "ERR offset is out of range";
constexpr string_view kErrDecrOverflow = "ERR decrement would overflow";
constexpr string_view kErrNanOrInf = "ERR increment would produce NaN or Infinity";
constexpr string_view kErrLcsNotString = "ERR The specified keys must contain string values";
constexpr string_view kErrLcsIdxAndLen =
    "ERR If you want both the length and indexes, please just use IDX.";
constexpr string_view kErrLcsTooLong = "ERR String too long for LCS";
constexpr string_view kErrLcsExceedsLimit =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
constexpr string_view kErrLcsAlloc =
    "ERR Insufficient memory, failed allocating transient memory for LCS";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

// Redis's checkStringLength: may a string grow to `size + append` bytes? The master's link is
// exempt from proto-max-bulk-len (its writes were accepted by the master already).
bool StringLengthOk(CommandContext& ctx, int64_t size, int64_t append) {
  int64_t total;
  if (__builtin_add_overflow(size, append, &total) || total > kValueMaxLen) return false;
  if (ctx.client().is_master_link) return true;
  return total <= ctx.services().max_string_len();
}

// Stores `v` at `key`: over the entry a write lookup found (`e`; its TTL kept only with
// `keep_ttl`), or as a new key. Returns the key's entry.
KeyEntry* StoreString(CommandContext& ctx, KeyEntry* e, string_view key, Value v, bool keep_ttl) {
  if (!e) return ctx.AddNewKey(key, std::move(v));
  ctx.db().Overwrite(e, std::move(v), keep_ttl);
  return e;
}

// Replies with a string value's contents (int-encoded values are formatted on the stack).
void ReplyValue(CommandContext& ctx, const Value& v) {
  char scratch[21];
  ctx.reply().Bulk(v.GetString(scratch));
}

// Redis's getGenericCommand: replies with the value (or null) and returns the entry; returns
// nullptr after replying WRONGTYPE, setting *failed.
KeyEntry* GetGeneric(CommandContext& ctx, string_view key, bool* failed) {
  *failed = false;
  KeyEntry* e = ctx.LookupRead(key);
  if (!e) {
    ctx.reply().Null();
    return nullptr;
  }
  if (!IsString(e)) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    *failed = true;
    return nullptr;
  }
  ReplyValue(ctx, e->value);
  return e;
}

// ---------------------------------------------------------------------------------------------
// SET options and expiry
// ---------------------------------------------------------------------------------------------

namespace set_flag {
enum : uint32_t {
  kNx = 1 << 0,
  kXx = 1 << 1,
  kGet = 1 << 2,
  kKeepTtl = 1 << 3,
  kPersist = 1 << 4,
  kEx = 1 << 5,
  kPx = 1 << 6,
  kExAt = 1 << 7,
  kPxAt = 1 << 8,
};
constexpr uint32_t kAnyExpire = kEx | kPx | kExAt | kPxAt;
}  // namespace set_flag

enum class ExtCommand { kSet, kGetEx };

// Redis's parseExtendedStringArgumentsOrReply: the options of SET (from argv[3]) or GETEX (from
// argv[2]). Conflicting options are a syntax error; repeating the same one is allowed.
bool ParseExtendedOptions(CommandContext& ctx, ExtCommand cmd, uint32_t* flags,
                          string_view* expire) {
  using namespace set_flag;
  const bool is_set = cmd == ExtCommand::kSet;
  for (size_t j = is_set ? 3 : 2; j < ctx.argc(); ++j) {
    string_view opt = ctx.arg(j);
    const bool has_next = j + 1 < ctx.argc();
    const uint32_t f = *flags;
    uint32_t expire_flag = 0;
    if (EqualsIgnoreCase(opt, "ex")) {
      expire_flag = kEx;
    } else if (EqualsIgnoreCase(opt, "px")) {
      expire_flag = kPx;
    } else if (EqualsIgnoreCase(opt, "exat")) {
      expire_flag = kExAt;
    } else if (EqualsIgnoreCase(opt, "pxat")) {
      expire_flag = kPxAt;
    }
    if (expire_flag) {
      if ((f & (kKeepTtl | kPersist)) || (f & kAnyExpire & ~expire_flag) || !has_next) {
        return false;
      }
      *flags |= expire_flag;
      *expire = ctx.arg(++j);
    } else if (is_set && EqualsIgnoreCase(opt, "nx") && !(f & kXx)) {
      *flags |= kNx;
    } else if (is_set && EqualsIgnoreCase(opt, "xx") && !(f & kNx)) {
      *flags |= kXx;
    } else if (is_set && EqualsIgnoreCase(opt, "get")) {
      *flags |= kGet;
    } else if (is_set && EqualsIgnoreCase(opt, "keepttl") && !(f & (kPersist | kAnyExpire))) {
      *flags |= kKeepTtl;
    } else if (!is_set && EqualsIgnoreCase(opt, "persist") && !(f & (kKeepTtl | kAnyExpire))) {
      *flags |= kPersist;
    } else {
      return false;
    }
  }
  return true;
}

// Redis's getExpireMillisecondsOrReply: the absolute expiry in unix ms for an EX/PX/EXAT/PXAT
// argument. Non-positive values and overflow are "invalid expire time".
OpResult<int64_t> AbsoluteExpireMs(string_view arg, uint32_t flags, int64_t now_ms) {
  using namespace set_flag;
  int64_t v;
  if (!ParseInt64(arg, &v)) return OpStatus::kNotAnInteger;
  const bool seconds = flags & (kEx | kExAt);
  if (v <= 0 || (seconds && v > INT64_MAX / 1000)) return OpStatus::kInvalidExpire;
  if (seconds) v *= 1000;
  if ((flags & (kEx | kPx)) && __builtin_add_overflow(v, now_ms, &v)) {
    return OpStatus::kInvalidExpire;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// SET, SETNX, SETEX, PSETEX
// ---------------------------------------------------------------------------------------------

// Redis's setGenericCommand. With `one_zero` (SETNX) the replies are 1/0 instead of OK/null.
void SetGeneric(CommandContext& ctx, uint32_t flags, string_view key, string_view val,
                string_view expire_arg, bool one_zero) {
  using namespace set_flag;
  const bool has_expire = flags & kAnyExpire;
  int64_t when = 0;
  if (has_expire) {
    OpResult<int64_t> r = AbsoluteExpireMs(expire_arg, flags, ctx.now_ms());
    if (!r.ok()) return ctx.ReplyStatus(r.status());
    when = *r;
  }

  KeyEntry* e;
  if (flags & kGet) {
    bool failed;
    e = GetGeneric(ctx, key, &failed);  // replies with the old value
    if (failed) return;
  } else {
    e = ctx.LookupWrite(key);
  }

  if (((flags & kNx) && e) || ((flags & kXx) && !e)) {
    if (!(flags & kGet)) {
      if (one_zero) {
        ctx.reply().Integer(0);
      } else {
        ctx.reply().Null();
      }
    }
    return;
  }

  e = StoreString(ctx, e, key, Value::FromString(val), flags & kKeepTtl);
  ctx.MarkDirty();
  ctx.Notify(notify::kString, "set", key);

  if (has_expire) {
    ctx.db().SetExpire(e, when);
    ctx.Notify(notify::kGeneric, "expire", key);
    ctx.Propagate({"SET", std::string(key), std::string(val), "PXAT", Int64ToString(when)});
  } else if (flags & kGet) {
    // Replicas must not send a reply, so GET is dropped from what is propagated.
    std::vector<std::string> argv;
    argv.reserve(ctx.argc());
    for (size_t j = 0; j < ctx.argc(); ++j) {
      if (j >= 3 && EqualsIgnoreCase(ctx.arg(j), "get")) continue;
      argv.emplace_back(ctx.arg(j));
    }
    ctx.Propagate(std::move(argv));
  }

  if (!(flags & kGet)) {
    if (one_zero) {
      ctx.reply().Integer(1);
    } else {
      ctx.reply().Ok();
    }
  }
}

void CmdSet(CommandContext& ctx) {
  uint32_t flags = 0;
  string_view expire;
  if (!ParseExtendedOptions(ctx, ExtCommand::kSet, &flags, &expire)) {
    return ctx.ReplySyntaxError();
  }
  SetGeneric(ctx, flags, ctx.arg(1), ctx.arg(2), expire, false);
}

void CmdSetNx(CommandContext& ctx) {
  SetGeneric(ctx, set_flag::kNx, ctx.arg(1), ctx.arg(2), {}, true);
}

void CmdSetEx(CommandContext& ctx) {
  SetGeneric(ctx, set_flag::kEx, ctx.arg(1), ctx.arg(3), ctx.arg(2), false);
}

void CmdPSetEx(CommandContext& ctx) {
  SetGeneric(ctx, set_flag::kPx, ctx.arg(1), ctx.arg(3), ctx.arg(2), false);
}

// ---------------------------------------------------------------------------------------------
// GET, GETEX, GETDEL, GETSET
// ---------------------------------------------------------------------------------------------

void CmdGet(CommandContext& ctx) {
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (!e) return ctx.reply().Null();
  if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
  ReplyValue(ctx, e->value);
}

void CmdGetEx(CommandContext& ctx) {
  using namespace set_flag;
  uint32_t flags = 0;
  string_view expire_arg;
  if (!ParseExtendedOptions(ctx, ExtCommand::kGetEx, &flags, &expire_arg)) {
    return ctx.ReplySyntaxError();
  }
  string_view key = ctx.arg(1);
  KeyEntry* e = ctx.LookupRead(key);
  if (!e) return ctx.reply().Null();
  if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);

  // The expiry is validated only once the key is known to exist, as in Redis.
  int64_t when = 0;
  if (flags & kAnyExpire) {
    OpResult<int64_t> r = AbsoluteExpireMs(expire_arg, flags, ctx.now_ms());
    if (!r.ok()) return ctx.ReplyStatus(r.status());
    when = *r;
  }
  ReplyValue(ctx, e->value);

  Database& db = ctx.db();
  if ((flags & (kExAt | kPxAt)) && when <= ctx.now_ms() && !ctx.services().is_replica()) {
    // An absolute time already past deletes the key (a replica waits for the master's DEL).
    db.Delete(key);
    ctx.MarkDirty();
    ctx.Propagate({"DEL", std::string(key)});
    ctx.Notify(notify::kGeneric, "del", key);
  } else if (flags & kAnyExpire) {
    db.SetExpire(e, when);
    ctx.MarkDirty();
    ctx.Notify(notify::kGeneric, "expire", key);
    ctx.Propagate({"PEXPIREAT", std::string(key), Int64ToString(when)});
  } else if (flags & kPersist) {
    if (db.RemoveExpire(e)) {
      ctx.MarkDirty();
      ctx.Propagate({"PERSIST", std::string(key)});
      ctx.Notify(notify::kGeneric, "persist", key);
    }
  }
}

void CmdGetDel(CommandContext& ctx) {
  string_view key = ctx.arg(1);
  bool failed;
  KeyEntry* e = GetGeneric(ctx, key, &failed);
  if (!e) return;
  ctx.db().Delete(key);
  ctx.MarkDirty();
  ctx.Propagate({"DEL", std::string(key)});
  ctx.Notify(notify::kGeneric, "del", key);
}

void CmdGetSet(CommandContext& ctx) {
  string_view key = ctx.arg(1);
  bool failed;
  KeyEntry* e = GetGeneric(ctx, key, &failed);
  if (failed) return;
  StoreString(ctx, e, key, Value::FromString(ctx.arg(2)), /*keep_ttl=*/false);
  ctx.MarkDirty();
  ctx.Notify(notify::kString, "set", key);
  ctx.Propagate({"SET", std::string(key), std::string(ctx.arg(2))});
}

// ---------------------------------------------------------------------------------------------
// MGET, MSET, MSETNX
// ---------------------------------------------------------------------------------------------

void CmdMGet(CommandContext& ctx) {
  ctx.reply().ArrayLen(ctx.argc() - 1);
  for (size_t j = 1; j < ctx.argc(); ++j) {
    KeyEntry* e = ctx.LookupRead(ctx.arg(j));
    if (e && IsString(e)) {
      ReplyValue(ctx, e->value);
    } else {
      ctx.reply().Null();
    }
  }
}

void MSetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.argc() % 2 == 0) return ctx.ReplyWrongArity();
  if (nx) {
    for (size_t j = 1; j < ctx.argc(); j += 2) {
      if (ctx.LookupWrite(ctx.arg(j))) return ctx.reply().Integer(0);
    }
  }
  for (size_t j = 1; j < ctx.argc(); j += 2) {
    string_view key = ctx.arg(j);
    StoreString(ctx, ctx.LookupWrite(key), key, Value::FromString(ctx.arg(j + 1)),
                /*keep_ttl=*/false);
    ctx.Notify(notify::kString, "set", key);
  }
  ctx.MarkDirty((ctx.argc() - 1) / 2);
  if (nx) {
    ctx.reply().Integer(1);
  } else {
    ctx.reply().Ok();
  }
}

void CmdMSet(CommandContext& ctx) { MSetGeneric(ctx, false); }
void CmdMSetNx(CommandContext& ctx) { MSetGeneric(ctx, true); }

// ---------------------------------------------------------------------------------------------
// APPEND, STRLEN, GETRANGE, SETRANGE
// ---------------------------------------------------------------------------------------------

void CmdAppend(CommandContext& ctx) {
  string_view key = ctx.arg(1);
  string_view tail = ctx.arg(2);
  KeyEntry* e = ctx.LookupWrite(key);
  size_t total;
  if (!e) {
    // A new key gets the argument as SET would store it (possibly "int").
    ctx.AddNewKey(key, Value::FromString(tail));
    total = tail.size();
  } else {
    if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
    size_t old_len = e->value.StringLength();
    if (!StringLengthOk(ctx, static_cast<int64_t>(old_len), static_cast<int64_t>(tail.size()))) {
      return ctx.reply().Error(errors::kStringTooLong);
    }
    total = old_len + tail.size();
    char* p = e->value.MutableString(total);
    if (!tail.empty()) std::memcpy(p + old_len, tail.data(), tail.size());
  }
  ctx.MarkDirty();
  ctx.Notify(notify::kString, "append", key);
  ctx.reply().Integer(static_cast<int64_t>(total));
}

void CmdStrLen(CommandContext& ctx) {
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (!e) return ctx.reply().Integer(0);
  if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
  ctx.reply().Integer(static_cast<int64_t>(e->value.StringLength()));
}

void CmdGetRange(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseInt64(ctx.arg(2), &start) || !ParseInt64(ctx.arg(3), &end)) {
    return ctx.ReplyStatus(OpStatus::kNotAnInteger);
  }
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (!e) return ctx.reply().Bulk("");
  if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
  char scratch[21];
  string_view s = e->value.GetString(scratch);
  const auto len = static_cast<int64_t>(s.size());

  // Both ends negative and crossed: empty, whatever the length.
  if (start < 0 && end < 0 && start > end) return ctx.reply().Bulk("");
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return ctx.reply().Bulk("");
  ctx.reply().Bulk(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

void CmdSetRange(CommandContext& ctx) {
  string_view key = ctx.arg(1);
  string_view patch = ctx.arg(3);
  int64_t offset;
  if (!ParseInt64(ctx.arg(2), &offset)) return ctx.ReplyStatus(OpStatus::kNotAnInteger);
  if (offset < 0) return ctx.reply().Error(kErrOffsetRange);

  KeyEntry* e = ctx.LookupWrite(key);
  if (!e) {
    // Setting nothing on a missing key creates nothing.
    if (patch.empty()) return ctx.reply().Integer(0);
    if (!StringLengthOk(ctx, offset, static_cast<int64_t>(patch.size()))) {
      return ctx.reply().Error(errors::kStringTooLong);
    }
    const size_t off = static_cast<size_t>(offset);
    const size_t total = off + patch.size();
    ctx.AddNewKey(key, BuildRaw(total, [&](char* p) {
             std::memset(p, 0, off);
             std::memcpy(p + off, patch.data(), patch.size());
           }));
    ctx.MarkDirty();
    ctx.Notify(notify::kString, "setrange", key);
    return ctx.reply().Integer(static_cast<int64_t>(total));
  }

  if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
  size_t old_len = e->value.StringLength();
  if (patch.empty()) return ctx.reply().Integer(static_cast<int64_t>(old_len));
  if (!StringLengthOk(ctx, offset, static_cast<int64_t>(patch.size()))) {
    return ctx.reply().Error(errors::kStringTooLong);
  }
  const size_t off = static_cast<size_t>(offset);
  char* p = e->value.MutableString(off + patch.size());
  std::memcpy(p + off, patch.data(), patch.size());
  ctx.MarkDirty();
  ctx.Notify(notify::kString, "setrange", key);
  ctx.reply().Integer(static_cast<int64_t>(e->value.StringLength()));
}

// ---------------------------------------------------------------------------------------------
// INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT
// ---------------------------------------------------------------------------------------------

// The integer held by a string value (getLongLongFromObject).
bool ValueToInt64(const Value& v, int64_t* out) {
  if (v.is_int()) {
    *out = v.int_value();
    return true;
  }
  char scratch[21];
  return ParseInt64(v.GetString(scratch), out);
}

void IncrDecr(CommandContext& ctx, int64_t incr) {
  string_view key = ctx.arg(1);
  KeyEntry* e = ctx.LookupWrite(key);
  int64_t value = 0;
  if (e) {
    if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
    if (!ValueToInt64(e->value, &value)) return ctx.ReplyStatus(OpStatus::kNotAnInteger);
  }
  int64_t result;
  if (__builtin_add_overflow(value, incr, &result)) return ctx.ReplyStatus(OpStatus::kOverflow);
  if (e) {
    e->value = Value::FromInt(result);  // keeps the TTL, like dbOverwrite
  } else {
    ctx.AddNewKey(key, Value::FromInt(result));
  }
  ctx.MarkDirty();
  ctx.Notify(notify::kString, "incrby", key);  // INCR, DECR and DECRBY too, as Redis
  ctx.reply().Integer(result);
}

void CmdIncr(CommandContext& ctx) { IncrDecr(ctx, 1); }
void CmdDecr(CommandContext& ctx) { IncrDecr(ctx, -1); }

void CmdIncrBy(CommandContext& ctx) {
  int64_t incr;
  if (!ParseInt64(ctx.arg(2), &incr)) return ctx.ReplyStatus(OpStatus::kNotAnInteger);
  IncrDecr(ctx, incr);
}

void CmdDecrBy(CommandContext& ctx) {
  int64_t decr;
  if (!ParseInt64(ctx.arg(2), &decr)) return ctx.ReplyStatus(OpStatus::kNotAnInteger);
  if (decr == INT64_MIN) return ctx.reply().Error(kErrDecrOverflow);
  IncrDecr(ctx, -decr);
}

void CmdIncrByFloat(CommandContext& ctx) {
  string_view key = ctx.arg(1);
  KeyEntry* e = ctx.LookupWrite(key);
  long double value = 0;
  if (e) {
    if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
    if (e->value.is_int()) {
      value = static_cast<long double>(e->value.int_value());
    } else {
      char scratch[21];
      if (!ParseLongDouble(e->value.GetString(scratch), &value)) {
        return ctx.ReplyStatus(OpStatus::kNotAFloat);
      }
    }
  }
  long double incr;
  if (!ParseLongDouble(ctx.arg(2), &incr)) return ctx.ReplyStatus(OpStatus::kNotAFloat);
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return ctx.reply().Error(kErrNanOrInf);

  // Stored as the formatted text (embstr/raw, never "int"), as Redis does.
  std::string text = LongDoubleToHumanString(value);
  Value v =
      Value::FromBytes(text, text.size() <= Value::kEmbStrMax ? Encoding::kEmbStr : Encoding::kRaw);
  if (e) {
    e->value = std::move(v);  // keeps the TTL
  } else {
    ctx.AddNewKey(key, std::move(v));
  }
  ctx.MarkDirty();
  ctx.Notify(notify::kString, "incrbyfloat", key);
  ctx.reply().Bulk(text);
  ctx.Propagate({"SET", std::string(key), std::move(text), "KEEPTTL"});
}

// ---------------------------------------------------------------------------------------------
// LCS
// ---------------------------------------------------------------------------------------------

void CmdLcs(CommandContext& ctx) {
  KeyEntry* ea = ctx.LookupRead(ctx.arg(1));
  KeyEntry* eb = ctx.LookupRead(ctx.arg(2));
  if ((ea && !IsString(ea)) || (eb && !IsString(eb))) {
    return ctx.reply().Error(kErrLcsNotString);
  }
  char scratch_a[21], scratch_b[21];
  string_view a = ea ? ea->value.GetString(scratch_a) : string_view();
  string_view b = eb ? eb->value.GetString(scratch_b) : string_view();

  bool get_idx = false, get_len = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    string_view opt = ctx.arg(j);
    const bool has_next = j + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "idx")) {
      get_idx = true;
    } else if (EqualsIgnoreCase(opt, "len")) {
      get_len = true;
    } else if (EqualsIgnoreCase(opt, "withmatchlen")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "minmatchlen") && has_next) {
      if (!ParseInt64(ctx.arg(++j), &min_match_len)) {
        return ctx.ReplyStatus(OpStatus::kNotAnInteger);
      }
      if (min_match_len < 0) min_match_len = 0;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  if (get_idx && get_len) return ctx.reply().Error(kErrLcsIdxAndLen);
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    return ctx.reply().Error(kErrLcsTooLong);
  }
  if (bitops::LcsTableBytes(a.size(), b.size()) >
      static_cast<uint64_t>(ctx.services().max_string_len())) {
    return ctx.reply().Error(kErrLcsExceedsLimit);
  }

  bitops::LcsResult lcs;
  const bool want_common = !get_idx && !get_len;
  if (!bitops::ComputeLcs(a, b, want_common, get_idx, static_cast<uint64_t>(min_match_len), &lcs)) {
    return ctx.reply().Error(kErrLcsAlloc);
  }

  ReplyBuilder& r = ctx.reply();
  if (get_idx) {
    r.MapLen(2);
    r.Bulk("matches");
    r.ArrayLen(lcs.matches.size());
    for (const bitops::LcsMatch& m : lcs.matches) {
      r.ArrayLen(with_match_len ? 3 : 2);
      r.ArrayLen(2);
      r.Integer(m.a_start);
      r.Integer(m.a_end);
      r.ArrayLen(2);
      r.Integer(m.b_start);
      r.Integer(m.b_end);
      if (with_match_len) r.Integer(m.length());
    }
    r.Bulk("len");
    r.Integer(lcs.length);
  } else if (get_len) {
    r.Integer(lcs.length);
  } else {
    r.Bulk(lcs.common);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

void RegisterStringFamily(CommandTable& table) {
  using namespace cmd_flags;
  // Arity, flags and key positions as Redis 7.0's COMMAND INFO reports them.
  table.Add(MakeCommand("set", -3, kWrite | kDenyOom, {1, 1, 1}, CmdSet, "string", acl_cat::kString,
                        "Sets a key to a string value, with optional expiry and conditions.",
                        "1.0.0"));
  table.Add(MakeCommand("setnx", 3, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdSetNx, "string",
                        acl_cat::kString,
                        "Sets a key to a string value only if the key does not exist.", "1.0.0"));
  table.Add(MakeCommand("setex", 4, kWrite | kDenyOom, {1, 1, 1}, CmdSetEx, "string",
                        acl_cat::kString, "Sets a string value with a time to live in seconds.",
                        "2.0.0"));
  table.Add(MakeCommand("psetex", 4, kWrite | kDenyOom, {1, 1, 1}, CmdPSetEx, "string",
                        acl_cat::kString,
                        "Sets a string value with a time to live in milliseconds.", "2.6.0"));
  table.Add(MakeCommand("get", 2, kReadOnly | kFast, {1, 1, 1}, CmdGet, "string", acl_cat::kString,
                        "Returns the string value of a key.", "1.0.0"));
  table.Add(MakeCommand("getex", -2, kWrite | kFast, {1, 1, 1}, CmdGetEx, "string",
                        acl_cat::kString,
                        "Returns a string value and changes or removes its expiry.", "6.2.0"));
  table.Add(MakeCommand("getdel", 2, kWrite | kFast, {1, 1, 1}, CmdGetDel, "string",
                        acl_cat::kString, "Returns a string value and deletes the key.", "6.2.0"));
  table.Add(MakeCommand("getset", 3, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdGetSet, "string",
                        acl_cat::kString, "Replaces a string value and returns the previous one.",
                        "1.0.0"));
  table.Add(MakeCommand("mget", -2, kReadOnly | kFast, {1, -1, 1}, CmdMGet, "string",
                        acl_cat::kString, "Returns the string values of several keys.", "1.0.0"));
  table.Add(MakeCommand("mset", -3, kWrite | kDenyOom, {1, -1, 2}, CmdMSet, "string",
                        acl_cat::kString, "Sets several keys to string values at once.", "1.0.1"));
  table.Add(MakeCommand("msetnx", -3, kWrite | kDenyOom, {1, -1, 2}, CmdMSetNx, "string",
                        acl_cat::kString, "Sets several keys at once, only if none of them exists.",
                        "1.0.1"));
  table.Add(MakeCommand("append", 3, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdAppend, "string",
                        acl_cat::kString,
                        "Appends bytes to a string value, creating the key if needed.", "2.0.0"));
  table.Add(MakeCommand("strlen", 2, kReadOnly | kFast, {1, 1, 1}, CmdStrLen, "string",
                        acl_cat::kString, "Returns the length in bytes of a string value.",
                        "2.2.0"));
  table.Add(MakeCommand("getrange", 4, kReadOnly, {1, 1, 1}, CmdGetRange, "string",
                        acl_cat::kString, "Returns a byte range of a string value.", "2.4.0"));
  table.Add(MakeCommand("substr", 4, kReadOnly, {1, 1, 1}, CmdGetRange, "string", acl_cat::kString,
                        "Returns a byte range of a string value (old name of GETRANGE).", "1.0.0"));
  table.Add(MakeCommand(
      "setrange", 4, kWrite | kDenyOom, {1, 1, 1}, CmdSetRange, "string", acl_cat::kString,
      "Overwrites part of a string value at an offset, zero padding as needed.", "2.2.0"));
  table.Add(MakeCommand("incr", 2, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdIncr, "string",
                        acl_cat::kString, "Adds one to the integer held by a key.", "1.0.0"));
  table.Add(MakeCommand("decr", 2, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdDecr, "string",
                        acl_cat::kString, "Subtracts one from the integer held by a key.",
                        "1.0.0"));
  table.Add(MakeCommand("incrby", 3, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdIncrBy, "string",
                        acl_cat::kString, "Adds an integer to the integer held by a key.",
                        "1.0.0"));
  table.Add(MakeCommand("decrby", 3, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdDecrBy, "string",
                        acl_cat::kString, "Subtracts an integer from the integer held by a key.",
                        "1.0.0"));
  table.Add(MakeCommand("incrbyfloat", 3, kWrite | kDenyOom | kFast, {1, 1, 1}, CmdIncrByFloat,
                        "string", acl_cat::kString,
                        "Adds a floating point number to the number held by a key.", "2.6.0"));
  table.Add(MakeCommand("lcs", -3, kReadOnly, {1, 2, 1}, CmdLcs, "string", acl_cat::kString,
                        "Finds the longest common subsequence of two string values.", "7.0.0"));
}

}  // namespace ember
