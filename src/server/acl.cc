#include "server/acl.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "commands/command.h"
#include "common/clock.h"
#include "common/sha256.h"
#include "common/strings.h"
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

std::string RuleError(std::string_view rule, std::string_view why) {
  return fmt::format("Error in ACL SETUSER modifier '{}': {}", rule, why);
}

constexpr std::string_view kUnknownCommand = "Unknown command or category name in ACL";
constexpr std::string_view kSyntax = "Syntax error";

}  // namespace

// The permission bitmap's layout: every command followed by its subcommands.
struct Acl::Impl {
  std::vector<const CommandSpec*> specs;
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
  for (size_t i = 0; i < im.specs.size(); ++i) im.index[im.specs[i]] = static_cast<int>(i);
}

int Acl::CommandIndex(const CommandSpec* spec) const {
  EnsureIndex();
  auto it = impl_->index.find(spec);
  return it == impl_->index.end() ? -1 : it->second;
}

void Acl::Init() {
  EnsureIndex();
  users_.clear();
  std::string err;
  const std::string_view rules[] = {"on", "nopass", "~*", "&*", "+@all"};
  SetUser("default", rules, &err);
}

const AclUser* Acl::FindUser(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second.get();
}

AclUser* Acl::FindUser(std::string_view name) {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second.get();
}

