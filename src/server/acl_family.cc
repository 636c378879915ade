// ACL: WHOAMI, SETUSER, GETUSER, DELUSER, LIST, USERS, CAT, GENPASS, DRYRUN, LOG, LOAD, SAVE,
// HELP — as Redis 7.0. Changing users here also disconnects the clients that lost their rights:
// DELUSER and ACL LOAD those authenticated as a removed (for LOAD: any non-default) user,
// SETUSER the user's subscribers whose channels it may no longer use.
#include <fmt/format.h>

#include <cctype>

#include "common/clock.h"
#include "common/errors.h"
#include "common/strings.h"
#include "server/acl.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

namespace {

constexpr std::string_view kNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
    "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
    "Redis configuration file set) in order to store users in the Redis configuration.";

// Closes the clients `victim` picks (the one running this command after its reply), as Redis's
// ACLFreeUserAndKillClients.
template <typename Pred>
void DisconnectClients(CommandContext& ctx, Pred victim) {
  Connection& self = ConnOf(ctx);
  std::vector<Connection*> victims;
  for (const auto& [id, c] : ServerOf(ctx).clients()) {
    if (!c->is_master_link && !c->script_client && victim(*c)) victims.push_back(c);
  }
  for (Connection* c : victims) {
    if (c == &self) {
      c->close_after_reply = true;
    } else {
      c->Close();
    }
  }
}

// After `user`'s channel permissions changed: its subscribers that hold a channel, pattern or
// shard channel it may no longer use are disconnected (Redis's ACLKillPubsubClientsIfNeeded).
void DisconnectRevokedSubscribers(CommandContext& ctx, const AclUser& user) {
  const PubSub& pubsub = ServerOf(ctx).pubsub();
  DisconnectClients(ctx, [&](const Connection& c) {
    if (c.user != user.name || !pubsub.IsSubscribed(c.id)) return false;
    for (PubSub::Kind kind : {PubSub::kPattern, PubSub::kChannel, PubSub::kShard}) {
      for (const std::string& name : pubsub.SubscriptionsOf(kind, c.id)) {
        if (!Acl::ChannelAllowed(user, name, kind == PubSub::kPattern)) return true;
      }
    }
    return false;
  });
}

void CmdAclWhoAmI(CommandContext& ctx) { ctx.reply().Bulk(ctx.client().user); }

void CmdAclSetUser(CommandContext& ctx) {
  std::string_view name = ctx.arg(2);
  if (Acl::HasSpaces(name)) {
    return ctx.reply().Error("ERR Usernames can't contain spaces or null characters");
  }
  std::vector<std::string_view> rules(ctx.args().begin() + 3, ctx.args().end());
  Acl& acl = ServerOf(ctx).acl();
  const bool existed = acl.FindUser(name) != nullptr;
  std::string err;
  if (!acl.SetUser(name, rules, &err)) {
    return ctx.reply().Error(fmt::format("ERR {}", err));
  }
  if (existed) DisconnectRevokedSubscribers(ctx, *acl.FindUser(name));
  ctx.reply().Ok();
}

// The commands, keys and channels of one selector, as GETUSER shows them.
void ReplySelectorFields(Acl& acl, ReplyBuilder& r, const AclSelector& sel) {
  r.Bulk("commands");
  r.Bulk(acl.DescribeCommands(sel));
  r.Bulk("keys");
  r.Bulk(acl.DescribeKeys(sel));
  r.Bulk("channels");
  r.Bulk(acl.DescribeChannels(sel));
}

void CmdAclGetUser(CommandContext& ctx) {
  Acl& acl = ServerOf(ctx).acl();
  const AclUser* u = acl.FindUser(ctx.arg(2));
  ReplyBuilder& r = ctx.reply();
  if (!u) return r.Null();
  r.MapLen(6);
  r.Bulk("flags");
  auto flags = Acl::FlagNames(*u);
  r.SetLen(flags.size());
  for (auto f : flags) r.Bulk(f);
  r.Bulk("passwords");
  r.ArrayLen(u->passwords.size());
  for (const auto& p : u->passwords) r.Bulk(p);
  ReplySelectorFields(acl, r, *u);
  r.Bulk("selectors");
  r.ArrayLen(u->selectors.size());
  for (const AclSelector& sel : u->selectors) {
    r.MapLen(3);
    ReplySelectorFields(acl, r, sel);
  }
}

void CmdAclDelUser(CommandContext& ctx) {
  Server& server = ServerOf(ctx);
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (ctx.arg(i) == "default") {
      return ctx.reply().Error("ERR The 'default' user cannot be removed");
    }
  }
  for (size_t i = 2; i < ctx.argc(); ++i) {
    std::string name(ctx.arg(i));
    if (!server.acl().DeleteUser(name)) continue;
    ++deleted;
    // Clients authenticated as a removed user are disconnected.
    DisconnectClients(ctx, [&](const Connection& c) { return c.user == name && c.authenticated; });
  }
  ctx.reply().Integer(deleted);
}

