// LazyFree: frees large values and whole databases in a background thread, as Redis's lazyfree
// (UNLINK, FLUSHALL ASYNC, and the lazyfree-lazy-* directives). Only memory is released there:
// a detached entry or database is unreachable from the data set before it is queued, and the
// allocator and the memory counter are thread-safe.
//
// A value whose free effort (about one unit per allocation: elements of a hash table or skiplist,
// nodes of a quicklist) is at most kLazyFreeThreshold is freed in place, as Redis does, because
// handing it to the thread would cost more than freeing it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>

#include "common/background_worker.h"

namespace ember {

struct KeyEntry;
class Value;

// Which deletions are lazy (the lazyfree-lazy-* directives), kept by the server's config.
struct LazyFreeSettings {
  bool user_del = false;     // DEL as UNLINK
  bool user_flush = false;   // FLUSHALL/FLUSHDB without SYNC as ASYNC
  bool server_del = false;   // implicit deletes (RENAME, SET overwriting, ...)
  bool expire = false;       // expired keys
  bool eviction = false;     // evicted keys
};

class LazyFree {
 public:
  static constexpr size_t kLazyFreeThreshold = 64;

  static LazyFree& Global();

  LazyFreeSettings& settings() { return settings_; }

  // Frees a detached entry: in the background when its value is expensive to free.
  void FreeEntry(KeyEntry* e);
  // Frees a value replaced by an overwrite (SET, *STORE, ...): the same, for the value alone.
  void FreeValue(Value value);
  // Runs `job` (freeing memory only) in the background, counting `objects` freed.
  void Submit(std::function<void()> job, size_t objects);

  size_t pending_objects() const { return pending_.load(std::memory_order_relaxed); }
  uint64_t freed_objects() const { return freed_.load(std::memory_order_relaxed); }
  void ResetStats() { freed_.store(0, std::memory_order_relaxed); }
  // Blocks until every queued job ran (tests, shutdown).
  void Drain() { worker_.Drain(); }
  // See BackgroundWorker::ParkForFork.
  [[nodiscard]] std::unique_lock<std::mutex> ParkForFork() { return worker_.ParkForFork(); }

 private:
  LazyFree() = default;

  LazyFreeSettings settings_;
  std::atomic<size_t> pending_{0};
  std::atomic<uint64_t> freed_{0};
  BackgroundWorker worker_;  // last: its destructor runs the jobs still queued, which count above
};

// The cost of freeing a value, as Redis's lazyfreeGetFreeEffort.
size_t FreeEffort(const Value& v);

}  // namespace ember
