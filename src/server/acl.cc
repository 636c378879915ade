#include "server/acl.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <cstring>

#include "commands/command.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/strings.h"
#include "protocol/request_parser.h"
#include "server/command_meta.h"

namespace ember {

namespace {

bool ValidPasswordHash(std::string_view h) {
  if (h.size() != 64) return false;
  for (char c : h) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

bool Acl::HasSpaces(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) || !c; });
}

// The permission bitmap's layout: every command followed by its subcommands, as the command
// table was when the registry was initialized, before rename-command (ACL rules name commands
// by their original names, as Redis's orig_commands). The specs of renamed commands are still
// found by address; those of disabled ones are no longer reached.
struct Acl::Impl {
  std::vector<const CommandSpec*> specs;
  std::vector<std::string> names;  // original full names ("config|get")
  std::unordered_map<std::string, int> by_name;
  std::unordered_map<const CommandSpec*, int> index;
  std::vector<int> parent;                 // index of the container, or -1
  std::vector<std::vector<int>> children;  // subcommand indexes of a container
  std::vector<uint32_t> categories;
};

bool AclUser::Unrestricted() const {
  if (!all_keys || !all_channels || !all_commands) return false;
  return std::all_of(allowed.begin(), allowed.end(), [](bool b) { return b; });
}

Acl::Acl() : impl_(std::make_unique<Impl>()) {}
Acl::~Acl() = default;

void Acl::EnsureIndex() const {
  if (!impl_->specs.empty()) return;
  Impl& im = *impl_;
  CommandTable::Global().ForEach([&](const CommandSpec& spec) {
    int top = static_cast<int>(im.specs.size());
    im.specs.push_back(&spec);
    im.parent.push_back(-1);
    im.children.emplace_back();
    im.categories.push_back(spec.AllAclCategories());
    for (const auto& sub : spec.subcommands) {
      int i = static_cast<int>(im.specs.size());
      im.specs.push_back(sub.get());
      im.parent.push_back(top);
      im.children.emplace_back();
      im.categories.push_back(sub->AllAclCategories());
      im.children[static_cast<size_t>(top)].push_back(i);
    }
  });
  for (size_t i = 0; i < im.specs.size(); ++i) {
    im.index[im.specs[i]] = static_cast<int>(i);
    im.names.push_back(im.specs[i]->name);
    im.by_name[im.names.back()] = static_cast<int>(i);
  }
}

std::string_view Acl::OriginalName(const CommandSpec& spec) const {
  const int i = CommandIndex(&spec);
  if (i < 0) return spec.name;
  return impl_->names[static_cast<size_t>(i)];
}

std::vector<std::string_view> Acl::CommandsInCategory(uint32_t category) const {
  EnsureIndex();
  std::vector<std::string_view> out;
  for (size_t i = 0; i < impl_->names.size(); ++i) {
    if (impl_->categories[i] & category) out.push_back(impl_->names[i]);
  }
  return out;
}

int Acl::CommandIndex(const CommandSpec* spec) const {
  EnsureIndex();
  auto it = impl_->index.find(spec);
  return it == impl_->index.end() ? -1 : it->second;
}

void Acl::Init() {
  EnsureIndex();
  users_.clear();
  users_["default"] = MakeDefaultUser();
  RecountRestricted();
}

const AclUser* Acl::FindUser(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second.get();
}

AclUser* Acl::FindUser(std::string_view name) {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second.get();
}

std::string_view Acl::RuleErrorText(RuleError e) {
  switch (e) {
    case RuleError::kNone:
      break;
    case RuleError::kUnknownName:
      return "Unknown command or category name in ACL";
    case RuleError::kSyntax:
      return "Syntax error";
    case RuleError::kKeyAfterAll:
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does "
             "not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case RuleError::kChannelAfterAll:
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
             "does not have any effect. Try 'resetchannels' to start with an empty list of "
             "channels";
    case RuleError::kNoSuchPassword:
      return "The password you are trying to remove from the user does not exist";
    case RuleError::kBadHash:
      return "The password hash must be exactly 64 characters and contain only lowercase "
             "hexadecimal characters";
    case RuleError::kSubcommandFirstArg:
      return "Allowing first-arg of a subcommand is not supported";
  }
  return "Wrong format";
}

