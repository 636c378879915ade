// Server-assisted client-side caching (CLIENT TRACKING), as Redis 7.0's tracking.c.
//
// Default mode: the keys a tracking client reads are remembered (key name -> client ids, across
// databases as in Redis); the first change to such a key sends each of those clients one
// invalidation and forgets the key. BCAST mode: clients subscribe to key prefixes and get, once
// per event-loop iteration, every changed key under them. Invalidations go to the client itself
// as RESP3 `invalidate` pushes, or to its REDIRECT client (a RESP2 one in Pub/Sub mode gets
// them as messages on __redis__:invalidate).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/strings.h"

namespace ember {

class Server;
class Connection;

struct TrackingOptions {
  uint64_t redirect = 0;  // 0: to the client itself
  bool bcast = false;
  bool optin = false;
  bool optout = false;
  bool noloop = false;
  std::vector<std::string> prefixes;
};

class ClientTracking {
 public:
  explicit ClientTracking(Server& server) : server_(server) {}

  // CLIENT TRACKING ON: validates against the client's current state, replying Redis's error
  // text through `err` when refused.
  bool Enable(uint64_t client, const TrackingOptions& options, std::string* err);
  void Disable(uint64_t client);  // CLIENT TRACKING OFF, RESET, disconnect
  bool enabled(uint64_t client) const { return clients_.count(client) > 0; }
  size_t clients() const { return clients_.size(); }

  // CLIENT CACHING yes|no: applies to the client's next command (kept across CLIENT commands
  // and a transaction), errors as Redis.
  bool SetCaching(uint64_t client, std::string_view value, std::string* err);
  void ClearCaching(uint64_t client);

  // After a read-only command of a tracking client: remember its keys (unless BCAST, or OPTIN
  // without CACHING yes, or OPTOUT with CACHING no).
  void RememberKeys(uint64_t client, const std::vector<std::string_view>& keys);
  // A key changed (by `origin`, 0 when the server changed it: expiry, eviction).
  void InvalidateKey(std::string_view key, uint64_t origin);
  // FLUSHDB/FLUSHALL/a new data set: every tracking client gets a null invalidation.
  void InvalidateAll();

  // Invalidations for the client whose command is running are held until its reply is out.
  void BeginCommand(uint64_t client) { current_client_ = client; }
  void EndCommand() {
    const uint64_t client = current_client_;
    current_client_ = 0;
    if (!pending_.empty()) SendPending(client);
  }
  // Once per event-loop iteration: the BCAST invalidations gathered meanwhile.
  void BroadcastPending();
  // tracking-table-max-keys: forgets (invalidating) keys beyond the limit.
  void EnforceMaxKeys(size_t max_keys);

  // CLIENT GETREDIR / TRACKINGINFO / LIST.
  int64_t redirect_of(uint64_t client) const;
  std::vector<std::string_view> FlagsOf(uint64_t client) const;
  std::vector<std::string> PrefixesOf(uint64_t client) const;
  bool bcast(uint64_t client) const;
  bool broken_redirect(uint64_t client) const;

  // INFO stats.
  size_t total_keys() const { return keys_.size(); }
  size_t total_items() const { return total_items_; }
  size_t total_prefixes() const { return prefixes_.size(); }

 private:
  // The invalidations of keys a client changed itself (EndCommand), sent after its reply.
  void SendPending(uint64_t client);
  struct TrackedClient {
    TrackingOptions options;
    // CLIENT CACHING was given (yes in OPTIN mode, no in OPTOUT mode): one flag, as Redis's
    // CLIENT_TRACKING_CACHING, which also survives a change of mode.
    bool caching = false;
    bool broken_redirect = false;
  };
  struct Prefix {
    std::set<uint64_t> clients;
    // Keys changed under the prefix since the last broadcast, with who changed them (NOLOOP).
    std::map<std::string, uint64_t> changed;
  };
  // Sends one invalidation (keys, or null for a flush) to `client` or its redirect target.
  void Send(uint64_t client, const std::vector<std::string_view>* keys);
  static bool Overlap(std::string_view a, std::string_view b);

  Server& server_;
  std::unordered_map<uint64_t, TrackedClient> clients_;
  std::unordered_map<std::string, std::unordered_set<uint64_t>, StringViewHash, std::equal_to<>>
      keys_;
  size_t total_items_ = 0;
  std::map<std::string, Prefix, std::less<>> prefixes_;
  uint64_t current_client_ = 0;
  // Held for the current client: keys (nullopt: a flush).
  std::vector<std::optional<std::string>> pending_;
};

}  // namespace ember
