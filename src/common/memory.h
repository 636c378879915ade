// Memory accounting, as Redis's zmalloc: every heap allocation of the process (global operator
// new/delete and the explicit helpers below) adds its usable size to one counter, which INFO
// reports as used_memory and maxmemory will compare against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ember {

size_t UsedMemory();
void* MemAlloc(size_t n);
void* MemRealloc(void* p, size_t n);
void MemFree(void* p);
size_t MemUsableSize(const void* p);

// The process's total of one /proc/self/smaps_rollup field ("Private_Dirty:", "AnonHugePages:"),
// in bytes; 0 where the file cannot be read (Redis's zmalloc_get_smap_bytes_by_field).
uint64_t SmapsFieldBytes(std::string_view field);

}  // namespace ember