AclSelector Acl::NewSelector() const {
  EnsureIndex();
  AclSelector sel;
  sel.all_channels = new_users_all_channels_;
  sel.allowed.assign(impl_->specs.size(), false);
  return sel;
}

// Redis's ACLSetSelector: the rules a selector (the root one or a "(...)" one) understands.
Acl::RuleError Acl::ApplySelectorRule(AclSelector& u, std::string_view rule) const {
  EnsureIndex();
  const Impl& im = *impl_;
  size_t n = im.specs.size();
  if (u.allowed.size() != n) u.allowed.resize(n, u.all_commands);
  if (rule.empty()) return RuleError::kSyntax;  // a quoted "" inside a selector
  auto is = [&](std::string_view word) { return EqualsIgnoreCase(rule, word); };
  // Sets a command (and, for a container, its subcommands) and forgets its first-arg rules.
  auto set_command = [&](int i, bool allow) {
    u.allowed[static_cast<size_t>(i)] = allow;
    u.first_args.erase(i);
    for (int c : im.children[static_cast<size_t>(i)]) {
      u.allowed[static_cast<size_t>(c)] = allow;
      u.first_args.erase(c);
    }
  };

  if (is("allkeys") || rule == "~*") {
    u.all_keys = true;
    u.key_patterns.clear();
  } else if (is("resetkeys")) {
    u.all_keys = false;
    u.key_patterns.clear();
  } else if (is("allchannels") || rule == "&*") {
    u.all_channels = true;
    u.channel_patterns.clear();
  } else if (is("resetchannels")) {
    u.all_channels = false;
    u.channel_patterns.clear();
  } else if (is("allcommands") || is("+@all")) {
    u.all_commands = true;
    u.allowed.assign(n, true);
    u.first_args.clear();
  } else if (is("nocommands") || is("-@all")) {
    u.all_commands = false;
    u.allowed.assign(n, false);
    u.first_args.clear();
  } else if (rule[0] == '~' || rule[0] == '%') {
    if (u.all_keys) return RuleError::kKeyAfterAll;
    bool read = true, write = true;
    size_t start = 1;
    if (rule[0] == '%') {
      // %R~, %W~, %RW~: each letter once, in any case.
      read = write = false;
      size_t i = 1;
      for (; i < rule.size() && rule[i] != '~'; ++i) {
        const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(rule[i])));
        if (c == 'R' && !read) {
          read = true;
        } else if (c == 'W' && !write) {
          write = true;
        } else {
          return RuleError::kSyntax;
        }
      }
      if (i >= rule.size() || (!read && !write)) return RuleError::kSyntax;
      start = i + 1;
    }
    std::string pattern(rule.substr(start));
    if (HasSpaces(pattern)) return RuleError::kSyntax;
    bool merged = false;
    for (auto& p : u.key_patterns) {
      if (p.pattern == pattern) {
        p.read = p.read || read;
        p.write = p.write || write;
        merged = true;
      }
    }
    if (!merged) u.key_patterns.push_back({pattern, read, write});
  } else if (rule[0] == '&') {
    if (u.all_channels) return RuleError::kChannelAfterAll;
    std::string pattern(rule.substr(1));
    if (HasSpaces(pattern)) return RuleError::kSyntax;
    if (std::find(u.channel_patterns.begin(), u.channel_patterns.end(), pattern) ==
        u.channel_patterns.end()) {
      u.channel_patterns.push_back(pattern);
    }
  } else if ((rule[0] == '+' || rule[0] == '-') && rule.size() > 1 && rule[1] == '@') {
    bool allow = rule[0] == '+';
    uint32_t cat = AclCategoryByName(rule.substr(2));
    if (!cat) return RuleError::kUnknownName;
    for (size_t i = 0; i < n; ++i) {
      if (im.categories[i] & cat) set_command(static_cast<int>(i), allow);
    }
  } else if (rule[0] == '+' || rule[0] == '-') {
    // As Redis: "+a|b|c" is command "a|b" with first argument "c"; "+a|b" is the subcommand
    // a|b of a container, or command a with first argument b.
    const bool allow = rule[0] == '+';
    auto lookup = [&](std::string_view full) {
      auto it = im.by_name.find(ToLower(full));
      return it == im.by_name.end() ? -1 : it->second;
    };
    std::string_view name = rule.substr(1);
    size_t bar = name.rfind('|');
    if (!allow || bar == std::string_view::npos) {
      const int i = lookup(name);
      if (i < 0) return RuleError::kUnknownName;
      set_command(i, allow);
      return RuleError::kNone;
    }
    std::string_view first = name.substr(bar + 1);
    const int top = lookup(name.substr(0, bar));
    if (top < 0) return RuleError::kUnknownName;
    if (im.parent[static_cast<size_t>(top)] >= 0) return RuleError::kSubcommandFirstArg;
    if (first.empty()) return RuleError::kSyntax;
    if (!im.children[static_cast<size_t>(top)].empty()) {
      const int sub = lookup(name);
      if (sub < 0) return RuleError::kUnknownName;
      set_command(sub, true);
    } else if (!u.allowed[static_cast<size_t>(top)]) {
      // "+select|0": allow the command only with this first argument.
      auto& list = u.first_args[top];
      std::string lower = ToLower(first);
      if (std::find(list.begin(), list.end(), lower) == list.end()) list.push_back(lower);
    }
  } else {
    return RuleError::kSyntax;
  }
  return RuleError::kNone;
}

