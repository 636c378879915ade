// The Lua 5.1 scripting engine behind EVAL/EVALSHA (Redis 7.0's eval.c + script_lua.c): one Lua
// state with a protected global table, the script cache keyed by SHA-1, the redis.* API, and the
// conversions between RESP replies and Lua values in both directions.
//
// The engine knows nothing of the server: a running script reaches it only through ScriptHost
// (run a command, log, the busy-script interrupt), so the conversions and the sandbox are tested
// without a server.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"

struct lua_State;
struct lua_Debug;

namespace ember {

// Script flags from a "#!lua flags=..." shebang (Redis's SCRIPT_FLAG_*).
namespace script_flags {
enum : uint32_t {
  kNoWrites = 1 << 0,
  kAllowOom = 1 << 1,
  kAllowStale = 1 << 2,
  kNoCluster = 1 << 3,
  kAllowCrossSlot = 1 << 4,
  kEvalCompat = 1 << 5,  // no shebang: the command's own flags apply
};
}  // namespace script_flags

// redis.set_repl flags.
namespace script_repl {
enum : int { kNone = 0, kAof = 1, kReplica = 2, kAll = 3 };
}

// Shebang / register_function flag names, in Redis's order; 0 when unknown.
uint32_t ScriptFlagByName(std::string_view name);
std::vector<std::string_view> ScriptFlagNames(uint32_t flags);

// Splits a body's shebang: on success sets *flags and returns true (no shebang: kEvalCompat).
// On error sets *err to the reply text ("ERR Unexpected flag in script shebang: x").
bool ParseShebang(std::string_view body, uint32_t* flags, std::string* err);

class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  // Runs argv for the script. Either sets *reply to the command's RESP reply (encoded for
  // protocol `resp`), or *err to the text of a script-level refusal ("Unknown Redis command
  // called from script", "-NOSCRIPT ..."), as Redis's scriptCall.
  virtual void Call(std::vector<std::string>& argv, int resp, int repl_flags, std::string* reply,
                    std::string* err) = 0;
  virtual void Log(int level, std::string_view message) = 0;
  // redis.acl_check_cmd: whether the caller's user may run argv; nullopt for an unknown command.
  virtual std::optional<bool> AclAllows(std::vector<std::string>& argv) = 0;
  // Called from the instruction-count hook while a script runs: serves other clients once the
  // script is slow. Returns true when the script must be killed (SCRIPT KILL).
  virtual bool Interrupt() = 0;
  // Whether the count hook should be installed at all (busy-reply-threshold > 0).
  virtual bool WantsInterrupts() const { return true; }
};

class LuaScripting {
 public:
  struct Script {
    std::string sha;            // lowercase hex
    std::string function_name;  // "f_<sha>": the compiled function's key in the Lua registry
    std::string body;
    uint32_t flags = 0;
  };

  // FUNCTION libraries (functions mode: a separate engine, as Redis keeps two Lua states).
  struct Function {
    std::string name;
    std::string library;
    std::optional<std::string> description;
    uint32_t flags = 0;
    int ref = 0;  // the callback, in the Lua registry
  };
  struct Library {
    std::string name;
    std::string code;
    std::vector<std::string> functions;  // in registration order
  };

  explicit LuaScripting(bool functions_mode = false);
  ~LuaScripting();
  LuaScripting(const LuaScripting&) = delete;
  LuaScripting& operator=(const LuaScripting&) = delete;

  // Compiles `body` and caches it under its SHA-1 (already cached: nothing to do). On error
  // returns false with *err the reply text ("ERR Error compiling script ...").
  bool Load(std::string_view body, std::string* sha, std::string* err);
  // A cached script by SHA (any case), or null.
  const Script* Find(std::string_view sha) const;
  void Flush();
  size_t script_count() const { return scripts_.size(); }
  size_t scripts_memory() const;
  size_t lua_memory() const;
  // Errors replied without counting them (a command's error passed on): the EVAL still counts as
  // failed once per such error, as Redis.
  static uint64_t uncounted_errors();

