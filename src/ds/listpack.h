// Redis 7's listpack: a flat, serialized list of strings and integers in one allocation. Small
// hashes, sorted sets and list nodes live in this form, and RDB files store the blob as is, so
// the bytes written here must equal the bytes Redis writes for the same operations.
//
// Layout (all integers little endian):
//   <total bytes u32> <count u16, 65535 = "too many, scan"> <entry>... <0xFF>
//   entry = <encoding + data> <backlen>
// The encoding byte says integer (7/13/16/24/32/64 bit) or string (6/12/32 bit length). A string
// that Redis's string2ll accepts is always stored as the smallest integer encoding that fits.
// backlen is len(encoding + data) in 7-bit groups, most significant first, every byte but the
// first with the high bit set, so it can be read from its last byte backwards: that is how the
// list is walked from the tail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ember {

// One element of a listpack (or of the older ziplist): a string viewing into the blob, or an
// integer. Valid until the blob is modified or freed.
struct PackedValue {
  std::string_view str;  // when !is_int
  int64_t num = 0;       // when is_int
  bool is_int = false;

  static PackedValue Int(int64_t v) { return {{}, v, true}; }
  static PackedValue Str(std::string_view s) { return {s, 0, false}; }

  // The value as Redis replies with it: integers in base 10.
  std::string ToString() const;
  // Whether the value equals `s` as Redis compares them (an integer equals its base-10 form).
  bool Equals(std::string_view s) const;
};

// Navigation over a serialized listpack somebody else owns (a Listpack, or the block of an object
// that keeps its listpack after its own header). Positions are byte offsets of entries.
class ListpackView {
 public:
  // Every mutation invalidates positions except the one it returns; a Pos argument must be a live
  // position of this listpack (not kNoPos).
  using Pos = uint32_t;
  static constexpr Pos kNoPos = 0;  // offset 0 is the header, never an entry
  static constexpr size_t kHeaderSize = 6;
  static constexpr uint32_t kUnknownCount = 65535;

  // A view of `blob` holding `count` entries.
  ListpackView(const uint8_t* blob, size_t count) : buf_(blob), count_(count) {}
  // A view of `blob`, its entries counted from the header (walked when it says 65535).
  static ListpackView Over(const uint8_t* blob);

  // The serialized form, exactly as Redis stores it in an RDB file.
  std::string_view Bytes() const {
    return {reinterpret_cast<const char*>(buf_), TotalBytes()};
  }
  const uint8_t* data() const { return buf_; }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  uint32_t TotalBytes() const;

  // ---- Navigation (kNoPos when there is no such entry) ----
  Pos First() const;
  Pos Last() const;
  Pos Next(Pos p) const;
  Pos Prev(Pos p) const;
  // The entry at `index`, counting from 0 at the head, or from -1 at the tail when negative.
  Pos Seek(int64_t index) const;

  PackedValue Get(Pos p) const;
  // The first entry at or after `start` equal to `value`, comparing one entry and then skipping
  // `skip` (skip 1 visits only the fields of a field/value list). kNoPos if none.
  Pos Find(std::string_view value, Pos start, uint32_t skip = 0) const;

 protected:
  uint32_t EntrySize(Pos p) const;  // encoding + data + backlen

  const uint8_t* buf_;
  size_t count_;
};

// Where a ListpackEditor's bytes live: it asks for a bigger block before the listpack grows and
// offers to give back room after it shrank.
class ListpackStorage {
 public:
  // Returns a block of at least `total` bytes whose first `keep` bytes equal those of `blob` (it
  // may be `blob` itself; otherwise `blob` is freed). Called with keep < total before growing,
  // with keep == total after shrinking.
  virtual uint8_t* Resize(uint8_t* blob, size_t keep, size_t total) = 0;

 protected:
  ~ListpackStorage() = default;
};

// The mutations of Redis's listpack on a block held by a ListpackStorage. Each returns the
// position of the new (or replaced) entry, or kNoPos (listpack unchanged) when the result would
// exceed the format's 4 GB limit. data() follows the block when the storage moves it.
class ListpackEditor : public ListpackView {
 public:
  ListpackEditor(uint8_t* blob, size_t count, ListpackStorage& storage)
      : ListpackView(blob, count), storage_(storage) {}

