// ACL: the user registry and its log (Redis 7.0's acl.c without selectors). Each user has an enabled flag,
// SHA-256 password hashes (or nopass), key patterns (~, %R~, %W~), channel patterns (&) and a
// command permission set built from +/-command, +/-@category and +command|firstarg rules.
//
// The "default" user always exists; `requirepass` is its password (CONFIG SET requirepass keeps
// them in sync, as Redis). The dispatcher checks command and key permissions for every user
// that is not allowed everything (see Acl::Check).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ember {

struct CommandSpec;

struct AclUser {
  std::string name;
  bool enabled = false;
  bool nopass = false;
  // 0: unset, 1: sanitize-payload, 2: skip-sanitize-payload.
  int sanitize = 0;
  std::vector<std::string> passwords;  // SHA-256 hex, in insertion order

  struct KeyPattern {
    std::string pattern;
    bool read = true;
    bool write = true;
  };
  bool all_keys = false;
  std::vector<KeyPattern> key_patterns;
  bool all_channels = false;
  std::vector<std::string> channel_patterns;

  // Command permissions: one bit per command and subcommand (Acl::CommandIndex), plus whether
  // commands added in the future are allowed (+@all).
  bool all_commands = false;  // +@all / allcommands was the base
  std::vector<bool> allowed;
  // Allowed first arguments per command index (+select|0).
  std::map<int, std::vector<std::string>> first_args;

  // True when this user may run anything on any key (the check can be skipped).
  bool Unrestricted() const;
  // Unrestricted(), cached by the registry after every change.
  bool unrestricted = false;
};

class Acl {
 public:
  Acl();
  ~Acl();

  // Creates the default user ("on nopass ~* &* +@all"), after the command table is final.
  void Init();

  const AclUser* FindUser(std::string_view name) const;
  AclUser* FindUser(std::string_view name);
  AclUser& default_user() { return *users_.at("default"); }
  const std::map<std::string, std::unique_ptr<AclUser>, std::less<>>& users() const {
    return users_;
  }

  // Applies ACL SETUSER rules to the user (created if missing) atomically: on error nothing
  // changes and *err holds Redis's message ("Error in ACL SETUSER modifier '...': ...").
  bool SetUser(std::string_view name, std::span<const std::string_view> rules, std::string* err);
  bool DeleteUser(std::string_view name);

  // requirepass -> default user's password ("" = nopass), as Redis's ACLUpdateDefaultUserPassword.
  void SetDefaultPassword(std::string_view password);

  // AUTH/HELLO: the user exists, is enabled, and the password matches (or nopass).
  bool Authenticate(std::string_view user, std::string_view password) const;
  // True if new connections start authenticated (the default user is on and nopass).
  bool DefaultUserNoAuth() const;

  // Command permission check for a user. On kDeniedKey / kDeniedChannel, *arg_index is the
  // refused argument.
  enum class Verdict { kOk, kDeniedCommand, kDeniedKey, kDeniedChannel };
  Verdict Check(std::string_view user, const CommandSpec& spec,
                std::span<const std::string_view> args, int* arg_index) const;
  // The dispatcher's form: a denial also gets Redis's NOPERM error text in *err and is recorded
  // in the ACL log with `context` ("toplevel", "multi", "lua") and the client's CLIENT INFO line.
  Verdict Check(std::string_view user, const CommandSpec& spec,
                std::span<const std::string_view> args, std::string_view context,
                const std::function<std::string()>& client_info, std::string* err);

  // ACL LOG: denied commands, keys, channels and failed AUTHs, newest first.
  struct LogEntry {
    int64_t count = 1;
    std::string reason;   // "command", "key", "channel", "auth"
    std::string context;  // "toplevel", "multi", "lua"
    std::string object;   // the command's full name, the key, the channel, or "AUTH"
    std::string username;
    int64_t created_ms = 0;  // of the latest occurrence
    std::string client_info;
  };
  // Records one denial; the same one within 60 s only counts (as Redis's ACLAddLogEntry), and
  // the log keeps acllog-max-len entries.
  void AddLogEntry(LogEntry entry, int64_t now_ms);
  void set_max_log_len(size_t n) { max_log_len_ = n; }
  // acl-pubsub-default: whether users created from now on start with allchannels.
  void set_new_users_all_channels(bool v) { new_users_all_channels_ = v; }
  const std::deque<LogEntry>& log() const { return log_; }
  void ResetLog() { log_.clear(); }
  // True if every user is unrestricted (the dispatcher skips the check).
  bool all_unrestricted() const { return restricted_users_ == 0; }

  // ACL LIST line ("user default on nopass ~* &* +@all") and GETUSER pieces.
  std::string Describe(const AclUser& u) const;
  std::string DescribeCommands(const AclUser& u) const;
  std::string DescribeKeys(const AclUser& u) const;
  std::string DescribeChannels(const AclUser& u) const;
  static std::vector<std::string_view> FlagNames(const AclUser& u);

  // Index of a command or subcommand in the permission bitmap (-1 if unknown).
  int CommandIndex(const CommandSpec* spec) const;

 private:
  struct Impl;
  bool ApplyRule(AclUser& u, std::string_view rule, std::string* err) const;
  void RecountRestricted();
  void EnsureIndex() const;

  std::map<std::string, std::unique_ptr<AclUser>, std::less<>> users_;
  size_t restricted_users_ = 0;
  std::deque<LogEntry> log_;
  size_t max_log_len_ = 128;
  bool new_users_all_channels_ = false;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ember
