// Generic keyspace commands: deleting, testing and renaming keys, moving them between databases,
// iterating the keyspace (KEYS, SCAN, RANDOMKEY), key expiry (EXPIRE & co., TTL & co., PERSIST),
// OBJECT introspection, and the database-level commands SELECT, SWAPDB, DBSIZE, FLUSHDB and
// FLUSHALL. Redis keeps these in db.c, expire.c and object.c.
//
// Expiry follows Redis 7.0: a relative TTL is propagated as an absolute PEXPIREAT so replicas and
// the AOF agree on the instant; a TTL already in the past deletes the key on a master and is
// propagated as DEL, while a replica stores it and waits for the master's DEL.
#include <cerrno>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/command_families.h"
#include "commands/scan_options.h"
#include "common/errors.h"
#include "common/strings.h"
#include "db/database.h"
#include "db/keyspace.h"
#include "db/lazy_free.h"
#include "db/value.h"

namespace ember {

namespace {

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

// Whether a read lookup may delete a logically expired key (a master does; a replica only hides
// it): CommandContext::Lookup's rule for reads, for the lookups below that must not touch.
bool MayDeleteExpired(CommandContext& ctx) { return !ctx.services().is_replica(); }

// Redis's expireIfNeeded without touching the key: true when `key` is logically expired, in
// which case a master also deletes it (and the expiry listener propagates the DEL). The stream
// from a replica's master sees every key: its master decides expiry.
bool ExpireIfNeeded(CommandContext& ctx, Database& db, std::string_view key) {
  if (ctx.client().is_master_link) return false;
  KeyEntry* raw = db.FindRaw(key);
  if (!raw || !raw->has_expire || !db.IsExpired(raw, ctx.now_ms())) return false;
  if (MayDeleteExpired(ctx)) db.Find(key, ctx.now_ms(), /*delete_expired=*/true);
  return true;
}

// A read lookup that counts hits/misses like ctx.LookupRead but leaves the access time alone
// (Redis's LOOKUP_NOTOUCH): TYPE, EXISTS, TTL and OBJECT must not reset OBJECT IDLETIME. A miss
// is reported as "keymiss" unless `notify_miss` is false (OBJECT's LOOKUP_NONOTIFY).
KeyEntry* LookupReadNoTouch(CommandContext& ctx, std::string_view key, bool notify_miss = true) {
  Database& db = ctx.db();
  KeyEntry* e = db.FindRaw(key);
  if (e && e->has_expire && !ctx.client().is_master_link && db.IsExpired(e, ctx.now_ms())) {
    if (MayDeleteExpired(ctx)) db.Find(key, ctx.now_ms(), /*delete_expired=*/true);
    e = nullptr;
  }
  KeyspaceStats& stats = ctx.keyspace().stats();
  ++(e ? stats.hits : stats.misses);
  if (!e && notify_miss) ctx.Notify(notify::kKeyMiss, "keymiss", key);
  return e;
}

// getIntFromObject: a strict 64-bit integer that also fits in an int.
std::optional<int> ParseInt32(std::string_view s) {
  int64_t v;
  if (!ParseInt64(s, &v) || v < INT_MIN || v > INT_MAX) return std::nullopt;
  return static_cast<int>(v);
}

// A database index argument (SELECT, MOVE, COPY ... DB); replies the error when it is not one.
std::optional<int> ParseDbIndex(CommandContext& ctx, std::string_view arg) {
  auto id = ParseInt32(arg);
  if (!id) {
    ctx.reply().Error(errors::kNotInteger);
    return std::nullopt;
  }
  if (*id < 0 || *id >= ctx.keyspace().num_dbs()) {
    ctx.reply().Error(errors::kDbIndexOutOfRange);
    return std::nullopt;
  }
  return id;
}

// Redis's OBJECT REFCOUNT: integers 0..9999 are shared objects whose refcount is INT_MAX.
constexpr int64_t kSharedIntegers = 10000;
constexpr int64_t kSharedRefcount = INT_MAX;

// ---------------------------------------------------------------------------------------------
// DEL, UNLINK, EXISTS, TOUCH, TYPE
// ---------------------------------------------------------------------------------------------

// DEL and UNLINK. UNLINK frees synchronously for now; it is still propagated as UNLINK.
void DeleteKeys(CommandContext& ctx, bool lazy) {
  Database& db = ctx.db();
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view key = ctx.arg(i);
    // As Redis: on a master an expired key is deleted (and reported) by the expiry check first,
    // so it is not counted; a replica only hides it, so the DEL below removes and counts it.
    ExpireIfNeeded(ctx, db, key);
    if (lazy ? db.DeleteLazily(key) : db.DeleteNow(key)) {
      ++deleted;
      ctx.MarkDirty();
      ctx.Notify(notify::kGeneric, "del", key);
    }
  }
  ctx.reply().Integer(deleted);
}

void CmdDel(CommandContext& ctx) { DeleteKeys(ctx, LazyFree::Global().settings().user_del); }

void CmdUnlink(CommandContext& ctx) { DeleteKeys(ctx, true); }

void CmdExists(CommandContext& ctx) {
  int64_t count = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (LookupReadNoTouch(ctx, ctx.arg(i))) ++count;
  }
  ctx.reply().Integer(count);
}

