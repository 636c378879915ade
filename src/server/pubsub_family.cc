// Pub/Sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB, and the
// sharded SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH (cluster disabled: as a non-cluster Redis 7.0).
// Also Server::Publish / PublishShard, which deliver to the subscribers' connections: messages
// are RESP3 pushes or RESP2 arrays by each subscriber's protocol.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "common/strings.h"
#include "server/pubsub.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

namespace {

using Kind = PubSub::Kind;

// What a RESP2 subscriber may run: the (un)subscribe commands, PING, QUIT and RESET (filled at
// registration, before rename-command applies).
std::vector<CommandHandler> g_allowed_while_subscribed;

// The count a (un)subscribe confirmation carries: shard channels are counted apart.
size_t CountFor(const PubSub& ps, Kind kind, uint64_t client) {
  return kind == PubSub::kShard ? ps.Count(PubSub::kShard, client) : ps.GlobalCount(client);
}

std::string_view SubscribeWord(Kind kind) {
  static constexpr std::string_view kWords[] = {"subscribe", "psubscribe", "ssubscribe"};
  return kWords[kind];
}
std::string_view UnsubscribeWord(Kind kind) {
  static constexpr std::string_view kWords[] = {"unsubscribe", "punsubscribe", "sunsubscribe"};
  return kWords[kind];
}

// [word, name (null when none), count]
void ReplyConfirmation(CommandContext& ctx, std::string_view word, const std::string_view* name,
                       int64_t count) {
  ReplyBuilder& r = ctx.reply();
  r.PushLen(3);
  r.Bulk(word);
  if (name) {
    r.Bulk(*name);
  } else {
    r.Null();
  }
  r.Integer(count);
}

void SubscribeGeneric(CommandContext& ctx, Kind kind) {
  PubSub& ps = ServerOf(ctx).pubsub();
  const uint64_t id = ctx.client().id;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    const std::string_view name = ctx.arg(i);
    ps.Subscribe(kind, id, name);
    ReplyConfirmation(ctx, SubscribeWord(kind), &name,
                      static_cast<int64_t>(CountFor(ps, kind, id)));
  }
}

void UnsubscribeGeneric(CommandContext& ctx, Kind kind) {
  PubSub& ps = ServerOf(ctx).pubsub();
  const uint64_t id = ctx.client().id;
  auto one = [&](std::string_view name) {
    ps.Unsubscribe(kind, id, name);
    ReplyConfirmation(ctx, UnsubscribeWord(kind), &name,
                      static_cast<int64_t>(CountFor(ps, kind, id)));
  };
  if (ctx.argc() > 1) {
    for (size_t i = 1; i < ctx.argc(); ++i) one(ctx.arg(i));
    return;
  }
  // Without arguments: every subscription of this kind, or one reply with a null name when
  // there is none.
  const std::vector<std::string> all = ps.SubscriptionsOf(kind, id);
  for (const std::string& name : all) one(name);
  if (all.empty()) {
    ReplyConfirmation(ctx, UnsubscribeWord(kind), nullptr,
                      static_cast<int64_t>(CountFor(ps, kind, id)));
  }
}

void CmdSubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, PubSub::kChannel); }
void CmdPSubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, PubSub::kPattern); }
void CmdSSubscribe(CommandContext& ctx) {
  // Where a client expects one reply per command (MULTI, scripts: where it may not block),
  // Redis refuses SSUBSCRIBE; SUBSCRIBE and PSUBSCRIBE stay allowed in MULTI for compatibility.
  if (!ctx.may_block()) {
    return ctx.reply().Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
  }
  SubscribeGeneric(ctx, PubSub::kShard);
}
void CmdUnsubscribe(CommandContext& ctx) { UnsubscribeGeneric(ctx, PubSub::kChannel); }
void CmdPUnsubscribe(CommandContext& ctx) { UnsubscribeGeneric(ctx, PubSub::kPattern); }
void CmdSUnsubscribe(CommandContext& ctx) { UnsubscribeGeneric(ctx, PubSub::kShard); }

