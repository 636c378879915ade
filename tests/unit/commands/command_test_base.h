// Runs commands in-process, without sockets: a keyspace, one client and the global command
// table, with replies captured as RESP text.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "commands/command.h"

namespace ember {

// One keyspace notification a command asked for.
struct NotifiedEvent {
  int type;
  std::string event;
  std::string key;
  int db;
  bool operator==(const NotifiedEvent&) const = default;
};

class TestServices : public ServerServices {
 public:
  // Every class but keymiss (m), so tests see each command's events and "new".
  TestServices() { keyspace_events_ = notify::kAll | notify::kNew; }
  int64_t max_string_len() const override { return max_string_len_; }
  bool is_replica() const override { return replica_; }
  void NotifyKeyspaceEvent(int type, std::string_view event, std::string_view key,
                           int db) override {
    events_.push_back({type, std::string(event), std::string(key), db});
  }
  void set_keyspace_events(int flags) { keyspace_events_ = flags; }
  int64_t max_string_len_ = 512LL * 1024 * 1024;
  bool replica_ = false;
  std::vector<NotifiedEvent> events_;
};

class CommandTest : public ::testing::Test {
 protected:
  CommandTest() {
    // As the server does when notify-keyspace-events has n: created keys report "new".
    keyspace_.set_new_key_listener([this](int db, std::string_view key) {
      if (services_.keyspace_events() & notify::kNew) {
        services_.NotifyKeyspaceEvent(notify::kNew, "new", key, db);
      }
    });
  }

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
