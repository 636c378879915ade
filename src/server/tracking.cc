#include "server/tracking.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/strings.h"
#include "server/server.h"

namespace ember {

namespace {
constexpr std::string_view kInvalidateChannel = "__redis__:invalidate";
}  // namespace

bool ClientTracking::Overlap(std::string_view a, std::string_view b) {
  return a.size() <= b.size() ? b.starts_with(a) : a.starts_with(b);
}

bool ClientTracking::Enable(uint64_t client, const TrackingOptions& o, std::string* err) {
  if (!o.bcast && !o.prefixes.empty()) {
    *err = "ERR PREFIX option requires BCAST mode to be enabled";
    return false;
  }
  auto it = clients_.find(client);
  if (it != clients_.end() && it->second.options.bcast != o.bcast) {
    *err =
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
        "then re-enabling it with a different mode.";
    return false;
  }
  if (o.bcast && (o.optin || o.optout)) {
    *err = "ERR OPTIN and OPTOUT are not compatible with BCAST";
    return false;
  }
  if (o.optin && o.optout) {
    *err = "ERR You can't specify both OPTIN mode and OPTOUT mode";
    return false;
  }
  if (it != clients_.end() && ((o.optin && it->second.options.optout) ||
                               (o.optout && it->second.options.optin))) {
    *err =
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
        "then re-enabling it with a different mode.";
    return false;
  }
  if (o.bcast) {
    for (size_t i = 0; i < o.prefixes.size(); ++i) {
      if (it != clients_.end()) {
        for (const std::string& have : it->second.options.prefixes) {
          if (Overlap(have, o.prefixes[i])) {
            *err = fmt::format(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single "
                "client must not overlap.",
                o.prefixes[i], have);
            return false;
          }
        }
      }
      for (size_t j = i + 1; j < o.prefixes.size(); ++j) {
        if (Overlap(o.prefixes[i], o.prefixes[j])) {
          *err = fmt::format(
              "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single "
              "client must not overlap.",
              o.prefixes[i], o.prefixes[j]);
          return false;
        }
      }
    }
  }
  TrackedClient& t = clients_[client];
  std::vector<std::string> prefixes = std::move(t.options.prefixes);
  t.options = o;
  t.broken_redirect = false;
  if (o.bcast) {
    // BCAST without PREFIX follows every key (the empty prefix); prefixes accumulate.
    std::vector<std::string> added = o.prefixes.empty() ? std::vector<std::string>{""}
                                                          : o.prefixes;
    for (std::string& p : added) {
      prefixes_[p].clients.insert(client);
      prefixes.push_back(std::move(p));
    }
    t.options.prefixes = std::move(prefixes);
  }
  return true;
}

void ClientTracking::Disable(uint64_t client) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  for (const std::string& p : it->second.options.prefixes) {
    auto pit = prefixes_.find(p);
    if (pit == prefixes_.end()) continue;
    pit->second.clients.erase(client);
    if (pit->second.clients.empty()) prefixes_.erase(pit);
  }
  // Its remembered keys are dropped lazily, when they are next invalidated (as Redis).
  clients_.erase(it);
}

bool ClientTracking::SetCaching(uint64_t client, std::string_view value, std::string* err) {
  auto it = clients_.find(client);
  if (it == clients_.end()) {
    *err =
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled";
    return false;
  }
  const TrackingOptions& o = it->second.options;
  if (EqualsIgnoreCase(value, "yes")) {
    if (!o.optin) {
      *err = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.";
      return false;
    }
  } else if (EqualsIgnoreCase(value, "no")) {
    if (!o.optout) {
      *err = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.";
      return false;
    }
  } else {
    *err = "ERR syntax error";
    return false;
  }
  it->second.caching = true;
  return true;
}

void ClientTracking::ClearCaching(uint64_t client) {
  auto it = clients_.find(client);
  if (it != clients_.end()) it->second.caching = false;
}

void ClientTracking::RememberKeys(uint64_t client, const std::vector<std::string_view>& keys) {
  auto it = clients_.find(client);
  if (it == clients_.end() || it->second.options.bcast) return;
  const TrackedClient& t = it->second;
  if ((t.options.optin && !t.caching) || (t.options.optout && t.caching)) {
    return;
  }
  for (std::string_view key : keys) {
    auto [kit, created] = keys_.try_emplace(std::string(key));
    if (kit->second.insert(client).second) ++total_items_;
  }
}

void ClientTracking::InvalidateKey(std::string_view key, uint64_t origin) {
  for (auto& [prefix, state] : prefixes_) {
    if (key.starts_with(prefix)) state.changed[std::string(key)] = origin;
  }
  auto kit = keys_.find(key);
  if (kit == keys_.end()) return;
  const std::unordered_set<uint64_t> ids = std::move(kit->second);
  keys_.erase(kit);
  total_items_ -= ids.size();
  const std::vector<std::string_view> one{key};
  for (uint64_t id : ids) {
    auto it = clients_.find(id);
    // Clients that stopped tracking, or switched to BCAST, get nothing.
    if (it == clients_.end() || it->second.options.bcast) continue;
    if (it->second.options.noloop && id == origin) continue;
    if (id == current_client_) {
      pending_.emplace_back(std::string(key));
    } else {
      Send(id, &one);
    }
  }
}

