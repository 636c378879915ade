// Redis's intset: a sorted array of distinct integers, all stored with one width (2, 4 or 8
// bytes) that grows when a wider value arrives and never shrinks. Small all-integer sets use it,
// and RDB files store the blob as is, so the layout and the upgrade rule match Redis exactly:
//   <encoding u32 = 2|4|8> <length u32> <length values, ascending>   (all little endian)
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>

namespace ember {

class Intset {
 public:
  static constexpr size_t kHeaderSize = 8;

  // Empty with 2-byte encoding, as Redis's intsetNew. Allocates nothing until the first Add; a
  // moved-from intset is empty too.
  Intset() = default;
  ~Intset();
  Intset(Intset&& o) noexcept;
  Intset& operator=(Intset&& o) noexcept;
  Intset(const Intset&) = delete;
  Intset& operator=(const Intset&) = delete;

  // Copies a serialized intset. REQUIRES: ValidateIntegrity(blob, /*deep=*/true).
  static Intset FromBytes(std::string_view blob);
  // The serialized form, exactly as Redis stores it in an RDB file.
  std::string_view Bytes() const;

  size_t size() const;
  bool empty() const { return size() == 0; }
  size_t ByteSize() const { return kHeaderSize + size() * encoding(); }
  size_t MallocSize() const;  // heap bytes held, for memory accounting
  uint32_t encoding() const;  // bytes per value: 2, 4 or 8

  // Inserts `v` in order, widening every value first if `v` needs it. False if already present.
  bool Add(int64_t v);
  // False if `v` was not present. The encoding stays as it is.
  bool Remove(int64_t v);
  bool Contains(int64_t v) const;

  // REQUIRES: i < size().
  int64_t Get(size_t i) const;
  // REQUIRES: !empty().
  int64_t Random(std::mt19937_64& rng) const { return Get(rng() % size()); }
  int64_t Min() const { return Get(0); }
  int64_t Max() const { return Get(size() - 1); }

  // Checks an untrusted blob without reading outside it, as Redis's intsetValidateIntegrity: a
  // valid encoding, a size that matches the length, not empty, and (when `deep`) strictly
  // ascending values.
  static bool ValidateIntegrity(std::string_view blob, bool deep);

 private:
  const uint8_t* data() const;
  // Binary search: true and the index if found, else false and the insertion index.
  bool Search(int64_t v, size_t* pos) const;
  void Resize(uint32_t enc, size_t n);

  uint8_t* buf_ = nullptr;  // MemAlloc'd, exactly ByteSize() long; nullptr until the first Add
};

}  // namespace ember
