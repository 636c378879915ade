// Database: one keyspace (the `SELECT`able unit). Keys map to values in an incrementally rehashed
// table; keys with a TTL are also indexed in a second table so the active expiry cycle can sample
// them, as Redis's `expires` dict.
//
// Expiry is decided against the caller's "now" (cached per event-loop iteration, frozen during
// scripts). A master deletes an expired key when it is touched and reports it through
// ExpiryListener so the deletion is propagated as DEL; a replica never deletes on its own but
// hides logically expired keys from reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>

#include "db/value.h"
#include "ds/hash_table.h"

namespace ember {

// One key: 28 bytes and the key, in one allocation. Most keys are short, so the length lives in
// 7 bits next to the flags; longer keys start with their 32-bit length instead.
struct KeyEntry {
  KeyEntry* next;
  Value value;
  uint32_t lru : 24;  // LRU clock in seconds (for OBJECT IDLETIME), or LFU access data
  uint32_t has_expire : 1;
  uint32_t short_len : 7;  // the key's length, or kLongKey
  char key_data[];

  static constexpr uint32_t kLongKey = 127;

  std::string_view key() const {
    if (short_len != kLongKey) return {key_data, short_len};
    uint32_t len;
    std::memcpy(&len, key_data, sizeof(len));
    return {key_data + sizeof(len), len};
  }
  // Bytes of the entry for a key of `key_len` bytes.
  static size_t AllocSize(size_t key_len) {
    return offsetof(KeyEntry, key_data) + key_len + (key_len >= kLongKey ? sizeof(uint32_t) : 0);
  }
  // Writes the key's length and bytes. REQUIRES: allocated with AllocSize(key.size()).
  void SetKey(std::string_view key) {
    char* dst = key_data;
    if (key.size() < kLongKey) {
      short_len = static_cast<uint32_t>(key.size());
    } else {
      short_len = kLongKey;
      auto len = static_cast<uint32_t>(key.size());
      std::memcpy(dst, &len, sizeof(len));
      dst += sizeof(len);
    }
    std::memcpy(dst, key.data(), key.size());
  }
};

struct ExpireEntry {
  ExpireEntry* next;
  KeyEntry* entry;
  int64_t when_ms;
};

struct KeyEntryTraits {
  static std::string_view Key(const KeyEntry* e) { return e->key(); }
  static KeyEntry*& Next(KeyEntry* e) { return e->next; }
};
struct ExpireEntryTraits {
  static std::string_view Key(const ExpireEntry* e) { return e->entry->key(); }
  static ExpireEntry*& Next(ExpireEntry* e) { return e->next; }
};

// The current LRU clock (seconds, 24 bits), as Redis's LRU_CLOCK: the value the server caches
// from its cron (reading the clock on every key access would cost more than a GET), or the
// real clock until one is cached (tools, unit tests).
uint32_t LruClock();
// Caches the clock now (the server's cron; its period is well under the clock's second).
void RefreshLruClock();
// Milliseconds since an entry was last accessed (meaningful when LFU is off).
int64_t IdleTimeMs(const KeyEntry* e);

// What KeyEntry::lru holds, as Redis's robj lru field: the LRU clock, or with an LFU
// maxmemory-policy 16 bits of minutes (when the counter was last decremented) and an 8-bit
// logarithmic access counter. One setting per process, kept by the server's configuration.
struct AccessTracking {
  bool lfu = false;
  int64_t lfu_log_factor = 10;
  int64_t lfu_decay_time = 1;  // minutes per counter decrement
};
AccessTracking& Tracking();
// The lru field of a new key.
uint32_t InitialAccessData();
// Records an access (lookups that are not "no touch").
void TouchEntry(KeyEntry* e);
// The LFU counter after decay, as Redis's LFUDecrAndReturn (OBJECT FREQ).
uint8_t LfuCounter(const KeyEntry* e);
// The lru field for a key restored with FREQ `counter`.
uint32_t LfuAccessData(uint8_t counter);
// Redis's objectSetLRUOrLFU for a loaded or restored key: the FREQ counter applies under an LFU
// policy, the idle time otherwise; -1 means absent.
void SetAccessData(KeyEntry* e, int64_t idle_seconds, int freq);

class Database {
 public:
  // Called when a key is removed because it expired (the master propagates a DEL).
  using ExpiryListener = std::function<void(int db_index, std::string_view key)>;

  // Called when a list or sorted set key is added (created, renamed, moved, restored): clients
  // blocked on it (BLPOP, BZPOPMIN, ...) may now be served.
  using KeyAddedListener = std::function<void(int db_index, std::string_view key)>;

  // Called when a key is created (Insert, Attach): the keyspace notification "new". Unset
  // unless notify-keyspace-events has n.
  using NewKeyListener = std::function<void(int db_index, std::string_view key)>;

  // Called when a key is given a TTL (SetExpire): a writable replica remembers the TTLs its own
  // clients set (server/replica_own_expires.h).
  using ExpireSetListener = std::function<void(int db_index, std::string_view key)>;