void ClientTracking::InvalidateAll() {
  for (const auto& [id, t] : clients_) {
    if (id == current_client_) {
      pending_.emplace_back(std::nullopt);
    } else {
      Send(id, nullptr);
    }
  }
  keys_.clear();
  total_items_ = 0;
}

void ClientTracking::SendPending(uint64_t client) {
  std::vector<std::optional<std::string>> pending = std::move(pending_);
  pending_.clear();
  for (const auto& key : pending) {
    if (!clients_.count(client)) break;
    if (key) {
      const std::vector<std::string_view> one{*key};
      Send(client, &one);
    } else {
      Send(client, nullptr);
    }
  }
}

void ClientTracking::BroadcastPending() {
  for (auto& [prefix, state] : prefixes_) {
    if (state.changed.empty()) continue;
    for (uint64_t id : state.clients) {
      auto it = clients_.find(id);
      if (it == clients_.end()) continue;
      std::vector<std::string_view> keys;
      for (const auto& [key, origin] : state.changed) {
        if (!(it->second.options.noloop && origin == id)) keys.push_back(key);
      }
      if (!keys.empty()) Send(id, &keys);
    }
    state.changed.clear();
  }
}

void ClientTracking::EnforceMaxKeys(size_t max_keys) {
  if (max_keys == 0) return;
  while (keys_.size() > max_keys) {
    const std::string key = keys_.begin()->first;
    InvalidateKey(key, 0);
  }
}

void ClientTracking::Send(uint64_t client, const std::vector<std::string_view>* keys) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  Connection* tracker = server_.FindClient(client);
  if (!tracker) return;
  Connection* target = tracker;
  const uint64_t redirect = it->second.options.redirect;
  if (redirect != 0) {
    target = server_.FindClient(redirect);
    if (!target) {
      // The redirect client is gone: the tracking client is told (RESP3 only).
      it->second.broken_redirect = true;
      if (tracker->resp == 3) {
        tracker->Push([&](ReplyBuilder& r) {
          r.PushLen(2);
          r.Bulk("tracking-redir-broken");
          r.Integer(static_cast<int64_t>(redirect));
        });
      }
      return;
    }
  }
  const bool resp3 = target->resp == 3;
  // RESP2 has no pushes: only a redirect target in Pub/Sub mode can receive invalidations.
  if (!resp3 && (redirect == 0 || !server_.pubsub().IsSubscribed(target->id))) return;
  target->Push([&](ReplyBuilder& r) {
    if (resp3) {
      r.PushLen(2);
      r.Bulk("invalidate");
    } else {
      r.ArrayLen(3);
      r.Bulk("message");
      r.Bulk(kInvalidateChannel);
    }
    if (keys == nullptr) {
      // A flush: null in the tracking client's protocol, as Redis.
      r.Raw(tracker->resp == 3 ? "_\r\n" : "$-1\r\n");
      return;
    }
    r.ArrayLen(keys->size());
    for (std::string_view k : *keys) r.Bulk(k);
  });
}

int64_t ClientTracking::redirect_of(uint64_t client) const {
  auto it = clients_.find(client);
  return it == clients_.end() ? -1 : static_cast<int64_t>(it->second.options.redirect);
}

std::vector<std::string_view> ClientTracking::FlagsOf(uint64_t client) const {
  auto it = clients_.find(client);
  if (it == clients_.end()) return {"off"};
  const TrackedClient& t = it->second;
  std::vector<std::string_view> flags{"on"};
  if (t.options.bcast) flags.push_back("bcast");
  if (t.options.optin) {
    flags.push_back("optin");
    if (t.caching) flags.push_back("caching-yes");
  }
  if (t.options.optout) {
    flags.push_back("optout");
    if (t.caching) flags.push_back("caching-no");
  }
  if (t.options.noloop) flags.push_back("noloop");
  if (t.broken_redirect) flags.push_back("broken_redirect");
  return flags;
}

std::vector<std::string> ClientTracking::PrefixesOf(uint64_t client) const {
  auto it = clients_.find(client);
  if (it == clients_.end()) return {};
  std::vector<std::string> prefixes = it->second.options.prefixes;
  std::sort(prefixes.begin(), prefixes.end());
  return prefixes;
}

bool ClientTracking::bcast(uint64_t client) const {
  auto it = clients_.find(client);
  return it != clients_.end() && it->second.options.bcast;
}

bool ClientTracking::broken_redirect(uint64_t client) const {
  auto it = clients_.find(client);
  return it != clients_.end() && it->second.broken_redirect;
}

}  // namespace ember