void CmdPublish(CommandContext& ctx) {
  const int64_t receivers = ServerOf(ctx).Publish(ctx.arg(1), ctx.arg(2));
  // Replicas deliver it to their own subscribers: always propagated to them, never to the AOF,
  // as Redis's forceCommandPropagation(PROPAGATE_REPL) (it changes no data).
  ctx.Propagate({"PUBLISH", std::string(ctx.arg(1)), std::string(ctx.arg(2))});
  ctx.PropagateToReplicasOnly();
  ctx.reply().Integer(receivers);
}

void CmdSPublish(CommandContext& ctx) {
  const int64_t receivers = ServerOf(ctx).PublishShard(ctx.arg(1), ctx.arg(2));
  ctx.Propagate({"SPUBLISH", std::string(ctx.arg(1)), std::string(ctx.arg(2))});
  ctx.PropagateToReplicasOnly();
  ctx.reply().Integer(receivers);
}

void ReplyNames(CommandContext& ctx, Kind kind) {
  if (ctx.argc() > 3) {
    return ReplySubcommandSyntaxError(ctx);
  }
  std::optional<std::string_view> pattern;
  if (ctx.argc() == 3) pattern = ctx.arg(2);
  const std::vector<std::string> names = ServerOf(ctx).pubsub().Names(kind, pattern);
  ctx.reply().ArrayLen(names.size());
  for (const std::string& n : names) ctx.reply().Bulk(n);
}

void ReplyNumSub(CommandContext& ctx, Kind kind) {
  const PubSub& ps = ServerOf(ctx).pubsub();
  // A flat array even in RESP3, as Redis 7.0.
  ctx.reply().ArrayLen((ctx.argc() - 2) * 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply().Bulk(ctx.arg(i));
    ctx.reply().Integer(static_cast<int64_t>(ps.NumSubscribers(kind, ctx.arg(i))));
  }
}

void CmdPubsubChannels(CommandContext& ctx) { ReplyNames(ctx, PubSub::kChannel); }
void CmdPubsubShardChannels(CommandContext& ctx) { ReplyNames(ctx, PubSub::kShard); }
void CmdPubsubNumSub(CommandContext& ctx) { ReplyNumSub(ctx, PubSub::kChannel); }
void CmdPubsubShardNumSub(CommandContext& ctx) { ReplyNumSub(ctx, PubSub::kShard); }
void CmdPubsubNumPat(CommandContext& ctx) {
  ctx.reply().Integer(static_cast<int64_t>(ServerOf(ctx).pubsub().NumNames(PubSub::kPattern)));
}

void CmdPubsubHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply().SimpleStringArray(kLines);
}

}  // namespace

int64_t Server::Publish(std::string_view channel, std::string_view message) {
  return pubsub_.Publish(channel, [&](uint64_t id, const std::string* pattern) {
    Connection* conn = FindClient(id);
    if (!conn) return;
    conn->Push([&](ReplyBuilder& r) {
      if (pattern) {
        r.PushLen(4);
        r.Bulk("pmessage");
        r.Bulk(*pattern);
      } else {
        r.PushLen(3);
        r.Bulk("message");
      }
      r.Bulk(channel);
      r.Bulk(message);
    });
  });
}

int64_t Server::PublishShard(std::string_view channel, std::string_view message) {
  return pubsub_.PublishShard(channel, [&](uint64_t id, const std::string*) {
    Connection* conn = FindClient(id);
    if (!conn) return;
    conn->Push([&](ReplyBuilder& r) {
      r.PushLen(3);
      r.Bulk("smessage");
      r.Bulk(channel);
      r.Bulk(message);
    });
  });
}

std::optional<std::string> Server::PubSubContextError(const Connection& conn,
                                                      const CommandSpec& spec) const {
  // RESP3 clients may run anything while subscribed; RESP2 ones only what keeps the
  // subscription stream parseable. Compared by handler, as Redis compares procs, so a renamed
  // command keeps its rights.
  if (conn.resp != 2 || !pubsub_.IsSubscribed(conn.id)) return std::nullopt;
  if (std::find(g_allowed_while_subscribed.begin(), g_allowed_while_subscribed.end(),
                spec.handler) != g_allowed_while_subscribed.end()) {
    return std::nullopt;
  }
  return fmt::format(
      "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
      "allowed in this context",
      spec.full_name());
}

