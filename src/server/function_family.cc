// Functions: FCALL, FCALL_RO and FUNCTION LOAD/DELETE/LIST/DUMP/RESTORE/FLUSH/STATS/KILL/HELP
// (Redis 7.0's functions.c). Libraries live in their own Lua engine; their code is what
// snapshots (RDB FUNCTION2 opcode), FUNCTION DUMP and the replication stream carry.
#include <fmt/format.h>

#include "common/errors.h"
#include "common/strings.h"
#include "persistence/dump_payload.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_io.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"
#include "server/script_lua.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

namespace {

void FcallGeneric(CommandContext& ctx, bool ro) {
  Server& server = ServerOf(ctx);
  // skip_monitor: MONITOR gets the FCALL before the commands it runs (as Redis 7.0).
  if (server.monitor_count() > 0) server.FeedMonitors(ConnOf(ctx), ctx.args());
  const LuaScripting::Function* found = server.functions().FindFunction(ctx.arg(1));
  if (!found) return ctx.reply().Error("ERR Function not found");
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.arg(2), &numkeys)) {
    return ctx.reply().Error("ERR Bad number of keys provided");
  }
  if (numkeys > static_cast<int64_t>(ctx.argc()) - 3) {
    return ctx.reply().Error("ERR Number of keys can't be greater than number of args");
  }
  if (numkeys < 0) return ctx.reply().Error("ERR Number of keys can't be negative");
  // FUNCTION DELETE/FLUSH cannot run meanwhile (not allow-busy), but keep a copy anyway.
  const LuaScripting::Function f = *found;
  ctx.PreventPropagation();
  auto keys = ctx.args().subspan(3, static_cast<size_t>(numkeys));
  auto args = ctx.args().subspan(3 + static_cast<size_t>(numkeys));
  server.RunScript(ctx, false, f.flags, ro, [&](ScriptHost& host, ReplyBuilder& out) {
    server.functions().CallFunction(f, keys, args, host, out);
  });
}

void CmdFcall(CommandContext& ctx) { FcallGeneric(ctx, false); }
void CmdFcallRo(CommandContext& ctx) { FcallGeneric(ctx, true); }

// The libraries changed: snapshots save them, replicas get the command itself.
void Changed(CommandContext& ctx) {
  ServerOf(ctx).SaveFunctionsToSnapshot();
  ctx.MarkDirty();
}

void CmdFunctionLoad(CommandContext& ctx) {
  bool replace = false;
  for (size_t i = 2; i + 1 < ctx.argc(); ++i) {
    if (!EqualsIgnoreCase(ctx.arg(i), "replace")) {
      return ctx.reply().Error(fmt::format("ERR Unknown option given: {}", ctx.arg(i)));
    }
    replace = true;
  }
  std::string name, err;
  if (!ServerOf(ctx).functions().LoadLibrary(ctx.arg(ctx.argc() - 1), replace, &name, &err)) {
    return ctx.reply().Error(err);
  }
  Changed(ctx);
  ctx.reply().Bulk(name);
}

void CmdFunctionDelete(CommandContext& ctx) {
  if (!ServerOf(ctx).functions().DeleteLibrary(ctx.arg(2))) {
    return ctx.reply().Error("ERR Library not found");
  }
  Changed(ctx);
  ctx.reply().Ok();
}

