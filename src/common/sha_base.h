// What SHA-1 and SHA-256 share (FIPS 180-4): the input is cut into 64-byte blocks of big-endian
// 32-bit words, the last one padded with 0x80, zeros and the message length in bits, and the
// digest is the state words, big-endian. Not for security.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ember {

// `Hasher` derives from ShaBase<Hasher, kStateWords> and supplies `kInitialState` (kStateWords
// words) and `void Compress(const uint32_t block[16])`, which mixes one block into state_.
template <typename Hasher, size_t kStateWords>
class ShaBase {
 public:
  using Digest = std::array<uint8_t, 4 * kStateWords>;

  void Reset() {
    std::copy(std::begin(Hasher::kInitialState), std::end(Hasher::kInitialState), state_);
    total_bytes_ = 0;
    buffered_ = 0;
  }
  void Update(const void* data, size_t len);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  Digest Final();

  // Lower-case hex of a digest (8 chars per state word).
  static std::string Hex(const Digest& d);

 protected:
  ShaBase() { Reset(); }

  uint32_t state_[kStateWords];

 private:
  void Transform(const uint8_t block[64]) {
    uint32_t words[16];
    for (int i = 0; i < 16; ++i) {
      words[i] = (uint32_t{block[4 * i]} << 24) | (uint32_t{block[4 * i + 1]} << 16) |
                 (uint32_t{block[4 * i + 2]} << 8) | uint32_t{block[4 * i + 3]};
    }
    static_cast<Hasher*>(this)->Compress(words);
  }

  uint64_t total_bytes_;
  uint8_t buffer_[64];
  size_t buffered_;
};

template <typename Hasher, size_t kStateWords>
void ShaBase<Hasher, kStateWords>::Update(const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  total_bytes_ += len;
  if (buffered_ > 0) {
    size_t take = std::min(len, 64 - buffered_);
    std::memcpy(buffer_ + buffered_, p, take);
    buffered_ += take;
    p += take;
    len -= take;
    if (buffered_ < 64) return;
    Transform(buffer_);
    buffered_ = 0;
  }
  while (len >= 64) {
    Transform(p);
    p += 64;
    len -= 64;
  }
  if (len > 0) {
    std::memcpy(buffer_, p, len);
    buffered_ = len;
  }
}

template <typename Hasher, size_t kStateWords>
typename ShaBase<Hasher, kStateWords>::Digest ShaBase<Hasher, kStateWords>::Final() {
  uint64_t bits = total_bytes_ * 8;
  uint8_t pad[72] = {0x80};
  size_t pad_len = buffered_ < 56 ? 56 - buffered_ : 120 - buffered_;
  Update(pad, pad_len);
  uint8_t len_be[8];
  for (int i = 0; i < 8; ++i) len_be[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
  Update(len_be, 8);
  Digest out;
  for (size_t i = 0; i < kStateWords; ++i) {
    out[4 * i] = static_cast<uint8_t>(state_[i] >> 24);
    out[4 * i + 1] = static_cast<uint8_t>(state_[i] >> 16);
    out[4 * i + 2] = static_cast<uint8_t>(state_[i] >> 8);
    out[4 * i + 3] = static_cast<uint8_t>(state_[i]);
  }
  Reset();
  return out;
}

template <typename Hasher, size_t kStateWords>
std::string ShaBase<Hasher, kStateWords>::Hex(const Digest& d) {
  static const char kHex[] = "0123456789abcdef";
  std::string s(2 * d.size(), '0');
  for (size_t i = 0; i < d.size(); ++i) {
    s[2 * i] = kHex[d[i] >> 4];
    s[2 * i + 1] = kHex[d[i] & 15];
  }
  return s;
}

}  // namespace ember
