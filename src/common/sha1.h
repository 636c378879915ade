// SHA-1 (FIPS 180-4). Used by DEBUG DIGEST (Redis's dataset digest is built from SHA-1 mixes)
// and later by script SHA ids. Not for security.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/sha_base.h"

namespace ember {

class Sha1 : public ShaBase<Sha1, 5> {
 public:
  Sha1() = default;

  // One-shot helpers.
  static Digest Hash(const void* data, size_t len);
  static Digest Hash(std::string_view s) { return Hash(s.data(), s.size()); }

 private:
  friend class ShaBase<Sha1, 5>;
  static constexpr uint32_t kInitialState[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                                                0xC3D2E1F0};
  void Compress(const uint32_t block[16]);
};

}  // namespace ember