void CmdTouch(CommandContext& ctx) {
  int64_t count = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (ctx.LookupRead(ctx.arg(i))) ++count;
  }
  ctx.reply().Integer(count);
}

void CmdType(CommandContext& ctx) {
  KeyEntry* e = LookupReadNoTouch(ctx, ctx.arg(1));
  ctx.reply().SimpleString(e ? TypeName(e->value.type()) : "none");
}

// ---------------------------------------------------------------------------------------------
// KEYS, SCAN, RANDOMKEY
// ---------------------------------------------------------------------------------------------

void CmdKeys(CommandContext& ctx) {
  std::string_view pattern = ctx.arg(1);
  bool all = pattern == "*";
  Database& db = ctx.db();
  int64_t now = ctx.now_ms();
  std::vector<std::string_view> keys;
  db.ForEach([&](KeyEntry* e) {
    std::string_view key = e->key();
    if (!all && !GlobMatch(pattern, key)) return;
    // KEYS only hides expired keys; it never deletes while iterating.
    if (e->has_expire && db.IsExpired(e, now)) return;
    keys.push_back(key);
  });
  ctx.reply().ArrayLen(keys.size());
  for (std::string_view k : keys) ctx.reply().Bulk(k);
}

void CmdScan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(1), &cursor)) {
    ctx.reply().Error(errors::kInvalidCursor);
    return;
  }

  ScanOptions opts;
  if (!ParseScanOptions(ctx, 2, /*allow_type=*/true, &opts)) return;

  // Gather first (at most ~count keys, visiting at most count*10 buckets), then filter: the
  // filters may delete expired keys, which must not happen while the table is being walked.
  Database& db = ctx.db();
  std::vector<std::string> keys;
  int64_t max_iterations = opts.max_iterations();
  do {
    cursor = db.Scan(cursor, [&](KeyEntry* e) { keys.emplace_back(e->key()); });
  } while (cursor && max_iterations-- && keys.size() < static_cast<uint64_t>(opts.count));

  std::vector<std::string_view> matched;
  matched.reserve(keys.size());
  for (const auto& key : keys) {
    if (!opts.Matches(key)) continue;
    if (opts.type_name) {
      // As Redis 7.0: a lookup (counted in keyspace stats) whose missing key reads as "none".
      KeyEntry* e = LookupReadNoTouch(ctx, key);
      const char* type = e ? TypeName(e->value.type()) : "none";
      if (!EqualsIgnoreCase(*opts.type_name, type)) continue;
    }
    if (ExpireIfNeeded(ctx, db, key)) continue;
    matched.push_back(key);
  }

  ctx.reply().ArrayLen(2);
  ctx.reply().Bulk(std::to_string(cursor));
  ctx.reply().ArrayLen(matched.size());
  for (std::string_view k : matched) ctx.reply().Bulk(k);
}

