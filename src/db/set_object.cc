#include "db/set_object.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

#include "common/endian.h"
#include "common/memory.h"
#include "common/strings.h"
#include "db/encoding_limits.h"

namespace ember {

namespace {

constexpr size_t kIntsetHeader = 8;  // width u32 + count u32

// The narrowest intset width that holds v (2, 4 or 8 bytes).
uint32_t WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

// A `width`-byte little-endian two's complement integer, sign-extended.
int64_t LoadSigned(const uint8_t* p, uint32_t width) {
  const int unused_bits = 64 - 8 * static_cast<int>(width);
  return static_cast<int64_t>(LoadLE(p, static_cast<int>(width)) << unused_bits) >> unused_bits;
}

}  // namespace

namespace set_internal {
std::string_view FormatMember(int64_t v, char* buf) { return {buf, FormatInt64(v, buf)}; }
}  // namespace set_internal

// ---------------------------------------------------------------------------------------------
// IntsetSet
// ---------------------------------------------------------------------------------------------

void IntsetSet::FreeBlock(void* p) { MemFree(p); }

std::unique_ptr<IntsetSet> IntsetSet::Allocate(size_t blob_bytes) {
  void* block = MemAlloc(sizeof(IntsetSet) + blob_bytes);
  return std::unique_ptr<IntsetSet>(new (block) IntsetSet());
}

std::unique_ptr<IntsetSet> IntsetSet::FromBlob(std::string_view blob) {
  assert(blob.size() >= kIntsetHeader);
  auto s = Allocate(blob.size());
  std::memcpy(s->blob(), blob.data(), blob.size());
  return s;
}

std::unique_ptr<IntsetSet> IntsetSet::Empty() {
  static constexpr uint8_t kEmpty[kIntsetHeader] = {2, 0, 0, 0, 0, 0, 0, 0};
  return FromBlob({reinterpret_cast<const char*>(kEmpty), kIntsetHeader});
}

uint8_t* IntsetSet::blob() { return reinterpret_cast<uint8_t*>(this) + sizeof(IntsetSet); }
const uint8_t* IntsetSet::blob() const {
  return reinterpret_cast<const uint8_t*>(this) + sizeof(IntsetSet);
}

size_t IntsetSet::size() const { return LoadLE32(blob() + 4); }
uint32_t IntsetSet::width() const { return LoadLE32(blob()); }

std::string_view IntsetSet::Bytes() const {
  return {reinterpret_cast<const char*>(blob()), kIntsetHeader + size() * width()};
}

size_t IntsetSet::MallocSize() const { return MemUsableSize(this); }
size_t IntsetSet::Capacity() const { return MemUsableSize(this) - sizeof(IntsetSet); }

std::unique_ptr<Object> IntsetSet::Clone() const { return FromBlob(Bytes()); }

void IntsetSet::AddToDigest(Digest& digest) const {
  char buf[24];
  for (size_t i = 0, n = size(); i < n; ++i) XorDigest(digest, set_internal::FormatMember(Get(i), buf));
}

int64_t IntsetSet::Get(size_t i) const {
  const uint32_t w = width();
  return LoadSigned(blob() + kIntsetHeader + i * w, w);
}

bool IntsetSet::Find(int64_t v, size_t* index) const {
  // Lower bound: the first value not below v.
  size_t lo = 0, hi = size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (Get(mid) < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *index = lo;
  return lo < size() && Get(lo) == v;
}

bool IntsetSet::Contains(int64_t v) const {
  size_t unused;
  return WidthFor(v) <= width() && Find(v, &unused);
}

size_t IntsetSet::BytesAfterAdding(int64_t v) const {
  return kIntsetHeader + (size() + 1) * std::max(width(), WidthFor(v));
}

std::unique_ptr<IntsetSet> IntsetSet::CopyWithCapacity(size_t min_blob_bytes) const {
  const std::string_view bytes = Bytes();
  auto copy = Allocate(std::max(min_blob_bytes, bytes.size()));
  std::memcpy(copy->blob(), bytes.data(), bytes.size());
  return copy;
}

void IntsetSet::InsertInPlace(int64_t v) {
  const size_t n = size();
  const uint32_t old_width = width();
  const uint32_t new_width = std::max(old_width, WidthFor(v));
  uint8_t* values = blob() + kIntsetHeader;
  if (new_width > old_width) {
    // v needs more bytes than every current value, so it is below or above all of them. Widen
    // from the last value down so no value is overwritten before it has been read.
    const size_t first_slot = v < 0 ? 1 : 0;
    for (size_t i = n; i-- > 0;) {
      const int64_t x = LoadSigned(values + i * old_width, old_width);
      StoreLE(values + (i + first_slot) * new_width, static_cast<uint64_t>(x),
              static_cast<int>(new_width));
    }
    StoreLE(values + (v < 0 ? 0 : n) * new_width, static_cast<uint64_t>(v),
            static_cast<int>(new_width));
    StoreLE32(blob(), new_width);
  } else {
    size_t at;
    Find(v, &at);
    std::memmove(values + (at + 1) * old_width, values + at * old_width, (n - at) * old_width);
    StoreLE(values + at * old_width, static_cast<uint64_t>(v), static_cast<int>(old_width));
  }
  StoreLE32(blob() + 4, static_cast<uint32_t>(n + 1));
}

bool IntsetSet::Remove(int64_t v) {
  size_t at;
  if (WidthFor(v) > width() || !Find(v, &at)) return false;
  const size_t n = size();
  const uint32_t w = width();
  uint8_t* values = blob() + kIntsetHeader;
  std::memmove(values + at * w, values + (at + 1) * w, (n - at - 1) * w);
  StoreLE32(blob() + 4, static_cast<uint32_t>(n - 1));
  return true;
}

// ---------------------------------------------------------------------------------------------
// HashtableSet
// ---------------------------------------------------------------------------------------------

size_t HashtableSet::MallocSize() const { return MemUsableSize(this) + members_.MallocSize(); }

std::unique_ptr<Object> HashtableSet::Clone() const {
  auto copy = std::make_unique<HashtableSet>();
  members_.ForEach([&](std::string_view m) { copy->members_.AddNew(m); });
  return copy;
}

// Redis's xorObjectDigest for sets: each member's SHA1 xored in, so order does not matter.
void HashtableSet::AddToDigest(Digest& digest) const {
  members_.ForEach([&](std::string_view m) { XorDigest(digest, m); });
}

// ---------------------------------------------------------------------------------------------
// The set API
// ---------------------------------------------------------------------------------------------

namespace {

bool IsIntset(const Value& set) { return set.object()->encoding() == ObjectEncoding::kIntset; }

// An intset whose allocation kept far more room than it needs after removals is copied to a
// tighter block (Redis reallocates the intset on every removal).
void TrimIntset(Value& set) {
  auto* is = set.As<IntsetSet>();
  const size_t used = is->Bytes().size();
  if (is->Capacity() >= 64 && is->Capacity() > 2 * used) {
    set = Value::FromObject(ValueType::kSet, is->CopyWithCapacity(used));
  }
}

}  // namespace

size_t SetMaxIntsetEntries() {
  return static_cast<size_t>(
      std::clamp<int64_t>(Limits().set_max_intset_entries, 0, int64_t{1} << 30));
}

Value NewSetFor(std::string_view first_member) {
  int64_t unused;
  return ParseInt64(first_member, &unused) ? NewIntsetSetValue() : NewHashtableSetValue();
}

Value NewIntsetSetValue() { return Value::FromObject(ValueType::kSet, IntsetSet::Empty()); }

Value NewHashtableSetValue() {
  return Value::FromObject(ValueType::kSet, std::make_unique<HashtableSet>());
}

size_t SetSize(const Value& set) { return set.object()->size(); }

bool SetIsMember(Value& set, std::string_view member) {
  if (!IsIntset(set)) return set.As<HashtableSet>()->members().Contains(member);
  int64_t v;
  return ParseInt64(member, &v) && set.As<IntsetSet>()->Contains(v);
}

void SetConvertToHashtable(Value& set) {
  if (!IsIntset(set)) return;
  auto table = std::make_unique<HashtableSet>();
  SetForEach(set, [&](std::string_view m) { table->members().AddNew(m); });
  set = Value::FromObject(ValueType::kSet, std::move(table));
}

bool SetAdd(Value& set, std::string_view member) {
  if (!IsIntset(set)) return set.As<HashtableSet>()->members().Add(member);
  int64_t v;
  if (!ParseInt64(member, &v)) {
    SetConvertToHashtable(set);
    set.As<HashtableSet>()->members().AddNew(member);
    return true;
  }
  IntsetSet* is = set.As<IntsetSet>();
  if (is->Contains(v)) return false;
  const size_t needed = is->BytesAfterAdding(v);
  if (needed > is->Capacity()) {
    set = Value::FromObject(ValueType::kSet, is->CopyWithCapacity(needed));
    is = set.As<IntsetSet>();
  }
  is->InsertInPlace(v);
  if (is->size() > SetMaxIntsetEntries()) SetConvertToHashtable(set);
  return true;
}

bool SetRemove(Value& set, std::string_view member) {
  if (!IsIntset(set)) return set.As<HashtableSet>()->members().Remove(member);
  int64_t v;
  if (!ParseInt64(member, &v) || !set.As<IntsetSet>()->Remove(v)) return false;
  TrimIntset(set);
  return true;
}

void SetRandomMember(Value& set, std::mt19937_64& rng, std::string* out) {
  if (IsIntset(set)) {
    const auto* is = set.As<IntsetSet>();
    char buf[24];
    out->assign(set_internal::FormatMember(is->Get(rng() % is->size()), buf));
    return;
  }
  out->assign(set.As<HashtableSet>()->members().Random(rng));
}

}  // namespace ember
