// BlockedClients: the clients parked by a blocking command (BLPOP, BLMOVE, BZPOPMIN, ...), as
// Redis's blocking_keys / ready_keys / timeout table.
//
// A client waits on one or more keys, in FIFO order per key. When a list or sorted set key is
// added (Database's key-added listener) and someone waits on it, the key is marked ready; after
// the command that added it, the server re-runs each waiting client's command in order until the
// key is gone or the clients are served. Deadlines are wall-clock milliseconds (0: none).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "db/value.h"

namespace ember {

class BlockedClients {
 public:
  struct Entry {
    int db = 0;
    std::vector<std::string> argv;  // the command to re-run
    std::vector<std::string> keys;
    int64_t deadline_ms = 0;
    ValueType wanted = ValueType::kList;
  };

  size_t size() const { return by_client_.size(); }
  bool empty() const { return by_client_.empty(); }
  size_t with_timeout() const { return deadlines_.size(); }
  const Entry* Find(uint64_t client_id) const;

  // REQUIRES: the client is not blocked.
  void Add(uint64_t client_id, Entry entry);
  // Forgets a client (served, timed out, unblocked or disconnected). False if it was not blocked.
  bool Remove(uint64_t client_id);

  // A list or sorted set key was added to database `db`.
  void SignalKeyAdded(int db, std::string_view key);
  // SWAPDB: every key waited on in either database may now exist.
  void SignalDbsSwapped(int a, int b);
  bool has_ready() const { return !ready_.empty(); }
  // The keys marked ready since the last call, in the order they became ready.
  std::vector<std::pair<int, std::string>> TakeReady();
  // The clients waiting on a key, first blocked first.
  std::vector<uint64_t> WaitingOn(int db, std::string_view key) const;

  // Clients whose deadline is at or before `now_ms`.
  std::vector<uint64_t> TimedOut(int64_t now_ms) const;
  // The earliest deadline, 0 when none.
  int64_t NextDeadline() const { return deadlines_.empty() ? 0 : deadlines_.begin()->first; }

 private:
  static std::string SlotKey(int db, std::string_view key);

  std::unordered_map<uint64_t, Entry> by_client_;
  // "<db>:<key>" -> clients in the order they blocked.
  std::unordered_map<std::string, std::deque<uint64_t>> by_key_;
  std::vector<std::pair<int, std::string>> ready_;
  std::unordered_set<std::string> ready_set_;
  std::set<std::pair<int64_t, uint64_t>> deadlines_;
};

}  // namespace ember
