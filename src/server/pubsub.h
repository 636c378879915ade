// PubSub: who listens to what. Channel -> subscribers, pattern -> subscribers and shard channel ->
// subscribers, plus each client's own subscriptions, keyed by client id. It knows nothing of
// sockets or replies: the server asks it for the receivers of a message and writes to them
// (pubsub_family.cc), so the bookkeeping is unit-testable on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/strings.h"

namespace ember {

class PubSub {
 public:
  // The three namespaces Redis 7.0 keeps apart: SUBSCRIBE channels, PSUBSCRIBE patterns and
  // SSUBSCRIBE shard channels (a shard channel "x" and a channel "x" are different things).
  enum Kind { kChannel = 0, kPattern = 1, kShard = 2 };

  // Adds `client` to `name`; false if it already was subscribed (nothing changes).
  bool Subscribe(Kind kind, uint64_t client, std::string_view name);
  // Removes `client` from `name`; false if it was not subscribed.
  bool Unsubscribe(Kind kind, uint64_t client, std::string_view name);
  // Drops every subscription of `client` (disconnect, RESET).
  void RemoveClient(uint64_t client);

  // The client's subscriptions of a kind, in the order it made them.
  std::vector<std::string> SubscriptionsOf(Kind kind, uint64_t client) const;
  size_t Count(Kind kind, uint64_t client) const;
  // The count Redis replies to (P)(UN)SUBSCRIBE: channels + patterns; shard channels apart.
  size_t GlobalCount(uint64_t client) const {
    return Count(kChannel, client) + Count(kPattern, client);
  }
  // Redis's CLIENT_PUBSUB flag: subscribed to anything of any kind.
  bool IsSubscribed(uint64_t client) const {
    return !clients_.empty() && clients_.find(client) != clients_.end();
  }

  // Calls `deliver(client, pattern)` for each receiver of a message on `channel` (pattern is
  // null for a channel subscriber): channel subscribers first, then the subscribers of every
  // matching pattern. Returns the number of deliveries (Redis's PUBLISH reply).
  using Deliver = std::function<void(uint64_t client, const std::string* pattern)>;
  int64_t Publish(std::string_view channel, const Deliver& deliver) const;
  // SPUBLISH: shard channel subscribers only (shard Pub/Sub ignores patterns).
  int64_t PublishShard(std::string_view channel, const Deliver& deliver) const;

  // PUBSUB CHANNELS / SHARDCHANNELS: names with at least one subscriber, matching `pattern`.
  std::vector<std::string> Names(Kind kind, std::optional<std::string_view> pattern) const;
  // PUBSUB NUMSUB / SHARDNUMSUB: subscribers of one channel (patterns not counted).
  size_t NumSubscribers(Kind kind, std::string_view name) const;
  // INFO pubsub_channels / pubsub_patterns / pubsubshard_channels, PUBSUB NUMPAT: distinct names.
  size_t NumNames(Kind kind) const { return names_[kind].size(); }

 private:
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringViewHash, std::equal_to<>>;

  struct ClientSubs {
    // name -> sequence number, to list them in subscription order.
    StringMap<uint64_t> names[3];
    size_t total() const { return names[0].size() + names[1].size() + names[2].size(); }
  };

  // name -> subscribers, in subscription order (delivery order).
  StringMap<std::vector<uint64_t>> names_[3];
  std::unordered_map<uint64_t, ClientSubs> clients_;
  uint64_t next_seq_ = 0;
};

}  // namespace ember
