#include "commands/command.h"

#include <cmath>
#include <limits>

#include "common/errors.h"
#include "common/strings.h"

namespace ember {

namespace {
struct NamedBit {
  uint32_t bit;
  std::string_view name;
};

// Order as Redis prints them. may_replicate, sentinel and protected are hidden, as in Redis.
constexpr NamedBit kFlagNames[] = {
    {cmd_flags::kWrite, "write"},
    {cmd_flags::kReadOnly, "readonly"},
    {cmd_flags::kDenyOom, "denyoom"},
    {cmd_flags::kAdmin, "admin"},
    {cmd_flags::kPubSub, "pubsub"},
    {cmd_flags::kNoScript, "noscript"},
    {cmd_flags::kBlocking, "blocking"},
    {cmd_flags::kLoading, "loading"},
    {cmd_flags::kStale, "stale"},
    {cmd_flags::kSkipMonitor, "skip_monitor"},
    {cmd_flags::kSkipSlowlog, "skip_slowlog"},
    {cmd_flags::kFast, "fast"},
    {cmd_flags::kNoAuth, "no_auth"},
    {cmd_flags::kNoMandatoryKeys, "no_mandatory_keys"},
    {cmd_flags::kNoAsyncLoading, "no_async_loading"},
    {cmd_flags::kNoMulti, "no_multi"},
    {cmd_flags::kMovableKeys, "movablekeys"},
    {cmd_flags::kAllowBusy, "allow_busy"},
};

constexpr NamedBit kCategoryNames[] = {
    {acl_cat::kKeyspace, "keyspace"},     {acl_cat::kRead, "read"},
    {acl_cat::kWrite, "write"},           {acl_cat::kSet, "set"},
    {acl_cat::kSortedSet, "sortedset"},   {acl_cat::kList, "list"},
    {acl_cat::kHash, "hash"},             {acl_cat::kString, "string"},
    {acl_cat::kBitmap, "bitmap"},         {acl_cat::kHyperLogLog, "hyperloglog"},
    {acl_cat::kGeo, "geo"},               {acl_cat::kStream, "stream"},
    {acl_cat::kPubSub, "pubsub"},         {acl_cat::kAdmin, "admin"},
    {acl_cat::kFast, "fast"},             {acl_cat::kSlow, "slow"},
    {acl_cat::kBlocking, "blocking"},     {acl_cat::kDangerous, "dangerous"},
    {acl_cat::kConnection, "connection"}, {acl_cat::kTransaction, "transaction"},
    {acl_cat::kScripting, "scripting"},
};
}  // namespace

std::vector<std::string_view> FlagNames(uint32_t flags) {
  std::vector<std::string_view> out;
  for (const auto& f : kFlagNames) {
    if (flags & f.bit) out.push_back(f.name);
  }
  return out;
}

std::vector<std::string_view> AclCategoryNames(uint32_t categories) {
  std::vector<std::string_view> out;
  for (const auto& c : kCategoryNames) {
    if (categories & c.bit) out.push_back(c.name);
  }
  return out;
}

uint32_t AclCategoryByName(std::string_view name) {
  for (const auto& c : kCategoryNames) {
    if (EqualsIgnoreCase(c.name, name)) return c.bit;
  }
  return 0;
}

uint32_t CommandSpec::AllAclCategories() const {
  uint32_t c = acl_categories;
  if (flags & cmd_flags::kWrite) c |= acl_cat::kWrite;
  if ((flags & cmd_flags::kReadOnly) && !(c & acl_cat::kScripting)) c |= acl_cat::kRead;
  if (flags & cmd_flags::kAdmin) c |= acl_cat::kAdmin | acl_cat::kDangerous;
  if (flags & cmd_flags::kPubSub) c |= acl_cat::kPubSub;
  if (flags & cmd_flags::kFast) c |= acl_cat::kFast;
  if (flags & cmd_flags::kBlocking) c |= acl_cat::kBlocking;
  if (!(c & acl_cat::kFast)) c |= acl_cat::kSlow;
  return c;
}

std::vector<int> CommandSpec::KeyIndexes(int argc) const {
  std::vector<int> keys;
  if (first_key <= 0) return keys;
  int last = last_key >= 0 ? last_key : argc + last_key;
  for (int i = first_key; i <= last && i < argc; i += std::max(key_step, 1)) keys.push_back(i);
  return keys;
}

const CommandSpec* CommandSpec::FindSubcommand(std::string_view sub) const {
  // By the part after '|': a renamed container (rename-command) keeps its subcommands' names,
  // as Redis keeps their full names.
  for (const auto& s : subcommands) {
    std::string_view own = s->name;
    if (EqualsIgnoreCase(own.substr(own.find('|') + 1), sub)) return s.get();
  }
  return nullptr;
}

CommandSpec MakeCommand(std::string name, int arity, uint32_t flags, KeyRange keys,
                        CommandHandler handler, std::string group, uint32_t acl_categories,
                        std::string summary, std::string since) {
  CommandSpec s;
  s.name = std::move(name);
  s.arity = arity;
  s.flags = flags;
  s.first_key = keys.first;
  s.last_key = keys.last;
  s.key_step = keys.step;
  s.acl_categories = acl_categories;
  s.handler = handler;
  s.group = std::move(group);
  s.summary = std::move(summary);
  s.since = std::move(since);
  return s;
}

CommandTable& CommandTable::Global() {
  static CommandTable table;
  return table;
}

CommandSpec* CommandTable::Add(CommandSpec spec) {
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  CommandSpec* raw = owned.get();
  commands_[raw->name] = std::move(owned);
  Reindex();
  return raw;
}

CommandSpec* CommandTable::AddSubcommand(std::string_view container, CommandSpec spec) {
  auto it = commands_.find(container);
  if (it == commands_.end()) return nullptr;
  CommandSpec* parent = it->second.get();
  spec.name = parent->name + "|" + spec.name;
  spec.parent = parent;
  if (spec.group.empty()) spec.group = parent->group;
  parent->subcommands.push_back(std::make_unique<CommandSpec>(std::move(spec)));
  return parent->subcommands.back().get();
}

bool CommandTable::Rename(std::string_view name, std::string_view new_name) {
  auto it = commands_.find(ToLower(name));
  if (it == commands_.end()) return false;
  auto spec = std::move(it->second);
  commands_.erase(it);
  Reindex();
  if (new_name.empty()) return true;
  spec->name = ToLower(new_name);
  commands_[spec->name] = std::move(spec);
  Reindex();
  return true;
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  char buf[64];
  if (name.size() < sizeof(buf)) {
    for (size_t i = 0; i < name.size(); ++i) {
      char c = name[i];
      buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    auto it = index_.find(std::string_view(buf, name.size()));
    return it == index_.end() ? nullptr : it->second;
  }
  auto it = index_.find(ToLower(name));
  return it == index_.end() ? nullptr : it->second;
}

void CommandTable::Reindex() {
  index_.clear();
  for (const auto& [name, spec] : commands_) index_.emplace(spec->name, spec.get());
}

void CommandTable::ResetStats() {
  auto reset = [](const CommandSpec& s) {
    s.calls = s.usec = s.rejected_calls = s.failed_calls = 0;
    s.latency.Reset();
  };
  for (auto& [name, spec] : commands_) {
    reset(*spec);
    for (auto& sub : spec->subcommands) reset(*sub);
  }
}

KeyEntry* CommandContext::LookupRead(std::string_view key) {
  KeyEntry* e = Lookup(db(), key, /*for_write=*/false);
  if (e) {
    ++keyspace_.stats().hits;
  } else {
    ++keyspace_.stats().misses;
    Notify(notify::kKeyMiss, "keymiss", key);  // Redis's lookupKeyRead: where misses count
  }
  return e;
}

KeyEntry* CommandContext::Lookup(Database& db, std::string_view key, bool for_write) {
  if (client_.is_master_link) return db.FindRaw(key);
  const bool delete_expired =
      !services_.is_replica() || (for_write && !services_.replica_read_only());
  return db.Find(key, now_ms_, delete_expired);
}

KeyEntry* CommandContext::AddNewKey(std::string_view key, Value value) {
  if (services_.is_replica()) return db().Set(key, std::move(value));
  return db().Insert(key, std::move(value));
}

void CommandContext::ReplyStatus(OpStatus status) {
  switch (status) {
    case OpStatus::kOk: reply_.Ok(); break;
    case OpStatus::kKeyNotFound: reply_.Error(errors::kNoSuchKey); break;
    case OpStatus::kWrongType: reply_.Error(errors::kWrongType); break;
    case OpStatus::kSyntaxError: reply_.Error(errors::kSyntax); break;
    case OpStatus::kNotAnInteger: reply_.Error(errors::kNotInteger); break;
    case OpStatus::kNotAFloat: reply_.Error(errors::kNotFloat); break;
    case OpStatus::kOutOfRange: reply_.Error(errors::kOutOfRangeIndex); break;
    case OpStatus::kOverflow: reply_.Error(errors::kOverflow); break;
    case OpStatus::kSkipped: reply_.Null(); break;
    case OpStatus::kInvalidExpire:
      reply_.Error("ERR invalid expire time in '" + spec_->name + "' command");
      break;
    case OpStatus::kBitOffsetOutOfRange: reply_.Error(errors::kBitOffset); break;
    case OpStatus::kStringTooLong: reply_.Error(errors::kStringTooLong); break;
  }
}

bool ParseBlockingTimeout(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms) {
  long double seconds;
  if (!ParseLongDouble(arg, &seconds) || std::isnan(seconds)) {
    ctx.reply().Error("ERR timeout is not a float or out of range");
    return false;
  }
  // Redis casts seconds * 1000 to long long: a value past its range wraps negative there.
  const long double ms = seconds * 1000.0L;
  if (ms < 0 || ms >= 9223372036854775807.0L) {
    ctx.reply().Error("ERR timeout is negative");
    return false;
  }
  const auto timeout = static_cast<int64_t>(ms);
  if (timeout > 0 && timeout > std::numeric_limits<int64_t>::max() - ctx.now_ms()) {
    ctx.reply().Error("ERR timeout is out of range");
    return false;
  }
  *deadline_ms = timeout > 0 ? ctx.now_ms() + timeout : 0;
  return true;
}

void CommandContext::ReplyWrongArity() {
  reply_.Error("ERR wrong number of arguments for '" + spec_->name + "' command");
}

}  // namespace ember
