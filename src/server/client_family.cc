// CLIENT: ID, SETNAME, GETNAME, LIST, INFO, KILL, PAUSE, UNPAUSE, REPLY, NO-EVICT, UNBLOCK,
// GETREDIR, TRACKINGINFO, HELP — as Redis 7.0's clientCommand.
#include <fmt/format.h>

#include <iterator>

#include "common/clock.h"
#include "common/errors.h"
#include "common/strings.h"
#include "server/info.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

namespace {


enum class ClientType { kNormal, kReplica, kPubSub, kMaster, kInvalid };

ClientType ClientTypeByName(std::string_view name) {
  if (EqualsIgnoreCase(name, "normal")) return ClientType::kNormal;
  if (EqualsIgnoreCase(name, "slave") || EqualsIgnoreCase(name, "replica")) {
    return ClientType::kReplica;
  }
  if (EqualsIgnoreCase(name, "pubsub")) return ClientType::kPubSub;
  if (EqualsIgnoreCase(name, "master")) return ClientType::kMaster;
  return ClientType::kInvalid;
}

ClientType TypeOf(const Server& server, const Connection& conn) {
  // A MONITOR client counts as normal, as in Redis.
  if (conn.is_master_link) return ClientType::kMaster;
  if (conn.is_replica_link) return ClientType::kReplica;
  if (server.pubsub().IsSubscribed(conn.id)) return ClientType::kPubSub;
  return ClientType::kNormal;
}

// "ip:port", or "<unixsocket>:0" for a unix-socket client, as Redis prints them.
std::string AddrOf(const Connection& conn) {
  if (conn.is_unix_socket()) return conn.local_addr() + ":0";
  return conn.peer_addr();
}
std::string LocalAddrOf(const Connection& conn) {
  if (conn.is_unix_socket()) return conn.local_addr() + ":0";
  return conn.local_addr();
}

std::string FlagsOf(const Connection& conn, Server& server) {
  const PubSub& pubsub = server.pubsub();
  const ClientTracking& tracking = server.tracking();
  std::string f;
  // Redis's order (getClientInfoString); a monitor is a replica-kind client there: O, else S.
  if (conn.monitor) f.push_back('O');
  if (conn.is_replica_link) f.push_back('S');
  if (conn.is_master_link) f.push_back('M');
  if (pubsub.IsSubscribed(conn.id)) f.push_back('P');
  if (conn.multi) f.push_back('x');
  if (conn.blocked()) f.push_back('b');
  if (tracking.enabled(conn.id)) f.push_back('t');
  if (tracking.broken_redirect(conn.id)) f.push_back('R');
  if (tracking.bcast(conn.id)) f.push_back('B');
  if (server.watched_keys().dirty(conn.id)) f.push_back('d');
  if (conn.close_after_reply) f.push_back('c');
  if (conn.closed()) f.push_back('A');
  if (conn.is_unix_socket()) f.push_back('U');
  if (conn.no_evict) f.push_back('e');
  if (f.empty()) f.push_back('N');
  return f;
}

size_t ArgvBytes(std::span<const std::string_view> args) {
  size_t n = 0;
  for (auto a : args) n += a.size();
  return n;
}

// One CLIENT LIST line (without the trailing newline). `self` is the connection running the
// command: it shows the command being executed and the size of its arguments.
std::string ClientInfoString(const Connection& conn, const Connection& self,
                             const CommandContext& ctx, Server& server) {
  if (&conn == &self) return DescribeClient(conn, server, ctx.args(), ctx.spec().name);
  return DescribeClient(conn, server, {}, conn.last_command());
}


bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

void CmdClientId(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ctx.client().id));
}

void CmdClientSetName(CommandContext& ctx) {
  std::string_view name = ctx.arg(2);
  if (!ValidClientName(name)) {
    return ctx.reply().Error(
        "ERR Client names cannot contain spaces, newlines or special characters.");
  }
  ctx.client().name = std::string(name);
  ctx.reply().Ok();
}

void CmdClientGetName(CommandContext& ctx) {
  if (ctx.client().name.empty()) return ctx.reply().Null();
  ctx.reply().Bulk(ctx.client().name);
}

