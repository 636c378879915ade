// Helpers for the tests of the byte-exact encodings (listpack, intset, ziplist, zipmap): literal
// blobs, and the random damage the fuzz tests do to valid blobs before checking that validation
// rejects them or that walking what it accepts stays in bounds.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "common/endian.h"

namespace ember {

// Bytes of a literal, embedded NULs included.
template <size_t N>
std::string B(const char (&s)[N]) {
  return std::string(s, N - 1);
}

// Applies 1 to 3 random edits to `blob`: overwrite a byte, flip a bit, truncate, insert a byte,
// insert a run of 2 to 8 equal bytes, or erase a byte.
inline void MutateBlob(std::string& blob, std::mt19937_64& rng) {
  for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
    switch (rng() % 6) {
      case 0:
        if (!blob.empty()) blob[rng() % blob.size()] = static_cast<char>(rng());
        break;
      case 1:
        if (!blob.empty()) blob[rng() % blob.size()] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 2:
        blob.resize(rng() % (blob.size() + 1));
        break;
      case 3:
        blob.insert(rng() % (blob.size() + 1), 1, static_cast<char>(rng()));
        break;
      case 4:
        blob.insert(rng() % (blob.size() + 1), 2 + rng() % 7, static_cast<char>(rng()));
        break;
      default:
        if (!blob.empty()) blob.erase(rng() % blob.size(), 1);
    }
  }
}

// Rewrites the u32 total-size header that listpacks and ziplists start with to match the blob, so
// a mutated blob gets past that first check and its entries are exercised.
inline void FixTotalBytes(std::string& blob) {
  if (blob.size() >= 4) {
    StoreLE32(reinterpret_cast<uint8_t*>(blob.data()), static_cast<uint32_t>(blob.size()));
  }
}

// A heap copy of exactly the blob's size: ASan flags any read past its end, which a std::string
// (terminator, spare capacity) would hide.
class ExactBlob {
 public:
  explicit ExactBlob(std::string_view b) : size_(b.size()), data_(new char[b.size()]) {
    std::copy(b.begin(), b.end(), data_.get());
  }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  size_t size_;
  std::unique_ptr<char[]> data_;
};

}  // namespace ember