void CmdAclList(CommandContext& ctx) {
  Acl& acl = ServerOf(ctx).acl();
  ctx.reply().ArrayLen(acl.users().size());
  for (const auto& [name, u] : acl.users()) ctx.reply().Bulk(acl.Describe(*u));
}

void CmdAclUsers(CommandContext& ctx) {
  Acl& acl = ServerOf(ctx).acl();
  ctx.reply().ArrayLen(acl.users().size());
  for (const auto& [name, u] : acl.users()) ctx.reply().Bulk(name);
}

void CmdAclCat(CommandContext& ctx) {
  ReplyBuilder& r = ctx.reply();
  if (ctx.argc() > 3) {
    return ReplySubcommandSyntaxError(ctx);
  }
  if (ctx.argc() == 2) {
    auto names = AclCategoryNames(~0u);
    r.ArrayLen(names.size());
    for (auto n : names) r.Bulk(n);
    return;
  }
  uint32_t cat = AclCategoryByName(ctx.arg(2));
  if (!cat) return r.Error(fmt::format("ERR Unknown category '{}'", ctx.arg(2)));
  const std::vector<std::string_view> names = ServerOf(ctx).acl().CommandsInCategory(cat);
  r.ArrayLen(names.size());
  for (auto n : names) r.Bulk(n);
}

void CmdAclGenPass(CommandContext& ctx) {
  int64_t bits = 256;
  if (ctx.argc() == 3) {
    if (!ParseInt64(ctx.arg(2), &bits)) return ctx.reply().Error(errors::kNotInteger);
    if (bits <= 0 || bits > 4096) {
      return ctx.reply().Error(
          "ERR ACL GENPASS argument must be the number of bits for the output password, a "
          "positive number up to 4096");
    }
  } else if (ctx.argc() > 3) {
    return ctx.ReplySyntaxError();
  }
  ctx.reply().Bulk(RandomHex(static_cast<size_t>((bits + 3) / 4)));
}

void CmdAclDryRun(CommandContext& ctx) {
  Acl& acl = ServerOf(ctx).acl();
  std::string_view user = ctx.arg(2);
  if (!acl.FindUser(user)) {
    return ctx.reply().Error(fmt::format("ERR User '{}' not found", user));
  }
  auto args = ctx.args().subspan(3);
  const CommandSpec* spec = CommandTable::Global().Resolve(args);
  if (!spec) return ctx.reply().Error(fmt::format("ERR Command '{}' not found", args[0]));
  if (!spec->AcceptsArgc(args.size())) {
    return ctx.reply().Error(
        fmt::format("ERR wrong number of arguments for '{}' command", spec->name));
  }
  int key_index = 0;
  switch (acl.Check(user, *spec, args, &key_index)) {
    case Acl::Verdict::kOk:
      return ctx.reply().Ok();
    case Acl::Verdict::kDeniedCommand:
      return ctx.reply().Bulk(fmt::format("This user has no permissions to run the '{}' command",
                                          acl.OriginalName(*spec)));
    case Acl::Verdict::kDeniedKey:
      return ctx.reply().Bulk(fmt::format("This user has no permissions to access the '{}' key",
                                          args[static_cast<size_t>(key_index)]));
    case Acl::Verdict::kDeniedChannel:
      return ctx.reply().Bulk(
          fmt::format("This user has no permissions to access the '{}' channel",
                      args[static_cast<size_t>(key_index)]));
  }
}

void CmdAclLog(CommandContext& ctx) {
  Acl& acl = ServerOf(ctx).acl();
  // As Redis: 10 entries unless told otherwise; a negative count shows none.
  int64_t n = 10;
  if (ctx.argc() == 3) {
    if (EqualsIgnoreCase(ctx.arg(2), "reset")) {
      acl.ResetLog();
      return ctx.reply().Ok();
    }
    if (!ParseInt64(ctx.arg(2), &n)) return ctx.reply().Error(errors::kNotInteger);
  } else if (ctx.argc() > 3) {
    return ReplySubcommandSyntaxError(ctx);
  }
  const size_t count = std::min(acl.log().size(), static_cast<size_t>(std::max<int64_t>(n, 0)));
  ReplyBuilder& r = ctx.reply();
  const int64_t now = WallClockMs();
  r.ArrayLen(count);
  for (size_t i = 0; i < count; ++i) {
    const Acl::LogEntry& e = acl.log()[i];
    r.MapLen(7);
    r.Bulk("count");
    r.Integer(e.count);
    r.Bulk("reason");
    r.Bulk(e.reason);
    r.Bulk("context");
    r.Bulk(e.context);
    r.Bulk("object");
    r.Bulk(e.object);
    r.Bulk("username");
    r.Bulk(e.username);
    r.Bulk("age-seconds");
    r.Double(static_cast<double>(now - e.created_ms) / 1000.0);
    r.Bulk("client-info");
    r.Bulk(e.client_info);
  }
}