// Redis's ACLSetUser: user flags and passwords, "(...)" selectors, clearselectors and reset;
// anything else is a rule of the root selector.
Acl::RuleError Acl::ApplyUserRule(AclUser& u, std::string_view rule) const {
  auto is = [&](std::string_view word) { return EqualsIgnoreCase(rule, word); };
  if (rule.empty()) return RuleError::kNone;  // a no-op, as in Redis
  if (is("on")) {
    u.enabled = true;
  } else if (is("off")) {
    u.enabled = false;
  } else if (is("skip-sanitize-payload")) {
    u.sanitize = 2;
  } else if (is("sanitize-payload")) {
    u.sanitize = 1;
  } else if (is("nopass")) {
    u.nopass = true;
    u.passwords.clear();
  } else if (is("resetpass")) {
    u.nopass = false;
    u.passwords.clear();
  } else if (rule[0] == '>' || rule[0] == '#' || rule[0] == '<' || rule[0] == '!') {
    // '>' adds and '<' removes a clear-text password; '#' and '!' do so by its SHA-256 hex.
    std::string hash;
    if (rule[0] == '>' || rule[0] == '<') {
      hash = Sha256::HexOf(rule.substr(1));
    } else if (ValidPasswordHash(rule.substr(1))) {
      hash = std::string(rule.substr(1));
    } else {
      return RuleError::kBadHash;
    }
    auto it = std::find(u.passwords.begin(), u.passwords.end(), hash);
    if (rule[0] == '>' || rule[0] == '#') {
      if (it == u.passwords.end()) u.passwords.push_back(hash);
      u.nopass = false;
    } else {
      if (it == u.passwords.end()) return RuleError::kNoSuchPassword;
      u.passwords.erase(it);
    }
  } else if (rule[0] == '(' && rule.back() == ')') {
    // A selector: its rules are the words inside the parentheses.
    AclSelector sel = NewSelector();
    std::vector<std::string> words;
    SplitArgs(rule.substr(1, rule.size() - 2), &words);
    for (const std::string& w : words) {
      if (RuleError e = ApplySelectorRule(sel, w); e != RuleError::kNone) return e;
    }
    u.selectors.push_back(std::move(sel));
  } else if (is("clearselectors")) {
    u.selectors.clear();
  } else if (is("reset")) {
    for (std::string_view r : {"resetpass", "resetkeys", "resetchannels"}) ApplyUserRule(u, r);
    if (new_users_all_channels_) ApplyUserRule(u, "allchannels");
    for (std::string_view r : {"off", "sanitize-payload", "clearselectors", "-@all"}) {
      ApplyUserRule(u, r);
    }
  } else {
    return ApplySelectorRule(u, rule);
  }
  return RuleError::kNone;
}

namespace {

// Redis's ACLMergeSelectorArguments: a selector may be spread over several arguments ("(~x"
// "+get)"); they are joined with spaces. False if a parenthesis is left open; *open is then
// the index of the argument that opened it.
template <typename Str>
bool MergeSelectorArgs(std::span<const Str> args, std::vector<std::string>* out, size_t* open) {
  std::string selector;
  bool in_selector = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view op = args[i];
    if (!op.empty() && op[0] == '(' && op.back() != ')') {
      selector = std::string(op);
      in_selector = true;
      *open = i;
      continue;
    }
    if (in_selector) {
      selector.push_back(' ');
      selector.append(op);
      if (!op.empty() && op.back() == ')') {
        in_selector = false;
        out->push_back(std::move(selector));
      }
      continue;
    }
    out->emplace_back(op);
  }
  return !in_selector;
}

}  // namespace