void CmdRandomKey(CommandContext& ctx) {
  Database& db = ctx.db();
  bool all_volatile = db.size() == db.expires_count();
  int max_tries = 100;
  while (true) {
    KeyEntry* e = db.RandomEntry(ctx.keyspace().rng());
    if (!e) {
      ctx.reply().Null();
      return;
    }
    std::string key(e->key());
    if (e->has_expire) {
      // A replica cannot delete expired keys; if all keys are volatile they may all be
      // logically expired, so give up after some tries and return one anyway (as Redis).
      if (all_volatile && ctx.services().is_replica() && --max_tries == 0) {
        ctx.reply().Bulk(key);
        return;
      }
      if (ExpireIfNeeded(ctx, db, key)) continue;
    }
    ctx.reply().Bulk(key);
    return;
  }
}

// ---------------------------------------------------------------------------------------------
// RENAME, RENAMENX, COPY, MOVE
// ---------------------------------------------------------------------------------------------

void RenameGeneric(CommandContext& ctx, bool nx) {
  std::string_view src = ctx.arg(1), dst = ctx.arg(2);
  Database& db = ctx.db();
  KeyEntry* old = ctx.LookupWrite(src);
  if (!old) {
    ctx.reply().Error(errors::kNoSuchKey);
    return;
  }
  if (src == dst) {
    if (nx) {
      ctx.reply().Integer(0);
    } else {
      ctx.reply().Ok();
    }
    return;
  }
  int64_t expire = db.GetExpire(old);
  if (ctx.LookupWrite(dst)) {
    if (nx) {
      ctx.reply().Integer(0);
      return;
    }
    db.Delete(dst);
  }
  KeyEntry* e = Database::Rekey(db.Detach(src), dst);
  db.Attach(e);
  if (expire != -1) db.SetExpire(e, expire);
  ctx.MarkDirty();
  ctx.Notify(notify::kGeneric, "rename_from", src);
  ctx.Notify(notify::kGeneric, "rename_to", dst);
  if (nx) {
    ctx.reply().Integer(1);
  } else {
    ctx.reply().Ok();
  }
}

void CmdRename(CommandContext& ctx) { RenameGeneric(ctx, false); }
void CmdRenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]
void CmdCopy(CommandContext& ctx) {
  int src_id = ctx.client().db_index;
  int dst_id = src_id;
  bool replace = false;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(opt, "db") && j + 1 < ctx.argc()) {
      auto id = ParseDbIndex(ctx, ctx.arg(j + 1));
      if (!id) return;
      dst_id = *id;
      ++j;
    } else {
      ctx.ReplySyntaxError();
      return;
    }
  }

  std::string_view key = ctx.arg(1), new_key = ctx.arg(2);
  if (src_id == dst_id && key == new_key) {
    ctx.reply().Error(errors::kSameObject);
    return;
  }

  KeyEntry* e = ctx.LookupRead(key);
  if (!e) {
    ctx.reply().Integer(0);
    return;
  }
  Database& src = ctx.db();
  Database& dst = ctx.keyspace().db(dst_id);
  int64_t expire = src.GetExpire(e);

  bool remove_existing = false;
  if (ctx.LookupWriteIn(dst, new_key)) {
    if (!replace) {
      ctx.reply().Integer(0);
      return;
    }
    remove_existing = true;
  }

  // Strings keep their encoding, as Redis's dupStringObject; aggregates copy their encoding too.
  Value copy = e->value.Clone();
  if (remove_existing) dst.Delete(new_key);
  KeyEntry* n = dst.Insert(new_key, std::move(copy));
  if (expire != -1) dst.SetExpire(n, expire);
  ctx.MarkDirty();
  ctx.Notify(notify::kGeneric, "copy_to", new_key, dst_id);
  ctx.reply().Integer(1);
}

