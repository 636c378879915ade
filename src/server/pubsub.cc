#include "server/pubsub.h"

#include <algorithm>

#include "common/strings.h"

namespace ember {

bool PubSub::Subscribe(Kind kind, uint64_t client, std::string_view name) {
  ClientSubs& subs = clients_[client];
  if (!subs.names[kind].emplace(std::string(name), next_seq_).second) return false;
  ++next_seq_;
  auto it = names_[kind].find(name);
  if (it == names_[kind].end()) {
    it = names_[kind].emplace(std::string(name), std::vector<uint64_t>()).first;
  }
  it->second.push_back(client);
  return true;
}

bool PubSub::Unsubscribe(Kind kind, uint64_t client, std::string_view name) {
  auto cit = clients_.find(client);
  if (cit == clients_.end()) return false;
  auto& mine = cit->second.names[kind];
  auto own = mine.find(name);
  if (own == mine.end()) return false;
  mine.erase(own);
  if (cit->second.total() == 0) clients_.erase(cit);
  auto it = names_[kind].find(name);
  if (it != names_[kind].end()) {
    std::erase(it->second, client);
    // A name nobody listens to is forgotten, so creating many channels does not leak.
    if (it->second.empty()) names_[kind].erase(it);
  }
  return true;
}

void PubSub::RemoveClient(uint64_t client) {
  if (!IsSubscribed(client)) return;
  for (Kind kind : {kChannel, kPattern, kShard}) {
    for (const std::string& name : SubscriptionsOf(kind, client)) Unsubscribe(kind, client, name);
  }
}

std::vector<std::string> PubSub::SubscriptionsOf(Kind kind, uint64_t client) const {
  std::vector<std::string> out;
  auto cit = clients_.find(client);
  if (cit == clients_.end()) return out;
  std::vector<std::pair<uint64_t, const std::string*>> ordered;
  ordered.reserve(cit->second.names[kind].size());
  for (const auto& [name, seq] : cit->second.names[kind]) ordered.emplace_back(seq, &name);
  std::sort(ordered.begin(), ordered.end());
  out.reserve(ordered.size());
  for (const auto& [seq, name] : ordered) out.push_back(*name);
  return out;
}

size_t PubSub::Count(Kind kind, uint64_t client) const {
  auto cit = clients_.find(client);
  return cit == clients_.end() ? 0 : cit->second.names[kind].size();
}

int64_t PubSub::Publish(std::string_view channel, const Deliver& deliver) const {
  int64_t receivers = 0;
  if (auto it = names_[kChannel].find(channel); it != names_[kChannel].end()) {
    for (uint64_t client : it->second) deliver(client, nullptr);
    receivers += static_cast<int64_t>(it->second.size());
  }
  for (const auto& [pattern, clients] : names_[kPattern]) {
    if (!GlobMatch(pattern, channel)) continue;
    for (uint64_t client : clients) deliver(client, &pattern);
    receivers += static_cast<int64_t>(clients.size());
  }
  return receivers;
}

int64_t PubSub::PublishShard(std::string_view channel, const Deliver& deliver) const {
  auto it = names_[kShard].find(channel);
  if (it == names_[kShard].end()) return 0;
  for (uint64_t client : it->second) deliver(client, nullptr);
  return static_cast<int64_t>(it->second.size());
}

std::vector<std::string> PubSub::Names(Kind kind, std::optional<std::string_view> pattern) const {
  std::vector<std::string> out;
  for (const auto& [name, clients] : names_[kind]) {
    if (!pattern || GlobMatch(*pattern, name)) out.push_back(name);
  }
  return out;
}

size_t PubSub::NumSubscribers(Kind kind, std::string_view name) const {
  auto it = names_[kind].find(name);
  return it == names_[kind].end() ? 0 : it->second.size();
}

}  // namespace ember
