// The Lua engine: state set-up and sandbox, redis.* functions, RESP <-> Lua conversions.
#include "server/script_lua.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/clock.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "common/version.h"
#include "server/script_libs.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
}

namespace ember {

bool LuaScriptingRunning(lua_State* L);

namespace {

constexpr const char* kSelfKey = "__ember_scripting";
constexpr const char* kErrHandlerKey = "__ember_err_handler";

// Redis 7.0 reports the version as a number 0x00MMmmpp.
int VersionNum() {
  int parts[3] = {0, 0, 0};
  const char* v = kRedisCompatVersion;
  int i = 0;
  for (; *v && i < 3; ++v) {
    if (*v == '.') {
      ++i;
    } else {
      parts[i] = parts[i] * 10 + (*v - '0');
    }
  }
  return (parts[0] << 16) | (parts[1] << 8) | parts[2];
}

// An error table {err="CODE msg"} as Redis's luaPushErrorBuff: a leading '-' carries its own
// code, otherwise ERR is prepended; trailing CR/LF are trimmed.
void PushError(lua_State* L, std::string_view text) {
  std::string code = "ERR", msg;
  if (!text.empty() && text[0] == '-') {
    size_t sp = text.find(' ');
    if (sp == std::string_view::npos) {
      msg = std::string(text.substr(1));
    } else {
      code = std::string(text.substr(1, sp - 1));
      msg = std::string(text.substr(sp + 1));
    }
  } else {
    msg = std::string(text);
  }
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.pop_back();
  size_t start = msg.find_first_not_of("\r\n");
  msg = start == std::string::npos ? std::string() : msg.substr(start);
  std::string full = code + " " + msg;
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, full.data(), full.size());
  lua_settable(L, -3);
}

// Pushes t[name] for the table on top of the stack without metamethods: a script's reply is
// read raw (as Redis 7.0.15), so a metatable cannot raise outside the protected call.
void RawField(lua_State* L, const char* name) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
}

// Redis's math.random: rand48 with a process-wide state (the same sequence as Redis for the same
// seed, on any platform), not reset between scripts.
uint64_t g_rand48 = 0x1234ABCD330EULL;

int32_t Lrand48() {
  g_rand48 = (0x5DEECE66DULL * g_rand48 + 0xB) & ((1ULL << 48) - 1);
  return static_cast<int32_t>(g_rand48 >> 17);
}

int MathRandom(lua_State* L);
int MathRandomSeed(lua_State* L);

// Raises a Redis error table (the script stops unless it is inside pcall).
int Raise(lua_State* L, std::string_view text) {
  PushError(L, text);
  return lua_error(L);
}

// Raised by the protected tables (globals and libraries).
int ReadonlyError(lua_State* L) { return luaL_error(L, "Attempt to modify a readonly table"); }

int MissingGlobal(lua_State* L) {
  const char* name = lua_tostring(L, 2);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    name ? name : "?");
}

// Sets a metatable raising on unknown names and on writes on the table on top of the stack.
void ProtectStrict(lua_State* L) {
  lua_newtable(L);
  lua_pushcfunction(L, MissingGlobal);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyError);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
}

// Whether the value at idx is one of the protected tables (a proxy or the real globals).
bool IsProtected(lua_State* L, int idx) {
  if (!lua_istable(L, idx) || !lua_getmetatable(L, idx)) return false;
  lua_pushstring(L, "__newindex");
  lua_rawget(L, -2);
  const bool readonly = lua_tocfunction(L, -1) == ReadonlyError;
  lua_pop(L, 2);
  return readonly;
}

// Raised from the C functions below: no position, as Redis's VM check.
int ReadonlyRawError(lua_State* L) {
  lua_pushstring(L, "Attempt to modify a readonly table");
  return lua_error(L);
}

// rawset and setmetatable refuse the protected tables too (Redis's read-only tables refuse
// them in the VM).
int GuardedRawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (IsProtected(L, 1)) return ReadonlyRawError(L);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

// The base library's setmetatable, plus the read-only check.
int GuardedSetmetatable(lua_State* L) {
  const int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argcheck(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table expected");
  if (IsProtected(L, 1)) return ReadonlyRawError(L);
  if (luaL_getmetafield(L, 1, "__metatable")) {
    return luaL_error(L, "cannot change a protected metatable");
  }
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

// A read-only proxy's table (the proxy itself when `idx` is not one), so pairs and next see the
// library's contents as with Redis's read-only tables.
void UnwrapProxy(lua_State* L, int idx) {
  if (!lua_getmetatable(L, idx)) return;
  lua_getfield(L, -1, "__newindex");
  const bool proxy = lua_tocfunction(L, -1) == ReadonlyError;
  lua_pop(L, 1);
  lua_getfield(L, -1, "__index");
  if (proxy && lua_istable(L, -1)) {
    lua_replace(L, idx);
    lua_pop(L, 1);
  } else {
    lua_pop(L, 2);
  }
}

int ProxyNext(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  UnwrapProxy(L, 1);
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

int ProxyPairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  UnwrapProxy(L, 1);
  lua_pushcfunction(L, ProxyNext);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// Wraps the table on top of the stack in an empty read-only proxy: reads go to the table, writes
// raise. (Redis patches its Lua for read-only tables; stock Lua 5.1 needs proxies.)
void MakeReadonlyProxy(lua_State* L) {
  lua_newtable(L);       // proxy
  lua_newtable(L);       // metatable
  lua_pushvalue(L, -3);  // the real table
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyError);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_remove(L, -2);  // leaves the proxy
}

// Number -> argument as Redis: "%.17g" (Lua's own conversion loses precision).
bool ArgFromLua(lua_State* L, int idx, std::string* out) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    char buf[64];
    int n = std::snprintf(buf, sizeof(buf), "%.17g", static_cast<double>(lua_tonumber(L, idx)));
    out->assign(buf, static_cast<size_t>(n));
    return true;
  }
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  if (!s) return false;
  out->assign(s, len);
  return true;
}

