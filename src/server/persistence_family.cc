// Persistence commands: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE, and DUMP/RESTORE (which use the RDB encoding).
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/errors.h"
#include "common/strings.h"
#include "persistence/dump_payload.h"
#include "server/server_families.h"

namespace ember {
namespace {

void CmdSave(CommandContext& ctx) {
  Snapshots& snap = ServerOf(ctx).snapshots();
  if (snap.child_active()) return ctx.reply().Error(errors::kBgsaveInProgress);
  if (!snap.SaveInForeground()) return ctx.reply().Error("ERR");
  ctx.reply().Ok();
}

void CmdBgsave(CommandContext& ctx) {
  if (ctx.argc() > 2 || (ctx.argc() == 2 && !EqualsIgnoreCase(ctx.arg(1), "schedule"))) {
    return ctx.ReplySyntaxError();
  }
  Snapshots& snap = ServerOf(ctx).snapshots();
  if (snap.child_active()) return ctx.reply().Error(errors::kBgsaveInProgress);
  if (ServerOf(ctx).aof().child_active() || ServerOf(ctx).in_exec()) {
    // An AOF rewrite runs, or no fork inside EXEC: BGSAVE SCHEDULE (and any BGSAVE inside EXEC)
    // waits for the cron, a plain BGSAVE is refused (as Redis).
    if (ctx.argc() == 2 || ServerOf(ctx).in_exec()) {
      snap.ScheduleBackgroundSave();
      return ctx.reply().SimpleString("Background saving scheduled");
    }
    return ctx.reply().Error(
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
        "SCHEDULE in order to schedule a BGSAVE whenever possible.");
  }
  std::string err;
  if (!snap.StartBackgroundSave(&err)) return ctx.reply().Error(err);
  ctx.reply().SimpleString("Background saving started");
}

void CmdBgrewriteaof(CommandContext& ctx) {
  switch (ServerOf(ctx).aof().RequestRewrite()) {
    case Aof::RewriteStart::kStarted:
      return ctx.reply().SimpleString("Background append only file rewriting started");
    case Aof::RewriteStart::kScheduled:
      return ctx.reply().SimpleString("Background append only file rewriting scheduled");
    case Aof::RewriteStart::kInProgress:
      return ctx.reply().Error("ERR Background append only file rewriting already in progress");
    case Aof::RewriteStart::kFailed:
      return ctx.reply().Error(
          "ERR Can't execute an AOF background rewriting. Please check the server logs for more "
          "information.");
  }
}

void CmdLastSave(CommandContext& ctx) {
  ctx.reply().Integer(ServerOf(ctx).snapshots().last_save_time());
}

void CmdDump(CommandContext& ctx) {
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (!e) return ctx.reply().Null();
  ctx.reply().Bulk(CreateDumpPayload(e->value, ServerOf(ctx).config().rdbcompression));
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
void CmdRestore(CommandContext& ctx) {
  bool replace = false, absttl = false;
  int64_t idle = -1, freq = -1;
  for (size_t i = 4; i < ctx.argc(); i++) {
    const bool has_value = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(ctx.arg(i), "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.arg(i), "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(ctx.arg(i), "idletime") && has_value && freq == -1) {
      if (!ParseInt64(ctx.arg(++i), &idle)) return ctx.reply().Error(errors::kNotInteger);
      if (idle < 0) return ctx.reply().Error("ERR Invalid IDLETIME value, must be >= 0");
    } else if (EqualsIgnoreCase(ctx.arg(i), "freq") && has_value && idle == -1) {
      if (!ParseInt64(ctx.arg(++i), &freq)) return ctx.reply().Error(errors::kNotInteger);
      if (freq < 0 || freq > 255) {
        return ctx.reply().Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      }
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  const std::string_view key = ctx.arg(1);
  if (!replace && ctx.LookupWrite(key)) return ctx.reply().Error(errors::kBusyKey);
  int64_t ttl;
  if (!ParseInt64(ctx.arg(2), &ttl)) return ctx.reply().Error(errors::kNotInteger);
  if (ttl < 0) return ctx.reply().Error("ERR Invalid TTL value, must be >= 0");
  const std::string_view payload = ctx.arg(3);
  if (!VerifyDumpPayload(payload)) {
    return ctx.reply().Error("ERR DUMP payload version or checksum are wrong");
  }
  Value value;
  if (!LoadDumpPayload(payload, &value)) return ctx.reply().Error("ERR Bad data format");

  Database& db = ctx.db();
  const bool deleted = replace && db.Delete(key);
  if (ttl > 0 && !absttl) ttl += ctx.now_ms();
  // A key restored already expired is not created (a replica keeps it: its master decides).
  if (ttl > 0 && ttl <= ctx.now_ms() && !ctx.services().is_replica()) {
    if (deleted) {
      ctx.MarkDirty();
      ctx.Propagate({"DEL", std::string(key)});
      ctx.Notify(notify::kGeneric, "del", key);
    } else {
      ctx.PreventPropagation();
    }
    return ctx.reply().Ok();
  }
  KeyEntry* e = db.Insert(key, std::move(value));
  if (ttl > 0) {
    db.SetExpire(e, ttl);
    if (!absttl) {
      // Replicas get the absolute time, so they agree on when the key expires.
      std::vector<std::string> argv;
      for (std::string_view a : ctx.args()) argv.emplace_back(a);
      argv[2] = Int64ToString(ttl);
      argv.emplace_back("ABSTTL");
      ctx.Propagate(std::move(argv));
    }
  }
  SetAccessData(e, idle, static_cast<int>(freq));
  ctx.MarkDirty();
  ctx.Notify(notify::kGeneric, "restore", key);
  ctx.reply().Ok();
}

}  // namespace

void RegisterPersistenceFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kKs = acl_cat::kKeyspace;
  table.Add(MakeCommand("save", 1, kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, kNoKeys,
                        CmdSave, "server", 0, "Synchronously saves the database(s) to disk.",
                        "1.0.0"));
  table.Add(MakeCommand("bgsave", -1, kAdmin | kNoScript | kNoAsyncLoading, kNoKeys, CmdBgsave,
                        "server", 0, "Asynchronously saves the database(s) to disk.", "1.0.0"));
  table.Add(MakeCommand("bgrewriteaof", 1, kAdmin | kNoScript | kNoAsyncLoading, kNoKeys,
                        CmdBgrewriteaof, "server", 0,
                        "Asynchronously rewrite the append-only file", "1.0.0"));
  table.Add(MakeCommand("lastsave", 1, kLoading | kStale | kFast, kNoKeys, CmdLastSave, "server",
                        acl_cat::kAdmin | acl_cat::kDangerous,
                        "Returns the Unix timestamp of the last successful save.", "1.0.0"));
  table.Add(MakeCommand("dump", 2, kReadOnly, {1, 1, 1}, CmdDump, "generic", kKs,
                        "Returns a serialized representation of the value stored at a key.",
                        "2.6.0"));
  table.Add(MakeCommand("restore", -4, kWrite | kDenyOom, {1, 1, 1}, CmdRestore, "generic",
                        kKs | acl_cat::kDangerous,
                        "Creates a key from the serialized representation of a value.", "2.6.0"));
}

}  // namespace ember
