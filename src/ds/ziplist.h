// Read-only decoder for Redis's ziplist, the compact encoding that listpack replaced in 7.0. RDB
// files older than version 10 store small hashes, sorted sets and list nodes as ziplists; the
// loader validates and converts them, so nothing here writes one.
//
// Layout (integers little endian unless noted):
//   <zlbytes u32> <zltail u32: offset of the last entry> <zllen u16, 65535 = unknown> <entry>...
//   <0xFF>
//   entry = <prevlen: 1 byte < 254, or 0xFE + u32> <encoding> <data>
//   encoding: 00pppppp                        string, 6-bit length
//             01pppppp qqqqqqqq               string, 14-bit length, big endian
//             10xxxxxx + 4 bytes              string, 32-bit length, big endian
//             0xC0 int16 | 0xD0 int32 | 0xE0 int64 | 0xF0 int24 | 0xFE int8
//             0xF1..0xFD                      immediate 0..12 (no data)
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "ds/listpack.h"  // PackedValue

namespace ember::ziplist {

// Checks an untrusted blob entry by entry without reading outside it: header size and tail
// offset, every encoding and length, every prevlen equal to the size of the entry before, the
// entries ending exactly at the terminator, and the header count unless 65535. On success
// *count_out (if given) receives the number of entries.
bool ValidateIntegrity(std::string_view blob, size_t* count_out = nullptr);

// Calls `fn` with every entry, head to tail. REQUIRES: ValidateIntegrity(blob).
void ForEach(std::string_view blob, const std::function<void(const PackedValue&)>& fn);

}  // namespace ember::ziplist
