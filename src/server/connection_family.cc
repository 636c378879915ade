// Connection commands: PING, ECHO, QUIT, RESET, AUTH, HELLO.
#include <fmt/format.h>

#include "common/clock.h"
#include "common/errors.h"
#include "common/strings.h"
#include "common/version.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

namespace {


void CmdPing(CommandContext& ctx) {
  if (ctx.argc() > 2) return ctx.ReplyWrongArity();
  // A RESP2 subscriber gets ["pong", message] so its reply fits the subscription stream.
  if (ctx.client().resp == 2 && ServerOf(ctx).pubsub().IsSubscribed(ctx.client().id)) {
    ctx.reply().ArrayLen(2);
    ctx.reply().Bulk("pong");
    ctx.reply().Bulk(ctx.argc() == 2 ? ctx.arg(1) : "");
    return;
  }
  if (ctx.argc() == 2) {
    ctx.reply().Bulk(ctx.arg(1));
  } else {
    ctx.reply().SimpleString("PONG");
  }
}

void CmdEcho(CommandContext& ctx) { ctx.reply().Bulk(ctx.arg(1)); }

void CmdQuit(CommandContext& ctx) {
  ctx.reply().Ok();
  ctx.client().close_after_reply = true;
}

// Checks a user/password pair against the ACL users: the user must exist and be enabled, and
// the password must match one of its passwords (any password works for a nopass user).
// A failure is recorded in the ACL log, as Redis does.
bool CheckPassword(CommandContext& ctx, std::string_view user, std::string_view pass) {
  Server& server = ServerOf(ctx);
  if (server.acl().Authenticate(user, pass)) return true;
  Acl::LogEntry entry;
  entry.reason = "auth";
  entry.context = "toplevel";
  entry.object = "AUTH";
  entry.username = user;
  entry.client_info = DescribeClient(ConnOf(ctx), server, ctx.args(), ctx.spec().name);
  server.acl().AddLogEntry(std::move(entry), WallClockMs());
  return false;
}

void CmdAuth(CommandContext& ctx) {
  if (ctx.argc() > 3) return ctx.ReplySyntaxError();
  Server& server = ServerOf(ctx);
  std::string_view user = ctx.argc() == 3 ? ctx.arg(1) : "default";
  std::string_view pass = ctx.argc() == 3 ? ctx.arg(2) : ctx.arg(1);
  if (ctx.argc() == 2 && server.acl().default_user().nopass) {
    return ctx.reply().Error(errors::kAuthNoPassword);
  }
  if (!CheckPassword(ctx, user, pass)) return ctx.reply().Error(errors::kWrongPass);
  ctx.client().authenticated = true;
  ctx.client().user = std::string(user);
  ctx.reply().Ok();
}

void CmdHello(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  ClientState& client = ctx.client();
  int64_t ver = 0;
  size_t next = 1;
  if (ctx.argc() >= 2) {
    if (!ParseInt64(ctx.arg(1), &ver)) {
      return ctx.reply().Error("ERR Protocol version is not an integer or out of range");
    }
    if (ver < 2 || ver > 3) return ctx.reply().Error(errors::kNoProto);
    next = 2;
  }
  std::string_view user, pass, setname;
  bool has_auth = false, has_setname = false;
  for (size_t i = next; i < ctx.argc(); ++i) {
    size_t more = ctx.argc() - i - 1;
    if (EqualsIgnoreCase(ctx.arg(i), "AUTH") && more >= 2) {
      has_auth = true;
      user = ctx.arg(i + 1);
      pass = ctx.arg(i + 2);
      i += 2;
    } else if (EqualsIgnoreCase(ctx.arg(i), "SETNAME") && more >= 1) {
      has_setname = true;
      setname = ctx.arg(i + 1);
      i += 1;
    } else {
      return ctx.reply().Error(fmt::format("ERR Syntax error in HELLO option '{}'", ctx.arg(i)));
    }
  }
  if (has_auth) {
    if (!CheckPassword(ctx, user, pass)) return ctx.reply().Error(errors::kWrongPass);
    client.authenticated = true;
    client.user = std::string(user);
  }
  if (!client.authenticated) {
    return ctx.reply().Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
  }
  if (has_setname) {
    for (char c : setname) {
      if (c < '!' || c > '~') {
        return ctx.reply().Error(
            "ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
    client.name = std::string(setname);
  }
  if (ver) client.resp = static_cast<int>(ver);
  ctx.reply().set_resp3(client.resp == 3);

  ReplyBuilder& r = ctx.reply();
  r.MapLen(7);
  r.Bulk("server");
  r.Bulk("redis");
  r.Bulk("version");
  r.Bulk(kRedisCompatVersion);
  r.Bulk("proto");
  r.Integer(client.resp);
  r.Bulk("id");
  r.Integer(static_cast<int64_t>(client.id));
  r.Bulk("mode");
  r.Bulk("standalone");
  r.Bulk("role");
  r.Bulk(server.is_replica() ? "replica" : "master");
  r.Bulk("modules");
  r.ArrayLen(0);
}

void CmdReset(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  Connection& conn = ConnOf(ctx);
  conn.db_index = 0;
  conn.resp = 2;
  conn.name.clear();
  conn.reply_mode = ClientState::ReplyMode::kOn;
  conn.no_evict = false;
  conn.multi.reset();
  server.watched_keys().UnwatchAll(conn.id);
  server.tracking().Disable(conn.id);
  if (conn.monitor) {
    conn.monitor = false;
    server.set_monitor_count(server.monitor_count() - 1);
  }
  server.pubsub().RemoveClient(conn.id);  // out of subscriber mode, without notifications
  conn.authenticated = server.acl().DefaultUserNoAuth();
  conn.user = "default";
  ctx.reply().set_resp3(false);
  ctx.reply().SimpleString("RESET");
}

}  // namespace

void RegisterConnectionFamily(CommandTable& table) {
  using namespace cmd_flags;
  table.Add(MakeCommand("ping", -1, kFast | kSentinel, kNoKeys, CmdPing, "connection",
                        acl_cat::kConnection, "Answers PONG, or echoes the message.", "1.0.0"));
  table.Add(MakeCommand("echo", 2, kLoading | kStale | kFast, kNoKeys, CmdEcho, "connection",
                        acl_cat::kConnection, "Returns the given string.", "1.0.0"));
  table.Add(MakeCommand("quit", -1, kAllowBusy | kNoScript | kLoading | kStale | kFast | kNoAuth,
                        kNoKeys, CmdQuit, "connection", acl_cat::kConnection,
                        "Closes the connection after replying.", "1.0.0"));
  table.Add(MakeCommand("reset", 1, kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy,
                        kNoKeys, CmdReset, "connection", acl_cat::kConnection,
                        "Resets the connection's state.", "6.2.0"));
  table.Add(MakeCommand(
      "auth", -2, kNoScript | kLoading | kStale | kFast | kNoAuth | kSentinel | kAllowBusy, kNoKeys,
      CmdAuth, "connection", acl_cat::kConnection, "Authenticates the connection.", "1.0.0"));
  table.Add(MakeCommand("hello", -1,
                        kNoScript | kLoading | kStale | kFast | kNoAuth | kSentinel | kAllowBusy,
                        kNoKeys, CmdHello, "connection", acl_cat::kConnection,
                        "Negotiates the protocol version and shows connection details.", "6.0.0"));
}

}  // namespace ember