void CmdFunctionFlush(CommandContext& ctx) {
  if (ctx.argc() > 3 || (ctx.argc() == 3 && !EqualsIgnoreCase(ctx.arg(2), "sync") &&
                         !EqualsIgnoreCase(ctx.arg(2), "async"))) {
    return ctx.reply().Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  ServerOf(ctx).functions().FlushLibraries();
  Changed(ctx);
  ctx.reply().Ok();
}

void CmdFunctionList(CommandContext& ctx) {
  bool with_code = false;
  std::optional<std::string_view> pattern;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    std::string_view a = ctx.arg(i);
    if (EqualsIgnoreCase(a, "withcode") && !with_code) {
      with_code = true;
    } else if (EqualsIgnoreCase(a, "libraryname") && !pattern) {
      if (i + 1 >= ctx.argc()) return ctx.reply().Error("ERR library name argument was not given");
      pattern = ctx.arg(++i);
    } else {
      return ctx.reply().Error(fmt::format("ERR Unknown argument {}", a));
    }
  }
  LuaScripting& engine = ServerOf(ctx).functions();
  std::vector<const LuaScripting::Library*> libs;
  for (const auto& [name, lib] : engine.libraries()) {
    if (!pattern || GlobMatch(*pattern, name)) libs.push_back(&lib);
  }
  ReplyBuilder& r = ctx.reply();
  r.ArrayLen(libs.size());
  for (const LuaScripting::Library* lib : libs) {
    r.MapLen(with_code ? 4 : 3);
    r.Bulk("library_name");
    r.Bulk(lib->name);
    r.Bulk("engine");
    r.Bulk("LUA");
    r.Bulk("functions");
    r.ArrayLen(lib->functions.size());
    for (const std::string& fn : lib->functions) {
      const LuaScripting::Function* f = engine.FindFunction(fn);
      r.MapLen(3);
      r.Bulk("name");
      r.Bulk(fn);
      r.Bulk("description");
      if (f && f->description) {
        r.Bulk(*f->description);
      } else {
        r.Null();
      }
      r.Bulk("flags");
      std::vector<std::string_view> flags = ScriptFlagNames(f ? f->flags : 0);
      r.SetLen(flags.size());
      for (std::string_view flag : flags) r.SimpleString(flag);
    }
    if (with_code) {
      r.Bulk("library_code");
      r.Bulk(lib->code);
    }
  }
}

// FUNCTION DUMP's payload: FUNCTION2 opcode + code per library, then the DUMP footer (RDB
// version and CRC64), as Redis's.
void CmdFunctionDump(CommandContext& ctx) {
  StringSink sink;
  RdbWriter w(&sink, {.compression = true, .checksum = true});
  for (const auto& [name, lib] : ServerOf(ctx).functions().libraries()) {
    w.SaveByte(rdb::kOpFunction2);
    w.SaveString(lib.code);
  }
  w.Flush();
  ctx.reply().Bulk(SealDumpPayload(std::move(sink.str())));
}

void CmdFunctionRestore(CommandContext& ctx) {
  enum class Policy { kAppend, kReplace, kFlush } policy = Policy::kAppend;
  if (ctx.argc() > 4) return ctx.ReplySyntaxError();
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.arg(3), "flush")) {
      policy = Policy::kFlush;
    } else if (EqualsIgnoreCase(ctx.arg(3), "append")) {
      policy = Policy::kAppend;
    } else if (EqualsIgnoreCase(ctx.arg(3), "replace")) {
      policy = Policy::kReplace;
    } else {
      return ctx.reply().Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
  }
  std::string_view payload = ctx.arg(2);
  if (!VerifyDumpPayload(payload)) {
    return ctx.reply().Error("ERR DUMP payload version or checksum are wrong");
  }
  std::vector<std::string> codes;
  StringSource src(payload.substr(0, payload.size() - 10));
  RdbReader reader(&src);
  uint8_t type;
  while (reader.ReadByte(&type)) {
    if (type != rdb::kOpFunction2) return ctx.reply().Error("ERR given type is not a function");
    std::string code;
    if (!reader.ReadString(&code)) return ctx.reply().Error("ERR function restore failed");
    codes.push_back(std::move(code));
  }
  LuaScripting& engine = ServerOf(ctx).functions();
  std::vector<std::string> before;
  for (const auto& [name, lib] : engine.libraries()) before.push_back(lib.code);
  if (policy == Policy::kFlush) engine.FlushLibraries();
  for (const std::string& code : codes) {
    std::string name, err;
    if (!engine.LoadLibrary(code, policy == Policy::kReplace, &name, &err)) {
      // All or nothing: back to the libraries we had.
      engine.FlushLibraries();
      for (const std::string& old : before) engine.LoadLibrary(old, true, &name, &err);
      return ctx.reply().Error(err);
    }
  }
  Changed(ctx);
  ctx.reply().Ok();
}