  // Runs a cached script with KEYS and ARGV; its reply (or error) goes to `out`, written for the
  // caller's protocol (out.resp3()).
  void Run(const Script& script, std::span<const std::string_view> keys,
           std::span<const std::string_view> args, ScriptHost& host, ReplyBuilder& out);
  bool running() const { return host_ != nullptr; }
  const std::string& running_name() const { return running_name_; }

  // FUNCTION LOAD: runs the library's code, which must register at least one function. On
  // success *name is the library's; on error *err is the reply text.
  bool LoadLibrary(std::string_view code, bool replace, std::string* name, std::string* err);
  bool DeleteLibrary(std::string_view name);
  void FlushLibraries();
  const std::map<std::string, Library, std::less<>>& libraries() const { return libraries_; }
  size_t function_count() const { return functions_.size(); }
  const Function* FindFunction(std::string_view name) const;
  // FCALL: the callback gets the KEYS and ARGV tables as its two arguments.
  void CallFunction(const Function& f, std::span<const std::string_view> keys,
                    std::span<const std::string_view> args, ScriptHost& host, ReplyBuilder& out);
  // SCRIPT KILL: the count hook raises an error at its next call.
  void RequestKill() { kill_requested_ = true; }

  lua_State* state() { return lua_; }

  // The conversions, public for unit tests. PushReply parses one RESP value at data[*pos] and
  // pushes its Lua form; false on malformed input (nothing pushed).
  static bool PushReply(lua_State* L, std::string_view data, size_t* pos);
  // Pops the value on top of the stack and writes it to `out` (script_resp: the protocol the
  // script chose with redis.setresp, which decides how booleans go out).
  static void WriteReply(lua_State* L, ReplyBuilder& out, int script_resp);

 private:
  void InitState();
  void InitLoadEnv();
  // Runs the function below `nargs` arguments on the stack (the error handler below it); the
  // reply or the error (naming `name`) goes to `out`.
  void Execute(const std::string& name, int nargs, ScriptHost& host, ReplyBuilder& out);
  static int LuaRegisterFunction(lua_State* L);
  static void LoadHook(lua_State* L, ::lua_Debug* ar);
  static constexpr int64_t kLoadTimeoutMs = 500;  // as Redis's LOAD_TIMEOUT_MS
  // register_function's argument parsing; returns the error text or null.
  const char* ParseRegistration(lua_State* L, Function* f);
  void DropFunctions(const Library& lib);
  static int LuaCall(lua_State* L);
  static int LuaPCall(lua_State* L);
  static int GenericCall(lua_State* L, bool raise);
  // redis.call's work: pushes the reply (or an error table) and returns whether it is an error.
  static bool CallCommand(lua_State* L);
  static void ScriptSetting(lua_State* L, const char* not_running, const char* arity, int* value);
  static int LuaSetResp(lua_State* L);
  static int LuaSetRepl(lua_State* L);
  static int LuaLog(lua_State* L);
  static int LuaAclCheck(lua_State* L);
  // Converts the arguments of a redis lib call; false (with an error table pushed) when one is
  // neither a string nor a number, or there are none.
  static bool ArgsFromLua(lua_State* L, std::vector<std::string>* argv);
  static int LuaHook(lua_State* L);
  static void CountHook(lua_State* L, ::lua_Debug* ar);
  static LuaScripting* Self(lua_State* L);
  friend bool LuaScriptingRunning(lua_State* L);

  lua_State* lua_ = nullptr;
  std::map<std::string, Script, std::less<>> scripts_;
  // The running script's context.
  ScriptHost* host_ = nullptr;
  int resp_ = 2;
  int repl_flags_ = script_repl::kAll;
  bool kill_requested_ = false;
  bool in_call_ = false;
  std::string running_name_;
  int runs_since_gc_ = 0;
  const bool functions_mode_;
  std::map<std::string, Library, std::less<>> libraries_;
  std::map<std::string, Function, std::less<>> functions_;
  std::vector<Function>* registering_ = nullptr;  // during LoadLibrary
  int64_t load_deadline_ms_ = 0;
};

}  // namespace ember
