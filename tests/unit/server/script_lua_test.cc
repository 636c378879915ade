// The Lua engine alone: RESP <-> Lua conversions, the sandbox, shebang flags and error texts,
// with a fake host that answers redis.call from canned replies.
#include "server/script_lua.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ember {
namespace {

class FakeHost : public ScriptHost {
 public:
  void Call(std::vector<std::string>& argv, int resp, int repl, std::string* reply,
            std::string* err) override {
    calls.push_back(argv);
    last_resp = resp;
    last_repl = repl;
    if (argv[0] == "refuse") {
      *err = "Unknown Redis command called from script";
    } else if (resp == 3 && resp3_reply.size()) {
      *reply = resp3_reply;
    } else {
      *reply = canned;
    }
  }
  void Log(int level, std::string_view message) override {
    logs.push_back(std::to_string(level) + ":" + std::string(message));
  }
  bool Interrupt() override { return ++interrupts > kill_after; }
  std::optional<bool> AclAllows(std::vector<std::string>& argv) override {
    if (argv[0] == "nosuch") return std::nullopt;
    return argv[0] != "denied";
  }
  bool WantsInterrupts() const override { return kill_after >= 0; }

  std::string canned = "+OK\r\n";
  std::string resp3_reply;
  std::vector<std::vector<std::string>> calls;
  std::vector<std::string> logs;
  int last_resp = 0, last_repl = -1;
  int interrupts = 0, kill_after = -1;
};

class ScriptLuaTest : public ::testing::Test {
 protected:
  // Runs `body` with no keys and returns its RESP reply.
  std::string Eval(std::string_view body, bool resp3 = false,
                   std::vector<std::string_view> args = {}) {
    std::string out, sha, err;
    if (!lua.Load(body, &sha, &err)) return "compile:" + err;
    ReplyBuilder rb(&out);
    rb.set_resp3(resp3);
    lua.Run(*lua.Find(sha), {}, args, host, rb);
    return out;
  }
  std::string Sha(std::string_view body) {
    std::string sha, err;
    EXPECT_TRUE(lua.Load(body, &sha, &err)) << err;
    return sha;
  }