bool Acl::ApplyRule(AclUser& u, std::string_view rule, std::string* err) const {
  EnsureIndex();
  const Impl& im = *impl_;
  size_t n = im.specs.size();
  if (u.allowed.size() != n) u.allowed.resize(n, u.all_commands);
  auto fail = [&](std::string_view why) {
    *err = RuleError(rule, why);
    return false;
  };
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

  if (is("on")) {
    u.enabled = true;
  } else if (is("off")) {
    u.enabled = false;
  } else if (is("skip-sanitize-payload")) {
    u.sanitize = 2;
  } else if (is("sanitize-payload")) {
    u.sanitize = 1;
  } else if (is("allkeys") || rule == "~*") {
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
  } else if (is("nopass")) {
    u.nopass = true;
    u.passwords.clear();
  } else if (is("resetpass")) {
    u.nopass = false;
    u.passwords.clear();
  } else if (is("reset")) {
    for (std::string_view r : {"resetpass", "resetkeys", "resetchannels", "off", "-@all"}) {
      ApplyRule(u, r, err);
    }
    u.sanitize = 1;
  } else if (is("clearselectors")) {
    // No selectors: nothing to clear.
  } else if (rule[0] == '>' || rule[0] == '#' || rule[0] == '<' || rule[0] == '!') {
    // '>' adds and '<' removes a clear-text password; '#' and '!' do so by its SHA-256 hex.
    std::string hash;
    if (rule[0] == '>' || rule[0] == '<') {
      hash = Sha256::HexOf(rule.substr(1));
    } else if (ValidPasswordHash(rule.substr(1))) {
      hash = std::string(rule.substr(1));
    } else {
      return fail(
          "The password hash must be exactly 64 characters and contain only lowercase "
          "hexadecimal characters");
    }
    auto it = std::find(u.passwords.begin(), u.passwords.end(), hash);
    if (rule[0] == '>' || rule[0] == '#') {
      if (it == u.passwords.end()) u.passwords.push_back(hash);
      u.nopass = false;
    } else {
      if (it == u.passwords.end()) {
        return fail("The password you are trying to remove from the user does not exist");
      }
      u.passwords.erase(it);
    }
  } else if (rule[0] == '~' || rule[0] == '%') {
    bool read = true, write = true;
    size_t start = 1;
    if (rule[0] == '%') {
      read = write = false;
      size_t i = 1;
      for (; i < rule.size() && rule[i] != '~'; ++i) {
        if (rule[i] == 'R' || rule[i] == 'r') {
          read = true;
        } else if (rule[i] == 'W' || rule[i] == 'w') {
          write = true;
        } else {
          return fail(kSyntax);
        }
      }
      if (i >= rule.size() || (!read && !write)) return fail(kSyntax);
      start = i + 1;
    }
    if (u.all_keys) {
      return fail(
          "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does "
          "not have any effect. Try 'resetkeys' to start with an empty list of patterns");
    }
    std::string pattern(rule.substr(start));
    if (pattern == "*" && read && write) {
      u.all_keys = true;
      u.key_patterns.clear();
    } else {
      bool merged = false;
      for (auto& p : u.key_patterns) {
        if (p.pattern == pattern) {
          p.read = p.read || read;
          p.write = p.write || write;
          merged = true;
        }
      }
      if (!merged) u.key_patterns.push_back({pattern, read, write});
    }
  } else if (rule[0] == '&') {
    if (u.all_channels) {
      return fail(
          "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
          "does not have any effect. Try 'resetchannels' to start with an empty list of "
          "channels");
    }
    std::string pattern(rule.substr(1));
    if (std::find(u.channel_patterns.begin(), u.channel_patterns.end(), pattern) ==
        u.channel_patterns.end()) {
      u.channel_patterns.push_back(pattern);
    }
  } else if ((rule[0] == '+' || rule[0] == '-') && rule.size() > 1 && rule[1] == '@') {
    bool allow = rule[0] == '+';
    uint32_t cat = AclCategoryByName(rule.substr(2));
    if (!cat) return fail(kUnknownCommand);
    for (size_t i = 0; i < n; ++i) {
      if (im.categories[i] & cat) set_command(static_cast<int>(i), allow);
    }
  } else if (rule[0] == '+' || rule[0] == '-') {
    bool allow = rule[0] == '+';
    std::string_view name = rule.substr(1);
    size_t bar = name.find('|');
    const CommandSpec* spec = CommandTable::Global().Find(name.substr(0, bar));
    if (!spec) return fail(kUnknownCommand);
    int top = CommandIndex(spec);
    if (top < 0) return fail(kUnknownCommand);
    if (bar == std::string_view::npos) {
      set_command(top, allow);
    } else if (!spec->subcommands.empty()) {
      const CommandSpec* sub = spec->FindSubcommand(name.substr(bar + 1));
      if (!sub) return fail(kUnknownCommand);
      set_command(CommandIndex(sub), allow);
    } else {
      // "+select|0": allow the command only with this first argument.
      std::string first = ToLower(name.substr(bar + 1));
      if (!allow) return fail(kUnknownCommand);
      if (first.empty() || first.find('|') != std::string::npos) return fail(kSyntax);
      if (!u.allowed[static_cast<size_t>(top)]) {
        auto& list = u.first_args[top];
        if (std::find(list.begin(), list.end(), first) == list.end()) list.push_back(first);
      }
    }
  } else {
    return fail(kSyntax);
  }
  return true;
}

bool Acl::SetUser(std::string_view name, std::span<const std::string_view> rules,
                  std::string* err) {
  AclUser temp;
  if (const AclUser* existing = FindUser(name)) {
    temp = *existing;
  } else {
    // A new user: off, no passwords, no keys, no commands, and the channels
    // acl-pubsub-default gives (none by default: resetchannels).
    temp.name = std::string(name);
    temp.all_channels = new_users_all_channels_;
    EnsureIndex();
    temp.allowed.assign(impl_->specs.size(), false);
  }
  for (std::string_view rule : rules) {
    if (rule.empty()) {
      *err = RuleError(rule, kSyntax);
      return false;
    }
    if (!ApplyRule(temp, rule, err)) return false;
  }
  auto& slot = users_[std::string(name)];
  if (!slot) slot = std::make_unique<AclUser>();
  *slot = std::move(temp);
  RecountRestricted();
  return true;
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
int DeniedKey(const AclUser& u, const CommandSpec& spec, std::span<const std::string_view> args);
int DeniedChannel(const AclUser& u, const CommandSpec& spec,
                  std::span<const std::string_view> args);
}  // namespace

