// The server side of scripting (Redis 7.0's script.c): running a script for a client, the checks
// on each redis.call (scriptCall), and the busy-script mode that serves other clients while a
// slow script runs.
#include <fmt/format.h>
#include <sys/epoll.h>

#include <functional>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/strings.h"
#include "server/script_lua.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

// One script invocation: the caller, the detached client its commands run on, and its state.
struct ScriptRun : ScriptHost {
  // MONITOR shows the script's commands as coming from "lua", as Redis.
  ScriptRun(Server& s, Connection& c) : server(s), caller(c), client(&s, -1, "lua", "", false) {}

  void Call(std::vector<std::string>& argv, int resp, int repl_flags, std::string* reply,
            std::string* err) override {
    server.ScriptCall(*this, argv, resp, repl_flags, reply, err);
  }
  void Log(int level, std::string_view message) override {
    LogRaw(static_cast<LogLevel>(level), message);
  }
  bool Interrupt() override { return server.ScriptInterrupt(*this); }
  std::optional<bool> AclAllows(std::vector<std::string>& argv) override {
    std::vector<std::string_view> args(argv.begin(), argv.end());
    const CommandSpec* spec = CommandTable::Global().Resolve(args);
    if (!spec) return std::nullopt;
    int key_index = 0;
    return server.acl().Check(caller.user, *spec, args, &key_index) == Acl::Verdict::kOk;
  }
  bool WantsInterrupts() const override { return server.config().busy_reply_threshold > 0; }

  Server& server;
  Connection& caller;
  Connection client;  // fd -1: never registered, never read from
  LuaScripting* engine = nullptr;
  bool is_eval = true;
  std::span<const std::string_view> command;  // the EVAL/FCALL argv (FUNCTION STATS)
  uint32_t flags = 0;
  bool read_only = false;
  bool oom_at_start = false;
  bool write_dirty = false;  // a write command ran: SCRIPT KILL no longer allowed
  bool timed_out = false;    // past busy-reply-threshold: other clients get -BUSY
  bool killed = false;
  std::vector<Connection*> paused;  // taken off the event loop while the script is busy
  int64_t start_ms = 0;             // monotonic
  int64_t snapshot_ms = 0;          // wall clock: time is frozen at this for the script's commands
};

namespace {
void DeleteScripting(LuaScripting* s) { delete s; }
}  // namespace

LuaScripting& Server::scripting() {
  if (!scripting_) scripting_ = {new LuaScripting(), DeleteScripting};
  return *scripting_;
}

LuaScripting& Server::functions() {
  if (!functions_) {
    functions_ = {new LuaScripting(true), DeleteScripting};
    functions_generation_ = 0;
  }
  // Never under a running script (its Lua state must live on): the reload waits for the end.
  if (functions_generation_ != snapshots_.functions_generation() && !script_run_) {
    // A snapshot was loaded (start-up, full sync, DEBUG RELOAD): its libraries replace ours.
    functions_generation_ = snapshots_.functions_generation();
    functions_->FlushLibraries();
    for (const std::string& code : snapshots_.functions()) {
      std::string name, err;
      if (!functions_->LoadLibrary(code, true, &name, &err)) {
        EMBER_LOG_WARNING("Failed loading a function library from the snapshot: {}", err);
      }
    }
  }
  return *functions_;
}

void Server::SaveFunctionsToSnapshot() {
  std::vector<std::string>& out = snapshots_.functions();
  out.clear();
  for (const auto& [name, lib] : functions().libraries()) out.push_back(lib.code);
}

bool Server::RunningScript(std::string* name, std::vector<std::string>* command, int64_t* ms,
                           bool* is_eval) const {
  if (!script_run_) return false;
  *is_eval = script_run_->is_eval;
  *name = script_run_->engine->running_name();
  command->assign(script_run_->command.begin(), script_run_->command.end());
  *ms = MonotonicMs() - script_run_->start_ms;
  return true;
}

uint32_t Server::ScriptCommandFlags(const CommandSpec& spec,
                                    std::span<const std::string_view> args) {
  uint32_t script = script_flags::kEvalCompat;
  if (spec.name == "fcall" || spec.name == "fcall_ro") {
    const LuaScripting::Function* f = functions().FindFunction(args[1]);
    if (!f) return spec.flags;
    script = f->flags;
  } else if (spec.name == "eval" || spec.name == "eval_ro") {
    std::string err;
    if (!ParseShebang(args[1], &script, &err)) return spec.flags;
  } else if (const LuaScripting::Script* s = scripting().Find(args[1])) {
    script = s->flags;
  }
  if (script & script_flags::kEvalCompat) return spec.flags;
  // As Redis's scriptFlagsToCmdFlags.
  uint32_t flags = spec.flags & ~(cmd_flags::kStale | cmd_flags::kDenyOom | cmd_flags::kWrite |
                                  cmd_flags::kMayReplicate);
  if (!(script & (script_flags::kAllowOom | script_flags::kNoWrites))) flags |= cmd_flags::kDenyOom;
  if (!(script & script_flags::kNoWrites)) flags |= cmd_flags::kWrite;
  if (script & script_flags::kAllowStale) flags |= cmd_flags::kStale;
  return flags;
}

