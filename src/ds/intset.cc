#include "ds/intset.h"

#include <cassert>
#include <cstring>
#include <utility>

#include "common/endian.h"
#include "common/memory.h"

namespace ember {

namespace {

constexpr uint8_t kEmptyBlob[Intset::kHeaderSize] = {2, 0, 0, 0, 0, 0, 0, 0};

// Value i of an array of `enc`-byte little-endian integers. REQUIRES: enc is 2, 4 or 8.
int64_t Load(const uint8_t* values, size_t i, uint32_t enc) {
  const uint8_t* p = values + i * enc;
  switch (enc) {
    case 2:
      return static_cast<int16_t>(LoadLE16(p));
    case 4:
      return static_cast<int32_t>(LoadLE32(p));
    default:
      assert(enc == 8);
      return static_cast<int64_t>(LoadLE64(p));
  }
}

// Stores the low `enc` bytes of `v`. REQUIRES: enc is 2, 4 or 8.
void Store(uint8_t* values, size_t i, uint32_t enc, int64_t v) {
  uint8_t* p = values + i * enc;
  const auto u = static_cast<uint64_t>(v);
  switch (enc) {
    case 2:
      StoreLE16(p, static_cast<uint16_t>(u));
      break;
    case 4:
      StoreLE32(p, static_cast<uint32_t>(u));
      break;
    default:
      assert(enc == 8);
      StoreLE64(p, u);
  }
}

// The narrowest width that holds `v` (Redis's _intsetValueEncoding).
uint32_t EncodingFor(int64_t v) {
  if (v < INT32_MIN || v > INT32_MAX) return 8;
  if (v < INT16_MIN || v > INT16_MAX) return 4;
  return 2;
}

}  // namespace

Intset::~Intset() { MemFree(buf_); }

Intset::Intset(Intset&& o) noexcept : buf_(std::exchange(o.buf_, nullptr)) {}

Intset& Intset::operator=(Intset&& o) noexcept {
  if (this != &o) {
    MemFree(buf_);
    buf_ = std::exchange(o.buf_, nullptr);
  }
  return *this;
}

Intset Intset::FromBytes(std::string_view blob) {
  assert(ValidateIntegrity(blob, /*deep=*/false));
  Intset s;
  s.buf_ = static_cast<uint8_t*>(MemAlloc(blob.size()));
  std::memcpy(s.buf_, blob.data(), blob.size());
  return s;
}

const uint8_t* Intset::data() const { return buf_ ? buf_ : kEmptyBlob; }

std::string_view Intset::Bytes() const {
  return {reinterpret_cast<const char*>(data()), ByteSize()};
}

size_t Intset::size() const { return LoadLE32(data() + 4); }

uint32_t Intset::encoding() const { return LoadLE32(data()); }

size_t Intset::MallocSize() const { return buf_ ? MemUsableSize(buf_) : 0; }

int64_t Intset::Get(size_t i) const {
  assert(i < size());
  return Load(data() + kHeaderSize, i, encoding());
}

bool Intset::Search(int64_t v, size_t* pos) const {
  size_t lo = 0, hi = size();  // answer in [lo, hi]
  const uint8_t* values = data() + kHeaderSize;
  uint32_t enc = encoding();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t cur = Load(values, mid, enc);
    if (cur == v) {
      *pos = mid;
      return true;
    }
    if (cur < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *pos = lo;
  return false;
}

bool Intset::Contains(int64_t v) const {
  size_t pos;
  return EncodingFor(v) <= encoding() && Search(v, &pos);
}

// Sets the header and reallocates to hold `n` values of `enc` bytes; the values themselves are
// left for the caller to move.
void Intset::Resize(uint32_t enc, size_t n) {
  size_t bytes = kHeaderSize + n * enc;
  if (!buf_) {
    buf_ = static_cast<uint8_t*>(MemAlloc(bytes));
    std::memcpy(buf_, kEmptyBlob, kHeaderSize);
  } else {
    buf_ = static_cast<uint8_t*>(MemRealloc(buf_, bytes));
  }
  StoreLE32(buf_, enc);
  StoreLE32(buf_ + 4, static_cast<uint32_t>(n));
}

bool Intset::Add(int64_t v) {
  const size_t n = size();
  const uint32_t enc = encoding();
  const uint32_t need = EncodingFor(v);
  if (need > enc) {
    // A value wider than all others is below or above all of them: widen every value back to
    // front (so none is overwritten before it is read), leaving v's slot free at its end.
    const size_t shift = v < 0 ? 1 : 0;
    Resize(need, n + 1);
    uint8_t* values = buf_ + kHeaderSize;
    for (size_t i = n; i-- > 0;) Store(values, i + shift, need, Load(values, i, enc));
    Store(values, shift ? 0 : n, need, v);
    return true;
  }
  size_t pos;
  if (Search(v, &pos)) return false;
  Resize(enc, n + 1);
  uint8_t* values = buf_ + kHeaderSize;
  std::memmove(values + (pos + 1) * enc, values + pos * enc, (n - pos) * enc);
  Store(values, pos, enc, v);
  return true;
}

bool Intset::Remove(int64_t v) {
  const size_t n = size();
  const uint32_t enc = encoding();
  size_t pos;
  if (EncodingFor(v) > enc || !Search(v, &pos)) return false;
  uint8_t* values = buf_ + kHeaderSize;
  std::memmove(values + pos * enc, values + (pos + 1) * enc, (n - pos - 1) * enc);
  Resize(enc, n - 1);
  return true;
}

bool Intset::ValidateIntegrity(std::string_view blob, bool deep) {
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  if (blob.size() < kHeaderSize) return false;
  const uint32_t enc = LoadLE32(p);
  if (enc != 2 && enc != 4 && enc != 8) return false;
  const uint64_t count = LoadLE32(p + 4);
  if (kHeaderSize + count * enc != blob.size()) return false;
  if (count == 0) return false;  // Redis never stores an empty set
  if (!deep) return true;
  const uint8_t* values = p + kHeaderSize;
  for (size_t i = 1; i < count; ++i) {
    if (Load(values, i, enc) <= Load(values, i - 1, enc)) return false;
  }
  return true;
}

}  // namespace ember