void CmdMove(CommandContext& ctx) {
  auto id = ParseDbIndex(ctx, ctx.arg(2));
  if (!id) return;
  if (*id == ctx.client().db_index) {
    ctx.reply().Error(errors::kSameObject);
    return;
  }
  std::string_view key = ctx.arg(1);
  Database& src = ctx.db();
  Database& dst = ctx.keyspace().db(*id);
  KeyEntry* e = ctx.LookupWrite(key);
  if (!e) {
    ctx.reply().Integer(0);
    return;
  }
  int64_t expire = src.GetExpire(e);
  if (ctx.LookupWriteIn(dst, key)) {
    ctx.reply().Integer(0);
    return;
  }
  e = src.Detach(key);
  dst.Attach(e);
  if (expire != -1) dst.SetExpire(e, expire);
  ctx.MarkDirty();
  ctx.Notify(notify::kGeneric, "move_from", key);
  ctx.Notify(notify::kGeneric, "move_to", key, *id);
  ctx.reply().Integer(1);
}

// ---------------------------------------------------------------------------------------------
// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, PERSIST, TTL, PTTL, EXPIRETIME, PEXPIRETIME
// ---------------------------------------------------------------------------------------------

enum ExpireFlags : unsigned { kExpireNx = 1, kExpireXx = 2, kExpireGt = 4, kExpireLt = 8 };

// The NX/XX/GT/LT options after `key time`; replies and returns false on error.
bool ParseExpireFlags(CommandContext& ctx, unsigned* flags) {
  for (size_t j = 3; j < ctx.argc(); ++j) {
    std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "nx")) {
      *flags |= kExpireNx;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      *flags |= kExpireXx;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      *flags |= kExpireGt;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      *flags |= kExpireLt;
    } else {
      ctx.reply().Error("ERR Unsupported option " + std::string(opt));
      return false;
    }
  }
  if ((*flags & kExpireNx) && (*flags & (kExpireXx | kExpireGt | kExpireLt))) {
    ctx.reply().Error(errors::kExpireNxAndXxGtLt);
    return false;
  }
  if ((*flags & kExpireGt) && (*flags & kExpireLt)) {
    ctx.reply().Error(errors::kExpireGtAndLt);
    return false;
  }
  return true;
}

// Redis's expireGenericCommand. `base_ms` is now for EXPIRE/PEXPIRE and 0 for the *AT forms;
// `seconds` tells whether the argument is in seconds.
void ExpireGeneric(CommandContext& ctx, int64_t base_ms, bool seconds, bool is_pexpireat) {
  unsigned flags = 0;
  if (!ParseExpireFlags(ctx, &flags)) return;
  int64_t when;
  if (!ParseInt64(ctx.arg(2), &when)) {
    ctx.reply().Error(errors::kNotInteger);
    return;
  }
  if (seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) {
      ctx.ReplyStatus(OpStatus::kInvalidExpire);
      return;
    }
    when *= 1000;
  }
  if (when > INT64_MAX - base_ms) {
    ctx.ReplyStatus(OpStatus::kInvalidExpire);
    return;
  }
  when += base_ms;

  std::string_view key = ctx.arg(1);
  KeyEntry* e = ctx.LookupWrite(key);
  if (!e) {
    ctx.reply().Integer(0);
    return;
  }
  Database& db = ctx.db();
  if (flags) {
    int64_t current = db.GetExpire(e);
    // No TTL counts as an infinite one: GT never succeeds against it, LT always does.
    bool skip = ((flags & kExpireNx) && current != -1) ||
                ((flags & kExpireXx) && current == -1) ||
                ((flags & kExpireGt) && (current == -1 || when <= current)) ||
                ((flags & kExpireLt) && current != -1 && when >= current);
    if (skip) {
      ctx.reply().Integer(0);
      return;
    }
  }

  if (when <= ctx.now_ms() && !ctx.services().is_replica()) {
    // Already expired: delete now and propagate a DEL. A replica instead stores the past TTL
    // and waits for its master's DEL.
    db.Delete(key);
    ctx.MarkDirty();
    ctx.Propagate({"DEL", std::string(key)});
    ctx.Notify(notify::kGeneric, "del", key);
    ctx.reply().Integer(1);
    return;
  }
  db.SetExpire(e, when);
  ctx.MarkDirty();
  ctx.Notify(notify::kGeneric, "expire", key);
  if (!is_pexpireat) {
    // Propagate as PEXPIREAT with the absolute time, keeping the options as Redis does.
    std::vector<std::string> argv;
    argv.reserve(ctx.argc());
    argv.emplace_back("PEXPIREAT");
    argv.emplace_back(key);
    argv.push_back(Int64ToString(when));
    for (size_t j = 3; j < ctx.argc(); ++j) argv.emplace_back(ctx.arg(j));
    ctx.Propagate(std::move(argv));
  }
  ctx.reply().Integer(1);
}

void CmdExpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms(), true, false); }
void CmdPExpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms(), false, false); }
void CmdExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 0, true, false); }
void CmdPExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 0, false, true); }

void CmdPersist(CommandContext& ctx) {
  KeyEntry* e = ctx.LookupWrite(ctx.arg(1));
  if (e && ctx.db().RemoveExpire(e)) {
    ctx.MarkDirty();
    ctx.Notify(notify::kGeneric, "persist", ctx.arg(1));
    ctx.reply().Integer(1);
  } else {
    ctx.reply().Integer(0);
  }
}

// Redis's ttlGenericCommand: -2 for a missing key, -1 without a TTL; seconds are rounded.
void TtlGeneric(CommandContext& ctx, bool in_ms, bool absolute) {
  KeyEntry* e = LookupReadNoTouch(ctx, ctx.arg(1));
  if (!e) {
    ctx.reply().Integer(-2);
    return;
  }
  int64_t expire = ctx.db().GetExpire(e);
  if (expire == -1) {
    ctx.reply().Integer(-1);
    return;
  }
  int64_t ttl = absolute ? expire : expire - ctx.now_ms();
  if (ttl < 0) ttl = 0;
  // Rounded to the nearest second, without overflowing near INT64_MAX.
  ctx.reply().Integer(in_ms ? ttl : ttl / 1000 + (ttl % 1000 >= 500 ? 1 : 0));
}

