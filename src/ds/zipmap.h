// Read-only decoder for Redis's zipmap, the small-hash encoding of RDB files before version 4
// (Redis 2.6 and older). The loader validates and converts it; nothing here writes one.
//
// Layout:
//   <zmlen u8, 254 = unknown> (<len> key <len> <free u8> value <free unused bytes>)... <0xFF>
//   len = 1 byte if < 254, else 0xFE + u32 little endian
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace ember::zipmap {

// Checks an untrusted blob pair by pair without reading outside it: every length in bounds and
// in its shortest form, the pairs ending exactly at the terminator, at least one pair (as Redis
// requires), and zmlen (unless 254) equal to the number of pairs, which *count_out (if given)
// receives.
bool ValidateIntegrity(std::string_view blob, size_t* count_out = nullptr);

// Calls `fn` with every key and value in order. REQUIRES: ValidateIntegrity(blob).
void ForEach(std::string_view blob,
             const std::function<void(std::string_view key, std::string_view value)>& fn);

}  // namespace ember::zipmap
