// Runs commands in-process, without sockets: a keyspace, one client and the global command
// table, with replies captured as RESP text.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "commands/command.h"

namespace ember {

class TestServices : public ServerServices {
 public:
  int64_t max_string_len() const override { return max_string_len_; }
  bool is_replica() const override { return replica_; }
  int64_t max_string_len_ = 512LL * 1024 * 1024;
  bool replica_ = false;
};

class CommandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static bool registered = false;
    if (!registered) {
      RegisterAllCommands(CommandTable::Global());
      registered = true;
    }
  }

  // Executes one command and returns its reply in RESP2 form.
  std::string Run(std::vector<std::string> argv) {
    std::vector<std::string_view> args(argv.begin(), argv.end());
    const CommandSpec* spec = CommandTable::Global().Find(args[0]);
    if (!spec) return "-ERR unknown command\r\n";
    if (!spec->subcommands.empty() && args.size() > 1) spec = spec->FindSubcommand(args[1]);
    if (!spec) return "-ERR unknown subcommand\r\n";
    int argc = static_cast<int>(args.size());
    std::string out;
    ReplyBuilder reply(&out);
    if ((spec->arity > 0 && argc != spec->arity) || argc < -spec->arity) {
      return "-ERR wrong number of arguments for '" + spec->name + "' command\r\n";
    }
    CommandContext ctx(args, spec, reply, keyspace_, client_, services_, now_ms_);
    ctx.set_may_block(may_block_);
    spec->handler(ctx);
    last_effects_ = ctx.effects();
    last_dirty_ = ctx.dirty();
    return out;
  }

  static std::string Bulk(std::string_view s) {
    return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
  }
  static std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
  static constexpr const char* kOk = "+OK\r\n";
  static constexpr const char* kNil = "$-1\r\n";

  Keyspace keyspace_{16};
  ClientState client_;
  TestServices services_;
  int64_t now_ms_ = 1700000000000;
  std::vector<std::vector<std::string>> last_effects_;
  uint64_t last_dirty_ = 0;
  // False runs blocking commands as inside MULTI: a null array instead of blocking.
  bool may_block_ = true;
};

}  // namespace ember