bool Server::ScriptTimedOut() const { return script_run_ && script_run_->timed_out; }

std::string_view Server::ScriptBusyError(const CommandSpec& spec,
                                         std::span<const std::string_view> args) const {
  if (!ScriptTimedOut()) return {};
  std::string_view error = script_run_->is_eval ? errors::kBusyScript : errors::kBusyFunction;
  if (!spec.is(cmd_flags::kAllowBusy)) return error;
  // Saving now would store a data set the script is half way through.
  if (spec.name == "shutdown") {
    for (size_t i = 1; i < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "nosave")) return {};
    }
    return error;
  }
  return {};
}

std::string Server::KillScript(bool is_eval) {
  if (!script_run_) return "NOTBUSY No scripts in execution right now.";
  if (script_run_->write_dirty) {
    return "UNKILLABLE Sorry the script already executed write commands against the dataset. You "
           "can either wait the script termination or kill the server in a hard way using the "
           "SHUTDOWN NOSAVE command.";
  }
  if (is_eval != script_run_->is_eval) {
    return std::string(is_eval ? errors::kBusyFunction : errors::kBusyScript);
  }
  script_run_->killed = true;
  script_run_->engine->RequestKill();
  return {};
}

void Server::RunScript(CommandContext& ctx, bool is_eval, uint32_t flags, bool ro,
                       const std::function<void(ScriptHost&, ReplyBuilder&)>& body) {
  auto& caller = static_cast<Connection&>(ctx.client());
  std::span<const std::string_view> command = ctx.args();
  ReplyBuilder& out = caller.reply();
  const bool stale = is_replica() && !replication_->link_up() && !config_.replica_serve_stale_data;
  const bool oom = config_.maxmemory > 0 && !evictor_.PerformEvictions();
  if (!(flags & script_flags::kEvalCompat)) {
    if (stale && !(flags & script_flags::kAllowStale)) {
      return out.Error(
          "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and "
          "'allow-stale' flag is not set on the script.");
    }
    if (!(flags & script_flags::kNoWrites)) {
      if (is_replica() && config_.replica_read_only) {
        return out.Error("READONLY Can not run script with write flag on readonly replica");
      }
      if (snapshots_.WritesDenied()) {
        return out.Error(
            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
            "persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only "
            "scripts.");
      }
      if (ro) return out.Error("ERR Can not execute a script with write flag using *_ro command.");
      if (!is_replica() && config_.min_replicas_to_write > 0 &&
          replication_->GoodReplicas() < config_.min_replicas_to_write) {
        return out.Error(errors::kNoReplicas);
      }
    }
    if (oom && !(flags & (script_flags::kAllowOom | script_flags::kNoWrites))) {
      return out.Error(
          "OOM allow-oom flag is not set on the script, can not run it when used memory > "
          "'maxmemory'");
    }
  } else if (stale) {
    return out.Error(errors::kMasterDown);
  }

  ScriptRun run(*this, caller);
  run.engine = is_eval ? &scripting() : &functions();
  run.is_eval = is_eval;
  run.command = command;
  // Id 0 (no client's): as in Redis 7.0, CLIENT TRACKING does not remember what scripts read.
  run.client.db_index = caller.db_index;
  run.client.user = caller.user;
  run.client.authenticated = true;
  run.client.script_client = true;
  run.flags = flags;
  run.read_only = ro || (!(flags & script_flags::kEvalCompat) && (flags & script_flags::kNoWrites));
  run.oom_at_start = oom;
  run.start_ms = MonotonicMs();
  run.snapshot_ms = cached_now_ms_;
  script_run_ = &run;
  // The script's writes reach replicas as one MULTI/EXEC block.
  const uint64_t uncounted_before = LuaScripting::uncounted_errors();
  BeginAtomicPropagation();
  body(run, out);
  EndAtomicPropagation();
  // An error passed on from a command is not counted again, but the EVAL still failed (Redis's
  // ERR_REPLY_FLAG_NO_STATS_UPDATE); CallCommand counts the other errors.
  ctx.spec().failed_calls += LuaScripting::uncounted_errors() - uncounted_before;
  script_run_ = nullptr;
  script_repl_targets_ = script_repl::kAll;
  // Back to normal: the caller and our master's link are read again.
  for (Connection* conn : run.paused) {
    if (!conn->closed()) loop_.Add(conn->fd(), EPOLLIN, conn);
    MarkPendingWrite(conn);
  }
  cached_now_ms_ = WallClockMs();
}