bool ReadLine(std::string_view data, size_t* pos, std::string_view* line) {
  size_t end = data.find("\r\n", *pos);
  if (end == std::string_view::npos) return false;
  *line = data.substr(*pos, end - *pos);
  *pos = end + 2;
  return true;
}

bool ReadBlob(std::string_view data, size_t* pos, int64_t len, std::string_view* out) {
  if (len < 0 || *pos + static_cast<size_t>(len) + 2 > data.size()) return false;
  *out = data.substr(*pos, static_cast<size_t>(len));
  *pos += static_cast<size_t>(len) + 2;
  return true;
}

void PushArray(lua_State* L, std::span<const std::string_view> items) {
  lua_newtable(L);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

// Replies an error table's message (the table on top of the stack). An error a command already
// replied to the script was counted then (INFO errorstats, failed_calls): written raw, it is
// not counted again, as Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE.
uint64_t g_uncounted_errors = 0;

void ReplyScriptError(lua_State* L, ReplyBuilder& out, std::string msg) {
  RawField(L, "ignore_error_stats_update");
  bool counted = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (!counted) return out.Error(msg);
  ++g_uncounted_errors;
  for (char& c : msg) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  out.Raw("-" + msg + "\r\n");
}

// Skips one RESP value (attributes).
bool SkipReply(std::string_view data, size_t* pos);

}  // namespace

// --- Shebang ----------------------------------------------------------------------------------

namespace {
constexpr std::pair<std::string_view, uint32_t> kScriptFlags[] = {
    {"no-writes", script_flags::kNoWrites},
    {"allow-oom", script_flags::kAllowOom},
    {"allow-stale", script_flags::kAllowStale},
    {"no-cluster", script_flags::kNoCluster},
    {"allow-cross-slot-keys", script_flags::kAllowCrossSlot},
};
}  // namespace

uint32_t ScriptFlagByName(std::string_view name) {
  for (const auto& [n, f] : kScriptFlags) {
    if (n == name) return f;
  }
  return 0;
}

std::vector<std::string_view> ScriptFlagNames(uint32_t flags) {
  std::vector<std::string_view> out;
  for (const auto& [n, f] : kScriptFlags) {
    if (flags & f) out.push_back(n);
  }
  return out;
}

bool ParseShebang(std::string_view body, uint32_t* flags, std::string* err) {
  if (body.substr(0, 2) != "#!") {
    *flags = script_flags::kEvalCompat;
    return true;
  }
  size_t eol = body.find('\n');
  std::string_view line = body.substr(0, eol);
  std::vector<std::string_view> parts;
  for (size_t i = 0; i < line.size();) {
    size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    if (j > i) parts.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  if (parts.empty() || parts[0] != "#!lua") {
    *err =
        fmt::format("ERR Unexpected engine in script shebang: {}", parts.empty() ? line : parts[0]);
    return false;
  }
  *flags = 0;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].substr(0, 6) != "flags=") {
      *err = fmt::format("ERR Unknown lua shebang option: {}", parts[i]);
      return false;
    }
    std::string_view list = parts[i].substr(6);
    for (size_t a = 0; a < list.size();) {
      size_t b = list.find(',', a);
      if (b == std::string_view::npos) b = list.size();
      std::string_view f = list.substr(a, b - a);
      a = b + 1;
      if (f.empty()) continue;
      uint32_t flag = ScriptFlagByName(f);
      if (!flag) {
        *err = fmt::format("ERR Unexpected flag in script shebang: {}", f);
        return false;
      }
      *flags |= flag;
    }
  }
  return true;
}

// --- State ------------------------------------------------------------------------------------

LuaScripting::LuaScripting(bool functions_mode) : functions_mode_(functions_mode) { InitState(); }

LuaScripting::~LuaScripting() {
  if (lua_) lua_close(lua_);
}

LuaScripting* LuaScripting::Self(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kSelfKey);
  auto* self = static_cast<LuaScripting*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return self;
}

