#include "server/replica_own_expires.h"

#include <iterator>

#include "common/clock.h"

namespace ember {

void ReplicaOwnExpires::Remember(int db, std::string_view key) {
  if (db < 0 || db > 63) return;  // as Redis: the bitmap has 64 databases
  keys_[std::string(key)] |= uint64_t{1} << db;
}

ReplicaOwnExpires::Entries::iterator ReplicaOwnExpires::RandomEntry(std::mt19937_64& rng) {
  // A random non-empty bucket (the map is never empty here), then a random entry of it.
  size_t bucket = rng() % keys_.bucket_count();
  while (keys_.bucket_size(bucket) == 0) bucket = (bucket + 1) % keys_.bucket_count();
  auto entry = keys_.begin(bucket);
  std::advance(entry, static_cast<long>(rng() % keys_.bucket_size(bucket)));
  return keys_.find(entry->first);
}

void ReplicaOwnExpires::ExpireStep(Keyspace& keyspace, int64_t now_ms, std::mt19937_64& rng) {
  // Redis's limits: give up after more than 3 keys still alive, or past 1 ms (checked every 64).
  constexpr int kMaxAlive = 3;
  const int64_t start_us = MonotonicUs();
  int alive = 0;
  for (int sampled = 1; !keys_.empty(); ++sampled) {
    auto it = RandomEntry(rng);
    uint64_t still_volatile = 0;
    for (int i = 0; i < keyspace.num_dbs() && i < 64; ++i) {
      if (!(it->second >> i & 1)) continue;
      Database& db = keyspace.db(i);
      const KeyEntry* e = db.FindRaw(it->first);
      if (!e || !e->has_expire) continue;
      if (db.IsExpired(e, now_ms)) {
        db.Find(it->first, now_ms, /*delete_expired=*/true);  // deletes and reports it
      } else {
        still_volatile |= uint64_t{1} << i;
      }
    }
    if (still_volatile == 0) {
      keys_.erase(it);
      // The bucket array never shrinks by itself, and sampling walks it.
      if (keys_.bucket_count() > 64 && keys_.size() * 8 < keys_.bucket_count()) keys_.rehash(0);
    } else {
      it->second = still_volatile;
      if (++alive > kMaxAlive) break;
    }
    if (sampled % 64 == 0 && MonotonicUs() - start_us > 1000) break;
  }
}

}  // namespace ember
