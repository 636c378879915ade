// Eviction: keeps the data set under `maxmemory` by deleting keys chosen by `maxmemory-policy`,
// as Redis's performEvictions. Before each command from a client (and from the cron) the server
// asks it to free memory; when it cannot (noeviction, or nothing left to evict) commands flagged
// deny-oom are refused with -OOM.
//
// LRU, LFU and TTL policies use Redis's approximation: `maxmemory-samples` random keys per
// database feed a pool of the best 16 candidates kept across calls, and the best one still present
// is evicted. The random policies take a random key, visiting the databases in turn. One call
// spends at most the time `maxmemory-eviction-tenacity` allows; the cron continues the work.
// Replica output buffers are not counted (mem_not_counted_for_evict), so a replica falling behind
// never makes the master evict.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ember {

class Server;

enum class EvictionPolicy {
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
  kAllkeysLru,
  kAllkeysLfu,
  kAllkeysRandom,
  kNoEviction
};

EvictionPolicy ParseEvictionPolicy(const std::string& name);

class Evictor {
 public:
  explicit Evictor(Server& server) : server_(server) {}

  // Frees memory down to maxmemory. False when memory is still above it and nothing more can be
  // evicted now (the caller refuses deny-oom commands).
  bool PerformEvictions();

  uint64_t evicted_keys() const { return evicted_keys_; }
  // Milliseconds spent above maxmemory in total, and in the current episode (INFO stats).
  uint64_t total_exceeded_ms() const;
  uint64_t current_exceeded_ms() const;
  void ResetStats() { evicted_keys_ = 0; exceeded_total_ms_ = 0; }

 private:
  struct Candidate {
    uint64_t score;  // higher is evicted first (idle time, 255 - LFU counter, -TTL)
    int db;
    std::string key;
  };
  // Picks the key to evict, or returns false when there is none.
  bool PickVictim(EvictionPolicy policy, int* db, std::string* key);
  void PopulatePool(EvictionPolicy policy, int db);
  void EndExceeded();

  Server& server_;
  std::vector<Candidate> pool_;  // ascending score, at most kPoolSize
  int next_random_db_ = 0;
  uint64_t evicted_keys_ = 0;
  int64_t exceeded_since_ms_ = 0;  // 0: under the limit
  uint64_t exceeded_total_ms_ = 0;
};

}  // namespace ember