void LuaScripting::InitState() {
  lua_State* L = luaL_newstate();
  lua_ = L;
  lua_pushlightuserdata(L, this);
  lua_setfield(L, LUA_REGISTRYINDEX, kSelfKey);

  auto open = [&](const char* name, lua_CFunction fn) {
    lua_pushcfunction(L, fn);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
  };
  open("", luaopen_base);
  open(LUA_TABLIBNAME, luaopen_table);
  open(LUA_STRLIBNAME, luaopen_string);
  open(LUA_MATHLIBNAME, luaopen_math);
  open(LUA_DBLIBNAME, luaopen_debug);
  // The libraries Redis bundles, each as a global table.
  const luaL_Reg bundled[] = {{"cjson", luaopen_cjson},
                              {"bit", luaopen_bit},
                              {"cmsgpack", OpenCmsgpack},
                              {"struct", OpenStruct}};
  for (const luaL_Reg& lib : bundled) {
    lua_pushcfunction(L, lib.func);
    lua_call(L, 0, 1);
    lua_setglobal(L, lib.name);
  }
  lua_pushcfunction(L, GuardedRawset);
  lua_setglobal(L, "rawset");
  lua_pushcfunction(L, GuardedSetmetatable);
  lua_setglobal(L, "setmetatable");
  lua_pushcfunction(L, ProxyNext);
  lua_setglobal(L, "next");
  lua_pushcfunction(L, ProxyPairs);
  lua_setglobal(L, "pairs");
  // Not in Redis's sandbox (7.0.15 also dropped the environment functions and newproxy).
  for (const char* name : {"dofile", "loadfile", "print", "getfenv", "setfenv", "newproxy"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_pushcfunction(L, LuaPCall);
  lua_setglobal(L, "pcall");

  // The redis table.
  lua_newtable(L);
  auto fn = [&](const char* name, lua_CFunction f) {
    lua_pushcfunction(L, f);
    lua_setfield(L, -2, name);
  };
  auto num = [&](const char* name, double v) {
    lua_pushnumber(L, v);
    lua_setfield(L, -2, name);
  };
  fn("call", LuaCall);
  fn("pcall", [](lua_State* L) { return GenericCall(L, false); });
  fn("log", LuaLog);
  num("LOG_DEBUG", 0);
  num("LOG_VERBOSE", 1);
  num("LOG_NOTICE", 2);
  num("LOG_WARNING", 3);
  lua_pushstring(L, kRedisCompatVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  num("REDIS_VERSION_NUM", VersionNum());
  fn("setresp", LuaSetResp);
  fn("sha1hex", [](lua_State* L) {
    if (lua_gettop(L) != 1) {
      return Raise(L, "wrong number of arguments");
    }
    size_t len = 0;
    const char* s = lua_tolstring(L, 1, &len);
    std::string hex = Sha1::Hex(Sha1::Hash(s ? std::string_view(s, len) : std::string_view()));
    lua_pushstring(L, hex.c_str());
    return 1;
  });
  fn("error_reply", [](lua_State* L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
      PushError(L, "wrong number or type of arguments");
      return 1;
    }
    std::string e = lua_tostring(L, -1);
    if (e.empty() || e[0] != '-') e = "-" + e;
    PushError(L, e);
    return 1;
  });
  fn("status_reply", [](lua_State* L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
      PushError(L, "wrong number or type of arguments");
      return 1;
    }
    lua_newtable(L);
    lua_pushstring(L, "ok");
    lua_pushvalue(L, -3);
    lua_settable(L, -3);
    return 1;
  });
  fn("set_repl", LuaSetRepl);
  fn("acl_check_cmd", LuaAclCheck);
  num("REPL_NONE", script_repl::kNone);
  num("REPL_AOF", script_repl::kAof);
  num("REPL_SLAVE", script_repl::kReplica);
  num("REPL_REPLICA", script_repl::kReplica);
  num("REPL_ALL", script_repl::kAll);
  // Script effects replication is the only mode in 7.0: these remain for old scripts.
  fn("replicate_commands", [](lua_State* L) {
    lua_pushboolean(L, 1);
    return 1;
  });
  fn("breakpoint", [](lua_State* L) {
    lua_pushboolean(L, 0);  // no debugger session
    return 1;
  });
  fn("debug", [](lua_State*) { return 0; });
  MakeReadonlyProxy(L);
  lua_setglobal(L, "redis");

  // The error handler adds where the error happened (the caller when it was raised by a C
  // function such as redis.call), as Redis's __redis__err__handler.
  const char* handler =
      "local dbg = debug\n"
      "return function(err)\n"
      "  local i = dbg.getinfo(2,'nSl')\n"
      "  if i and i.what == 'C' then i = dbg.getinfo(3,'nSl') end\n"
      "  if type(err) ~= 'table' then err = {err='ERR ' .. tostring(err)} end\n"
      "  if i then err['source'] = i.source; err['line'] = i.currentline end\n"
      "  return err\n"
      "end\n";
  luaL_loadbuffer(L, handler, std::strlen(handler), "@err_handler");
  lua_call(L, 0, 1);
  lua_pushvalue(L, -1);
  lua_setglobal(L, "__redis__err__handler");  // a global in Redis too
  lua_setfield(L, LUA_REGISTRYINDEX, kErrHandlerKey);
  lua_pushnil(L);
  lua_setglobal(L, "debug");

  lua_getglobal(L, "math");
  lua_pushcfunction(L, MathRandom);
  lua_setfield(L, -2, "random");
  lua_pushcfunction(L, MathRandomSeed);
  lua_setfield(L, -2, "randomseed");
  lua_pop(L, 1);

  // Library tables become read-only proxies.
  for (const char* lib :
       {"string", "math", "table", "cjson", "bit", "cmsgpack", "struct", "coroutine"}) {
    lua_getglobal(L, lib);
    if (lua_istable(L, -1)) {
      MakeReadonlyProxy(L);
      lua_setglobal(L, lib);
    } else {
      lua_pop(L, 1);
    }
  }

  // The strings' metatable (reachable with getmetatable('')) refuses new fields; its __index
  // must stay a raw field for the VM, so it can still be replaced.
  lua_pushstring(L, "");
  lua_getmetatable(L, -1);
  lua_newtable(L);
  lua_pushcfunction(L, ReadonlyError);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
  lua_pop(L, 2);

  // Globals: the real table errors on unknown names and on new ones; scripts run with a proxy
  // as their globals so that existing names cannot be reassigned either.
  lua_pushvalue(L, LUA_GLOBALSINDEX);  // G
  ProtectStrict(L);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "__ember_globals");
  lua_pushvalue(L, -1);
  MakeReadonlyProxy(L);  // G, P
  // getmetatable(_G) gives a table, as in Redis, but a read-only view of the real one.
  lua_getmetatable(L, -1);
  lua_pushvalue(L, -1);
  MakeReadonlyProxy(L);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "_G");  // rawset: G has no _G key lookups through the metatable here
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_pop(L, 1);
  if (functions_mode_) InitLoadEnv();
}

bool LuaScripting::Load(std::string_view body, std::string* sha, std::string* err) {
  *sha = Sha1::Hex(Sha1::Hash(body));
  if (scripts_.count(*sha)) return true;
  uint32_t flags = 0;
  if (!ParseShebang(body, &flags, err)) return false;
  // The shebang line is dropped but its line feed kept, so line numbers stay the user's.
  std::string_view code = body;
  std::string stripped;
  if (!(flags & script_flags::kEvalCompat)) {
    size_t eol = body.find('\n');
    code = eol == std::string_view::npos ? std::string_view() : body.substr(eol);
  }
  lua_State* L = lua_;
  if (luaL_loadbuffer(L, code.data(), code.size(), "@user_script")) {
    *err = fmt::format("ERR Error compiling script (new function): {}", lua_tostring(L, -1));
    lua_pop(L, 1);
    return false;
  }
  std::string function_name = "f_" + *sha;
  lua_setfield(L, LUA_REGISTRYINDEX, function_name.c_str());
  scripts_.emplace(*sha, Script{*sha, std::move(function_name), std::string(body), flags});
  return true;
}