void Server::ScriptCall(ScriptRun& run, std::vector<std::string>& argv, int resp, int repl_flags,
                        std::string* reply, std::string* err) {
  std::vector<std::string_view> args(argv.begin(), argv.end());
  const CommandSpec* spec = CommandTable::Global().Resolve(args);
  auto refuse = [&](std::string text) {
    *err = std::move(text);
    CountError(err->size() > 1 && (*err)[0] == '-'
                   ? std::string_view(*err).substr(1, err->find(' ') - 1)
                   : std::string_view("ERR"));
    if (spec) ++spec->rejected_calls;
  };
  if (!spec) return refuse("Unknown Redis command called from script");
  if (!spec->AcceptsArgc(args.size())) {
    return refuse("Wrong number of args calling Redis command from script");
  }
  if (spec->is(cmd_flags::kNoScript))
    return refuse("This Redis command is not allowed from script");
  if (is_replica() && !replication_->link_up() && !config_.replica_serve_stale_data &&
      !spec->is(cmd_flags::kStale)) {
    return refuse("Can not execute the command on a stale replica");
  }
  if (!acl_.all_unrestricted()) {
    // A denial is recorded in ACL LOG (context "lua", the caller's info); the script gets
    // Redis's script-specific text rather than the NOPERM one.
    std::string noperm;
    const Acl::Verdict verdict = acl_.Check(
        run.caller.user, *spec, args, "lua",
        [&] { return DescribeClient(run.caller, *this, run.command, ToLower(run.command[0])); },
        &noperm);
    switch (verdict) {
      case Acl::Verdict::kOk:
        break;
      case Acl::Verdict::kDeniedCommand:
        return refuse("The user executing the script can't run this command or subcommand");
      case Acl::Verdict::kDeniedKey:
        return refuse(
            "The user executing the script can't access at least one of the keys mentioned in "
            "the command arguments");
      case Acl::Verdict::kDeniedChannel:
        return refuse(
            "The user executing the script can't publish to the channel mentioned in the "
            "command");
    }
  }
  const bool write = spec->is(cmd_flags::kWrite);
  if (run.read_only && (write || spec->is(cmd_flags::kMayReplicate))) {
    return refuse("Write commands are not allowed from read-only scripts.");
  }
  if (write && !run.write_dirty) {
    if (is_replica() && config_.replica_read_only)
      return refuse("-" + std::string(errors::kReadOnly));
    if (snapshots_.WritesDenied()) return refuse("-" + std::string(errors::kMisconf));
    if (!is_replica() && config_.min_replicas_to_write > 0 &&
        replication_->GoodReplicas() < config_.min_replicas_to_write) {
      return refuse("-" + std::string(errors::kNoReplicas));
    }
  }
  const bool allow_oom =
      !(run.flags & script_flags::kEvalCompat) && (run.flags & script_flags::kAllowOom);
  if (!allow_oom && config_.maxmemory > 0 && !run.write_dirty && run.oom_at_start &&
      spec->is(cmd_flags::kDenyOom)) {
    return refuse("-" + std::string(errors::kOom));
  }
  if (write) run.write_dirty = true;

  Connection& c = run.client;
  c.resp = resp;
  c.reply().set_output(reply);
  // Time is frozen for the whole script (serving other clients while busy moves the clock).
  cached_now_ms_ = run.snapshot_ms;
  script_repl_targets_ = repl_flags;
  // The script's commands reply into their own builder: their errors are not part of the
  // EVAL's reply (EXEC's nested-error accounting must not subtract them).
  const uint64_t nested_errors = nested_errors_;
  CallCommand(c, *spec, args);
  nested_errors_ = nested_errors;
  script_repl_targets_ = script_repl::kAll;
  // SELECT inside a script changes the script's database only.
}

bool Server::ScriptInterrupt(ScriptRun& run) {
  if (!run.timed_out) {
    int64_t elapsed = MonotonicMs() - run.start_ms;
    if (elapsed < config_.busy_reply_threshold) return false;
    EMBER_LOG_WARNING(
        "Slow script detected: still in execution after {} milliseconds. You can try killing the "
        "script using the {} command. Script name is: {}.",
        elapsed, run.is_eval ? "SCRIPT KILL" : "FUNCTION KILL", run.engine->running_name());
    run.timed_out = true;
    // The caller must not run its next request (nor be closed) while its script runs, and a
    // replica leaves its master's stream in the socket until the script ends (Redis neither
    // applies it nor answers it -BUSY).
    run.paused.push_back(&run.caller);
    for (const auto& [id, conn] : clients_) {
      if (conn->is_master_link && conn != &run.caller) run.paused.push_back(conn);
    }
    for (Connection* conn : run.paused) {
      if (conn->fd() >= 0) loop_.Remove(conn->fd());
    }
  }
  ProcessEventsWhileLoading();
  if (shutdown_requested_) run.killed = true;
  return run.killed;
}

}  // namespace ember
