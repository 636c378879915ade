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
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

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
  ~LazyFree();

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
  void Drain();

 private:
  struct Job {
    std::function<void()> run;
    size_t objects;
  };
  LazyFree() = default;
  void Run();

  LazyFreeSettings settings_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Job> jobs_;
  bool running_job_ = false;
  bool stop_ = false;
  std::thread thread_;  // started on the first job
  std::atomic<size_t> pending_{0};
  std::atomic<uint64_t> freed_{0};
};

// The cost of freeing a value, as Redis's lazyfreeGetFreeEffort.
size_t FreeEffort(const Value& v);

}  // namespace ember