const LuaScripting::Script* LuaScripting::Find(std::string_view sha) const {
  if (sha.size() != 40) return nullptr;
  char lower[40];  // EVALSHA runs this per call: no allocation
  for (size_t i = 0; i < sizeof(lower); ++i) lower[i] = AsciiToLower(sha[i]);
  auto it = scripts_.find(std::string_view(lower, sizeof(lower)));
  return it == scripts_.end() ? nullptr : &it->second;
}

void LuaScripting::Flush() {
  // A new state drops every compiled function (as Redis's SCRIPT FLUSH resets Lua).
  lua_close(lua_);
  lua_ = nullptr;
  scripts_.clear();
  InitState();
}

uint64_t LuaScripting::uncounted_errors() { return g_uncounted_errors; }

size_t LuaScripting::scripts_memory() const {
  size_t n = 0;
  for (const auto& [sha, s] : scripts_) n += sha.size() + s.body.size() + 64;
  for (const auto& [name, lib] : libraries_) n += name.size() + lib.code.size() + 64;
  for (const auto& [name, f] : functions_) n += name.size() + 96;
  return n;
}

size_t LuaScripting::lua_memory() const {
  return static_cast<size_t>(lua_gc(lua_, LUA_GCCOUNT, 0)) * 1024 +
         static_cast<size_t>(lua_gc(lua_, LUA_GCCOUNTB, 0));
}

// --- Running ----------------------------------------------------------------------------------

void LuaScripting::Run(const Script& script, std::span<const std::string_view> keys,
                       std::span<const std::string_view> args, ScriptHost& host,
                       ReplyBuilder& out) {
  lua_State* L = lua_;
  lua_getfield(L, LUA_REGISTRYINDEX, kErrHandlerKey);
  lua_getfield(L, LUA_REGISTRYINDEX, script.function_name.c_str());
  // KEYS and ARGV are set in the real globals table, behind the read-only proxy.
  lua_getmetatable(L, LUA_GLOBALSINDEX);
  lua_getfield(L, -1, "__index");  // G
  // Raw sets: the globals' metatable refuses new names.
  lua_pushstring(L, "KEYS");
  PushArray(L, keys);
  lua_rawset(L, -3);
  lua_pushstring(L, "ARGV");
  PushArray(L, args);
  lua_rawset(L, -3);
  lua_pop(L, 2);
  Execute(script.sha, 0, host, out);
}

void LuaScripting::Execute(const std::string& name, int nargs, ScriptHost& host,
                           ReplyBuilder& out) {
  lua_State* L = lua_;
  host_ = &host;
  resp_ = 2;
  repl_flags_ = script_repl::kAll;
  kill_requested_ = false;
  running_name_ = name;  // a copy: `name` may live in what the script could change
  if (host.WantsInterrupts()) lua_sethook(L, CountHook, LUA_MASKCOUNT, 100000);
  int err = lua_pcall(L, nargs, 1, -(nargs + 2));
  if (err) {
    if (!lua_istable(L, -1)) {
      const char* msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
      out.Error(fmt::format("ERR Error running script {}, {:.100}", running_name_, msg));
    } else {
      std::string msg, source, line;
      RawField(L, "err");
      if (lua_isstring(L, -1)) msg = lua_tostring(L, -1);
      lua_pop(L, 1);
      RawField(L, "source");
      if (lua_isstring(L, -1)) source = lua_tostring(L, -1);
      bool has_source = lua_isstring(L, -1);
      lua_pop(L, 1);
      RawField(L, "line");
      bool has_line = lua_isstring(L, -1);
      if (has_line) line = lua_tostring(L, -1);
      lua_pop(L, 1);
      if (has_source && has_line) {
        msg += fmt::format(" script: {}, on {}:{}.", running_name_, source, line);
      }
      ReplyScriptError(L, out, msg);
    }
    lua_pop(L, 1);
  } else {
    WriteReply(L, out, resp_);
  }
  lua_pop(L, 1);  // the error handler
  lua_sethook(L, nullptr, 0, 0);
  host_ = nullptr;
  running_name_.clear();
  // Some garbage collection every 50 runs instead of a full cycle later (as Redis's
  // LUA_GC_CYCLE_PERIOD).
  if (++runs_since_gc_ == 50) {
    lua_gc(L, LUA_GCSTEP, 50);
    runs_since_gc_ = 0;
  }
}

void LuaScripting::CountHook(lua_State* L, lua_Debug*) {
  LuaScripting* self = Self(L);
  if (!self->host_) return;
  if (self->kill_requested_ || self->host_->Interrupt()) {
    // Every line raises from now on, so pcall cannot catch it and go on.
    lua_sethook(L, CountHook, LUA_MASKLINE, 0);
    self->kill_requested_ = true;
    PushError(L, "Script killed by user with SCRIPT KILL...");
    lua_error(L);
  }
}

int LuaScripting::LuaCall(lua_State* L) { return GenericCall(L, true); }

int LuaScripting::GenericCall(lua_State* L, bool raise) {
  // Lua errors longjmp: every C++ object of the call is gone before lua_error runs.
  bool failed = CallCommand(L);
  return failed && raise ? lua_error(L) : 1;
}

bool LuaScripting::CallCommand(lua_State* L) {
  LuaScripting* self = Self(L);
  if (!self->host_) {
    PushError(L, "redis.call/pcall can only be called inside a script invocation");
    return true;
  }
  std::vector<std::string> argv;
  if (!ArgsFromLua(L, &argv)) return true;
  if (self->in_call_) {
    PushError(L,
              "luaRedisGenericCommand() recursive call detected. Are you doing funny stuff "
              "with Lua debug hooks?");
    return false;
  }
  std::string reply, err;
  self->in_call_ = true;
  self->host_->Call(argv, self->resp_, self->repl_flags_, &reply, &err);
  self->in_call_ = false;
  if (!err.empty()) {
    PushError(L, err);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "ignore_error_stats_update");
    return true;
  }
  size_t pos = 0;
  if (!PushReply(L, reply, &pos)) {
    PushError(L, "malformed reply from the command");
    return true;
  }
  return !reply.empty() && reply[0] == '-';
}