  explicit Database(int index) : index_(index) {}
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&&) = default;
  Database& operator=(Database&&) = default;

  int index() const { return index_; }
  void set_index(int i) { index_ = i; }
  size_t size() const { return keys_.size(); }
  size_t expires_count() const { return expires_.size(); }

  // Raw lookup: no expiry check, no LRU update.
  KeyEntry* FindRaw(std::string_view key) { return keys_.Find(key); }

  // Lookup honouring expiry at `now_ms`. When `delete_expired` is set an expired key is deleted
  // and reported; otherwise it is only hidden (CommandContext::Lookup decides which).
  KeyEntry* Find(std::string_view key, int64_t now_ms, bool delete_expired);

  // Inserts a new key. REQUIRES: the key is absent (FindRaw returned null).
  KeyEntry* Insert(std::string_view key, Value value);
  // Sets key to value: overwrites (and drops the TTL unless keep_ttl) or inserts. The old value
  // is freed in the background when lazyfree-lazy-server-del says so (db/lazy_free.h).
  KeyEntry* Set(std::string_view key, Value value, bool keep_ttl = false);
  // Replaces an existing entry's value (Redis's dbOverwrite); the TTL goes unless `keep_ttl`.
  // The old value is freed as Set frees it.
  void Overwrite(KeyEntry* e, Value value, bool keep_ttl);
  // A deletion the server makes as a side effect of a command (RENAME's destination, an emptied
  // aggregate, RESTORE REPLACE): lazy when lazyfree-lazy-server-del says so, as Redis's dbDelete.
  bool Delete(std::string_view key);
  // Frees the value here and now (DEL without lazyfree-lazy-user-del).
  bool DeleteNow(std::string_view key);
  // Delete, freeing an expensive value in the background (UNLINK; db/lazy_free.h).
  bool DeleteLazily(std::string_view key);
  // Unlinks an entry without freeing it (RENAME/MOVE re-home it). Its expiry is dropped.
  KeyEntry* Detach(std::string_view key);
  // Re-keys a detached entry: returns a new entry with `new_key` owning the old entry's value.
  static KeyEntry* Rekey(KeyEntry* e, std::string_view new_key);
  // Links a detached (or re-keyed) entry. REQUIRES: the key is absent.
  void Attach(KeyEntry* e);
  static void FreeEntry(KeyEntry* e);

  // Expiry. Absent TTL is -1.
  int64_t GetExpire(const KeyEntry* e);
  void SetExpire(KeyEntry* e, int64_t when_ms);
  bool RemoveExpire(KeyEntry* e);
  bool IsExpired(const KeyEntry* e, int64_t now_ms);

  void Clear();
  // Empties the database at once and frees its contents in the background (FLUSHALL ASYNC).
  void ClearLazily();
  void SwapContents(Database& other);

  // SCAN over the keys table.
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) {
    return keys_.Scan(cursor, std::forward<F>(fn));
  }
  template <typename F>
  void ForEach(F&& fn) const {
    keys_.ForEach(std::forward<F>(fn));
  }
  KeyEntry* RandomEntry(std::mt19937_64& rng) { return keys_.Random(rng); }
  // A random key with a TTL, or null (volatile-* eviction policies).
  KeyEntry* RandomVolatileEntry(std::mt19937_64& rng) {
    ExpireEntry* x = expires_.Random(rng);
    return x ? x->entry : nullptr;
  }

  // One pass of active expiry over sampled keys with a TTL: deletes up to `samples` expired
  // keys. Returns {sampled, expired}.
  std::pair<size_t, size_t> ActiveExpireStep(size_t samples, int64_t now_ms,
                                             std::mt19937_64& rng);

  // Incremental rehashing and shrinking, from the server's cron.
  // Returns true while either table is still rehashing.
  bool RehashStep(size_t buckets);
  void ShrinkIfNeeded();

  void set_expiry_listener(ExpiryListener* l) { expiry_listener_ = l; }
  void set_key_added_listener(KeyAddedListener* l) { key_added_listener_ = l; }
  void set_new_key_listener(NewKeyListener* l) { new_key_listener_ = l; }
  void set_expire_set_listener(ExpireSetListener* l) { expire_set_listener_ = l; }

  // Memory held by the tables themselves.
  size_t OverheadBytes() const { return keys_.bucket_bytes() + expires_.bucket_bytes(); }

 private:
  void DeleteExpired(KeyEntry* e);
  // `created`: a new key (not an overwrite by Set).
  void NotifyKeyAdded(const KeyEntry* e, bool created = true);

  int index_;
  HashTable<KeyEntry, KeyEntryTraits> keys_;
  HashTable<ExpireEntry, ExpireEntryTraits> expires_;
  ExpiryListener* expiry_listener_ = nullptr;
  KeyAddedListener* key_added_listener_ = nullptr;
  NewKeyListener* new_key_listener_ = nullptr;
  ExpireSetListener* expire_set_listener_ = nullptr;
};

}  // namespace ember