void CmdTtl(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void CmdPTtl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void CmdExpireTime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void CmdPExpireTime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

// ---------------------------------------------------------------------------------------------
// OBJECT
// ---------------------------------------------------------------------------------------------

// The container is only reached when the dispatcher did not route to a subcommand.
void CmdObject(CommandContext& ctx) {
  std::string sub = ctx.argc() > 1 ? std::string(ctx.arg(1).substr(0, 128)) : std::string();
  ctx.reply().Error("ERR unknown subcommand '" + sub + "'. Try OBJECT HELP.");
}

void CmdObjectHelp(CommandContext& ctx) {
  static constexpr std::string_view kHelp[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply().SimpleStringArray(kHelp);
}

void CmdObjectEncoding(CommandContext& ctx) {
  KeyEntry* e = LookupReadNoTouch(ctx, ctx.arg(2), /*notify_miss=*/false);
  if (!e) return ctx.reply().Null();
  ctx.reply().Bulk(e->value.EncodingName());
}

void CmdObjectRefcount(CommandContext& ctx) {
  KeyEntry* e = LookupReadNoTouch(ctx, ctx.arg(2), /*notify_miss=*/false);
  if (!e) return ctx.reply().Null();
  const Value& v = e->value;
  bool shared = v.is_int() && v.int_value() >= 0 && v.int_value() < kSharedIntegers;
  ctx.reply().Integer(shared ? kSharedRefcount : 1);
}

void CmdObjectIdletime(CommandContext& ctx) {
  KeyEntry* e = LookupReadNoTouch(ctx, ctx.arg(2), /*notify_miss=*/false);
  if (!e) return ctx.reply().Null();
  if (Tracking().lfu) return ctx.reply().Error(errors::kLfuSelected);
  ctx.reply().Integer(IdleTimeMs(e) / 1000);
}

void CmdObjectFreq(CommandContext& ctx) {
  KeyEntry* e = LookupReadNoTouch(ctx, ctx.arg(2), /*notify_miss=*/false);
  if (!e) return ctx.reply().Null();
  if (!Tracking().lfu) return ctx.reply().Error(errors::kLfuNotSelected);
  ctx.reply().Integer(LfuCounter(e));
}

// ---------------------------------------------------------------------------------------------
// SELECT, SWAPDB, DBSIZE, FLUSHDB, FLUSHALL
// ---------------------------------------------------------------------------------------------

void CmdSelect(CommandContext& ctx) {
  auto id = ParseDbIndex(ctx, ctx.arg(1));
  if (!id) return;
  ctx.client().db_index = *id;
  ctx.reply().Ok();
}

void CmdSwapDb(CommandContext& ctx) {
  auto a = ParseInt32(ctx.arg(1));
  if (!a) {
    ctx.reply().Error(errors::kInvalidFirstDbIndex);
    return;
  }
  auto b = ParseInt32(ctx.arg(2));
  if (!b) {
    ctx.reply().Error(errors::kInvalidSecondDbIndex);
    return;
  }
  int n = ctx.keyspace().num_dbs();
  if (*a < 0 || *a >= n || *b < 0 || *b >= n) {
    ctx.reply().Error(errors::kDbIndexOutOfRange);
    return;
  }
  ctx.services().BeforeSwapDb(*a, *b);
  ctx.keyspace().Swap(*a, *b);
  ctx.MarkDirty();  // even when a == b, as Redis (it is propagated)
  ctx.reply().Ok();
}

void CmdDbSize(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.db().size()));
}

// FLUSHDB/FLUSHALL [ASYNC|SYNC]: whether to free in the background (without an argument,
// lazyfree-lazy-user-flush decides). nullopt after a syntax error reply.
std::optional<bool> ParseFlushMode(CommandContext& ctx) {
  if (ctx.argc() == 1) return LazyFree::Global().settings().user_flush;
  if (ctx.argc() == 2 && EqualsIgnoreCase(ctx.arg(1), "sync")) return false;
  if (ctx.argc() == 2 && EqualsIgnoreCase(ctx.arg(1), "async")) return true;
  ctx.ReplySyntaxError();
  return std::nullopt;
}

std::vector<std::string> OriginalArgv(CommandContext& ctx) {
  std::vector<std::string> argv;
  for (std::string_view a : ctx.args()) argv.emplace_back(a);
  return argv;
}

void CmdFlushDb(CommandContext& ctx) {
  const std::optional<bool> lazy = ParseFlushMode(ctx);
  if (!lazy) return;
  Database& db = ctx.db();
  size_t removed = db.size();
  ctx.services().BeforeFlush(ctx.client().db_index);
  if (*lazy) {
    db.ClearLazily();
  } else {
    db.Clear();
  }
  if (removed) ctx.MarkDirty(removed);
  // Propagated even when the database was already empty (Redis's forceCommandPropagation).
  ctx.Propagate(OriginalArgv(ctx));
  ctx.reply().Ok();
}

