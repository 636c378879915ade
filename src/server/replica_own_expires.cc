#include "server/replica_own_expires.h"

#include "common/clock.h"

namespace ember {

namespace {

bool HasExpire(Database& db, std::string_view key) {
  const KeyEntry* e = db.FindRaw(key);
  return e && e->has_expire;
}

}  // namespace

void ReplicaOwnExpires::RememberIfVolatile(Keyspace& keyspace, std::string_view key) {
  for (int i = 0; i < keyspace.num_dbs(); ++i) {
    if (HasExpire(keyspace.db(i), key)) {
      keys_.emplace(key);
      return;
    }
  }
}

std::string ReplicaOwnExpires::RandomKey(std::mt19937_64& rng) const {
  // A random non-empty bucket (the set is never empty here), then its first key.
  size_t bucket = rng() % keys_.bucket_count();
  while (keys_.bucket_size(bucket) == 0) bucket = (bucket + 1) % keys_.bucket_count();
  return *keys_.begin(bucket);
}

void ReplicaOwnExpires::ExpireStep(Keyspace& keyspace, int64_t now_ms, std::mt19937_64& rng) {
  // Redis's limits: give up after more than 3 keys still alive, or past 1 ms (checked every 64).
  constexpr int kMaxAlive = 3;
  const int64_t start_us = MonotonicUs();
  int alive = 0;
  for (int sampled = 1; !keys_.empty(); ++sampled) {
    const std::string key = RandomKey(rng);
    bool ttl_left = false;
    for (int i = 0; i < keyspace.num_dbs(); ++i) {
      if (!HasExpire(keyspace.db(i), key)) continue;
      // Find deletes the key if its time has come; it stays when it has not.
      if (keyspace.db(i).Find(key, now_ms, /*delete_expired=*/true)) ttl_left = true;
    }
    if (!ttl_left) {
      keys_.erase(key);
    } else if (++alive > kMaxAlive) {
      break;
    }
    if (sampled % 64 == 0 && MonotonicUs() - start_us > 1000) break;
  }
}

}  // namespace ember
