// Keys that clients of a writable replica (replica-read-only no) gave a TTL. A replica leaves
// expiry to its master's DELs, but its master never heard of these keys: the cron deletes them
// once expired, as Redis's expireSlaveKeys. A remembered key is looked for in every database, so
// a MOVE or SWAPDB after the write does not lose it.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>

#include "db/keyspace.h"

namespace ember {

class ReplicaOwnExpires {
 public:
  // Remembers `key` if it holds a TTL in some database.
  void RememberIfVolatile(Keyspace& keyspace, std::string_view key);
  void Clear() { keys_.clear(); }
  size_t size() const { return keys_.size(); }

  // Samples remembered keys and deletes their expired instances through the usual expiry path
  // (counted, notified, a DEL for the AOF). Forgets keys left without a TTL anywhere; stops
  // after meeting a few that have not expired yet, or after about a millisecond.
  void ExpireStep(Keyspace& keyspace, int64_t now_ms, std::mt19937_64& rng);

 private:
  std::string RandomKey(std::mt19937_64& rng) const;

  std::unordered_set<std::string> keys_;
};

}  // namespace ember
