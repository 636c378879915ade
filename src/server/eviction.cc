#include "server/eviction.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/clock.h"
#include "common/memory.h"
#include "db/lazy_free.h"
#include "server/server.h"

namespace ember {

namespace {

constexpr size_t kPoolSize = 16;  // Redis's EVPOOL_SIZE

bool IsVolatile(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}

bool IsRandom(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kAllkeysRandom;
}

// How long one call may evict, as Redis's evictionTimeLimitUs.
uint64_t TimeLimitUs(int64_t tenacity) {
  if (tenacity <= 10) return 50u * static_cast<uint64_t>(std::max<int64_t>(tenacity, 0));
  if (tenacity < 100) return static_cast<uint64_t>(500.0 * std::pow(1.15, tenacity - 10.0));
  return std::numeric_limits<uint64_t>::max();
}

}  // namespace

EvictionPolicy ParseEvictionPolicy(const std::string& name) {
  static const std::pair<const char*, EvictionPolicy> kNames[] = {
      {"volatile-lru", EvictionPolicy::kVolatileLru},
      {"volatile-lfu", EvictionPolicy::kVolatileLfu},
      {"volatile-random", EvictionPolicy::kVolatileRandom},
      {"volatile-ttl", EvictionPolicy::kVolatileTtl},
      {"allkeys-lru", EvictionPolicy::kAllkeysLru},
      {"allkeys-lfu", EvictionPolicy::kAllkeysLfu},
      {"allkeys-random", EvictionPolicy::kAllkeysRandom}};
  for (const auto& [n, p] : kNames) {
    if (name == n) return p;
  }
  return EvictionPolicy::kNoEviction;
}

uint64_t Evictor::total_exceeded_ms() const {
  return exceeded_total_ms_ + current_exceeded_ms();
}

uint64_t Evictor::current_exceeded_ms() const {
  return exceeded_since_ms_ ? static_cast<uint64_t>(MonotonicMs() - exceeded_since_ms_) : 0;
}

void Evictor::EndExceeded() {
  exceeded_total_ms_ += current_exceeded_ms();
  exceeded_since_ms_ = 0;
}

bool Evictor::PerformEvictions() {
  const ServerConfig& cfg = server_.config();
  const auto limit = static_cast<size_t>(cfg.maxmemory);
  if (limit == 0 || (server_.is_replica() && cfg.replica_ignore_maxmemory) ||
      UsedMemory() <= limit) {
    if (exceeded_since_ms_) EndExceeded();
    return true;
  }
  const size_t counted = UsedMemory() - std::min(UsedMemory(), server_.MemoryNotCountedForEviction());
  if (counted <= limit) {
    if (exceeded_since_ms_) EndExceeded();
    return true;
  }
  if (!exceeded_since_ms_) exceeded_since_ms_ = MonotonicMs();
  const EvictionPolicy policy = ParseEvictionPolicy(cfg.maxmemory_policy);
  if (policy == EvictionPolicy::kNoEviction) return false;

  const size_t to_free = counted - limit;
  const uint64_t time_limit_us = TimeLimitUs(cfg.maxmemory_eviction_tenacity);
  const int64_t start_us = MonotonicUs();
  // The latency monitor's eviction-cycle (the whole run) and eviction-del (one key) events.
  const bool monitor_latency = cfg.latency_monitor_threshold > 0;
  auto cycle_done = [&](bool ok) {
    if (monitor_latency) server_.RecordLatency("eviction-cycle", (MonotonicUs() - start_us) / 1000);
    return ok;
  };
  size_t freed = 0;
  uint64_t keys = 0;
  while (freed < to_free) {
    int db;
    std::string key;
    if (!PickVictim(policy, &db, &key)) return cycle_done(false);  // nothing left to evict
    const size_t before = UsedMemory();
    Database& in = server_.keyspace().db(db);
    const int64_t delete_start_us = monitor_latency ? MonotonicUs() : 0;
    if (LazyFree::Global().settings().eviction) {
      in.DeleteLazily(key);
    } else {
      in.DeleteNow(key);
    }
    if (monitor_latency) {
      server_.RecordLatency("eviction-del", (MonotonicUs() - delete_start_us) / 1000);
    }
    server_.SignalModifiedKey(db, key, false, 0);
    freed += before - std::min(before, UsedMemory());
    ++evicted_keys_;
    if (server_.keyspace_events() & notify::kEvicted) {
      server_.NotifyKeyspaceEvent(notify::kEvicted, "evicted", key, db);
    }
    // Replicas delete it too: they never evict on their own.
    server_.Propagate(db, {{"DEL", key}}, {});
    // Within the time budget; the cron calls again for the rest (Redis's EVICT_RUNNING).
    if (++keys % 16 == 0 &&
        static_cast<uint64_t>(MonotonicUs() - start_us) >= time_limit_us) {
      return cycle_done(true);
    }
  }
  EndExceeded();
  return cycle_done(true);
}

bool Evictor::PickVictim(EvictionPolicy policy, int* db, std::string* key) {
  Keyspace& ks = server_.keyspace();
  const bool volatile_only = IsVolatile(policy);
  if (IsRandom(policy)) {
    for (int i = 0; i < ks.num_dbs(); ++i) {
      const int j = next_random_db_++ % ks.num_dbs();
      Database& d = ks.db(j);
      KeyEntry* e = volatile_only ? d.RandomVolatileEntry(ks.rng()) : d.RandomEntry(ks.rng());
      if (e) {
        *db = j;
        *key = e->key();
        return true;
      }
    }
    return false;
  }
  for (;;) {
    for (int j = 0; j < ks.num_dbs(); ++j) PopulatePool(policy, j);
    // The best candidate that still exists (it may have been deleted since it was sampled).
    bool sampled_any = false;
    while (!pool_.empty()) {
      Candidate c = std::move(pool_.back());
      pool_.pop_back();
      sampled_any = true;
      if (ks.db(c.db).FindRaw(c.key)) {
        *db = c.db;
        *key = std::move(c.key);
        return true;
      }
    }
    if (!sampled_any) return false;
  }
}

void Evictor::PopulatePool(EvictionPolicy policy, int db_index) {
  Keyspace& ks = server_.keyspace();
  Database& db = ks.db(db_index);
  const bool volatile_only = IsVolatile(policy);
  if ((volatile_only ? db.expires_count() : db.size()) == 0) return;
  const auto samples = static_cast<int>(server_.config().maxmemory_samples);
  for (int i = 0; i < samples; ++i) {
    KeyEntry* e = volatile_only ? db.RandomVolatileEntry(ks.rng()) : db.RandomEntry(ks.rng());
    if (!e) return;
    uint64_t score;
    switch (policy) {
      case EvictionPolicy::kVolatileLru:
      case EvictionPolicy::kAllkeysLru: score = static_cast<uint64_t>(IdleTimeMs(e)); break;
      case EvictionPolicy::kVolatileLfu:
      case EvictionPolicy::kAllkeysLfu: score = 255u - LfuCounter(e); break;
      default:  // volatile-ttl: the sooner it expires, the better
        score = std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(db.GetExpire(e));
    }
    const std::string_view key = e->key();
    auto same = [&](const Candidate& c) { return c.db == db_index && c.key == key; };
    if (std::any_of(pool_.begin(), pool_.end(), same)) continue;
    if (pool_.size() == kPoolSize) {
      if (score <= pool_.front().score) continue;
      pool_.erase(pool_.begin());
    }
    auto pos = std::upper_bound(pool_.begin(), pool_.end(), score,
                                [](uint64_t s, const Candidate& c) { return s < c.score; });
    pool_.insert(pos, Candidate{score, db_index, std::string(key)});
  }
}

}  // namespace ember
