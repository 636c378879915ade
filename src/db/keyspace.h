// Keyspace: the numbered databases of one server and the counters shared by every command that
// reads or writes them (dirty, hits/misses, expired keys).
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "db/database.h"

namespace ember {

struct KeyspaceStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t expired_keys = 0;
  uint64_t expired_stale_perc_x100 = 0;
  uint64_t expired_time_cap_reached_count = 0;
  uint64_t expire_cycle_cpu_milliseconds = 0;
};

class Keyspace {
 public:
  explicit Keyspace(int num_dbs);

  int num_dbs() const { return static_cast<int>(dbs_.size()); }
  Database& db(int i) { return dbs_[static_cast<size_t>(i)]; }
  // Swaps the contents of two databases (SWAPDB); clients stay on their index.
  void Swap(int a, int b);
  // Swaps every database's contents with `other`'s (a replica installing a loaded snapshot).
  // REQUIRES: the same number of databases.
  void SwapContents(Keyspace& other);
  // Empties every database; with `lazy` their contents are freed in the background.
  void FlushAll(bool lazy = false);
  size_t TotalKeys() const;

  // Every database reports expired keys here.
  void set_expiry_listener(Database::ExpiryListener listener);
  // Every database reports added list and sorted set keys here (blocked clients).
  void set_key_added_listener(Database::KeyAddedListener listener);
  // Every database reports created keys here (keyspace notification "new"); an empty listener
  // turns the reports off.
  void set_new_key_listener(Database::NewKeyListener listener) {
    new_key_listener_ = std::move(listener);
  }
  // Every database reports keys given a TTL here; an empty listener turns the reports off.
  void set_expire_set_listener(Database::ExpireSetListener listener) {
    expire_set_listener_ = std::move(listener);
  }
  // Called after SWAPDB a b: keys clients block on may have appeared in either database.
  void set_swap_listener(std::function<void(int a, int b)> listener) {
    swap_listener_ = std::move(listener);
  }

  KeyspaceStats& stats() { return stats_; }
  std::mt19937_64& rng() { return rng_; }

  // Changes since the last save (Redis's server.dirty).
  uint64_t dirty = 0;

 private:
  std::vector<Database> dbs_;
  Database::ExpiryListener expiry_listener_;
  Database::KeyAddedListener key_added_listener_;
  Database::NewKeyListener new_key_listener_;
  Database::ExpireSetListener expire_set_listener_;
  std::function<void(int, int)> swap_listener_;
  KeyspaceStats stats_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace ember
