// Memory accounting, as Redis's zmalloc: every heap allocation of the process (global operator
// new/delete and the explicit helpers below) adds its usable size to one counter, which INFO
// reports as used_memory and maxmemory will compare against.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ember {

size_t UsedMemory();
void* MemAlloc(size_t n);
void* MemRealloc(void* p, size_t n);
void MemFree(void* p);
size_t MemUsableSize(const void* p);

}  // namespace ember