AclUser Acl::NewUser(std::string_view name) const {
  AclUser u;
  static_cast<AclSelector&>(u) = NewSelector();
  u.name = std::string(name);
  return u;
}

bool Acl::SetUser(std::string_view name, std::span<const std::string_view> rules,
                  std::string* err) {
  std::vector<std::string> merged;
  size_t open = 0;
  if (!MergeSelectorArgs(rules, &merged, &open)) {
    *err = fmt::format("Unmatched parenthesis in acl selector starting at '{}'.", rules[open]);
    return false;
  }
  const AclUser* existing = FindUser(name);
  AclUser temp = existing ? *existing : NewUser(name);
  for (const std::string& rule : merged) {
    if (RuleError e = ApplyUserRule(temp, rule); e != RuleError::kNone) {
      *err = fmt::format("Error in ACL SETUSER modifier '{}': {}", rule, RuleErrorText(e));
      return false;
    }
  }
  auto& slot = users_[std::string(name)];
  if (!slot) slot = std::make_unique<AclUser>();
  *slot = std::move(temp);
  RecountRestricted();
  return true;
}

std::string Acl::CheckUserDirective(std::span<const std::string> directive) const {
  std::vector<std::string> merged;
  size_t open = 0;
  if (!MergeSelectorArgs(directive.subspan(1), &merged, &open)) {
    return fmt::format("Error in user declaration '{}': Unmatched parenthesis in acl selector "
                       "starting at '{}'.",
                       directive[0], directive[1 + open]);
  }
  AclUser fake = NewUser(directive[0]);
  for (const std::string& rule : merged) {
    const RuleError e = ApplyUserRule(fake, rule);
    if (e != RuleError::kNone && e != RuleError::kUnknownName) {
      return fmt::format("Error in user declaration '{}': {}", directive[0], RuleErrorText(e));
    }
  }
  return {};
}

bool Acl::LoadConfiguredUsers(const std::vector<std::vector<std::string>>& directives) {
  for (const std::vector<std::string>& d : directives) {
    const std::string& name = d[0];
    if (HasSpaces(name)) {
      EMBER_LOG_WARNING("Spaces not allowed in ACL usernames");
      return false;
    }
    auto& slot = users_[name];
    if (slot) {
      ApplyUserRule(*slot, "reset");  // only "default" can exist already
    } else {
      slot = std::make_unique<AclUser>(NewUser(name));
    }
    std::vector<std::string> merged;
    size_t open = 0;
    MergeSelectorArgs(std::span<const std::string>(d).subspan(1), &merged, &open);
    for (const std::string& rule : merged) {
      if (RuleError e = ApplyUserRule(*slot, rule); e != RuleError::kNone) {
        EMBER_LOG_WARNING("Error loading ACL rule '{}' for the user named '{}': {}", rule, name,
                          RuleErrorText(e));
        RecountRestricted();
        return false;
      }
    }
    if (!slot->enabled) {
      EMBER_LOG_NOTICE(
          "The user '{}' is disabled (there is no 'on' modifier in the user description). Make "
          "sure this is not a configuration error.",
          name);
    }
  }
  RecountRestricted();
  return true;
}

std::unique_ptr<AclUser> Acl::MakeDefaultUser() const {
  auto u = std::make_unique<AclUser>(NewUser("default"));
  for (std::string_view r : {"+@all", "~*", "&*", "on", "nopass"}) ApplyUserRule(*u, r);
  return u;
}