void CmdClientList(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  Connection& self = ConnOf(ctx);
  ClientType type = ClientType::kInvalid;  // kInvalid: every type
  std::vector<uint64_t> ids;
  bool by_id = false;
  if (ctx.argc() == 4 && EqualsIgnoreCase(ctx.arg(2), "type")) {
    type = ClientTypeByName(ctx.arg(3));
    if (type == ClientType::kInvalid) {
      return ctx.reply().Error(fmt::format("ERR Unknown client type '{}'", ctx.arg(3)));
    }
  } else if (ctx.argc() > 3 && EqualsIgnoreCase(ctx.arg(2), "id")) {
    by_id = true;
    for (size_t i = 3; i < ctx.argc(); ++i) {
      int64_t id;
      if (!ParseInt64(ctx.arg(i), &id) || id <= 0) {
        return ctx.reply().Error("ERR Invalid client ID");
      }
      ids.push_back(static_cast<uint64_t>(id));
    }
  } else if (ctx.argc() != 2) {
    return ctx.ReplySyntaxError();
  }
  std::string out;
  auto add = [&](const Connection& c) {
    out.append(ClientInfoString(c, self, ctx, server));
    out.push_back('\n');
  };
  if (by_id) {
    for (uint64_t id : ids) {
      if (const Connection* c = server.FindClient(id)) add(*c);
    }
  } else {
    for (const auto& [id, c] : server.clients()) {
      if (type != ClientType::kInvalid && TypeOf(server, *c) != type) continue;
      add(*c);
    }
  }
  ctx.reply().Verbatim(out);
}

void CmdClientInfo(CommandContext& ctx) {
  Connection& self = ConnOf(ctx);
  std::string out = ClientInfoString(self, self, ctx, ServerOf(ctx));
  out.push_back('\n');
  ctx.reply().Verbatim(out);
}

// Closes a client: the caller itself is closed after its reply is written.
void KillClient(Connection& victim, Connection& self) {
  if (&victim == &self) {
    victim.close_after_reply = true;
  } else {
    victim.Close();
  }
}

void CmdClientKill(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  Connection& self = ConnOf(ctx);
  if (ctx.argc() == 3) {
    // Old form: CLIENT KILL addr.
    for (const auto& [id, c] : server.clients()) {
      if (AddrOf(*c) == ctx.arg(2)) {
        KillClient(*c, self);
        return ctx.reply().Ok();
      }
    }
    return ctx.reply().Error("ERR No such client");
  }
  if (ctx.argc() % 2 != 0) return ctx.ReplySyntaxError();
  uint64_t id = 0;
  ClientType type = ClientType::kInvalid;
  std::string addr, laddr, user;
  bool has_addr = false, has_laddr = false, has_user = false;
  bool skipme = true;
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
    std::string_view opt = ctx.arg(i), val = ctx.arg(i + 1);
    if (EqualsIgnoreCase(opt, "id")) {
      int64_t v;
      if (!ParseInt64(val, &v) || v <= 0) {
        return ctx.reply().Error("ERR client-id should be greater than 0");
      }
      id = static_cast<uint64_t>(v);
    } else if (EqualsIgnoreCase(opt, "type")) {
      type = ClientTypeByName(val);
      if (type == ClientType::kInvalid) {
        return ctx.reply().Error(fmt::format("ERR Unknown client type '{}'", val));
      }
    } else if (EqualsIgnoreCase(opt, "addr")) {
      addr = std::string(val);
      has_addr = true;
    } else if (EqualsIgnoreCase(opt, "laddr")) {
      laddr = std::string(val);
      has_laddr = true;
    } else if (EqualsIgnoreCase(opt, "user")) {
      user = std::string(val);
      has_user = true;
      if (!server.acl().FindUser(user)) {
        return ctx.reply().Error(fmt::format("ERR No such user '{}'", val));
      }
    } else if (EqualsIgnoreCase(opt, "skipme")) {
      if (EqualsIgnoreCase(val, "yes")) {
        skipme = true;
      } else if (EqualsIgnoreCase(val, "no")) {
        skipme = false;
      } else {
        return ctx.ReplySyntaxError();
      }
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  std::vector<Connection*> victims;
  for (const auto& [cid, c] : server.clients()) {
    if (c->closed()) continue;
    if (has_addr && AddrOf(*c) != addr) continue;
    if (has_laddr && LocalAddrOf(*c) != laddr) continue;
    if (type != ClientType::kInvalid && TypeOf(server, *c) != type) continue;
    if (id != 0 && c->id != id) continue;
    if (has_user && c->user != user) continue;
    if (skipme && c == &self) continue;
    victims.push_back(c);
  }
  for (Connection* c : victims) KillClient(*c, self);
  ctx.reply().Integer(static_cast<int64_t>(victims.size()));
}

void CmdClientPause(CommandContext& ctx) {
  int64_t timeout;
  if (!ParseInt64(ctx.arg(2), &timeout)) {
    // Redis parses the timeout as a long long; a float is "not an integer".
    return ctx.reply().Error("ERR timeout is not an integer or out of range");
  }
  if (timeout < 0) return ctx.reply().Error("ERR timeout is negative");
  bool writes_only = false;
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.arg(3), "write")) {
      writes_only = true;
    } else if (!EqualsIgnoreCase(ctx.arg(3), "all")) {
      return ctx.reply().Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
    }
  } else if (ctx.argc() > 4) {
    return ctx.ReplySyntaxError();
  }
  ServerOf(ctx).PauseClients(ctx.now_ms() + timeout, writes_only);
  ctx.reply().Ok();
}