  Pos Append(std::string_view value);
  Pos AppendInt(int64_t value);
  Pos Prepend(std::string_view value);
  Pos InsertBefore(Pos p, std::string_view value);
  Pos InsertAfter(Pos p, std::string_view value);
  Pos Replace(Pos p, std::string_view value);
  Pos ReplaceInt(Pos p, int64_t value);
  // Deletes up to `count` entries starting at `p`; returns the entry that followed them.
  Pos Delete(Pos p, uint32_t count = 1);

  uint8_t* mutable_data() { return const_cast<uint8_t*>(buf_); }  // constructed from non-const

 private:
  struct Encoded;
  Pos InsertAt(uint32_t off, const Encoded& e);
  Pos Splice(uint32_t off, uint32_t old_len, const Encoded* e, size_t new_count);
  void SetCount(size_t n);

  ListpackStorage& storage_;
};

// A listpack in its own MemAlloc'd block.
class Listpack {
 public:
  using Pos = ListpackView::Pos;
  static constexpr Pos kNoPos = ListpackView::kNoPos;
  static constexpr size_t kHeaderSize = ListpackView::kHeaderSize;
  static constexpr uint32_t kUnknownCount = ListpackView::kUnknownCount;

  // Empty (header + terminator, 7 bytes). Allocates nothing until the first insert; a moved-from
  // listpack is empty too.
  Listpack() = default;
  ~Listpack();
  Listpack(Listpack&& o) noexcept;
  Listpack& operator=(Listpack&& o) noexcept;
  Listpack(const Listpack&) = delete;
  Listpack& operator=(const Listpack&) = delete;

  // Copies a serialized listpack. REQUIRES: ValidateIntegrity(blob, /*deep=*/true).
  static Listpack FromBytes(std::string_view blob);
  ListpackView View() const { return {data(), count_}; }
  // The serialized form, exactly as Redis stores it in an RDB file.
  std::string_view Bytes() const { return View().Bytes(); }

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t ByteSize() const { return View().TotalBytes(); }
  size_t MallocSize() const;  // heap bytes held, for memory accounting

  // ---- Navigation: as ListpackView's ----
  Pos First() const { return View().First(); }
  Pos Last() const { return View().Last(); }
  Pos Next(Pos p) const { return View().Next(p); }
  Pos Prev(Pos p) const { return View().Prev(p); }
  Pos Seek(int64_t index) const { return View().Seek(index); }
  PackedValue Get(Pos p) const { return View().Get(p); }
  Pos Find(std::string_view value, Pos start, uint32_t skip = 0) const {
    return View().Find(value, start, skip);
  }

  // ---- Mutation: as ListpackEditor's ----
  Pos Append(std::string_view value);
  Pos AppendInt(int64_t value);
  Pos Prepend(std::string_view value);
  Pos InsertBefore(Pos p, std::string_view value);
  Pos InsertAfter(Pos p, std::string_view value);
  Pos Replace(Pos p, std::string_view value);
  Pos ReplaceInt(Pos p, int64_t value);
  Pos Delete(Pos p, uint32_t count = 1);

  // Checks an untrusted blob without ever reading outside it: the header size equals the blob
  // size, the terminator is last, and (when `deep`) every entry's encoding, length and backlen
  // are consistent, the entries end exactly at the terminator and the header count (unless
  // 65535) matches. Without `deep` only the header and the first entry are checked, like Redis.
  // On success with `deep`, *count_out (if given) receives the number of entries.
  static bool ValidateIntegrity(std::string_view blob, bool deep, size_t* count_out = nullptr);

 private:
  class OwnBlock;
  const uint8_t* data() const;
  // Runs `edit` on a ListpackEditor over this listpack's block (allocated first if needed).
  template <typename F>
  Pos Edit(F&& edit);

  uint8_t* buf_ = nullptr;  // MemAlloc'd, exactly TotalBytes() long; nullptr when empty
  size_t count_ = 0;        // exact; the header holds min(count_, 65535)
};

}  // namespace ember
