// Replication commands: REPLICAOF/SLAVEOF, ROLE, WAIT, and the ones replicas send (REPLCONF,
// PSYNC, SYNC).
#include <string>

#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"
#include "server/server_families.h"

namespace ember {
namespace {

void CmdReplicaOf(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  Connection& conn = ConnOf(ctx);
  if (EqualsIgnoreCase(ctx.arg(1), "no") && EqualsIgnoreCase(ctx.arg(2), "one")) {
    if (server.is_replica()) {
      server.replication().Promote();
      EMBER_LOG_NOTICE("MASTER MODE enabled (user request from 'id={} addr={}')", conn.id,
                       conn.peer_addr());
    }
    return ctx.reply().Ok();
  }
  if (conn.is_replica_link) return ctx.reply().Error("ERR Command is not valid when client is a replica.");
  int64_t port;
  if (!ParseInt64(ctx.arg(2), &port) || port < 0 || port > 65535) {
    return ctx.reply().Error("ERR Invalid master port");
  }
  const std::string host(ctx.arg(1));
  if (!server.replication().SetMaster(host, port)) {
    EMBER_LOG_NOTICE("REPLICAOF would result into synchronization with the master we are already "
                     "connected with. No operation performed.");
    return ctx.reply().SimpleString("OK Already connected to specified master");
  }
  EMBER_LOG_NOTICE("REPLICAOF {}:{} enabled (user request from 'id={} addr={}')", host, port,
                   conn.id, conn.peer_addr());
  ctx.reply().Ok();
}

void CmdReplconf(CommandContext& ctx) {
  ServerOf(ctx).replication().Replconf(ConnOf(ctx), ctx.args(), ctx.reply());
}

void CmdPsync(CommandContext& ctx) {
  bool failover = false;
  if (ctx.argc() > 3) {
    if (ctx.argc() != 4 || !EqualsIgnoreCase(ctx.arg(3), "failover")) return ctx.ReplySyntaxError();
    failover = true;
  }
  ServerOf(ctx).replication().Psync(ConnOf(ctx), ctx.arg(1), ctx.arg(2), /*sync_cmd=*/false,
                                    failover);
}

void CmdFailover(CommandContext& ctx) {
  ServerOf(ctx).replication().Failover(ctx.args(), ctx.reply());
}

void CmdSync(CommandContext& ctx) {
  ServerOf(ctx).replication().Psync(ConnOf(ctx), "?", "-1", /*sync_cmd=*/true);
}

void CmdRole(CommandContext& ctx) { ServerOf(ctx).replication().ReplyRole(ctx.reply()); }

// WAIT numreplicas timeout
void CmdWait(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  if (server.is_replica()) {
    return ctx.reply().Error(
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
        "if a replica is configured to be writable (which is not the default) writes to "
        "replicas are just local and are not propagated.");
  }
  int64_t replicas, timeout;
  if (!ParseInt64(ctx.arg(1), &replicas)) {
    return ctx.reply().Error("ERR value is not an integer or out of range");
  }
  if (!ParseInt64(ctx.arg(2), &timeout)) {
    return ctx.reply().Error("ERR timeout is not an integer or out of range");
  }
  if (timeout < 0) return ctx.reply().Error("ERR timeout is negative");
  // Every write so far: Ember does not track each client's last write offset separately.
  const int64_t offset = server.replication().master_repl_offset();
  const int acked = server.replication().CountAcked(offset);
  if (acked >= replicas) return ctx.reply().Integer(acked);
  server.BlockForReplicas(ConnOf(ctx), offset, replicas,
                          timeout > 0 ? WallClockMs() + timeout : 0);
}

}  // namespace

void RegisterReplicationFamily(CommandTable& table) {
  using namespace cmd_flags;
  for (const char* name : {"replicaof", "slaveof"}) {
    table.Add(MakeCommand(name, 3, kAdmin | kNoScript | kStale | kNoAsyncLoading, kNoKeys,
                          CmdReplicaOf, "server", 0,
                          "Configures a server as replica of another, or promotes it to a master.",
                          std::string_view(name) == "slaveof" ? "1.0.0" : "5.0.0"));
  }
  table.Add(MakeCommand("replconf", -1, kAdmin | kNoScript | kLoading | kStale | kAllowBusy,
                        kNoKeys, CmdReplconf, "server", 0,
                        "An internal command for configuring the replication stream.", "3.0.0"));
  table.Add(MakeCommand("psync", -3, kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, kNoKeys,
                        CmdPsync, "server", 0,
                        "An internal command used in replication.", "2.8.0"));
  table.Add(MakeCommand("sync", 1, kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, kNoKeys,
                        CmdSync, "server", 0, "An internal command used in replication.",
                        "1.0.0"));
  table.Add(MakeCommand("failover", -1, kAdmin | kNoScript | kStale, kNoKeys, CmdFailover,
                        "server", 0, "Starts a coordinated failover from a server to one of its replicas.",
                        "6.2.0"));
  table.Add(MakeCommand("role", 1, kNoScript | kLoading | kStale | kFast | kSentinel, kNoKeys,
                        CmdRole, "server", acl_cat::kAdmin | acl_cat::kDangerous,
                        "Returns the replication role.", "2.8.12"));
  table.Add(MakeCommand("wait", 3, kNoScript, kNoKeys, CmdWait, "generic", acl_cat::kConnection,
                        "Blocks until the asynchronous replication of all preceding write "
                        "commands sent by the connection is completed.",
                        "3.0.0"));
}

}  // namespace ember
