// Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis 7.0's eval.c).
#include <fmt/format.h>

#include "common/strings.h"
#include "server/script_lua.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

namespace {

void EvalGeneric(CommandContext& ctx, bool by_sha, bool ro) {
  Server& server = ServerOf(ctx);
  // skip_monitor: MONITOR gets the EVAL before the commands it runs (as Redis 7.0).
  if (server.monitor_count() > 0) server.FeedMonitors(ConnOf(ctx), ctx.args());
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.arg(2), &numkeys)) {
    return ctx.reply().Error("ERR value is not an integer or out of range");
  }
  if (numkeys > static_cast<int64_t>(ctx.argc()) - 3) {
    return ctx.reply().Error("ERR Number of keys can't be greater than number of args");
  }
  if (numkeys < 0) return ctx.reply().Error("ERR Number of keys can't be negative");
  LuaScripting& lua = server.scripting();
  const LuaScripting::Script* script = nullptr;
  if (by_sha) {
    script = lua.Find(ctx.arg(1));
    if (!script) return ctx.reply().Error("NOSCRIPT No matching script. Please use EVAL.");
  } else {
    std::string sha, err;
    if (!lua.Load(ctx.arg(1), &sha, &err)) return ctx.reply().Error(err);
    script = lua.Find(sha);
  }
  // The script's own commands are propagated (as one MULTI/EXEC), never the EVAL itself.
  ctx.PreventPropagation();
  auto keys = ctx.args().subspan(3, static_cast<size_t>(numkeys));
  auto args = ctx.args().subspan(3 + static_cast<size_t>(numkeys));
  server.RunScript(ctx, true, script->flags, ro, [&](ScriptHost& host, ReplyBuilder& out) {
    server.scripting().Run(*script, keys, args, host, out);
  });
}

void CmdEval(CommandContext& ctx) { EvalGeneric(ctx, false, false); }
void CmdEvalRo(CommandContext& ctx) { EvalGeneric(ctx, false, true); }
void CmdEvalSha(CommandContext& ctx) { EvalGeneric(ctx, true, false); }
void CmdEvalShaRo(CommandContext& ctx) { EvalGeneric(ctx, true, true); }

void CmdScriptLoad(CommandContext& ctx) {
  std::string sha, err;
  if (!ServerOf(ctx).scripting().Load(ctx.arg(2), &sha, &err)) return ctx.reply().Error(err);
  ctx.reply().Bulk(sha);
}

void CmdScriptExists(CommandContext& ctx) {
  LuaScripting& lua = ServerOf(ctx).scripting();
  ctx.reply().ArrayLen(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) ctx.reply().Integer(lua.Find(ctx.arg(i)) ? 1 : 0);
}

void CmdScriptFlush(CommandContext& ctx) {
  if (ctx.argc() == 3 && !EqualsIgnoreCase(ctx.arg(2), "sync") &&
      !EqualsIgnoreCase(ctx.arg(2), "async")) {
    return ctx.reply().Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  }
  if (ctx.argc() > 3) return ctx.reply().Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  // ASYNC frees the old Lua state at once too: it is small next to a data set.
  ServerOf(ctx).scripting().Flush();
  ctx.reply().Ok();
}

void CmdScriptKill(CommandContext& ctx) {
  std::string err = ServerOf(ctx).KillScript(true);
  if (!err.empty()) return ctx.reply().Error(err);
  ctx.reply().Ok();
}

void CmdScriptDebug(CommandContext& ctx) {
  // No Lua debugger (LDB): turning it off is all that works.
  if (EqualsIgnoreCase(ctx.arg(2), "no")) return ctx.reply().Ok();
  if (EqualsIgnoreCase(ctx.arg(2), "yes") || EqualsIgnoreCase(ctx.arg(2), "sync")) {
    return ctx.reply().Error("ERR SCRIPT DEBUG (the Lua debugger) is not supported by this server");
  }
  ctx.reply().Error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
}

void CmdScriptHelp(CommandContext& ctx) {
  ctx.reply().SimpleStringArray({
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help.",
  });
}

}  // namespace

void RegisterScriptingFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kEvalFlags =
      kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys | kMovableKeys;
  constexpr uint32_t kCat = acl_cat::kScripting;
  // may_replicate (hidden in COMMAND INFO, as in Redis): CLIENT PAUSE WRITE holds them.
  table.Add(MakeCommand("eval", -3, kEvalFlags | kMayReplicate, kNoKeys, CmdEval, "scripting", kCat,
                        "Execute a Lua script server side", "2.6.0"));
  table.Add(MakeCommand("evalsha", -3, kEvalFlags | kMayReplicate, kNoKeys, CmdEvalSha, "scripting",
                        kCat, "Execute a Lua script server side", "2.6.0"));
  table.Add(MakeCommand("eval_ro", -3, kEvalFlags | kReadOnly, kNoKeys, CmdEvalRo, "scripting",
                        kCat, "Execute a read-only Lua script server side", "7.0.0"));
  table.Add(MakeCommand("evalsha_ro", -3, kEvalFlags | kReadOnly, kNoKeys, CmdEvalShaRo,
                        "scripting", kCat, "Execute a read-only Lua script server side", "7.0.0"));

  table.Add(MakeCommand("script", -2, 0, kNoKeys, nullptr, "scripting", 0,
                        "A container for Lua scripts management commands", "2.6.0"));
  table.AddSubcommand(
      "script", MakeCommand("load", 3, kNoScript | kStale, kNoKeys, CmdScriptLoad, "scripting",
                            kCat, "Load the specified Lua script into the script cache.", "2.6.0"));
  table.AddSubcommand(
      "script", MakeCommand("exists", -3, kNoScript, kNoKeys, CmdScriptExists, "scripting", kCat,
                            "Check existence of scripts in the script cache.", "2.6.0"));
  table.AddSubcommand(
      "script", MakeCommand("flush", -2, kNoScript, kNoKeys, CmdScriptFlush, "scripting", kCat,
                            "Remove all the scripts from the script cache.", "2.6.0"));
  table.AddSubcommand(
      "script", MakeCommand("kill", 2, kNoScript | kAllowBusy, kNoKeys, CmdScriptKill, "scripting",
                            kCat, "Kill the script currently in execution.", "2.6.0"));
  table.AddSubcommand("script",
                      MakeCommand("debug", 3, kNoScript, kNoKeys, CmdScriptDebug, "scripting", kCat,
                                  "Set the debug mode for executed scripts.", "3.2.0"));
  table.AddSubcommand(
      "script", MakeCommand("help", 2, kLoading | kStale, kNoKeys, CmdScriptHelp, "scripting", kCat,
                            "Show helpful text about the different subcommands", "5.0.0"));
}

}  // namespace ember