bool LuaScripting::ArgsFromLua(lua_State* L, std::vector<std::string>* argv) {
  int argc = lua_gettop(L);
  if (argc == 0) {
    PushError(L, "Please specify at least one argument for this redis lib call");
    return false;
  }
  argv->resize(static_cast<size_t>(argc));
  for (int i = 0; i < argc; ++i) {
    if (!ArgFromLua(L, i + 1, &(*argv)[static_cast<size_t>(i)])) {
      lua_pop(L, argc);
      PushError(L, "Lua redis lib command arguments must be strings or integers");
      return false;
    }
  }
  lua_pop(L, argc);
  return true;
}

int LuaScripting::LuaAclCheck(lua_State* L) {
  LuaScripting* self = Self(L);
  int verdict = 0;  // -1 error pushed, -2 unknown command, 0 denied, 1 allowed
  {
    std::vector<std::string> argv;
    if (!self->host_) {
      PushError(L, "redis.acl_check_cmd can only be called inside a script invocation");
      verdict = -1;
    } else if (!ArgsFromLua(L, &argv)) {
      verdict = -1;
    } else {
      std::optional<bool> allowed = self->host_->AclAllows(argv);
      verdict = !allowed ? -2 : *allowed ? 1 : 0;
    }
  }
  if (verdict == -1) return lua_error(L);
  if (verdict == -2) return Raise(L, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(L, verdict);
  return 1;
}

// pcall that hands back the message of Redis's error tables (Lua errors in 7.0 are tables).
int LuaScripting::LuaPCall(lua_State* L) {
  int argc = lua_gettop(L);
  luaL_checkany(L, 1);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0)) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

// redis.setresp / redis.set_repl: one number, valid only while a script runs. Raises (never
// returns) when a check fails.
void LuaScripting::ScriptSetting(lua_State* L, const char* not_running, const char* arity,
                                 int* value) {
  if (!Self(L)->host_) Raise(L, not_running);
  if (lua_gettop(L) != 1) Raise(L, arity);
  *value = static_cast<int>(lua_tonumber(L, -1));
}

int LuaScripting::LuaSetResp(lua_State* L) {
  int resp = 0;
  ScriptSetting(L, "redis.setresp can only be called inside a script invocation",
                "redis.setresp() requires one argument.", &resp);
  if (resp != 2 && resp != 3) return Raise(L, "RESP version must be 2 or 3.");
  Self(L)->resp_ = resp;
  return 0;
}

int LuaScripting::LuaSetRepl(lua_State* L) {
  int flags = 0;
  ScriptSetting(L, "redis.set_repl can only be called inside a script invocation",
                "redis.set_repl() requires two arguments.", &flags);
  if ((flags & ~script_repl::kAll) != 0) {
    return Raise(L,
                 "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  Self(L)->repl_flags_ = flags;
  return 0;
}

namespace {

int MathRandom(lua_State* L) {
  if (!LuaScriptingRunning(L)) {
    return luaL_error(L, "math.random can only be called inside a script invocation");
  }
  constexpr int32_t kMax = INT32_MAX;
  const lua_Number r = static_cast<lua_Number>(Lrand48() % kMax) / static_cast<lua_Number>(kMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * u) + 1);
      break;
    }
    case 2: {
      int l = luaL_checkint(L, 1);
      int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int MathRandomSeed(lua_State* L) {
  if (!LuaScriptingRunning(L)) {
    return luaL_error(L, "math.randomseed can only be called inside a script invocation");
  }
  g_rand48 = (static_cast<uint64_t>(static_cast<uint32_t>(luaL_checkint(L, 1))) << 16) | 0x330E;
  return 0;
}

}  // namespace

bool LuaScriptingRunning(lua_State* L) { return LuaScripting::Self(L)->host_ != nullptr; }

int LuaScripting::LuaLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) {
    return Raise(L, "redis.log() requires two arguments or more.");
  }
  if (!lua_isnumber(L, -argc)) {
    return Raise(L, "First argument must be a number (log level).");
  }
  int level = static_cast<int>(lua_tonumber(L, -argc));
  if (level < 0 || level > 3) {
    return Raise(L, "Invalid debug level.");
  }
  std::string msg;
  for (int j = 1; j < argc; ++j) {
    size_t len = 0;
    const char* s = lua_tolstring(L, -argc + j, &len);
    if (s) {
      if (j != 1) msg.push_back(' ');
      msg.append(s, len);
    }
  }
  LuaScripting* self = Self(L);
  if (self->host_) self->host_->Log(level, msg);
  return 0;
}

// --- RESP -> Lua ------------------------------------------------------------------------------

namespace {

bool SkipReply(std::string_view data, size_t* pos) {
  if (*pos >= data.size()) return false;
  char type = data[*pos];
  ++*pos;
  std::string_view line;
  if (!ReadLine(data, pos, &line)) return false;
  int64_t n = 0;
  switch (type) {
    case '$':
    case '!':
    case '=':
      if (!ParseInt64(line, &n)) return false;
      if (n < 0) return true;
      return ReadBlob(data, pos, n, &line);
    case '*':
    case '~':
    case '>':
    case '%':
    case '|':
      if (!ParseInt64(line, &n)) return false;
      if (type == '%' || type == '|') n *= 2;
      for (int64_t i = 0; i < n; ++i) {
        if (!SkipReply(data, pos)) return false;
      }
      return true;
    default:
      return true;
  }
}

}  // namespace