void CmdClientUnpause(CommandContext& ctx) {
  ServerOf(ctx).UnpauseClients();
  ctx.reply().Ok();
}

void CmdClientReply(CommandContext& ctx) {
  using Mode = ClientState::ReplyMode;
  std::string_view mode = ctx.arg(2);
  if (EqualsIgnoreCase(mode, "on")) {
    ctx.client().reply_mode = Mode::kOn;
    ctx.reply().set_muted(false);
    ctx.reply().Ok();
  } else if (EqualsIgnoreCase(mode, "off")) {
    ctx.client().reply_mode = Mode::kOff;
  } else if (EqualsIgnoreCase(mode, "skip")) {
    // The dispatcher turns kSkipNext into kSkip after this command, so the next one is muted.
    if (ctx.client().reply_mode != Mode::kOff) ctx.client().reply_mode = Mode::kSkipNext;
  } else {
    ctx.ReplySyntaxError();
  }
}

void CmdClientNoEvict(CommandContext& ctx) {
  std::string_view v = ctx.arg(2);
  if (EqualsIgnoreCase(v, "on")) {
    ctx.client().no_evict = true;
  } else if (EqualsIgnoreCase(v, "off")) {
    ctx.client().no_evict = false;
  } else {
    return ctx.ReplySyntaxError();
  }
  ctx.reply().Ok();
}

