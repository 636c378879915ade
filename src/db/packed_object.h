// PackedObject: an Object whose packed blob (a listpack) follows it in the same MemAlloc'd block,
// so a small aggregate costs one allocation, no more than Redis's robj + listpack. The usable
// size of the block is the blob's capacity.
//
// The block moves when the blob outgrows it, so changes go through EditPacked, which takes the
// Value holding the object and points it at the new block; pointers to the object do not
// survive an edit.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>

#include "common/memory.h"
#include "db/value.h"
#include "ds/listpack.h"

namespace ember {

// Derived is the concrete class (final, default-constructible by this template: befriend it);
// Base is the type's abstract Object class.
template <typename Derived, typename Base>
class PackedObject : public Base {
 public:
  // Blocks are made by the factories with MemAlloc and freed here, whatever deletes them.
  static void* operator new(size_t, void* where) { return where; }
  static void operator delete(void* p) { MemFree(p); }

  // An object over a copy of `blob`.
  static std::unique_ptr<Derived> FromBytes(std::string_view blob) {
    auto d = Allocate(blob.size());
    std::memcpy(d->blob(), blob.data(), blob.size());
    return d;
  }

  uint8_t* blob() { return reinterpret_cast<uint8_t*>(this) + sizeof(Derived); }
  const uint8_t* blob() const { return reinterpret_cast<const uint8_t*>(this) + sizeof(Derived); }
  ListpackView listpack() const { return ListpackView::Over(blob()); }
  // Bytes the block can hold for the blob.
  size_t Capacity() const { return MemUsableSize(this) - sizeof(Derived); }
  size_t MallocSize() const override { return MemUsableSize(this); }
  // One block: never worth a background free, whatever the element count (as Redis's
  // lazyfreeGetFreeEffort for listpack and intset encodings).
  size_t FreeEffort() const override { return 1; }
  std::unique_ptr<Object> Clone() const override { return FromBytes(listpack().Bytes()); }

  // A copy of the first `keep` blob bytes in a block holding at least `capacity`.
  std::unique_ptr<Derived> CopyPrefix(size_t keep, size_t capacity) const {
    auto copy = Allocate(std::max(keep, capacity));
    std::memcpy(copy->blob(), blob(), keep);
    return copy;
  }

 private:
  static std::unique_ptr<Derived> Allocate(size_t capacity) {
    void* block = MemAlloc(sizeof(Derived) + capacity);
    return std::unique_ptr<Derived>(new (block) Derived());
  }
};

// An empty listpack (header + terminator).
inline constexpr std::string_view kEmptyListpackBytes{"\x07\x00\x00\x00\x00\x00\xff", 7};

// A PackedObject's block as a ListpackEditor sees it: the listpack grows in place while the
// block has room, and otherwise moves to a bigger block that replaces the Value's object. A
// block left far bigger than its listpack after removals is copied to a tighter one.
template <typename Derived>
class PackedBlock final : public ListpackStorage {
 public:
  explicit PackedBlock(Value& value) : value_(value) {}

  uint8_t* Resize(uint8_t* blob, size_t keep, size_t total) override {
    const Derived* d = value_.As<Derived>();
    const size_t capacity = d->Capacity();
    const bool wasteful = keep == total && capacity >= 64 && capacity > 2 * total;
    if (total <= capacity && !wasteful) return blob;
    value_ = Value::FromObject(value_.type(), d->CopyPrefix(keep, total));
    return value_.As<Derived>()->blob();
  }

 private:
  Value& value_;
};

// Runs edit(ListpackEditor&) on the listpack of the Derived object `value` holds, and returns
// what it returns. REQUIRES: value holds a Derived.
template <typename Derived, typename F>
auto EditPacked(Value& value, F&& edit) {
  PackedBlock<Derived> block(value);
  Derived* d = value.As<Derived>();
  ListpackEditor lp(d->blob(), d->listpack().size(), block);
  return edit(lp);
}

}  // namespace ember
