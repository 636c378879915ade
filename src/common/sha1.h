// SHA-1 (FIPS 180-4). Used by DEBUG DIGEST (Redis's dataset digest is built from SHA-1 mixes)
// and later by script SHA ids. Not for security.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ember {

class Sha1 {
 public:
  using Digest = std::array<uint8_t, 20>;

  Sha1() { Reset(); }
  void Reset();
  void Update(const void* data, size_t len);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  Digest Final();

  // One-shot helpers.
  static Digest Hash(const void* data, size_t len);
  static Digest Hash(std::string_view s) { return Hash(s.data(), s.size()); }
  // Lower-case hex of a digest (40 chars).
  static std::string Hex(const Digest& d);

 private:
  void Transform(const uint8_t block[64]);

  uint32_t state_[5];
  uint64_t total_bytes_;
  uint8_t buffer_[64];
  size_t buffered_;
};

}  // namespace ember