void CmdClientUnblock(CommandContext& ctx) {
  int64_t id;
  if (!ParseInt64(ctx.arg(2), &id)) return ctx.reply().Error(errors::kNotInteger);
  if (ctx.argc() == 4) {
    if (!EqualsIgnoreCase(ctx.arg(3), "timeout") && !EqualsIgnoreCase(ctx.arg(3), "error")) {
      return ctx.reply().Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  } else if (ctx.argc() > 4) {
    return ctx.ReplySyntaxError();
  }
  const bool error = ctx.argc() == 4 && EqualsIgnoreCase(ctx.arg(3), "error");
  ctx.reply().Integer(ServerOf(ctx).UnblockClient(static_cast<uint64_t>(id), error) ? 1 : 0);
}

void CmdClientTracking(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  TrackingOptions options;
  bool redirect_given = false;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    const std::string_view a = ctx.arg(j);
    const bool more = j + 1 < ctx.argc();
    if (EqualsIgnoreCase(a, "redirect") && more) {
      if (redirect_given) {
        return ctx.reply().Error("ERR A client can only redirect to a single other client");
      }
      int64_t id;
      if (!ParseInt64(ctx.arg(++j), &id)) {
        return ctx.reply().Error(errors::kNotInteger);
      }
      // Checked now, though the client may go away later (then the redirect is "broken").
      if (!server.FindClient(static_cast<uint64_t>(id))) {
        return ctx.reply().Error("ERR The client ID you want redirect to does not exist");
      }
      options.redirect = static_cast<uint64_t>(id);
      redirect_given = true;
    } else if (EqualsIgnoreCase(a, "bcast")) {
      options.bcast = true;
    } else if (EqualsIgnoreCase(a, "optin")) {
      options.optin = true;
    } else if (EqualsIgnoreCase(a, "optout")) {
      options.optout = true;
    } else if (EqualsIgnoreCase(a, "noloop")) {
      options.noloop = true;
    } else if (EqualsIgnoreCase(a, "prefix") && more) {
      options.prefixes.emplace_back(ctx.arg(++j));
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  const uint64_t id = ctx.client().id;
  if (EqualsIgnoreCase(ctx.arg(2), "on")) {
    std::string err;
    if (!server.tracking().Enable(id, options, &err)) return ctx.reply().Error(err);
  } else if (EqualsIgnoreCase(ctx.arg(2), "off")) {
    server.tracking().Disable(id);
  } else {
    return ctx.ReplySyntaxError();
  }
  ctx.reply().Ok();
}

void CmdClientCaching(CommandContext& ctx) {
  std::string err;
  if (!ServerOf(ctx).tracking().SetCaching(ctx.client().id, ctx.arg(2), &err)) {
    return ctx.reply().Error(err);
  }
  ctx.reply().Ok();
}

void CmdClientGetRedir(CommandContext& ctx) {
  ctx.reply().Integer(ServerOf(ctx).tracking().redirect_of(ctx.client().id));
}

void CmdClientTrackingInfo(CommandContext& ctx) {
  const ClientTracking& tracking = ServerOf(ctx).tracking();
  const uint64_t id = ctx.client().id;
  ReplyBuilder& r = ctx.reply();
  r.MapLen(3);
  r.Bulk("flags");
  const std::vector<std::string_view> flags = tracking.FlagsOf(id);
  r.SetLen(flags.size());
  for (std::string_view f : flags) r.Bulk(f);
  r.Bulk("redirect");
  r.Integer(tracking.redirect_of(id));
  r.Bulk("prefixes");
  const std::vector<std::string> prefixes = tracking.PrefixesOf(id);
  r.ArrayLen(prefixes.size());
  for (const std::string& p : prefixes) r.Bulk(p);
}

void CmdClientHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CACHING (YES|NO)",
      "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
      "GETREDIR",
      "    Return the client ID we are redirecting to when tracking is enabled.",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
      "         [OPTIN] [OPTOUT] [NOLOOP]",
      "    Control server assisted client side caching.",
      "TRACKINGINFO",
      "    Report tracking status for the current connection.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply().SimpleStringArray(kLines);
}

}  // namespace

std::string DescribeClient(const Connection& conn, Server& server,
                           std::span<const std::string_view> running_args,
                           std::string_view running_cmd) {
  const PubSub& pubsub = server.pubsub();
  size_t argv_mem = ArgvBytes(running_args);
  std::string cmd(running_cmd.empty() ? std::string_view("NULL") : running_cmd);

  int64_t now_s = WallClockMs() / 1000;
  size_t qbuf = conn.query_buffer_bytes();
  size_t qcap = conn.query_buffer_capacity();
  size_t pending = conn.output_bytes();
  // Redis keeps the first 16 KB of a reply in a static buffer (obl) and the rest in a list of
  // blocks (oll/omem); report our single buffer the same way.
  constexpr size_t kStaticBuffer = 16 * 1024;
  size_t obl = std::min(pending, kStaticBuffer);
  size_t omem = pending - obl;
  size_t oll = (omem + kStaticBuffer - 1) / kStaticBuffer;
  std::string out;
  fmt::format_to(std::back_inserter(out),
                 "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} "
                 "psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} "
                 "rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} user={} redir={} "
                 "resp={}",
                 conn.id, AddrOf(conn), LocalAddrOf(conn), conn.fd(), conn.name,
                 now_s - conn.created_ms / 1000, now_s - conn.last_interaction_ms / 1000,
                 FlagsOf(conn, server), conn.db_index, pubsub.Count(PubSub::kChannel, conn.id),
                 pubsub.Count(PubSub::kPattern, conn.id), pubsub.Count(PubSub::kShard, conn.id),
                 conn.multi ? static_cast<int64_t>(conn.multi->commands.size()) : -1, qbuf,
                 qcap > qbuf ? qcap - qbuf : 0, argv_mem, conn.multi ? conn.multi->bytes : 0,
                 conn.output_capacity(), conn.output_capacity(), obl, oll, omem,
                 ClientMemory(conn, argv_mem), pending > 0 ? "rw" : "r", cmd, conn.user,
                 server.tracking().redirect_of(conn.id), conn.resp);
  return out;
}

