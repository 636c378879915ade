// SHA-256 (FIPS 180-4). ACL passwords are stored and shown as SHA-256 hex, as Redis does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/sha_base.h"

namespace ember {

class Sha256 : public ShaBase<Sha256, 8> {
 public:
  Sha256() = default;

  static Digest Hash(std::string_view s);
  static std::string HexOf(std::string_view s) { return Hex(Hash(s)); }

 private:
  friend class ShaBase<Sha256, 8>;
  static constexpr uint32_t kInitialState[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  void Compress(const uint32_t block[16]);
};

}  // namespace ember
