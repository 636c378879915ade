#include "server/pubsub.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ember {
namespace {

using Deliveries = std::vector<std::pair<uint64_t, std::string>>;  // (client, pattern or "")

// Publishes and records who would receive the message.
std::pair<int64_t, Deliveries> Publish(const PubSub& ps, std::string_view channel,
                                       bool shard = false) {
  Deliveries got;
  auto deliver = [&](uint64_t client, const std::string* pattern) {
    got.emplace_back(client, pattern ? *pattern : "");
  };
  int64_t n = shard ? ps.PublishShard(channel, deliver) : ps.Publish(channel, deliver);
  return {n, got};
}

TEST(PubSubTest, SubscribeIsIdempotentAndCounted) {
  PubSub ps;
  EXPECT_FALSE(ps.IsSubscribed(1));
  EXPECT_TRUE(ps.Subscribe(PubSub::kChannel, 1, "a"));
  EXPECT_FALSE(ps.Subscribe(PubSub::kChannel, 1, "a"));
  EXPECT_TRUE(ps.Subscribe(PubSub::kPattern, 1, "a*"));
  EXPECT_TRUE(ps.Subscribe(PubSub::kShard, 1, "a"));
  EXPECT_TRUE(ps.IsSubscribed(1));
  EXPECT_EQ(ps.Count(PubSub::kChannel, 1), 1u);
  EXPECT_EQ(ps.GlobalCount(1), 2u);  // shard channels are counted apart
  EXPECT_EQ(ps.Count(PubSub::kShard, 1), 1u);
  EXPECT_EQ(ps.NumSubscribers(PubSub::kChannel, "a"), 1u);
  EXPECT_EQ(ps.NumNames(PubSub::kPattern), 1u);
}

TEST(PubSubTest, PublishReachesChannelThenPatternSubscribers) {
  PubSub ps;
  ps.Subscribe(PubSub::kChannel, 1, "news.tech");
  ps.Subscribe(PubSub::kChannel, 2, "news.tech");
  ps.Subscribe(PubSub::kPattern, 2, "news.*");
  ps.Subscribe(PubSub::kPattern, 3, "news.[st]ech");
  ps.Subscribe(PubSub::kPattern, 4, "sport.*");
  ps.Subscribe(PubSub::kShard, 5, "news.tech");  // a shard channel is another namespace
  auto [n, got] = Publish(ps, "news.tech");
  EXPECT_EQ(n, 4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], (std::pair<uint64_t, std::string>{1, ""}));
  EXPECT_EQ(got[1], (std::pair<uint64_t, std::string>{2, ""}));
  Deliveries patterns(got.begin() + 2, got.end());
  std::sort(patterns.begin(), patterns.end());
  EXPECT_EQ(patterns, (Deliveries{{2, "news.*"}, {3, "news.[st]ech"}}));
  EXPECT_EQ(Publish(ps, "nobody").first, 0);
}

TEST(PubSubTest, ShardPublishIgnoresPatternsAndChannels) {
  PubSub ps;
  ps.Subscribe(PubSub::kPattern, 1, "*");
  ps.Subscribe(PubSub::kChannel, 2, "x");
  ps.Subscribe(PubSub::kShard, 3, "x");
  auto [n, got] = Publish(ps, "x", /*shard=*/true);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(got, (Deliveries{{3, ""}}));
  EXPECT_EQ(Publish(ps, "y", true).first, 0);
}

TEST(PubSubTest, UnsubscribeForgetsEmptyNames) {
  PubSub ps;
  ps.Subscribe(PubSub::kChannel, 1, "a");
  ps.Subscribe(PubSub::kChannel, 2, "a");
  EXPECT_FALSE(ps.Unsubscribe(PubSub::kChannel, 3, "a"));
  EXPECT_FALSE(ps.Unsubscribe(PubSub::kPattern, 1, "a"));
  EXPECT_TRUE(ps.Unsubscribe(PubSub::kChannel, 1, "a"));
  EXPECT_FALSE(ps.IsSubscribed(1));
  EXPECT_EQ(ps.Names(PubSub::kChannel, std::nullopt), std::vector<std::string>{"a"});
  EXPECT_TRUE(ps.Unsubscribe(PubSub::kChannel, 2, "a"));
  EXPECT_TRUE(ps.Names(PubSub::kChannel, std::nullopt).empty());
  EXPECT_EQ(ps.NumNames(PubSub::kChannel), 0u);
  EXPECT_EQ(Publish(ps, "a").first, 0);
}

TEST(PubSubTest, SubscriptionsListedInSubscriptionOrder) {
  PubSub ps;
  for (const char* c : {"z", "a", "m", "b"}) ps.Subscribe(PubSub::kChannel, 7, c);
  ps.Unsubscribe(PubSub::kChannel, 7, "m");
  EXPECT_EQ(ps.SubscriptionsOf(PubSub::kChannel, 7), (std::vector<std::string>{"z", "a", "b"}));
  EXPECT_TRUE(ps.SubscriptionsOf(PubSub::kPattern, 7).empty());
  EXPECT_TRUE(ps.SubscriptionsOf(PubSub::kChannel, 8).empty());
}

TEST(PubSubTest, RemoveClientDropsEverything) {
  PubSub ps;
  ps.Subscribe(PubSub::kChannel, 1, "a");
  ps.Subscribe(PubSub::kPattern, 1, "p*");
  ps.Subscribe(PubSub::kShard, 1, "s");
  ps.Subscribe(PubSub::kChannel, 2, "a");
  ps.RemoveClient(1);
  ps.RemoveClient(42);  // unknown: nothing happens
  EXPECT_FALSE(ps.IsSubscribed(1));
  EXPECT_EQ(ps.NumNames(PubSub::kPattern), 0u);
  EXPECT_EQ(ps.NumNames(PubSub::kShard), 0u);
  EXPECT_EQ(ps.NumSubscribers(PubSub::kChannel, "a"), 1u);
  EXPECT_EQ(Publish(ps, "pq").first, 0);
  EXPECT_EQ(Publish(ps, "a").second, (Deliveries{{2, ""}}));
}

TEST(PubSubTest, NamesFilterWithGlob) {
  PubSub ps;
  for (const char* c : {"news.a", "news.b", "sport", "n\\*"}) ps.Subscribe(PubSub::kChannel, 1, c);
  ps.Subscribe(PubSub::kShard, 1, "news.shard");
  auto names = ps.Names(PubSub::kChannel, "news.*");
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"news.a", "news.b"}));
  EXPECT_EQ(ps.Names(PubSub::kChannel, "n\\\\\\*"), std::vector<std::string>{"n\\*"});
  EXPECT_EQ(ps.Names(PubSub::kShard, "*"), std::vector<std::string>{"news.shard"});
  EXPECT_EQ(ps.Names(PubSub::kChannel, std::nullopt).size(), 4u);
}

}  // namespace
}  // namespace ember