bool LuaScripting::PushReply(lua_State* L, std::string_view data, size_t* pos) {
  if (*pos >= data.size()) return false;
  if (!lua_checkstack(L, 5)) return false;
  char type = data[*pos];
  ++*pos;
  std::string_view line;
  if (!ReadLine(data, pos, &line)) return false;
  int64_t n = 0;
  switch (type) {
    case ':':
      if (!ParseInt64(line, &n)) return false;
      lua_pushnumber(L, static_cast<lua_Number>(n));
      return true;
    case '+':
      lua_newtable(L);
      lua_pushstring(L, "ok");
      lua_pushlstring(L, line.data(), line.size());
      lua_settable(L, -3);
      return true;
    case '-':
      PushError(L, "-" + std::string(line));
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "ignore_error_stats_update");
      return true;
    case '$': {
      if (!ParseInt64(line, &n)) return false;
      if (n < 0) {
        lua_pushboolean(L, 0);
        return true;
      }
      std::string_view blob;
      if (!ReadBlob(data, pos, n, &blob)) return false;
      lua_pushlstring(L, blob.data(), blob.size());
      return true;
    }
    case '*':
    case '>': {
      if (!ParseInt64(line, &n)) return false;
      if (n < 0) {
        lua_pushboolean(L, 0);
        return true;
      }
      lua_newtable(L);
      for (int64_t i = 0; i < n; ++i) {
        lua_pushnumber(L, static_cast<lua_Number>(i + 1));
        if (!PushReply(L, data, pos)) {
          lua_pop(L, 2);
          return false;
        }
        lua_settable(L, -3);
      }
      return true;
    }
    case '%':
    case '~': {
      if (!ParseInt64(line, &n)) return false;
      lua_newtable(L);
      lua_pushstring(L, type == '%' ? "map" : "set");
      lua_newtable(L);
      for (int64_t i = 0; i < n; ++i) {
        if (!PushReply(L, data, pos)) {
          lua_pop(L, 3);
          return false;
        }
        if (type == '%') {
          if (!PushReply(L, data, pos)) {
            lua_pop(L, 4);
            return false;
          }
        } else {
          lua_pushboolean(L, 1);
        }
        lua_settable(L, -3);
      }
      lua_settable(L, -3);
      return true;
    }
    case '_':
      lua_pushnil(L);
      return true;
    case '#':
      lua_pushboolean(L, line == "t");
      return true;
    case ',': {
      double d = 0;
      if (line == "inf") {
        d = HUGE_VAL;
      } else if (line == "-inf") {
        d = -HUGE_VAL;
      } else if (line == "nan") {
        d = std::nan("");
      } else {
        d = std::strtod(std::string(line).c_str(), nullptr);
      }
      lua_newtable(L);
      lua_pushstring(L, "double");
      lua_pushnumber(L, d);
      lua_settable(L, -3);
      return true;
    }
    case '(':
      lua_newtable(L);
      lua_pushstring(L, "big_number");
      lua_pushlstring(L, line.data(), line.size());
      lua_settable(L, -3);
      return true;
    case '=': {
      if (!ParseInt64(line, &n)) return false;
      std::string_view blob;
      if (!ReadBlob(data, pos, n, &blob) || blob.size() < 4) return false;
      lua_newtable(L);
      lua_pushstring(L, "verbatim_string");
      lua_newtable(L);
      lua_pushstring(L, "string");
      lua_pushlstring(L, blob.data() + 4, blob.size() - 4);
      lua_settable(L, -3);
      lua_pushstring(L, "format");
      lua_pushlstring(L, blob.data(), 3);
      lua_settable(L, -3);
      lua_settable(L, -3);
      return true;
    }
    case '|': {
      // Attributes are not shown to scripts: skip them, then the value itself.
      if (!ParseInt64(line, &n)) return false;
      for (int64_t i = 0; i < 2 * n; ++i) {
        if (!SkipReply(data, pos)) return false;
      }
      return PushReply(L, data, pos);
    }
    default:
      return false;
  }
}

// --- Lua -> RESP ------------------------------------------------------------------------------

void LuaScripting::WriteReply(lua_State* L, ReplyBuilder& out, int script_resp) {
  if (!lua_checkstack(L, 4)) {
    out.Error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, -1, &len);
      out.Bulk(std::string_view(s, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1)) {
          out.Integer(1);
        } else {
          out.Null();
        }
      } else {
        out.Bool(lua_toboolean(L, -1));
      }
      break;
    case LUA_TNUMBER: {
      // Redis casts to long long; out of range (and NaN) gives x86's INT64_MIN.
      double d = lua_tonumber(L, -1);
      out.Integer(d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? static_cast<int64_t>(d)
                                                                           : INT64_MIN);
      break;
    }
    case LUA_TTABLE: {
      // Single-field tables are errors, statuses and the RESP3 types; the rest are arrays.
      RawField(L, "err");
      if (lua_type(L, -1) == LUA_TSTRING) {
        std::string msg = lua_tostring(L, -1);
        lua_pop(L, 1);
        ReplyScriptError(L, out, msg);
        lua_pop(L, 1);
        return;
      }
      lua_pop(L, 1);
      RawField(L, "ok");
      if (lua_type(L, -1) == LUA_TSTRING) {
        std::string ok = lua_tostring(L, -1);
        for (char& c : ok) {
          if (c == '\r' || c == '\n') c = ' ';
        }
        lua_pop(L, 2);
        out.SimpleString(ok);
        return;
      }
      lua_pop(L, 1);
      RawField(L, "double");
      if (lua_type(L, -1) == LUA_TNUMBER) {
        double d = lua_tonumber(L, -1);
        lua_pop(L, 2);
        if (std::isnan(d)) {
          // Redis prints the NaN with printf's %.17g, sign included (0/0 is -nan on x86).
          const char* nan = std::signbit(d) ? "-nan" : "nan";
          return out.resp3() ? out.Raw(fmt::format(",{}\r\n", nan)) : out.Bulk(nan);
        }
        out.Double(d);
        return;
      }
      lua_pop(L, 1);
      RawField(L, "big_number");
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t len = 0;
        const char* s = lua_tolstring(L, -1, &len);
        std::string big(s, len);
        for (char& c : big) {
          if (c == '\r' || c == '\n') c = ' ';
        }
        lua_pop(L, 2);
        if (out.resp3()) {
          out.Raw("(" + big + "\r\n");
        } else {
          out.Bulk(big);
        }
        return;
      }
      lua_pop(L, 1);
      RawField(L, "verbatim_string");
      if (lua_type(L, -1) == LUA_TTABLE) {
        RawField(L, "format");
        lua_pushstring(L, "string");
        lua_rawget(L, -3);
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
          size_t flen = 0, slen = 0;
          const char* f = lua_tolstring(L, -2, &flen);
          const char* s = lua_tolstring(L, -1, &slen);
          out.Verbatim(std::string_view(s, slen), std::string_view(f, std::min<size_t>(flen, 3)));
          lua_pop(L, 4);
          return;
        }
        lua_pop(L, 2);
      }
      lua_pop(L, 1);
      for (const char* kind : {"map", "set"}) {
        RawField(L, kind);
        if (lua_type(L, -1) == LUA_TTABLE) {
          bool map = kind[0] == 'm';
          size_t count = 0;
          lua_pushnil(L);
          while (lua_next(L, -2)) {
            ++count;
            lua_pop(L, 1);
          }
          if (map) {
            out.MapLen(count);
          } else {
            out.SetLen(count);
          }
          lua_pushnil(L);
          while (lua_next(L, -2)) {
            if (map) {
              lua_pushvalue(L, -2);
              WriteReply(L, out, script_resp);  // key
              WriteReply(L, out, script_resp);  // value
            } else {
              lua_pop(L, 1);
              lua_pushvalue(L, -1);
              WriteReply(L, out, script_resp);
            }
          }
          lua_pop(L, 2);
          return;
        }
        lua_pop(L, 1);
      }
      // An array stops at the first nil.
      size_t len = 0;
      for (;;) {
        lua_rawgeti(L, -1, static_cast<int>(len + 1));
        bool nil = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (nil) break;
        ++len;
      }
      out.ArrayLen(len);
      for (size_t i = 1; i <= len; ++i) {
        lua_rawgeti(L, -1, static_cast<int>(i));
        WriteReply(L, out, script_resp);
      }
      break;
    }
    default:
      out.Null();
  }
  lua_pop(L, 1);
}

