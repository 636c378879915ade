#include "db/lazy_free.h"

#include <memory>

#include "db/database.h"

namespace ember {

LazyFree& LazyFree::Global() {
  static LazyFree instance;
  return instance;
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
  worker_.Submit([this, job = std::move(job), objects] {
    job();
    pending_.fetch_sub(objects, std::memory_order_relaxed);
    freed_.fetch_add(objects, std::memory_order_relaxed);
  });
}

}  // namespace ember
