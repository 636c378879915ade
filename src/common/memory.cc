#include "common/memory.h"

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <new>

namespace ember {

namespace {
std::atomic<size_t> g_used{0};
}

size_t UsedMemory() { return g_used.load(std::memory_order_relaxed); }

void* MemAlloc(size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  g_used.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
  return p;
}

void* MemRealloc(void* p, size_t n) {
  if (!p) return MemAlloc(n);
  size_t old = malloc_usable_size(p);
  void* q = std::realloc(p, n ? n : 1);
  if (!q) throw std::bad_alloc();
  g_used.fetch_add(malloc_usable_size(q) - old, std::memory_order_relaxed);
  return q;
}

void MemFree(void* p) {
  if (!p) return;
  g_used.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
  std::free(p);
}

size_t MemUsableSize(const void* p) { return malloc_usable_size(const_cast<void*>(p)); }

uint64_t SmapsFieldBytes(std::string_view field) {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string line;
  uint64_t total_kb = 0;
  while (std::getline(in, line)) {
    if (line.starts_with(field))
      total_kb += std::strtoull(line.c_str() + field.size(), nullptr, 10);
  }
  return total_kb * 1024;
}

}  // namespace ember

// Route every C++ allocation through the counter.
void* operator new(size_t n) { return ember::MemAlloc(n); }
void* operator new[](size_t n) { return ember::MemAlloc(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return ember::MemAlloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return ember::MemAlloc(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { ember::MemFree(p); }
void operator delete[](void* p) noexcept { ember::MemFree(p); }
void operator delete(void* p, size_t) noexcept { ember::MemFree(p); }
void operator delete[](void* p, size_t) noexcept { ember::MemFree(p); }
