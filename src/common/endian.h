// Loads and stores of unsigned integers at any (unaligned) address in a fixed byte order, for
// byte-exact formats such as Redis's listpack, intset, ziplist and zipmap. The n-byte forms take
// any width from 0 to 8 and keep the low `nbytes` bytes; the fixed-width forms are a single
// unaligned move on a little-endian host, for hot paths.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace ember {

// ---- Any width (0..8 bytes) ------------------------------------------------------------------

inline uint64_t LoadLE(const uint8_t* p, int nbytes) {
  uint64_t v = 0;
  for (int i = nbytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

inline void StoreLE(uint8_t* p, uint64_t v, int nbytes) {
  for (int i = 0; i < nbytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

inline uint64_t LoadBE(const uint8_t* p, int nbytes) {
  uint64_t v = 0;
  for (int i = 0; i < nbytes; ++i) v = (v << 8) | p[i];
  return v;
}

inline void StoreBE(uint8_t* p, uint64_t v, int nbytes) {
  for (int i = 0; i < nbytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * (nbytes - 1 - i)));
}

// ---- Fixed width ------------------------------------------------------------------------------

namespace endian_internal {

template <typename T>
inline T LoadLE(const uint8_t* p) {
  if constexpr (std::endian::native == std::endian::little) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
  } else {
    return static_cast<T>(ember::LoadLE(p, static_cast<int>(sizeof(T))));
  }
}

template <typename T>
inline void StoreLE(uint8_t* p, T v) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, sizeof(T));
  } else {
    ember::StoreLE(p, v, static_cast<int>(sizeof(T)));
  }
}

}  // namespace endian_internal

inline uint16_t LoadLE16(const uint8_t* p) { return endian_internal::LoadLE<uint16_t>(p); }
inline uint32_t LoadLE32(const uint8_t* p) { return endian_internal::LoadLE<uint32_t>(p); }
inline uint64_t LoadLE64(const uint8_t* p) { return endian_internal::LoadLE<uint64_t>(p); }

inline void StoreLE16(uint8_t* p, uint16_t v) { endian_internal::StoreLE(p, v); }
inline void StoreLE32(uint8_t* p, uint32_t v) { endian_internal::StoreLE(p, v); }
inline void StoreLE64(uint8_t* p, uint64_t v) { endian_internal::StoreLE(p, v); }

}  // namespace ember