// Redis 7.0's ACLLoadFromFile: every line is checked and every problem reported; the users are
// replaced only if there was none.
std::string Acl::LoadFromFile(const std::string& path) {
  std::string content;
  if (!ReadWholeFile(path, &content)) {
    return fmt::format("Error loading ACLs, opening file '{}': {}", path, strerror(errno));
  }
  std::map<std::string, std::unique_ptr<AclUser>, std::less<>> loaded;
  std::string errors;
  const std::vector<std::string_view> lines = SdsSplit(content, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t linenum = i + 1;
    const std::string_view line = TrimView(lines[i], " \t\r\n");
    if (line.empty()) continue;
    const std::vector<std::string_view> parts = SdsSplit(line, ' ');
    const std::vector<std::string> argv(parts.begin(), parts.end());
    if (argv[0] != "user" || argv.size() < 2) {
      errors += fmt::format(
          "{}:{} should start with user keyword followed by the username. ", path, linenum);
      continue;
    }
    if (HasSpaces(argv[1])) {
      errors += fmt::format("'{}:{}: username '{}' contains invalid characters. ", path, linenum,
                            argv[1]);
      continue;
    }
    if (loaded.count(argv[1])) {
      errors += fmt::format("WARNING: Duplicate user '{}' found on line {}. ", argv[1], linenum);
      continue;
    }
    auto& u = loaded[argv[1]];
    u = std::make_unique<AclUser>(NewUser(argv[1]));
    std::vector<std::string> merged;
    size_t open = 0;
    if (!MergeSelectorArgs(std::span<const std::string>(argv).subspan(2), &merged, &open)) {
      // (Redis 7.0 crashes here; this is the message it means to give.)
      errors += fmt::format("{}:{}: Unmatched parenthesis in selector definition. ", path,
                            linenum);
      continue;
    }
    bool syntax_error = false;
    for (const std::string& arg : merged) {
      const std::string_view rule = TrimView(arg, "\t\r\n");
      const RuleError e = ApplyUserRule(*u, rule);
      if (e == RuleError::kUnknownName) {
        // Only unknown names are quoted: other rules may hold passwords.
        errors += fmt::format("{}:{}: Error in applying operation '{}': {}. ", path, linenum,
                              rule, RuleErrorText(e));
      } else if (e != RuleError::kNone && !syntax_error) {
        errors += fmt::format("{}:{}: {}. ", path, linenum, RuleErrorText(e));
        syntax_error = true;
      }
    }
  }
  if (!errors.empty()) {
    return errors +
           "WARNING: ACL errors detected, no change to the previously active ACL rules was "
           "performed";
  }
  if (!loaded.count("default")) loaded["default"] = MakeDefaultUser();
  users_ = std::move(loaded);
  RecountRestricted();
  return {};
}

