// ACL: the user registry, its log and the ACL file (Redis 7.0's acl.c). Each user has an enabled
// flag, SHA-256 password hashes (or nopass) and one or more selectors (AclSelector): key
// patterns, channel patterns and a command permission set.
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

// One set of permissions: key patterns (~, %R~, %W~), channel patterns (&) and a command
// permission set built from +/-command, +/-@category and +command|firstarg rules. Every user
// has a root selector (the rules given outside parentheses) and may have more, added by
// "(...)" rules (Redis 7.0's selectors); a command passes if any of them allows it.
struct AclSelector {
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
};

// A user: its flags and passwords, the root selector (inherited, so u.all_keys is the root's)
// and the additional selectors in the order they were added.
struct AclUser : AclSelector {
  std::string name;
  bool enabled = false;
  bool nopass = false;
  // 0: unset, 1: sanitize-payload, 2: skip-sanitize-payload.
  int sanitize = 0;
  std::vector<std::string> passwords;  // SHA-256 hex, in insertion order
  std::vector<AclSelector> selectors;

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
  // A "(...)" selector may be spread over several rules ("(~x" "+get)"), as in Redis.
  bool SetUser(std::string_view name, std::span<const std::string_view> rules, std::string* err);
  bool DeleteUser(std::string_view name);

  // A config file `user` directive (name, rules...) checked as Redis's ACLAppendUserForLoading:
  // "" or the error to report at its line. Unknown command names pass (Redis reports them when
  // the users are created).
  std::string CheckUserDirective(std::span<const std::string> directive) const;
  // Creates the users of the `user` directives (the default one is reset first), as Redis's
  // ACLLoadConfiguredUsers; false after logging the first error.
  bool LoadConfiguredUsers(const std::vector<std::vector<std::string>>& directives);

  // ACL LOAD, and start-up with `aclfile`: replaces every user with those of the file ("user
  // <name> <rules...>" lines; blank lines are allowed, comments are not), all or nothing. A file
  // without "default" gets the initial default user. Returns "" or Redis's error text (every
  // problem found, "<path>:<line>: ...", then "WARNING: ACL errors detected, ...").
  std::string LoadFromFile(const std::string& path);
  // ACL SAVE: the ACL LIST lines, written to a temporary file that is synced and renamed over
  // `path`. False on an I/O error (logged, as Redis).
  bool SaveToFile(const std::string& path) const;
  // Whether `u` may still use a channel it is subscribed to (a PSUBSCRIBE pattern, `literal`,
  // must equal one of the patterns): Redis's test for disconnecting subscribers when a user's
  // channel permissions change.
  static bool ChannelAllowed(const AclUser& u, std::string_view name, bool literal);

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
  // `client_info()` is called only on a denial (a template, not std::function: this runs for
  // every command once any user is restricted).
  template <typename ClientInfo>
  Verdict Check(std::string_view user, const CommandSpec& spec,
                std::span<const std::string_view> args, std::string_view context,
                ClientInfo&& client_info, std::string* err) {
    int arg_index = 0;
    const Verdict verdict = Check(user, spec, args, &arg_index);
    if (verdict != Verdict::kOk) {
      LogDenial(verdict, user, spec, args, arg_index, context, client_info(), err);
    }
    return verdict;
  }
  // Sets Redis's NOPERM text for a denial in *err and records it in the ACL log.
  void LogDenial(Verdict verdict, std::string_view user, const CommandSpec& spec,
                 std::span<const std::string_view> args, int arg_index, std::string_view context,
                 std::string client_info, std::string* err);

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
  std::string DescribeSelector(const AclSelector& sel) const;
  std::string DescribeCommands(const AclSelector& sel) const;
  std::string DescribeKeys(const AclSelector& sel) const;
  std::string DescribeChannels(const AclSelector& sel) const;
  static std::vector<std::string_view> FlagNames(const AclUser& u);
  // Redis's ACLStringHasSpaces: usernames and patterns may hold no white space or NUL.
  static bool HasSpaces(std::string_view s);

  // Index of a command or subcommand in the permission bitmap (-1 if unknown).
  int CommandIndex(const CommandSpec* spec) const;
  // The name ACL rules and denials use for a command: its name before rename-command.
  std::string_view OriginalName(const CommandSpec& spec) const;
  // ACL CAT <category>: the original names of its commands and subcommands.
  std::vector<std::string_view> CommandsInCategory(uint32_t category) const;

 private:
  struct Impl;
  // Why a rule was refused (Redis's errno values in ACLSetUser).
  enum class RuleError {
    kNone,
    kUnknownName,  // ENOENT: unknown command or category
    kSyntax,
    kKeyAfterAll,
    kChannelAfterAll,
    kNoSuchPassword,
    kBadHash,
    kSubcommandFirstArg,
  };
  static std::string_view RuleErrorText(RuleError e);
  RuleError ApplyUserRule(AclUser& u, std::string_view rule) const;
  RuleError ApplySelectorRule(AclSelector& sel, std::string_view rule) const;
  // A selector or user as created: no keys, no commands, the channels acl-pubsub-default gives.
  AclSelector NewSelector() const;
  AclUser NewUser(std::string_view name) const;
  // "on nopass ~* &* +@all".
  std::unique_ptr<AclUser> MakeDefaultUser() const;
  Verdict CheckSelector(const AclSelector& sel, const CommandSpec& spec,
                        std::span<const std::string_view> args, int* arg_index) const;
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