// --- FUNCTION libraries -----------------------------------------------------------------------

namespace {

constexpr const char* kLoadEnvKey = "__ember_load_env";
constexpr const char* kNameError =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one "
    "character long";

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

void LuaScripting::InitLoadEnv() {
  // While a library's code runs, its globals are only `redis` with register_function, log and
  // the version (Redis 7.0's library API); other names raise.
  lua_State* L = lua_;
  lua_newtable(L);  // env
  lua_newtable(L);  // redis
  lua_pushcfunction(L, LuaRegisterFunction);
  lua_setfield(L, -2, "register_function");
  lua_pushcfunction(L, LuaLog);
  lua_setfield(L, -2, "log");
  const char* levels[] = {"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"};
  for (int i = 0; i < 4; ++i) {
    lua_pushnumber(L, i);
    lua_setfield(L, -2, levels[i]);
  }
  lua_pushstring(L, kRedisCompatVersion);
  lua_setfield(L, -2, "REDIS_VERSION");
  lua_pushnumber(L, VersionNum());
  lua_setfield(L, -2, "REDIS_VERSION_NUM");
  ProtectStrict(L);
  lua_setfield(L, -2, "redis");
  ProtectStrict(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kLoadEnvKey);
}

const char* LuaScripting::ParseRegistration(lua_State* L, Function* f) {
  int argc = lua_gettop(L);
  if (argc == 1) {
    if (!lua_istable(L, 1)) {
      return "calling redis.register_function with a single argument is only applicable to Lua "
             "table (representing named arguments).";
    }
    bool has_callback = false;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
      // key at -2, value at -1
      const char* key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
      std::string_view k = key;
      if (k == "function_name") {
        if (!lua_isstring(L, -1))
          return "function_name argument given to redis.register_function must be a string";
        f->name = lua_tostring(L, -1);
      } else if (k == "description") {
        if (!lua_isstring(L, -1))
          return "description argument given to redis.register_function must be a string";
        f->description = lua_tostring(L, -1);
      } else if (k == "callback") {
        if (!lua_isfunction(L, -1))
          return "callback argument given to redis.register_function must be a function";
        if (has_callback) luaL_unref(L, LUA_REGISTRYINDEX, f->ref);
        lua_pushvalue(L, -1);
        f->ref = luaL_ref(L, LUA_REGISTRYINDEX);
        has_callback = true;
      } else if (k == "flags") {
        if (!lua_istable(L, -1))
          return "flags argument to redis.register_function must be a table representing function "
                 "flags";
        for (int i = 1;; ++i) {
          lua_rawgeti(L, -1, i);
          if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
          }
          uint32_t flag = lua_isstring(L, -1) ? ScriptFlagByName(lua_tostring(L, -1)) : 0;
          lua_pop(L, 1);
          if (!flag) return "unknown flag given";
          f->flags |= flag;
        }
      } else {
        return "unknown argument given to redis.register_function";
      }
      lua_pop(L, 1);
    }
    if (f->name.empty()) return "redis.register_function must get a function name argument";
    if (!has_callback) return "redis.register_function must get a callback argument";
    return nullptr;
  }
  if (argc != 2) return "wrong number of arguments to redis.register_function";
  if (!lua_isstring(L, 1)) return "first argument to redis.register_function must be a string";
  if (!lua_isfunction(L, 2)) return "second argument to redis.register_function must be a function";
  f->name = lua_tostring(L, 1);
  lua_pushvalue(L, 2);
  f->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return nullptr;
}

int LuaScripting::LuaRegisterFunction(lua_State* L) {
  LuaScripting* self = Self(L);
  const char* err = nullptr;
  {
    if (!self->registering_) {
      err = "redis.register_function can only be called on FUNCTION LOAD command";
    } else {
      Function f;
      err = self->ParseRegistration(L, &f);
      if (!err && !ValidName(f.name)) err = kNameError;
      if (!err) {
        for (const Function& other : *self->registering_) {
          if (other.name == f.name) err = "Function already exists in the library";
        }
      }
      if (err) {
        if (f.ref) luaL_unref(L, LUA_REGISTRYINDEX, f.ref);
      } else {
        self->registering_->push_back(std::move(f));
      }
    }
  }
  if (err) return Raise(L, err);
  return 0;
}

