#include "db/database.h"

#include <utility>

#include <algorithm>
#include <cassert>
#include <memory>
#include <new>
#include <random>

#include "common/clock.h"
#include "common/memory.h"
#include "db/lazy_free.h"

namespace ember {

namespace {
uint32_t RealLruClock() { return static_cast<uint32_t>((WallClockMs() / 1000) & 0xFFFFFF); }
bool g_lru_clock_cached = false;
uint32_t g_lru_clock = 0;
}  // namespace

uint32_t LruClock() { return g_lru_clock_cached ? g_lru_clock : RealLruClock(); }

void RefreshLruClock() {
  g_lru_clock = RealLruClock();
  g_lru_clock_cached = true;
}

int64_t IdleTimeMs(const KeyEntry* e) {
  uint32_t now = LruClock();
  uint32_t then = e->lru;
  uint32_t secs = now >= then ? now - then : (0xFFFFFF - then) + now;
  return static_cast<int64_t>(secs) * 1000;
}

AccessTracking& Tracking() {
  static AccessTracking tracking;
  return tracking;
}

namespace {

constexpr uint8_t kLfuInitialCounter = 5;  // Redis's LFU_INIT_VAL: new keys are not evicted first

uint32_t LfuMinutes() { return static_cast<uint32_t>((WallClockMs() / 60000) & 0xFFFF); }

uint8_t LfuLogIncrement(uint8_t counter) {
  if (counter == 255) return counter;
  thread_local std::mt19937 rng{std::random_device{}()};
  const double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  const double base = std::max(0, counter - kLfuInitialCounter);
  const double p = 1.0 / (base * static_cast<double>(Tracking().lfu_log_factor) + 1);
  return r < p ? counter + 1 : counter;
}

}  // namespace

uint32_t LfuAccessData(uint8_t counter) { return (LfuMinutes() << 8) | counter; }

uint32_t InitialAccessData() {
  return Tracking().lfu ? LfuAccessData(kLfuInitialCounter) : LruClock();
}

uint8_t LfuCounter(const KeyEntry* e) {
  const uint32_t last = e->lru >> 8;
  const uint32_t counter = e->lru & 255;
  const uint32_t now = LfuMinutes();
  const uint32_t elapsed = now >= last ? now - last : 65535 - last + now;
  const int64_t decay = Tracking().lfu_decay_time;
  const uint32_t periods = decay > 0 ? elapsed / static_cast<uint32_t>(decay) : 0;
  return static_cast<uint8_t>(periods > counter ? 0 : counter - periods);
}

void SetAccessData(KeyEntry* e, int64_t idle_seconds, int freq) {
  if (Tracking().lfu) {
    if (freq >= 0) e->lru = LfuAccessData(static_cast<uint8_t>(std::min(freq, 255)));
  } else if (idle_seconds >= 0) {
    const auto idle = static_cast<uint32_t>(std::min<int64_t>(idle_seconds, (1 << 24) - 1));
    e->lru = (LruClock() - idle) & ((1u << 24) - 1);
  }
}

void TouchEntry(KeyEntry* e) {
  e->lru = Tracking().lfu ? LfuAccessData(LfuLogIncrement(LfuCounter(e))) : LruClock();
}

static KeyEntry* NewEntry(std::string_view key, Value value) {
  void* mem = MemAlloc(KeyEntry::AllocSize(key.size()));
  auto* e = static_cast<KeyEntry*>(mem);
  e->next = nullptr;
  new (&e->value) Value(std::move(value));
  e->lru = InitialAccessData();
  e->has_expire = 0;
  e->SetKey(key);
  return e;
}

void Database::FreeEntry(KeyEntry* e) {
  e->value.~Value();
  MemFree(e);
}

Database::~Database() { Clear(); }

KeyEntry* Database::Find(std::string_view key, int64_t now_ms, bool delete_expired) {
  KeyEntry* e = keys_.Find(key);
  if (!e) return nullptr;
  if (e->has_expire && IsExpired(e, now_ms)) {
    if (delete_expired) DeleteExpired(e);
    return nullptr;
  }
  TouchEntry(e);
  return e;
}

void Database::DeleteExpired(KeyEntry* e) {
  // The listener may want the key; copy it before the entry is freed.
  std::string key(e->key());
  if (LazyFree::Global().settings().expire) {
    DeleteLazily(key);
  } else {
    DeleteNow(key);
  }
  if (expiry_listener_ && *expiry_listener_) (*expiry_listener_)(index_, key);
}

void Database::NotifyKeyAdded(const KeyEntry* e, bool created) {
  // Redis's dbAdd: "new" for every created key, before the command's own event.
  if (created && new_key_listener_ && *new_key_listener_) (*new_key_listener_)(index_, e->key());
  const ValueType t = e->value.type();
  if (key_added_listener_ && *key_added_listener_ &&
      (t == ValueType::kList || t == ValueType::kZSet)) {
    (*key_added_listener_)(index_, e->key());
  }
}

KeyEntry* Database::Insert(std::string_view key, Value value) {
  assert(!keys_.Find(key) && "Insert of a key already present (an expired one only hidden?)");
  KeyEntry* e = NewEntry(key, std::move(value));
  keys_.Insert(e);
  NotifyKeyAdded(e);
  return e;
}

KeyEntry* Database::Set(std::string_view key, Value value, bool keep_ttl) {
  KeyEntry* e = keys_.Find(key);
  if (!e) return Insert(key, std::move(value));
  Overwrite(e, std::move(value), keep_ttl);
  TouchEntry(e);
  NotifyKeyAdded(e, false);
  return e;
}

void Database::Overwrite(KeyEntry* e, Value value, bool keep_ttl) {
  if (LazyFree::Global().settings().server_del) {
    LazyFree::Global().FreeValue(std::exchange(e->value, std::move(value)));
  } else {
    e->value = std::move(value);
  }
  if (!keep_ttl && e->has_expire) RemoveExpire(e);
}

bool Database::Delete(std::string_view key) {
  if (LazyFree::Global().settings().server_del) return DeleteLazily(key);
  return DeleteNow(key);
}

bool Database::DeleteNow(std::string_view key) {
  KeyEntry* e = Detach(key);
  if (!e) return false;
  FreeEntry(e);
  return true;
}

bool Database::DeleteLazily(std::string_view key) {
  KeyEntry* e = Detach(key);
  if (!e) return false;
  LazyFree::Global().FreeEntry(e);
  return true;
}

KeyEntry* Database::Detach(std::string_view key) {
  KeyEntry* e = keys_.Remove(key);
  if (e && e->has_expire) RemoveExpire(e);
  return e;
}

KeyEntry* Database::Rekey(KeyEntry* e, std::string_view new_key) {
  KeyEntry* n = NewEntry(new_key, std::move(e->value));
  n->lru = e->lru;
  FreeEntry(e);
  return n;
}

void Database::Attach(KeyEntry* e) {
  assert(!keys_.Find(e->key()) && "Attach over a key already present");
  e->has_expire = 0;
  keys_.Insert(e);
  NotifyKeyAdded(e);
}

int64_t Database::GetExpire(const KeyEntry* e) {
  if (!e->has_expire) return -1;
  ExpireEntry* x = expires_.Find(e->key());
  return x ? x->when_ms : -1;
}

void Database::SetExpire(KeyEntry* e, int64_t when_ms) {
  if (expire_set_listener_ && *expire_set_listener_) (*expire_set_listener_)(index_, e->key());
  if (e->has_expire) {
    ExpireEntry* x = expires_.Find(e->key());
    if (x) {
      x->entry = e;
      x->when_ms = when_ms;
      return;
    }
  }
  auto* x = static_cast<ExpireEntry*>(MemAlloc(sizeof(ExpireEntry)));
  x->next = nullptr;
  x->entry = e;
  x->when_ms = when_ms;
  expires_.Insert(x);
  e->has_expire = 1;
}

bool Database::RemoveExpire(KeyEntry* e) {
  if (!e->has_expire) return false;
  e->has_expire = 0;
  ExpireEntry* x = expires_.Remove(e->key());
  if (!x) return false;
  MemFree(x);
  return true;
}

bool Database::IsExpired(const KeyEntry* e, int64_t now_ms) {
  if (!e->has_expire) return false;
  int64_t when = GetExpire(e);
  return when >= 0 && when <= now_ms;
}

void Database::Clear() {
  expires_.Clear([](ExpireEntry* x) { MemFree(x); });
  keys_.Clear([](KeyEntry* e) { FreeEntry(e); });
}

void Database::ClearLazily() {
  if (keys_.empty()) return;
  auto old = std::make_shared<Database>(index_);
  SwapContents(*old);
  const size_t objects = old->size();
  LazyFree::Global().Submit([old = std::move(old)]() mutable { old.reset(); }, objects);
}

void Database::SwapContents(Database& other) {
  std::swap(keys_, other.keys_);
  std::swap(expires_, other.expires_);
}

std::pair<size_t, size_t> Database::ActiveExpireStep(size_t samples, int64_t now_ms,
                                                     std::mt19937_64& rng) {
  size_t sampled = 0, expired = 0;
  while (sampled < samples && expires_.size() > 0) {
    ExpireEntry* x = expires_.Random(rng);
    ++sampled;
    if (x->when_ms <= now_ms) {
      DeleteExpired(x->entry);
      ++expired;
    }
  }
  return {sampled, expired};
}

bool Database::RehashStep(size_t buckets) {
  bool keys_left = keys_.Rehash(buckets);
  bool expires_left = expires_.Rehash(buckets);
  return keys_left || expires_left;
}

void Database::ShrinkIfNeeded() {
  keys_.ShrinkIfNeeded();
  expires_.ShrinkIfNeeded();
}

}  // namespace ember