void CmdFunctionStats(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  ReplyBuilder& r = ctx.reply();
  std::string name;
  std::vector<std::string> command;
  int64_t ms = 0;
  bool is_eval = false;
  const bool running = server.RunningScript(&name, &command, &ms, &is_eval);
  if (running && is_eval) {
    return r.Error(errors::kBusyScript);
  }
  r.MapLen(2);
  r.Bulk("running_script");
  if (running) {
    r.MapLen(3);
    r.Bulk("name");
    r.Bulk(name);
    r.Bulk("command");
    r.Command(command);
    r.Bulk("duration_ms");
    r.Integer(ms);
  } else {
    r.Null();
  }
  r.Bulk("engines");
  r.MapLen(1);
  r.Bulk("LUA");
  r.MapLen(2);
  r.Bulk("libraries_count");
  r.Integer(static_cast<int64_t>(server.functions().libraries().size()));
  r.Bulk("functions_count");
  r.Integer(static_cast<int64_t>(server.functions().function_count()));
}

void CmdFunctionKill(CommandContext& ctx) {
  std::string err = ServerOf(ctx).KillScript(false);
  if (!err.empty()) return ctx.reply().Error(err);
  ctx.reply().Ok();
}

void CmdFunctionHelp(CommandContext& ctx) {
  ctx.reply().SimpleStringArray({
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
      "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored using "
      "FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
      "restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
      "abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
      "replace the old",
      "      libraries with the new libraries (notice that even on this option there is a "
      "chance of failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help.",
  });
}

}  // namespace

void RegisterFunctionFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kFcallFlags =
      kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys | kMovableKeys;
  constexpr uint32_t kCat = acl_cat::kScripting;
  // may_replicate (hidden in COMMAND INFO, as in Redis): CLIENT PAUSE WRITE holds it.
  table.Add(MakeCommand("fcall", -3, kFcallFlags | kMayReplicate, kNoKeys, CmdFcall, "scripting",
                        kCat, "Invoke a function", "7.0.0"));
  table.Add(MakeCommand("fcall_ro", -3, kFcallFlags | kReadOnly, kNoKeys, CmdFcallRo, "scripting",
                        kCat, "Invoke a read-only function", "7.0.0"));
  table.Add(MakeCommand("function", -2, 0, kNoKeys, nullptr, "scripting", 0,
                        "A container for function commands", "7.0.0"));
  auto sub = [&](const char* name, int arity, uint32_t flags, CommandHandler fn,
                 const char* summary) {
    table.AddSubcommand("function", MakeCommand(name, arity, flags, kNoKeys, fn, "scripting", kCat,
                                                summary, "7.0.0"));
  };
  sub("load", -3, kWrite | kDenyOom | kNoScript, CmdFunctionLoad, "Create a function library");
  sub("delete", 3, kWrite | kNoScript, CmdFunctionDelete, "Delete a function by name");
  sub("list", -2, kNoScript, CmdFunctionList, "List information about all the functions");
  sub("dump", 2, kNoScript, CmdFunctionDump, "Dump all functions into a serialized binary payload");
  sub("restore", -3, kWrite | kDenyOom | kNoScript, CmdFunctionRestore,
      "Restore all the functions on the given payload");
  sub("flush", -2, kWrite | kNoScript, CmdFunctionFlush, "Deleting all functions");
  sub("stats", 2, kNoScript | kAllowBusy, CmdFunctionStats,
      "Return information about the function currently running (name, description, duration)");
  sub("kill", 2, kNoScript | kAllowBusy, CmdFunctionKill,
      "Kill the function currently in execution.");
  sub("help", 2, kLoading | kStale, CmdFunctionHelp,
      "Show helpful text about the different subcommands");
}

}  // namespace ember