bool LuaScripting::LoadLibrary(std::string_view code, bool replace, std::string* name,
                               std::string* err) {
  if (code.substr(0, 2) != "#!") {
    *err = "ERR Missing library metadata";
    return false;
  }
  size_t eol = code.find('\n');
  if (eol == std::string_view::npos) {
    *err = "ERR Invalid library metadata";
    return false;
  }
  std::string_view line = code.substr(2, eol - 2);
  std::string_view engine = line.substr(0, line.find(' '));
  name->clear();
  bool has_name = false;
  for (size_t i = engine.size(); i < line.size();) {
    size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    std::string_view part = line.substr(i, j - i);
    i = j + 1;
    if (part.empty()) continue;
    if (part.substr(0, 5) != "name=") {
      *err = fmt::format("ERR Invalid metadata value given: {}", part);
      return false;
    }
    if (has_name) {
      *err = "ERR Invalid metadata value, name argument was given multiple times";
      return false;
    }
    *name = std::string(part.substr(5));
    has_name = true;
  }
  if (!has_name) {
    *err = "ERR Library name was not given";
    return false;
  }
  if (!EqualsIgnoreCase(engine, "lua")) {
    *err = fmt::format("ERR Engine '{}' not found", engine);
    return false;
  }
  if (!ValidName(*name)) {
    *err = std::string("ERR ") + kNameError;
    return false;
  }
  auto old = libraries_.find(*name);
  if (old != libraries_.end() && !replace) {
    *err = fmt::format("ERR Library '{}' already exists", *name);
    return false;
  }
  lua_State* L = lua_;
  // The shebang line is dropped but its line feed kept (line numbers stay the user's).
  std::string_view body = code.substr(eol);
  if (luaL_loadbuffer(L, body.data(), body.size(), "@user_function")) {
    *err = fmt::format("ERR Error compiling function: {}", lua_tostring(L, -1));
    lua_pop(L, 1);
    return false;
  }
  // Run it with the library API as its globals: the proxy's reads go to the load env.
  lua_getmetatable(L, LUA_GLOBALSINDEX);
  lua_getfield(L, LUA_REGISTRYINDEX, kLoadEnvKey);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  std::vector<Function> registered;
  registering_ = &registered;
  load_deadline_ms_ = MonotonicMs() + kLoadTimeoutMs;
  lua_sethook(L, LoadHook, LUA_MASKCOUNT, 100000);
  int failed = lua_pcall(L, 0, 0, 0);
  lua_sethook(L, nullptr, 0, 0);
  registering_ = nullptr;
  lua_getmetatable(L, LUA_GLOBALSINDEX);  // back to the real globals
  lua_getfield(L, LUA_REGISTRYINDEX, "__ember_globals");
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  auto drop = [&] {
    for (const Function& f : registered) luaL_unref(L, LUA_REGISTRYINDEX, f.ref);
  };
  if (failed) {
    std::string msg;
    if (lua_istable(L, -1)) {
      RawField(L, "err");
      msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "ERR unknown error";
      lua_pop(L, 1);
    } else {
      msg = std::string("ERR ") + (lua_isstring(L, -1) ? lua_tostring(L, -1) : "unknown error");
    }
    lua_pop(L, 1);
    drop();
    *err = "ERR Error registering functions: " + msg;
    return false;
  }
  if (registered.empty()) {
    *err = "ERR No functions registered";
    return false;
  }
  for (const Function& f : registered) {
    auto it = functions_.find(f.name);
    if (it != functions_.end() && it->second.library != *name) {
      *err = fmt::format("ERR Function {} already exists", f.name);
      drop();
      return false;
    }
  }
  if (old != libraries_.end()) {
    DropFunctions(old->second);
    libraries_.erase(old);
  }
  Library lib{*name, std::string(code), {}};
  for (Function& f : registered) {
    f.library = *name;
    lib.functions.push_back(f.name);
    functions_.emplace(f.name, std::move(f));
  }
  libraries_.emplace(*name, std::move(lib));
  return true;
}

void LuaScripting::LoadHook(lua_State* L, lua_Debug*) {
  // A library's code must return quickly: it runs inside FUNCTION LOAD (and snapshot loads).
  if (MonotonicMs() > Self(L)->load_deadline_ms_) {
    lua_sethook(L, LoadHook, LUA_MASKLINE, 0);  // raise again if the code catches it
    Raise(L, "FUNCTION LOAD timeout");
  }
}

void LuaScripting::DropFunctions(const Library& lib) {
  for (const std::string& fn : lib.functions) {
    auto it = functions_.find(fn);
    if (it == functions_.end()) continue;
    luaL_unref(lua_, LUA_REGISTRYINDEX, it->second.ref);
    functions_.erase(it);
  }
}

bool LuaScripting::DeleteLibrary(std::string_view name) {
  auto it = libraries_.find(name);
  if (it == libraries_.end()) return false;
  DropFunctions(it->second);
  libraries_.erase(it);
  return true;
}

void LuaScripting::FlushLibraries() {
  libraries_.clear();
  functions_.clear();
  Flush();  // a new state drops every callback and whatever the libraries kept in upvalues
}

const LuaScripting::Function* LuaScripting::FindFunction(std::string_view name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second;
}

void LuaScripting::CallFunction(const Function& f, std::span<const std::string_view> keys,
                                std::span<const std::string_view> args, ScriptHost& host,
                                ReplyBuilder& out) {
  lua_State* L = lua_;
  lua_getfield(L, LUA_REGISTRYINDEX, kErrHandlerKey);
  lua_rawgeti(L, LUA_REGISTRYINDEX, f.ref);
  PushArray(L, keys);
  PushArray(L, args);
  Execute(f.name, 2, host, out);
}

}  // namespace ember