std::string AclFile(CommandContext& ctx) {
  return ServerOf(ctx).config_table().GetValue("aclfile").value_or("");
}

void CmdAclLoad(CommandContext& ctx) {
  const std::string path = AclFile(ctx);
  if (path.empty()) return ctx.reply().Error(kNoAclFile);
  const std::string errors = ServerOf(ctx).acl().LoadFromFile(path);
  if (!errors.empty()) return ctx.reply().Error(fmt::format("ERR {}", errors));
  // Redis 7.0 frees every user but "default" and disconnects their clients, even those whose
  // user came back unchanged.
  DisconnectClients(ctx, [](const Connection& c) { return c.user != "default"; });
  ctx.reply().Ok();
}

void CmdAclSave(CommandContext& ctx) {
  const std::string path = AclFile(ctx);
  if (path.empty()) return ctx.reply().Error(kNoAclFile);
  if (!ServerOf(ctx).acl().SaveToFile(path)) {
    return ctx.reply().Error(
        "ERR There was an error trying to save the ACLs. Please check the server logs for more "
        "information");
  }
  ctx.reply().Ok();
}

void CmdAclHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the "
      "command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SAVE",
      "    Save the current config to the ACL file.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply().SimpleStringArray(kLines);
}

}  // namespace

void RegisterAclFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kAdm = kAdmin | kNoScript | kLoading | kStale;
  constexpr uint32_t kPlain = kNoScript | kLoading | kStale;
  table.Add(MakeCommand("acl", -2, kSentinel, kNoKeys, nullptr, "server", 0,
                        "A container for Access List Control commands", "6.0.0"));
  auto sub = [&](CommandSpec s) { table.AddSubcommand("acl", std::move(s)); };
  sub(MakeCommand("cat", -2, kPlain, kNoKeys, CmdAclCat, "server", 0,
                  "List the ACL categories or the commands inside a category", "6.0.0"));
  sub(MakeCommand("deluser", -3, kAdm, kNoKeys, CmdAclDelUser, "server", 0,
                  "Remove the specified ACL users and the associated rules", "6.0.0"));
  sub(MakeCommand("dryrun", -4, kAdm, kNoKeys, CmdAclDryRun, "server", 0,
                  "Returns whether the user can execute the given command without executing the "
                  "command.",
                  "7.0.0"));
  sub(MakeCommand("genpass", -2, kPlain, kNoKeys, CmdAclGenPass, "server", 0,
                  "Generate a pseudorandom secure password to use for ACL users", "6.0.0"));
  sub(MakeCommand("getuser", 3, kAdm, kNoKeys, CmdAclGetUser, "server", 0,
                  "Get the rules for a specific ACL user", "6.0.0"));
  sub(MakeCommand("list", 2, kAdm, kNoKeys, CmdAclList, "server", 0,
                  "List the current ACL rules in ACL config file format", "6.0.0"));
  sub(MakeCommand("load", 2, kAdm, kNoKeys, CmdAclLoad, "server", 0,
                  "Reload the ACLs from the configured ACL file", "6.0.0"));
  sub(MakeCommand("log", -2, kAdm, kNoKeys, CmdAclLog, "server", 0,
                  "List latest events denied because of ACLs in place", "6.0.0"));
  sub(MakeCommand("save", 2, kAdm, kNoKeys, CmdAclSave, "server", 0,
                  "Save the current ACL rules in the configured ACL file", "6.0.0"));
  sub(MakeCommand("setuser", -3, kAdm, kNoKeys, CmdAclSetUser, "server", 0,
                  "Modify or create the rules for a specific ACL user", "6.0.0"));
  sub(MakeCommand("users", 2, kAdm, kNoKeys, CmdAclUsers, "server", 0,
                  "List the username of all the configured ACL rules", "6.0.0"));
  sub(MakeCommand("whoami", 2, kPlain, kNoKeys, CmdAclWhoAmI, "server", 0,
                  "Return the name of the user associated to the current connection", "6.0.0"));
  sub(MakeCommand("help", 2, kLoading | kStale, kNoKeys, CmdAclHelp, "server", 0,
                  "Show helpful text about the different subcommands", "6.0.0"));
}

}  // namespace ember
