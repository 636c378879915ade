#include "db/digest.h"

#include <cstdio>

namespace ember {

void XorDigest(Digest& digest, const void* data, size_t len) {
  Digest h = Sha1::Hash(data, len);
  for (size_t i = 0; i < h.size(); ++i) digest[i] ^= h[i];
}

void MixDigest(Digest& digest, const void* data, size_t len) {
  XorDigest(digest, data, len);
  digest = Sha1::Hash(digest.data(), digest.size());
}

void MixUint32(Digest& digest, uint32_t v) {
  unsigned char be[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
                         static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
  MixDigest(digest, be, 4);
}

void MixScore(Digest& digest, double score) {
  char buf[128];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", score);
  MixDigest(digest, buf, static_cast<size_t>(n));
}

}  // namespace ember
