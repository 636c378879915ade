// Server commands: CONFIG, SHUTDOWN, TIME, MONITOR.
#include "common/clock.h"
#include <fmt/format.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/strings.h"
#include "db/lazy_free.h"
#include "server/listener.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

namespace {


void CmdConfigGet(CommandContext& ctx) {
  std::vector<std::string_view> patterns(ctx.args().begin() + 2, ctx.args().end());
  auto pairs = ServerOf(ctx).config_table().Get(patterns);
  ctx.reply().MapLen(pairs.size());
  for (const auto& [name, value] : pairs) {
    ctx.reply().Bulk(name);
    ctx.reply().Bulk(value);
  }
}

void CmdConfigSet(CommandContext& ctx) {
  if (ctx.argc() % 2 != 0) return ctx.ReplyWrongArity();
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
    pairs.emplace_back(std::string(ctx.arg(i)), std::string(ctx.arg(i + 1)));
  }
  std::string err;
  Connection& conn = ConnOf(ctx);
  // enable-protected-configs local: dir and dbfilename may be changed from local clients only.
  bool local = conn.is_unix_socket() || IsLoopbackPeer(conn.peer_addr());
  if (!ServerOf(ctx).config_table().Set(pairs, &err, local)) return ctx.reply().Error(err);
  ctx.reply().Ok();
}

void CmdConfigResetStat(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  auto& stats = server.stats();
  stats = ServerStats{};
  server.keyspace().stats() = KeyspaceStats{};
  server.evictor().ResetStats();
  LazyFree::Global().ResetStats();
  CommandTable::Global().ResetStats();
  server.slowlog().clear();
  ctx.reply().Ok();
}

void CmdConfigRewrite(CommandContext& ctx) {
  std::string err;
  if (!ServerOf(ctx).config_table().Rewrite(&err)) {
    EMBER_LOG_WARNING("CONFIG REWRITE failed: {}", err);
    return ctx.reply().Error(err);
  }
  EMBER_LOG_NOTICE("CONFIG REWRITE executed with success.");
  ctx.reply().Ok();
}

void CmdConfigHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply().SimpleStringArray(kLines);
}

void CmdShutdown(CommandContext& ctx) {
  bool nosave = false, save = false, now = false, force = false, abort = false;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view a = ctx.arg(i);
    if (EqualsIgnoreCase(a, "NOSAVE")) {
      nosave = true;
    } else if (EqualsIgnoreCase(a, "SAVE")) {
      save = true;
    } else if (EqualsIgnoreCase(a, "NOW")) {
      now = true;
    } else if (EqualsIgnoreCase(a, "FORCE")) {
      force = true;
    } else if (EqualsIgnoreCase(a, "ABORT")) {
      abort = true;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  if ((abort && ctx.argc() != 2) || (nosave && save)) return ctx.ReplySyntaxError();
  Server& server = ServerOf(ctx);
  if (abort) {
    if (!server.AbortShutdown()) return ctx.reply().Error("ERR No shutdown in progress.");
    return ctx.reply().Ok();
  }
  std::string err;
  // Like Redis: no reply on success; the connection closes when the process exits.
  switch (server.StartShutdown({nosave, save, now, force}, &err)) {
    case Server::ShutdownStart::kExit:
      break;
    case Server::ShutdownStart::kWaiting:
      server.AddShutdownWaiter(ConnOf(ctx));
      break;
    case Server::ShutdownStart::kFailed:
      ctx.reply().Error(err);
      break;
  }
}

void CmdTime(CommandContext& ctx) {
  int64_t us = WallClockUs();
  ctx.reply().ArrayLen(2);
  ctx.reply().Bulk(Int64ToString(us / 1000000));
  ctx.reply().Bulk(Int64ToString(us % 1000000));
}

void CmdMonitor(CommandContext& ctx) {
  Connection& conn = ConnOf(ctx);
  if (conn.monitor) return ctx.reply().Ok();
  conn.monitor = true;
  Server& server = ServerOf(ctx);
  server.set_monitor_count(server.monitor_count() + 1);
  ctx.reply().Ok();
}

}  // namespace

void RegisterServerFamily(CommandTable& table) {
  using namespace cmd_flags;
  table.Add(MakeCommand("config", -2, 0, kNoKeys, nullptr, "server", 0,
                        "A container for server configuration commands.", "2.0.0"));
  table.AddSubcommand("config", MakeCommand("get", -3, kAdmin | kNoScript | kLoading | kStale,
                                            kNoKeys, CmdConfigGet, "server", 0,
                                            "Returns the values of parameters.", "2.0.0"));
  table.AddSubcommand(
      "config", MakeCommand("set", -4, kAdmin | kNoScript | kLoading | kStale, kNoKeys,
                            CmdConfigSet, "server", 0, "Sets parameters at runtime.", "2.0.0"));
  table.AddSubcommand("config", MakeCommand("resetstat", 2, kAdmin | kNoScript | kLoading | kStale,
                                            kNoKeys, CmdConfigResetStat, "server", 0,
                                            "Resets the server's statistics.", "2.0.0"));
  table.AddSubcommand(
      "config",
      MakeCommand("rewrite", 2, kAdmin | kNoScript | kLoading | kStale, kNoKeys, CmdConfigRewrite,
                  "server", 0, "Persists the effective configuration to file.", "2.8.0"));
  table.AddSubcommand("config",
                      MakeCommand("help", 2, kLoading | kStale, kNoKeys, CmdConfigHelp, "server", 0,
                                  "Returns helpful text about the subcommands.", "5.0.0"));
  table.Add(MakeCommand("shutdown", -1,
                        kAdmin | kNoScript | kLoading | kStale | kNoMulti | kSentinel | kAllowBusy,
                        kNoKeys, CmdShutdown, "server", 0,
                        "Synchronously saves the data set and shuts down the server.", "1.0.0"));
  table.Add(MakeCommand("time", 1, kLoading | kStale | kFast, kNoKeys, CmdTime, "server", 0,
                        "Returns the server time.", "2.6.0"));
  table.Add(MakeCommand("monitor", 1, kAdmin | kNoScript | kLoading | kStale, kNoKeys, CmdMonitor,
                        "server", 0, "Streams every command processed by the server.", "1.0.0"));
}

void RegisterServerCommands(CommandTable& table) {
  RegisterConnectionFamily(table);
  RegisterServerFamily(table);
  RegisterInfoFamily(table);
  RegisterClientFamily(table);
  RegisterCommandFamily(table);
  RegisterIntrospectionFamily(table);
  RegisterDebugFamily(table);
  RegisterAclFamily(table);
  RegisterPersistenceFamily(table);
  RegisterReplicationFamily(table);
  RegisterTransactionFamily(table);
  RegisterPubSubFamily(table);
  RegisterScriptingFamily(table);
  RegisterFunctionFamily(table);
}

}  // namespace ember
