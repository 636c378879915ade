// SHA-256 (FIPS 180-4). ACL passwords are stored and shown as SHA-256 hex, as Redis does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ember {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256() { Reset(); }
  void Reset();
  void Update(const void* data, size_t len);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  Digest Final();

  static Digest Hash(std::string_view s);
  // Lower-case hex (64 chars).
  static std::string Hex(const Digest& d);
  static std::string HexOf(std::string_view s) { return Hex(Hash(s)); }

 private:
  void Transform(const uint8_t block[64]);

  uint32_t state_[8];
  uint64_t total_bytes_;
  uint8_t buffer_[64];
  size_t buffered_;
};

}  // namespace ember