// Redis's ACLSaveToFile: the ACL LIST lines go to a temporary file in the same directory,
// which is synced and renamed over the ACL file.
bool Acl::SaveToFile(const std::string& path) const {
  std::string content;
  for (const auto& [name, u] : users_) {
    content.append(Describe(*u));
    content.push_back('\n');
  }
  const std::string tmp = fmt::format("{}.tmp-{}-{}", path, getpid(), WallClockMs());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1) {
    EMBER_LOG_WARNING("Opening temp ACL file for ACL SAVE: {}", strerror(errno));
    return false;
  }
  size_t off = 0;
  while (off < content.size()) {
    const ssize_t w = write(fd, content.data() + off, content.size() - off);
    if (w <= 0) {
      if (w < 0 && errno == EINTR) continue;
      EMBER_LOG_WARNING("Writing ACL file for ACL SAVE: {}", strerror(errno));
      close(fd);
      unlink(tmp.c_str());
      return false;
    }
    off += static_cast<size_t>(w);
  }
  if (fsync(fd) == -1) {
    EMBER_LOG_WARNING("Syncing ACL file for ACL SAVE: {}", strerror(errno));
    close(fd);
    unlink(tmp.c_str());
    return false;
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) == -1) {
    EMBER_LOG_WARNING("Renaming ACL file for ACL SAVE: {}", strerror(errno));
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

bool Acl::ChannelAllowed(const AclUser& u, std::string_view name, bool literal) {
  auto allows = [&](const AclSelector& sel) {
    if (sel.all_channels) return true;
    return std::any_of(sel.channel_patterns.begin(), sel.channel_patterns.end(),
                       [&](const std::string& p) {
                         return literal ? p == name : GlobMatch(p, name);
                       });
  };
  return allows(u) || std::any_of(u.selectors.begin(), u.selectors.end(), allows);
}

bool Acl::DeleteUser(std::string_view name) {
  auto it = users_.find(name);
  if (it == users_.end() || name == "default") return false;
  users_.erase(it);
  RecountRestricted();
  return true;
}

void Acl::RecountRestricted() {
  restricted_users_ = 0;
  for (const auto& [name, u] : users_) {
    u->unrestricted = u->Unrestricted();
    if (!u->unrestricted) ++restricted_users_;
  }
}

void Acl::SetDefaultPassword(std::string_view password) {
  std::string err;
  std::string pass_rule = fmt::format(">{}", password);
  std::vector<std::string_view> rules = {"resetpass"};
  rules.push_back(password.empty() ? std::string_view("nopass") : std::string_view(pass_rule));
  SetUser("default", rules, &err);
}

bool Acl::Authenticate(std::string_view user, std::string_view password) const {
  const AclUser* u = FindUser(user);
  if (!u || !u->enabled) return false;
  if (u->nopass) return true;
  std::string hash = Sha256::HexOf(password);
  return std::find(u->passwords.begin(), u->passwords.end(), hash) != u->passwords.end();
}

bool Acl::DefaultUserNoAuth() const {
  const AclUser* u = FindUser("default");
  return u && u->enabled && u->nopass;
}

namespace {
int DeniedKey(const AclSelector& u, const CommandSpec& spec,
              std::span<const std::string_view> args);
// `name`: the command's original name (a renamed PUBLISH is still checked).
int DeniedChannel(const AclSelector& u, std::string_view name,
                  std::span<const std::string_view> args);
}  // namespace

Acl::Verdict Acl::CheckSelector(const AclSelector& u, const CommandSpec& spec,
                                std::span<const std::string_view> args, int* arg_index) const {
  int i = CommandIndex(&spec);
  // As Redis, commands that need no authentication (AUTH, HELLO) need no permission either.
  bool allowed = spec.is(cmd_flags::kNoAuth) ||
                 (i >= 0 && static_cast<size_t>(i) < u.allowed.size() &&
                  u.allowed[static_cast<size_t>(i)]);
  if (!allowed && i >= 0 && args.size() >= 2) {
    auto it = u.first_args.find(i);
    if (it != u.first_args.end()) {
      // The stored first arguments are lowercase: compare without lowering a copy.
      allowed = std::any_of(it->second.begin(), it->second.end(),
                            [&](const std::string& a) { return EqualsIgnoreCase(a, args[1]); });
    }
  }
  if (!allowed) return Verdict::kDeniedCommand;
  if (!u.all_keys) {
    if (const int denied = DeniedKey(u, spec, args); denied > 0) {
      *arg_index = denied;
      return Verdict::kDeniedKey;
    }
  }
  if (!u.all_channels) {
    const std::string_view name = i >= 0 ? std::string_view(impl_->names[static_cast<size_t>(i)])
                                         : std::string_view(spec.name);
    if (const int denied = DeniedChannel(u, name, args); denied > 0) {
      *arg_index = denied;
      return Verdict::kDeniedChannel;
    }
  }
  return Verdict::kOk;
}

// As Redis's ACLCheckAllUserCommandPerm: allowed if the root selector or any other allows the
// command; otherwise the reported denial is the most specific one (channel over key over
// command), at the highest argument index among equals.
Acl::Verdict Acl::Check(std::string_view user, const CommandSpec& spec,
                        std::span<const std::string_view> args, int* arg_index) const {
  const AclUser* u = FindUser(user);
  if (!u) return Verdict::kDeniedCommand;
  if (u->unrestricted) return Verdict::kOk;
  Verdict relevant = Verdict::kDeniedCommand;
  int last_index = 0;
  for (size_t s = 0; s <= u->selectors.size(); ++s) {
    const AclSelector& sel = s == 0 ? *u : u->selectors[s - 1];
    int index = 0;
    const Verdict v = CheckSelector(sel, spec, args, &index);
    if (v == Verdict::kOk) return v;
    if (v > relevant || (v == relevant && index > last_index)) {
      relevant = v;
      last_index = index;
    }
  }
  *arg_index = last_index;
  return relevant;
}

namespace {

// The argument index of the first key `u` may not touch as `spec` would, or 0.
int DeniedKey(const AclSelector& u, const CommandSpec& spec,
              std::span<const std::string_view> args) {
  for (const KeyRef& k : ExtractKeys(spec, args)) {
    // As Redis: an "access" key needs read permission; insert/delete/update need write.
    std::string_view flags = k.flags;
    bool need_read = false, need_write = false;
    if (flags.empty()) {
      need_read = !spec.is(cmd_flags::kWrite);
      need_write = spec.is(cmd_flags::kWrite);
    } else {
      need_read = flags.find("access") != std::string_view::npos;
      need_write = flags.find("insert") != std::string_view::npos ||
                   flags.find("delete") != std::string_view::npos ||
                   flags.find("update") != std::string_view::npos;
    }
    std::string_view key = args[static_cast<size_t>(k.index)];
    bool ok = false;
    for (const auto& p : u.key_patterns) {
      if ((need_read && !p.read) || (need_write && !p.write)) continue;
      if (GlobMatch(p.pattern, key)) {
        ok = true;
        break;
      }
    }
    if (!ok) return k.index;
  }
  return 0;
}

// The argument index of the first channel `u` may not use, or 0. Channels are matched against
// the user's patterns; PSUBSCRIBE's patterns must equal one of them (Redis compares literally,
// so a user cannot widen its reach with a broader pattern). Unsubscribing is always allowed.
int DeniedChannel(const AclSelector& u, std::string_view name,
                  std::span<const std::string_view> args) {
  size_t first = 1, last = 0;
  if (name == "publish" || name == "spublish") {
    last = 1;
  } else if (name == "subscribe" || name == "ssubscribe" || name == "psubscribe") {
    last = args.size() - 1;
  } else {
    return 0;
  }
  const bool literal = name == "psubscribe";
  for (size_t i = first; i <= last && i < args.size(); ++i) {
    const bool ok = std::any_of(u.channel_patterns.begin(), u.channel_patterns.end(),
                                [&](const std::string& p) {
                                  return literal ? p == args[i] : GlobMatch(p, args[i]);
                                });
    if (!ok) return static_cast<int>(i);
  }
  return 0;
}

}  // namespace

void Acl::LogDenial(Verdict verdict, std::string_view user, const CommandSpec& spec,
                    std::span<const std::string_view> args, int arg_index,
                    std::string_view context, std::string client_info, std::string* err) {
  LogEntry entry;
  switch (verdict) {
    case Verdict::kOk:
      return;
    case Verdict::kDeniedCommand:
      *err = fmt::format("NOPERM this user has no permissions to run the '{}' command",
                         OriginalName(spec));
      entry.reason = "command";
      entry.object = OriginalName(spec);
      break;
    case Verdict::kDeniedKey:
      *err = "NOPERM this user has no permissions to access one of the keys used as arguments";
      entry.reason = "key";
      entry.object = args[static_cast<size_t>(arg_index)];
      break;
    case Verdict::kDeniedChannel:
      *err =
          "NOPERM this user has no permissions to access one of the channels used as arguments";
      entry.reason = "channel";
      entry.object = args[static_cast<size_t>(arg_index)];
      break;
  }
  entry.context = context;
  entry.username = user;
  entry.client_info = std::move(client_info);
  AddLogEntry(std::move(entry), WallClockMs());
}

void Acl::AddLogEntry(LogEntry entry, int64_t now_ms) {
  constexpr int64_t kGroupingMs = 60000;
  entry.created_ms = now_ms;
  // Only the newest 10 entries are looked at for grouping, as Redis.
  int scan = 10;
  for (auto it = log_.begin(); it != log_.end() && scan-- > 0; ++it) {
    if (it->reason == entry.reason && it->context == entry.context &&
        it->object == entry.object && it->username == entry.username &&
        now_ms - it->created_ms < kGroupingMs) {
      entry.count = it->count + 1;
      log_.erase(it);
      break;
    }
  }
  log_.push_front(std::move(entry));
  while (log_.size() > max_log_len_) log_.pop_back();
}

std::vector<std::string_view> Acl::FlagNames(const AclUser& u) {
  std::vector<std::string_view> out;
  out.push_back(u.enabled ? "on" : "off");
  if (u.nopass) out.push_back("nopass");
  if (u.sanitize == 2) out.push_back("skip-sanitize-payload");
  if (u.sanitize == 1) out.push_back("sanitize-payload");
  return out;
}

std::string Acl::DescribeKeys(const AclSelector& u) const {
  if (u.all_keys) return "~*";
  std::string out;
  for (const auto& p : u.key_patterns) {
    if (!out.empty()) out.push_back(' ');
    if (p.read && p.write) {
      out.push_back('~');
    } else if (p.read) {
      out.append("%R~");
    } else {
      out.append("%W~");
    }
    out.append(p.pattern);
  }
  return out;
}

std::string Acl::DescribeChannels(const AclSelector& u) const {
  if (u.all_channels) return "&*";
  std::string out;
  for (const auto& p : u.channel_patterns) {
    if (!out.empty()) out.push_back(' ');
    out.push_back('&');
    out.append(p);
  }
  return out;
}

// Redis's ACLDescribeSelectorCommandRules: start from +@all or -@all, greedily apply the
// categories that best match the user's bitmap, then fix single commands.
std::string Acl::DescribeCommands(const AclSelector& u) const {
  EnsureIndex();
  const Impl& im = *impl_;
  size_t n = im.specs.size();
  std::vector<bool> user = u.allowed;
  user.resize(n, u.all_commands);
  bool additive = !u.all_commands;
  std::string rules = additive ? "-@all " : "+@all ";
  std::vector<bool> fake(n, !additive);
  std::vector<bool> temp = user;
  auto apply = [&](std::vector<bool>& bits, uint32_t cat, bool value) {
    for (size_t i = 0; i < n; ++i) {
      if (!(im.categories[i] & cat)) continue;
      bits[i] = value;
      for (int c : im.children[i]) bits[static_cast<size_t>(c)] = value;
    }
  };
  // Every category, in ACL CAT order.
  const std::vector<std::string_view> categories = AclCategoryNames(~0u);
  std::vector<bool> applied(categories.size(), false);
  while (true) {
    int best = -1;
    uint64_t mindiff = INT_MAX, maxsame = 0;
    for (size_t j = 0; j < categories.size(); ++j) {
      if (applied[j]) continue;
      uint32_t cat = AclCategoryByName(categories[j]);
      uint64_t on = 0, off = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!(im.categories[i] & cat)) continue;
        if (temp[i]) {
          ++on;
        } else {
          ++off;
        }
      }
      uint64_t diff = additive ? off : on;
      uint64_t same = additive ? on : off;
      if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
        best = static_cast<int>(j);
        mindiff = diff;
        maxsame = same;
      }
    }
    if (best < 0) break;
    uint32_t cat = AclCategoryByName(categories[static_cast<size_t>(best)]);
    apply(fake, cat, additive);
    apply(temp, cat, !additive);
    rules += fmt::format("{}@{} ", additive ? '+' : '-', categories[static_cast<size_t>(best)]);
    applied[static_cast<size_t>(best)] = true;
  }
  auto fix = [&](size_t i) {
    if (user[i] == fake[i]) return;
    rules += fmt::format("{}{} ", user[i] ? '+' : '-', im.names[i]);
    fake[i] = user[i];
    for (int c : im.children[i]) fake[static_cast<size_t>(c)] = user[i];
  };
  for (size_t i = 0; i < n; ++i) {
    if (im.parent[i] >= 0) continue;
    fix(i);
    for (int c : im.children[i]) fix(static_cast<size_t>(c));
    auto it = u.first_args.find(static_cast<int>(i));
    if (!user[i] && it != u.first_args.end()) {
      for (const auto& arg : it->second) rules += fmt::format("+{}|{} ", im.names[i], arg);
    }
  }
  rules.pop_back();
  return rules;
}

// Redis's ACLDescribeSelector: keys, then channels (resetchannels unless &*), then commands.
std::string Acl::DescribeSelector(const AclSelector& sel) const {
  std::string out = DescribeKeys(sel);
  if (!out.empty()) out.push_back(' ');
  if (sel.all_channels) {
    out.append("&*");
  } else {
    out.append("resetchannels");
    for (const auto& p : sel.channel_patterns) {
      out.append(" &");
      out.append(p);
    }
  }
  out.push_back(' ');
  out.append(DescribeCommands(sel));
  return out;
}

std::string Acl::Describe(const AclUser& u) const {
  std::string out = fmt::format("user {}", u.name);
  for (auto f : FlagNames(u)) {
    out.push_back(' ');
    out.append(f);
  }
  for (const auto& p : u.passwords) {
    out.append(" #");
    out.append(p);
  }
  out.push_back(' ');
  out.append(DescribeSelector(u));
  for (const AclSelector& sel : u.selectors) {
    out.append(" (");
    out.append(DescribeSelector(sel));
    out.push_back(')');
  }
  return out;
}

}  // namespace ember
