// Keys that clients of a writable replica (replica-read-only no) gave a TTL. A replica leaves
// expiry to its master's DELs, but its master never heard of these keys: the cron deletes them
// once expired, as Redis's expireSlaveKeys. Like Redis, each key remembers the databases (0-63)
// where it was given its TTL, and the list is forgotten when the data set is emptied or replaced.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include "db/keyspace.h"

namespace ember {

class ReplicaOwnExpires {
 public:
  // A client's command gave `key` in database `db` a TTL.
  void Remember(int db, std::string_view key);
  void Clear() { keys_ = Entries(); }  // also gives back the bucket array
  size_t size() const { return keys_.size(); }

  // Samples remembered keys and deletes their expired instances through the usual expiry path
  // (counted, notified, a DEL for the AOF), touching none that is still alive. Forgets a key
  // where it has no TTL any more; stops after meeting a few keys still alive, or after about a
  // millisecond.
  void ExpireStep(Keyspace& keyspace, int64_t now_ms, std::mt19937_64& rng);

 private:
  using Entries = std::unordered_map<std::string, uint64_t>;  // key -> bit per database
  Entries::iterator RandomEntry(std::mt19937_64& rng);

  Entries keys_;
};

}  // namespace ember
