#include "ds/hash.h"

#include <cstring>

namespace ember {

namespace {
uint64_t g_seed = 0x9E3779B97F4A7C15ULL;

inline uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t Read64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t Read32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
}  // namespace

void SetHashSeed(uint64_t seed) { g_seed = seed; }

// A wyhash-style multiply-mix hash (public-domain construction).
uint64_t HashBytes(std::string_view data) {
  static constexpr uint64_t kP0 = 0xa0761d6478bd642fULL, kP1 = 0xe7037ed1a0b428dbULL,
                            kP2 = 0x8ebc6af09c88c6e3ULL, kP3 = 0x589965cc75374cc3ULL;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t len = data.size();
  uint64_t seed = g_seed ^ kP0;
  uint64_t a, b;
  if (len <= 16) {
    if (len >= 4) {
      a = (Read32(p) << 32) | Read32(p + ((len >> 3) << 2));
      b = (Read32(p + len - 4) << 32) | Read32(p + len - 4 - ((len >> 3) << 2));
    } else if (len > 0) {
      a = (static_cast<uint64_t>(p[0]) << 16) | (static_cast<uint64_t>(p[len >> 1]) << 8) |
          p[len - 1];
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    size_t i = len;
    if (i > 48) {
      uint64_t s1 = seed, s2 = seed;
      do {
        seed = Mix(Read64(p) ^ kP1, Read64(p + 8) ^ seed);
        s1 = Mix(Read64(p + 16) ^ kP2, Read64(p + 24) ^ s1);
        s2 = Mix(Read64(p + 32) ^ kP3, Read64(p + 40) ^ s2);
        p += 48;
        i -= 48;
      } while (i > 48);
      seed ^= s1 ^ s2;
    }
    while (i > 16) {
      seed = Mix(Read64(p) ^ kP1, Read64(p + 8) ^ seed);
      i -= 16;
      p += 16;
    }
    a = Read64(p + i - 16);
    b = Read64(p + i - 8);
  }
  return Mix(kP1 ^ len, Mix(a ^ kP1, b ^ seed));
}

}  // namespace ember