void CmdFlushAll(CommandContext& ctx) {
  const std::optional<bool> lazy = ParseFlushMode(ctx);
  if (!lazy) return;
  size_t removed = ctx.keyspace().TotalKeys();
  ctx.services().BeforeFlush(-1);
  ctx.keyspace().FlushAll(*lazy);
  if (removed) ctx.MarkDirty(removed);
  // With save points, this writes an empty snapshot (resetting the change count).
  ctx.services().AfterFlushAll();
  // Propagated even when nothing was removed (Redis's forceCommandPropagation).
  ctx.Propagate(OriginalArgv(ctx));
  ctx.reply().Ok();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

void RegisterGenericFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kKs = acl_cat::kKeyspace;
  constexpr uint32_t kDanger = acl_cat::kDangerous;

  // Keys.
  table.Add(MakeCommand("del", -2, kWrite, {1, -1, 1}, CmdDel, "generic", kKs,
                        "Removes the given keys and returns how many existed.", "1.0.0"));
  table.Add(MakeCommand("unlink", -2, kWrite | kFast, {1, -1, 1}, CmdUnlink, "generic", kKs,
                        "Removes the given keys, reclaiming their memory in the background.",
                        "4.0.0"));
  table.Add(MakeCommand("exists", -2, kReadOnly | kFast, {1, -1, 1}, CmdExists, "generic", kKs,
                        "Counts how many of the given keys exist.", "1.0.0"));
  table.Add(MakeCommand("touch", -2, kReadOnly | kFast, {1, -1, 1}, CmdTouch, "generic", kKs,
                        "Updates the last access time of keys and counts the existing ones.",
                        "3.2.1"));
  table.Add(MakeCommand("type", 2, kReadOnly | kFast, {1, 1, 1}, CmdType, "generic", kKs,
                        "Returns the data type of the value stored at a key.", "1.0.0"));
  table.Add(MakeCommand("keys", 2, kReadOnly, kNoKeys, CmdKeys, "generic", kKs | kDanger,
                        "Returns every key name matching a glob pattern.", "1.0.0"));
  table.Add(MakeCommand("scan", -2, kReadOnly, kNoKeys, CmdScan, "generic", kKs,
                        "Walks the key space incrementally with a cursor.", "2.8.0"));
  table.Add(MakeCommand("randomkey", 1, kReadOnly, kNoKeys, CmdRandomKey, "generic", kKs,
                        "Returns the name of a key chosen at random.", "1.0.0"));
  table.Add(MakeCommand("rename", 3, kWrite, {1, 2, 1}, CmdRename, "generic", kKs,
                        "Gives a key a new name, replacing any key already there.", "1.0.0"));
  table.Add(MakeCommand("renamenx", 3, kWrite | kFast, {1, 2, 1}, CmdRenameNx, "generic", kKs,
                        "Gives a key a new name unless that name is already taken.", "1.0.0"));
  table.Add(MakeCommand(
      "copy", -3, kWrite | kDenyOom, {1, 2, 1}, CmdCopy, "generic", kKs,
      "Duplicates a key's value under another name, optionally in another database.", "6.2.0"));
  table.Add(MakeCommand("move", 3, kWrite | kFast, {1, 1, 1}, CmdMove, "generic", kKs,
                        "Transfers a key to another database.", "1.0.0"));

  // Expiry.
  table.Add(MakeCommand("expire", -3, kWrite | kFast, {1, 1, 1}, CmdExpire, "generic", kKs,
                        "Sets a key's time to live, in seconds.", "1.0.0"));
  table.Add(MakeCommand("pexpire", -3, kWrite | kFast, {1, 1, 1}, CmdPExpire, "generic", kKs,
                        "Sets a key's time to live, in milliseconds.", "2.6.0"));
  table.Add(MakeCommand("expireat", -3, kWrite | kFast, {1, 1, 1}, CmdExpireAt, "generic", kKs,
                        "Makes a key expire at a Unix time given in seconds.", "1.2.0"));
  table.Add(MakeCommand("pexpireat", -3, kWrite | kFast, {1, 1, 1}, CmdPExpireAt, "generic", kKs,
                        "Makes a key expire at a Unix time given in milliseconds.", "2.6.0"));
  table.Add(MakeCommand("persist", 2, kWrite | kFast, {1, 1, 1}, CmdPersist, "generic", kKs,
                        "Drops a key's time to live so it never expires.", "2.2.0"));
  table.Add(MakeCommand("ttl", 2, kReadOnly | kFast, {1, 1, 1}, CmdTtl, "generic", kKs,
                        "Returns the remaining time to live of a key, in seconds.", "1.0.0"));
  table.Add(MakeCommand("pttl", 2, kReadOnly | kFast, {1, 1, 1}, CmdPTtl, "generic", kKs,
                        "Returns the remaining time to live of a key, in milliseconds.", "2.6.0"));
  table.Add(MakeCommand("expiretime", 2, kReadOnly | kFast, {1, 1, 1}, CmdExpireTime, "generic",
                        kKs, "Returns the Unix time in seconds at which a key will expire.",
                        "7.0.0"));
  table.Add(MakeCommand("pexpiretime", 2, kReadOnly | kFast, {1, 1, 1}, CmdPExpireTime, "generic",
                        kKs, "Returns the Unix time in milliseconds at which a key will expire.",
                        "7.0.0"));

  // OBJECT and its subcommands.
  table.Add(MakeCommand("object", -2, 0, kNoKeys, CmdObject, "generic", 0,
                        "Introspection of the values stored at keys.", "2.2.3"));
  table.AddSubcommand(
      "object", MakeCommand("help", 2, kLoading | kStale, kNoKeys, CmdObjectHelp, "generic", kKs,
                            "Lists the OBJECT subcommands.", "6.2.0"));
  table.AddSubcommand(
      "object", MakeCommand("encoding", 3, kReadOnly, {2, 2, 1}, CmdObjectEncoding, "generic", kKs,
                            "Returns the internal representation of a key's value.", "2.2.3"));
  table.AddSubcommand(
      "object", MakeCommand("freq", 3, kReadOnly, {2, 2, 1}, CmdObjectFreq, "generic", kKs,
                            "Returns the logarithmic access frequency counter of a key.", "4.0.0"));
  table.AddSubcommand(
      "object", MakeCommand("idletime", 3, kReadOnly, {2, 2, 1}, CmdObjectIdletime, "generic", kKs,
                            "Returns the seconds since a key was last accessed.", "2.2.3"));
  table.AddSubcommand(
      "object", MakeCommand("refcount", 3, kReadOnly, {2, 2, 1}, CmdObjectRefcount, "generic", kKs,
                            "Returns the reference count of a key's value.", "2.2.3"));

  // Databases.
  table.Add(MakeCommand("select", 2, kLoading | kStale | kFast, kNoKeys, CmdSelect, "connection",
                        acl_cat::kConnection, "Switches the connection to another database.",
                        "1.0.0"));
  table.Add(MakeCommand("swapdb", 3, kWrite | kFast, kNoKeys, CmdSwapDb, "server", kKs | kDanger,
                        "Exchanges the contents of two databases.", "4.0.0"));
  table.Add(MakeCommand("dbsize", 1, kReadOnly | kFast, kNoKeys, CmdDbSize, "server", kKs,
                        "Returns the number of keys in the current database.", "1.0.0"));
  table.Add(MakeCommand("flushdb", -1, kWrite, kNoKeys, CmdFlushDb, "server", kKs | kDanger,
                        "Deletes every key of the current database.", "1.0.0"));
  table.Add(MakeCommand("flushall", -1, kWrite, kNoKeys, CmdFlushAll, "server", kKs | kDanger,
                        "Deletes every key of every database.", "1.0.0"));
}

}  // namespace ember