  LuaScripting lua;
  FakeHost host;
};

TEST_F(ScriptLuaTest, LuaToResp2) {
  EXPECT_EQ(Eval("return 1"), ":1\r\n");
  EXPECT_EQ(Eval("return 3.99"), ":3\r\n");
  EXPECT_EQ(Eval("return -2.5"), ":-2\r\n");
  EXPECT_EQ(Eval("return 'hi'"), "$2\r\nhi\r\n");
  EXPECT_EQ(Eval("return true"), ":1\r\n");
  EXPECT_EQ(Eval("return false"), "$-1\r\n");
  EXPECT_EQ(Eval("return nil"), "$-1\r\n");
  EXPECT_EQ(Eval("return {1,'a',{2}}"), "*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n");
  EXPECT_EQ(Eval("return {1,2,nil,4}"), "*2\r\n:1\r\n:2\r\n");
  EXPECT_EQ(Eval("return {ok='fine'}"), "+fine\r\n");
  EXPECT_EQ(Eval("return {err='MY bad'}"), "-MY bad\r\n");
  EXPECT_EQ(Eval("return redis.error_reply('bar')"), "-ERR bar\r\n");
  EXPECT_EQ(Eval("return redis.status_reply('a\\r\\nb')"), "+a  b\r\n");
  EXPECT_EQ(Eval("return {double=1.5}"), "$3\r\n1.5\r\n");
}

TEST_F(ScriptLuaTest, LuaToResp3) {
  EXPECT_EQ(Eval("return {double=1.5}", true), ",1.5\r\n");
  EXPECT_EQ(Eval("return {map={a=1}}", true), "%1\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(Eval("return {set={a=true}}", true), "~1\r\n$1\r\na\r\n");
  EXPECT_EQ(Eval("return false", true), "_\r\n");  // the script speaks RESP2: null
  EXPECT_EQ(Eval("redis.setresp(3); return false", true), "#f\r\n");
  EXPECT_EQ(Eval("redis.setresp(3); return true", false), ":1\r\n");
  EXPECT_EQ(Eval("return {big_number='12345678901234567890'}", true), "(12345678901234567890\r\n");
}

TEST_F(ScriptLuaTest, RespToLua) {
  host.canned = "*4\r\n:7\r\n$1\r\nx\r\n$-1\r\n*-1\r\n";
  EXPECT_EQ(Eval("local r = redis.call('x'); return {r[1], r[2], type(r[3]), type(r[4])}"),
            "*4\r\n:7\r\n$1\r\nx\r\n$7\r\nboolean\r\n$7\r\nboolean\r\n");
  host.canned = "+PONG\r\n";
  EXPECT_EQ(Eval("return redis.call('ping')['ok']"), "$4\r\nPONG\r\n");
  host.canned = "-WRONGTYPE Operation against a key\r\n";
  EXPECT_EQ(Eval("return redis.pcall('x')['err']"), "$33\r\nWRONGTYPE Operation against a key\r\n");
  std::string sha = Sha("return redis.call('x')");
  EXPECT_EQ(Eval("return redis.call('x')"),
            "-WRONGTYPE Operation against a key script: " + sha + ", on @user_script:1.\r\n");
  host.resp3_reply = "%1\r\n$1\r\nk\r\n,2.5\r\n";
  EXPECT_EQ(Eval("redis.setresp(3); local r = redis.call('x'); return r['map']['k']['double']"),
            ":2\r\n");
  EXPECT_EQ(host.last_resp, 3);
  host.resp3_reply = "~1\r\n#t\r\n";
  EXPECT_EQ(Eval("redis.setresp(3); local r = redis.call('x'); return type(r['set'][true])"),
            "$7\r\nboolean\r\n");
  host.resp3_reply = "_\r\n";
  EXPECT_EQ(Eval("redis.setresp(3); return type(redis.call('x'))"), "$3\r\nnil\r\n");
}

TEST_F(ScriptLuaTest, ArgumentsAsRedis) {
  Eval("redis.call('set', 'k', 1.5, 100, 0.1)");
  ASSERT_EQ(host.calls.size(), 1u);
  EXPECT_EQ(host.calls[0],
            (std::vector<std::string>{"set", "k", "1.5", "100", "0.10000000000000001"}));
  std::string sha = Sha("return redis.call({})");
  EXPECT_EQ(Eval("return redis.call({})"),
            "-ERR Lua redis lib command arguments must be strings or integers script: " + sha +
                ", on @user_script:1.\r\n");
  EXPECT_EQ(Eval("return redis.pcall()"),
            "-ERR Please specify at least one argument for this redis lib call\r\n");
  EXPECT_EQ(Eval("return redis.pcall('refuse')"),
            "-ERR Unknown Redis command called from script\r\n");
}

TEST_F(ScriptLuaTest, SandboxErrors) {
  std::string sha = Sha("x = 1");
  EXPECT_EQ(Eval("x = 1"), "-ERR user_script:1: Attempt to modify a readonly table script: " + sha +
                               ", on @user_script:1.\r\n");
  sha = Sha("return y");
  EXPECT_EQ(Eval("return y"),
            "-ERR user_script:1: Script attempted to access nonexistent global variable 'y' "
            "script: " +
                sha + ", on @user_script:1.\r\n");
  for (const char* body : {"return os", "return io", "return loadfile", "return dofile",
                           "return print", "return debug"}) {
    EXPECT_NE(Eval(body).find("nonexistent global variable"), std::string::npos) << body;
  }
  for (const char* body :
       {"string.x = 1", "redis.call = nil", "KEYS = 1", "math.pi = 3", "cjson.x = 1", "_G.z = 1"}) {
    EXPECT_NE(Eval(body).find("Attempt to modify a readonly table"), std::string::npos) << body;
  }
  EXPECT_NE(Eval("rawset(_G, 'x', 1)").find("-ERR Attempt to modify a readonly table"),
            std::string::npos);
  EXPECT_EQ(Eval("return cjson.encode({1,2})"), "$5\r\n[1,2]\r\n");
  EXPECT_EQ(Eval("return cmsgpack.pack({1, 'a'}, 300)"),
            std::string("$7\r\n\x92\x01\xa1") + "a\xcd\x01\x2c\r\n");
  EXPECT_EQ(Eval("return {cmsgpack.unpack(cmsgpack.pack(-5, 'x'))}"), "*2\r\n:-5\r\n$1\r\nx\r\n");
  EXPECT_EQ(Eval("return struct.pack('>I2', 258)"), "$2\r\n\x01\x02\r\n");
  EXPECT_EQ(Eval("return {struct.unpack('<h', struct.pack('<h', -3))}"), "*2\r\n:-3\r\n:3\r\n");
  EXPECT_EQ(Eval("return bit.band(7, 3)"), ":3\r\n");
  EXPECT_EQ(Eval("local t = {} t.x = 1 return t.x"), ":1\r\n");  // locals are free
}

TEST_F(ScriptLuaTest, MetatablesCannotRaiseOutsideTheScript) {
  // Redis 7.0.15 panics on the error object; Ember reads replies and errors raw.
  std::string out = Eval("error(setmetatable({}, {__index=function() error('boom') end}))");
  EXPECT_EQ(out.substr(0, 1), "-") << out;
  out = Eval("return setmetatable({}, {__index=function() error('boom') end})");
  EXPECT_EQ(out, "*0\r\n");
  out = Eval("error(setmetatable({}, {__tostring=function() error('x') end}))");
  EXPECT_EQ(out.substr(0, 1), "-") << out;
  EXPECT_EQ(Eval("return 1"), ":1\r\n");
}

TEST_F(ScriptLuaTest, CompileErrorsAndShebang) {
  EXPECT_EQ(Eval("return ("),
            "compile:ERR Error compiling script (new function): user_script:1: unexpected "
            "symbol near '<eof>'");
  uint32_t flags = 0;
  std::string err;
  EXPECT_TRUE(ParseShebang("return 1", &flags, &err));
  EXPECT_EQ(flags, script_flags::kEvalCompat);
  EXPECT_TRUE(ParseShebang("#!lua flags=no-writes,allow-oom\nreturn 1", &flags, &err));
  EXPECT_EQ(flags, script_flags::kNoWrites | script_flags::kAllowOom);
  EXPECT_FALSE(ParseShebang("#!lua flags=bogus\n", &flags, &err));
  EXPECT_EQ(err, "ERR Unexpected flag in script shebang: bogus");
  EXPECT_FALSE(ParseShebang("#!luajit\n", &flags, &err));
  EXPECT_EQ(err, "ERR Unexpected engine in script shebang: #!luajit");
  EXPECT_FALSE(ParseShebang("#!lua foo=bar\n", &flags, &err));
  EXPECT_EQ(err, "ERR Unknown lua shebang option: foo=bar");
  // Line numbers stay the user's after the shebang line.
  std::string sha = Sha("#!lua\nerror('x')");
  EXPECT_EQ(Eval("#!lua\nerror('x')"),
            "-ERR user_script:2: x script: " + sha + ", on @user_script:2.\r\n");
}

TEST_F(ScriptLuaTest, ReplLogAndKill) {
  Eval("redis.set_repl(redis.REPL_NONE); redis.call('set', 'a', 'b')");
  EXPECT_EQ(host.last_repl, script_repl::kNone);
  Eval("redis.call('set', 'a', 'b')");
  EXPECT_EQ(host.last_repl, script_repl::kAll);
  Eval("redis.log(redis.LOG_WARNING, 'a', 'b')");
  ASSERT_EQ(host.logs.size(), 1u);
  EXPECT_EQ(host.logs[0], "3:a b");
  host.kill_after = 2;
  std::string out = Eval("while true do pcall(function() while true do end end) end");
  EXPECT_NE(out.find("-ERR Script killed by user with SCRIPT KILL..."), std::string::npos) << out;
  host.kill_after = -1;
  EXPECT_EQ(Eval("return 1"), ":1\r\n");  // the state is usable after a kill
}

TEST_F(ScriptLuaTest, CacheAndFlush) {
  std::string sha = Sha("return 1");
  EXPECT_EQ(sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_NE(lua.Find("E0E1F9FABFC9D4800C877A703B823AC0578FF8DB"), nullptr);
  EXPECT_EQ(lua.Find("abc"), nullptr);
  lua.Flush();
  EXPECT_EQ(lua.Find(sha), nullptr);
  EXPECT_EQ(lua.script_count(), 0u);
  EXPECT_EQ(Eval("return 2"), ":2\r\n");
}

TEST(ScriptFunctionsTest, LoadCallDeleteAndErrors) {
  LuaScripting fn(true);
  FakeHost host;
  std::string name, err;
  ASSERT_TRUE(
      fn.LoadLibrary("#!lua name=lib\n"
                     "local function twice(x) return x * 2 end\n"
                     "redis.register_function('dbl', function(keys, args)\n"
                     "  return {keys[1], twice(tonumber(args[1]))} end)\n"
                     "redis.register_function{function_name='ro', callback=function() "
                     "return 1 end, flags={'no-writes', 'allow-oom'}, description='d'}",
                     false, &name, &err))
      << err;
  EXPECT_EQ(name, "lib");
  EXPECT_EQ(fn.function_count(), 2u);
  const LuaScripting::Function* ro = fn.FindFunction("ro");
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(ro->flags, script_flags::kNoWrites | script_flags::kAllowOom);
  EXPECT_EQ(ro->description, "d");
  std::string out;
  ReplyBuilder rb(&out);
  std::vector<std::string_view> keys{"k"}, args{"21"};
  fn.CallFunction(*fn.FindFunction("dbl"), keys, args, host, rb);
  EXPECT_EQ(out, "*2\r\n$1\r\nk\r\n:42\r\n");

  EXPECT_FALSE(fn.LoadLibrary("#!lua name=lib\nredis.register_function('x', function() end)", false,
                              &name, &err));
  EXPECT_EQ(err, "ERR Library 'lib' already exists");
  EXPECT_FALSE(fn.LoadLibrary("#!lua name=other\nredis.register_function('dbl', function() end)",
                              false, &name, &err));
  EXPECT_EQ(err, "ERR Function dbl already exists");
  EXPECT_FALSE(fn.LoadLibrary("#!lua name=other\nredis.call('ping')", false, &name, &err));
  EXPECT_EQ(err,
            "ERR Error registering functions: ERR user_function:2: Script attempted to access "
            "nonexistent global variable 'call'");
  EXPECT_FALSE(fn.LoadLibrary("#!lua name=inf\nwhile true do end", false, &name, &err));
  EXPECT_EQ(err, "ERR Error registering functions: ERR FUNCTION LOAD timeout");
  // REPLACE swaps the library's functions.
  ASSERT_TRUE(
      fn.LoadLibrary("#!lua name=lib\nredis.register_function('only', function() "
                     "return 7 end)",
                     true, &name, &err))
      << err;
  EXPECT_EQ(fn.FindFunction("dbl"), nullptr);
  out.clear();
  fn.CallFunction(*fn.FindFunction("only"), {}, {}, host, rb);
  EXPECT_EQ(out, ":7\r\n");
  EXPECT_TRUE(fn.DeleteLibrary("lib"));
  EXPECT_FALSE(fn.DeleteLibrary("lib"));
  EXPECT_EQ(fn.function_count(), 0u);
}

}  // namespace
}  // namespace ember
