// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. What keeps WATCH honest is in
// key_signals.cc.
#include <fmt/format.h>

#include "common/strings.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

namespace {

// Whether `key` is in `db` but logically expired (not deleted yet).
bool KeyIsExpired(Database& db, std::string_view key, int64_t now_ms) {
  KeyEntry* e = db.FindRaw(key);
  return e && db.IsExpired(e, now_ms);
}

// Why EXEC refuses a queued command the ACL no longer allows (Redis's execCommand texts).
std::string_view ExecDenialReason(Acl::Verdict verdict) {
  switch (verdict) {
    case Acl::Verdict::kDeniedCommand:
      return "no permission to execute the command or subcommand";
    case Acl::Verdict::kDeniedKey:
      return "no permission to touch the specified keys";
    case Acl::Verdict::kDeniedChannel:
      return "no permission to access one of the channels used as arguments";
    case Acl::Verdict::kOk:
      break;
  }
  return "no permission";
}

void CmdMulti(CommandContext& ctx) {
  Connection& conn = ConnOf(ctx);
  if (conn.multi) return ctx.reply().Error("ERR MULTI calls can not be nested");
  conn.multi = std::make_unique<MultiState>();
  ctx.reply().Ok();
}

void CmdExec(CommandContext& ctx) { ServerOf(ctx).ExecTransaction(ConnOf(ctx)); }

void CmdDiscard(CommandContext& ctx) {
  Connection& conn = ConnOf(ctx);
  if (!conn.multi) return ctx.reply().Error("ERR DISCARD without MULTI");
  conn.multi.reset();
  ServerOf(ctx).watched_keys().UnwatchAll(conn.id);
  ctx.reply().Ok();
}

void CmdWatch(CommandContext& ctx) {
  Connection& conn = ConnOf(ctx);
  if (conn.multi) return ctx.reply().Error("ERR WATCH inside MULTI is not allowed");
  Database& db = ctx.db();
  for (size_t i = 1; i < ctx.argc(); ++i) {
    ServerOf(ctx).watched_keys().Watch(conn.id, conn.db_index, ctx.arg(i),
                                       KeyIsExpired(db, ctx.arg(i), ctx.now_ms()));
  }
  ctx.reply().Ok();
}

void CmdUnwatch(CommandContext& ctx) {
  ServerOf(ctx).watched_keys().UnwatchAll(ctx.client().id);
  ctx.reply().Ok();
}

}  // namespace

void Server::ExecTransaction(Connection& conn) {
  ReplyBuilder& reply = conn.reply();
  if (!conn.multi) return reply.Error("ERR EXEC without MULTI");
  const std::unique_ptr<MultiState> multi = std::move(conn.multi);
  const bool changed =
      watched_keys_.dirty(conn.id) ||
      watched_keys_.AnyExpiredSince(conn.id, [&](int db, std::string_view key) {
        return KeyIsExpired(keyspace_->db(db), key, cached_now_ms_);
      });
  watched_keys_.UnwatchAll(conn.id);
  if (multi->exec_abort) {
    return reply.Error("EXECABORT Transaction discarded because of previous errors.");
  }
  if (changed) return reply.NullArray();

  reply.ArrayLen(multi->commands.size());
  executing_transaction_ = true;
  BeginAtomicPropagation();
  for (const MultiState::Queued& queued : multi->commands) {
    const std::vector<std::string_view> args(queued.argv.begin(), queued.argv.end());
    const CommandSpec* spec = queued.spec;
    if (!conn.is_master_link && !acl_.all_unrestricted()) {
      // ACL rules may have changed since the command was queued.
      std::string noperm;
      const Acl::Verdict verdict = acl_.Check(
          conn.user, *spec, args, "multi", [&] { return DescribeClient(conn, *this, {}, "exec"); },
          &noperm);
      if (verdict != Acl::Verdict::kOk) {
        reply.Error(fmt::format(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and "
            "the EXEC call. This command is no longer allowed for the following reason: {}",
            ExecDenialReason(verdict)));
        continue;
      }
    }
    CallCommand(conn, *spec, args);
  }
  EndAtomicPropagation();
  executing_transaction_ = false;
}

void RegisterTransactionFamily(CommandTable& table) {
  using namespace cmd_flags;
  const uint32_t kCat = acl_cat::kTransaction;
  table.Add(MakeCommand("multi", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy, kNoKeys,
                        CmdMulti, "transactions", kCat, "Starts a transaction.", "1.2.0"));
  table.Add(MakeCommand("exec", 1, kNoScript | kLoading | kStale | kSkipSlowlog, kNoKeys, CmdExec,
                        "transactions", kCat, "Executes all commands in a transaction.",
                        "1.2.0"));
  table.Add(MakeCommand("discard", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy,
                        kNoKeys, CmdDiscard, "transactions", kCat, "Discards a transaction.",
                        "2.0.0"));
  table.Add(MakeCommand("watch", -2, kNoScript | kLoading | kStale | kFast | kAllowBusy,
                        {1, -1, 1}, CmdWatch, "transactions", kCat,
                        "Monitors changes to keys to determine the execution of a transaction.",
                        "2.2.0"));
  table.Add(MakeCommand("unwatch", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy,
                        kNoKeys, CmdUnwatch, "transactions", kCat,
                        "Forgets about watched keys of a transaction.", "2.2.0"));
}

}  // namespace ember
