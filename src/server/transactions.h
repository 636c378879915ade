// Transactions: what a client queued between MULTI and EXEC, and which clients WATCH which keys.
//
// A watched key is "touched" by every change to it — a write command, expiry, eviction, FLUSHDB,
// FLUSHALL, SWAPDB, or a write applied from our master — and a client that watched a touched key
// gets a null reply from EXEC (Redis's CLIENT_DIRTY_CAS).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ember {

struct CommandSpec;

// One client's open transaction.
struct MultiState {
  // A queued command, resolved when it was queued (specs live as long as the command table).
  struct Queued {
    const CommandSpec* spec;
    std::vector<std::string> argv;
  };
  std::vector<Queued> commands;
  // The union of the queued commands' flags: EXEC is refused like a write (read-only replica,
  // MISCONF, deny-oom) when it holds one.
  uint32_t flags = 0;
  // An error while queueing (unknown command, wrong arity, ACL, OOM, ...): EXEC aborts.
  bool exec_abort = false;
  size_t bytes = 0;  // argv bytes queued (CLIENT LIST multi-mem)

  void Queue(const CommandSpec* spec, std::vector<std::string> argv, uint32_t command_flags) {
    for (const auto& a : argv) bytes += a.size();
    flags |= command_flags;
    commands.push_back({spec, std::move(argv)});
  }
};

class WatchedKeys {
 public:
  // `expired` says whether the key was logically expired when watched: its later deletion by
  // expiry is then no change (Redis 7.0's watchedKey.expired).
  void Watch(uint64_t client, int db, std::string_view key, bool expired);
  void UnwatchAll(uint64_t client);

  // A change to `key`; `exists` tells whether the key is present now (after the change).
  void Touch(int db, std::string_view key, bool exists);
  // FLUSHDB / FLUSHALL / SWAPDB: touches each key watched in `db` for which `existed` holds.
  void TouchDb(int db, const std::function<bool(std::string_view key)>& existed);

  // The whole data set was replaced (a full sync, DEBUG RELOAD): every watcher's EXEC fails.
  void TouchAll() {
    for (auto& [client, watches] : by_client_) watches.dirty = true;
  }

  bool empty() const { return by_key_.empty(); }
  bool dirty(uint64_t client) const;
  size_t watched_by(uint64_t client) const;
  // Whether any key the client watched while it existed has logically expired since (EXEC
  // treats that as a change even if nothing deleted it yet).
  bool AnyExpiredSince(uint64_t client,
                       const std::function<bool(int db, std::string_view key)>& expired_now) const;

 private:
  struct KeyRef {
    int db;
    std::string key;
    bool operator==(const KeyRef&) const = default;
  };
  struct KeyRefHash {
    size_t operator()(const KeyRef& k) const {
      return std::hash<std::string>{}(k.key) * 31 + static_cast<size_t>(k.db);
    }
  };
  struct WatchedKey {
    KeyRef ref;
    bool expired;
  };
  struct ClientWatches {
    std::vector<WatchedKey> keys;
    bool dirty = false;
  };
  void TouchWatchers(const KeyRef& ref, bool exists);

  std::unordered_map<uint64_t, ClientWatches> by_client_;
  std::unordered_map<KeyRef, std::vector<uint64_t>, KeyRefHash> by_key_;
};

}  // namespace ember