void RegisterClientFamily(CommandTable& table) {
  using namespace cmd_flags;
  table.Add(MakeCommand("client", -2, 0, kNoKeys, nullptr, "connection", 0,
                        "A container for client connection commands", "2.4.0"));
  constexpr uint32_t kAdm = kAdmin | kNoScript | kLoading | kStale;
  constexpr uint32_t kConn = kNoScript | kLoading | kStale;
  auto sub = [&](CommandSpec s) { table.AddSubcommand("client", std::move(s)); };
  sub(MakeCommand("id", 2, kConn, kNoKeys, CmdClientId, "connection", acl_cat::kConnection,
                  "Returns the unique client ID of the connection.", "5.0.0"));
  sub(MakeCommand("setname", 3, kConn, kNoKeys, CmdClientSetName, "connection",
                  acl_cat::kConnection, "Sets the connection name.", "2.6.9"));
  sub(MakeCommand("getname", 2, kConn, kNoKeys, CmdClientGetName, "connection",
                  acl_cat::kConnection, "Returns the name of the connection.", "2.6.9"));
  sub(MakeCommand("list", -2, kAdm, kNoKeys, CmdClientList, "connection", acl_cat::kConnection,
                  "Lists open connections.", "2.4.0"));
  sub(MakeCommand("info", 2, kConn, kNoKeys, CmdClientInfo, "connection", acl_cat::kConnection,
                  "Returns information about the connection.", "6.2.0"));
  sub(MakeCommand("kill", -3, kAdm, kNoKeys, CmdClientKill, "connection", acl_cat::kConnection,
                  "Terminates open connections.", "2.4.0"));
  sub(MakeCommand("pause", -3, kAdm, kNoKeys, CmdClientPause, "connection", acl_cat::kConnection,
                  "Suspends commands processing.", "3.0.0"));
  sub(MakeCommand("unpause", 2, kAdm, kNoKeys, CmdClientUnpause, "connection", acl_cat::kConnection,
                  "Resumes processing commands from paused clients.", "6.2.0"));
  sub(MakeCommand("reply", 3, kConn, kNoKeys, CmdClientReply, "connection", acl_cat::kConnection,
                  "Instructs the server whether to reply to commands.", "3.2.0"));
  sub(MakeCommand("no-evict", 3, kAdm, kNoKeys, CmdClientNoEvict, "connection",
                  acl_cat::kConnection, "Sets the client eviction mode of the connection.",
                  "7.0.0"));
  sub(MakeCommand(
      "unblock", -3, kAdm, kNoKeys, CmdClientUnblock, "connection", acl_cat::kConnection,
      "Unblocks a client blocked by a blocking command from a different connection.", "5.0.0"));
  sub(MakeCommand("tracking", -3, kConn, kNoKeys, CmdClientTracking, "connection",
                  acl_cat::kConnection,
                  "Controls server-assisted client-side caching for the connection.", "6.0.0"));
  sub(MakeCommand("caching", 3, kConn, kNoKeys, CmdClientCaching, "connection",
                  acl_cat::kConnection,
                  "Instructs the server whether to track the keys in the next request.",
                  "6.0.0"));
  sub(MakeCommand("getredir", 2, kConn, kNoKeys, CmdClientGetRedir, "connection",
                  acl_cat::kConnection,
                  "Returns the client ID to which the connection's tracking notifications are "
                  "redirected.",
                  "6.0.0"));
  sub(MakeCommand(
      "trackinginfo", 2, kConn, kNoKeys, CmdClientTrackingInfo, "connection", acl_cat::kConnection,
      "Returns information about server-assisted client-side caching for the connection.",
      "6.2.0"));
  sub(MakeCommand("help", 2, kLoading | kStale, kNoKeys, CmdClientHelp, "connection",
                  acl_cat::kConnection, "Returns helpful text about the different subcommands.",
                  "5.0.0"));
}

}  // namespace ember
