// The primitives of Redis's dataset digest (DEBUG DIGEST, DEBUG DIGEST-VALUE), so the same data
// gives the same hex digest on Ember and Redis: xor(d, x) is d ^= SHA1(x); mix(d, x) is xor then
// d = SHA1(d). Ordered data (a list, a string) is mixed; unordered elements (set members, hash
// fields) are each digested on their own and xored in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/sha1.h"

namespace ember {

using Digest = Sha1::Digest;

void XorDigest(Digest& digest, const void* data, size_t len);
void MixDigest(Digest& digest, const void* data, size_t len);
inline void XorDigest(Digest& digest, std::string_view s) { XorDigest(digest, s.data(), s.size()); }
inline void MixDigest(Digest& digest, std::string_view s) { MixDigest(digest, s.data(), s.size()); }
// A 32-bit number in big-endian bytes.
void MixUint32(Digest& digest, uint32_t v);
// A sorted set score as Redis formats it for the digest ("%.17g").
void MixScore(Digest& digest, double score);

}  // namespace ember