void RegisterPubSubFamily(CommandTable& table) {
  using namespace cmd_flags;
  constexpr uint32_t kSub = kPubSub | kNoScript | kLoading | kStale;
  constexpr uint32_t kPub = kPubSub | kLoading | kStale | kFast | kMayReplicate;
  constexpr uint32_t kIntro = kPubSub | kLoading | kStale;
  table.Add(MakeCommand("subscribe", -2, kSub, kNoKeys, CmdSubscribe, "pubsub", 0,
                        "Listens for messages published to channels.", "2.0.0"));
  table.Add(MakeCommand("unsubscribe", -1, kSub, kNoKeys, CmdUnsubscribe, "pubsub", 0,
                        "Stops listening to messages posted to channels.", "2.0.0"));
  table.Add(MakeCommand("psubscribe", -2, kSub, kNoKeys, CmdPSubscribe, "pubsub", 0,
                        "Listens for messages published to channels that match one or more "
                        "patterns.",
                        "2.0.0"));
  table.Add(MakeCommand("punsubscribe", -1, kSub, kNoKeys, CmdPUnsubscribe, "pubsub", 0,
                        "Stops listening to messages published to channels that match one or "
                        "more patterns.",
                        "2.0.0"));
  table.Add(MakeCommand("publish", 3, kPub, kNoKeys, CmdPublish, "pubsub", 0,
                        "Posts a message to a channel.", "2.0.0"));
  table.Add(MakeCommand("ssubscribe", -2, kSub, {1, -1, 1}, CmdSSubscribe, "pubsub", 0,
                        "Listens for messages published to shard channels.", "7.0.0"));
  table.Add(MakeCommand("sunsubscribe", -1, kSub, {1, -1, 1}, CmdSUnsubscribe, "pubsub", 0,
                        "Stops listening to messages posted to shard channels.", "7.0.0"));
  table.Add(MakeCommand("spublish", 3, kPub, {1, 1, 1}, CmdSPublish, "pubsub", 0,
                        "Post a message to a shard channel", "7.0.0"));

  table.Add(MakeCommand("pubsub", -2, 0, kNoKeys, nullptr, "pubsub", 0,
                        "A container for Pub/Sub commands.", "2.8.0"));
  auto sub = [&](CommandSpec s) { table.AddSubcommand("pubsub", std::move(s)); };
  sub(MakeCommand("channels", -2, kIntro, kNoKeys, CmdPubsubChannels, "pubsub", 0,
                  "Returns the active channels.", "2.8.0"));
  sub(MakeCommand("numpat", 2, kIntro, kNoKeys, CmdPubsubNumPat, "pubsub", 0,
                  "Returns a count of unique pattern subscriptions.", "2.8.0"));
  sub(MakeCommand("numsub", -2, kIntro, kNoKeys, CmdPubsubNumSub, "pubsub", 0,
                  "Returns a count of subscribers to channels.", "2.8.0"));
  sub(MakeCommand("shardchannels", -2, kIntro, kNoKeys, CmdPubsubShardChannels, "pubsub", 0,
                  "Returns the active shard channels.", "7.0.0"));
  sub(MakeCommand("shardnumsub", -2, kIntro, kNoKeys, CmdPubsubShardNumSub, "pubsub", 0,
                  "Returns the count of subscribers of shard channels.", "7.0.0"));
  sub(MakeCommand("help", 2, kLoading | kStale, kNoKeys, CmdPubsubHelp, "pubsub", 0,
                  "Returns helpful text about the different subcommands.", "6.2.0"));

  g_allowed_while_subscribed = {CmdSubscribe,   CmdPSubscribe,   CmdSSubscribe,
                                CmdUnsubscribe, CmdPUnsubscribe, CmdSUnsubscribe};
  for (std::string_view name : {"ping", "quit", "reset"}) {
    if (const CommandSpec* spec = table.Find(name)) {
      g_allowed_while_subscribed.push_back(spec->handler);
    }
  }
}

}  // namespace ember
