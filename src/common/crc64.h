// CRC-64/Jones (reflected, polynomial 0xad93d23594c935a9, init 0, no final xor): the checksum
// Redis puts at the end of RDB files and DUMP payloads. Slice-by-8 tables, built once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ember {

// Continues a CRC over `len` more bytes (start with crc = 0).
uint64_t Crc64(uint64_t crc, const void* data, size_t len);
inline uint64_t Crc64(uint64_t crc, std::string_view s) { return Crc64(crc, s.data(), s.size()); }

}  // namespace ember
