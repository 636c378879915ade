#include "db/lazy_free.h"

#include <memory>

#include "db/database.h"

namespace ember {

LazyFree& LazyFree::Global() {
  static LazyFree instance;
  return instance;
}

LazyFree::~LazyFree() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t FreeEffort(const Value& v) {
  if (!v.is_object()) return 1;
  switch (v.object()->encoding()) {
    case ObjectEncoding::kListpack:
    case ObjectEncoding::kIntset: return 1;
    default: return v.object()->FreeEffort();
  }
}

void LazyFree::FreeEntry(KeyEntry* e) {
  if (FreeEffort(e->value) <= kLazyFreeThreshold) return Database::FreeEntry(e);
  Submit([e] { Database::FreeEntry(e); }, 1);
}

void LazyFree::FreeValue(Value value) {
  if (FreeEffort(value) <= kLazyFreeThreshold) return;  // freed here, on return
  // std::function needs a copyable callable: the value travels in a shared holder.
  auto holder = std::make_shared<Value>(std::move(value));
  Submit([holder]() mutable { holder.reset(); }, 1);
}

void LazyFree::Submit(std::function<void()> job, size_t objects) {
  pending_.fetch_add(objects, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    jobs_.push_back({std::move(job), objects});
  }
  cv_.notify_one();
}

void LazyFree::Drain() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return jobs_.empty() && !running_job_; });
}

void LazyFree::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping with nothing left
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    running_job_ = true;
    lock.unlock();
    job.run();
    pending_.fetch_sub(job.objects, std::memory_order_relaxed);
    freed_.fetch_add(job.objects, std::memory_order_relaxed);
    lock.lock();
    running_job_ = false;
    if (jobs_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace ember