Acl::Verdict Acl::Check(std::string_view user, const CommandSpec& spec,
                        std::span<const std::string_view> args, int* arg_index) const {
  const AclUser* u = FindUser(user);
  if (!u) return Verdict::kDeniedCommand;
  if (u->unrestricted) return Verdict::kOk;
  int i = CommandIndex(&spec);
  bool allowed =
      i >= 0 && static_cast<size_t>(i) < u->allowed.size() && u->allowed[static_cast<size_t>(i)];
  if (!allowed && i >= 0 && args.size() >= 2) {
    auto it = u->first_args.find(i);
    if (it != u->first_args.end()) {
      // The stored first arguments are lowercase: compare without lowering a copy.
      allowed = std::any_of(it->second.begin(), it->second.end(),
                            [&](const std::string& a) { return EqualsIgnoreCase(a, args[1]); });
    }
  }
  if (!allowed) return Verdict::kDeniedCommand;
  if (!u->all_keys) {
    if (const int denied = DeniedKey(*u, spec, args); denied > 0) {
      *arg_index = denied;
      return Verdict::kDeniedKey;
    }
  }
  if (!u->all_channels) {
    if (const int denied = DeniedChannel(*u, spec, args); denied > 0) {
      *arg_index = denied;
      return Verdict::kDeniedChannel;
    }
  }
  return Verdict::kOk;
}

namespace {

// The argument index of the first key `u` may not touch as `spec` would, or 0.
int DeniedKey(const AclUser& u, const CommandSpec& spec, std::span<const std::string_view> args) {
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
int DeniedChannel(const AclUser& u, const CommandSpec& spec,
                  std::span<const std::string_view> args) {
  const std::string& name = spec.name;
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

Acl::Verdict Acl::Check(std::string_view user, const CommandSpec& spec,
                        std::span<const std::string_view> args, std::string_view context,
                        const std::function<std::string()>& client_info, std::string* err) {
  int arg_index = 0;
  LogEntry entry;
  const Verdict verdict = Check(user, spec, args, &arg_index);
  switch (verdict) {
    case Verdict::kOk:
      return verdict;
    case Verdict::kDeniedCommand:
      *err = fmt::format("NOPERM this user has no permissions to run the '{}' command", spec.name);
      entry.reason = "command";
      entry.object = spec.name;
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
  entry.client_info = client_info();
  AddLogEntry(std::move(entry), WallClockMs());
  return verdict;
}

void Acl::AddLogEntry(LogEntry entry, int64_t now_ms) {
  constexpr int64_t kGroupingMs = 60000;
  entry.created_ms = now_ms;
  for (auto it = log_.begin(); it != log_.end(); ++it) {
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

std::string Acl::DescribeKeys(const AclUser& u) const {
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

std::string Acl::DescribeChannels(const AclUser& u) const {
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
std::string Acl::DescribeCommands(const AclUser& u) const {
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
    rules += fmt::format("{}{} ", user[i] ? '+' : '-', im.specs[i]->name);
    fake[i] = user[i];
    for (int c : im.children[i]) fake[static_cast<size_t>(c)] = user[i];
  };
  for (size_t i = 0; i < n; ++i) {
    if (im.parent[i] >= 0) continue;
    fix(i);
    for (int c : im.children[i]) fix(static_cast<size_t>(c));
    auto it = u.first_args.find(static_cast<int>(i));
    if (!user[i] && it != u.first_args.end()) {
      for (const auto& arg : it->second) rules += fmt::format("+{}|{} ", im.specs[i]->name, arg);
    }
  }
  rules.pop_back();
  return rules;
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
  std::string keys = DescribeKeys(u);
  if (!keys.empty()) {
    out.push_back(' ');
    out.append(keys);
  }
  out.push_back(' ');
  if (u.all_channels) {
    out.append("&*");
  } else {
    out.append("resetchannels");
    for (const auto& p : u.channel_patterns) {
      out.append(" &");
      out.append(p);
    }
  }
  out.push_back(' ');
  out.append(DescribeCommands(u));
  return out;
}

}  // namespace ember
