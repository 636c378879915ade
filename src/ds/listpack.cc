#include "ds/listpack.h"

#include <cassert>
#include <cstring>
#include <utility>

#include "common/endian.h"
#include "common/memory.h"
#include "common/strings.h"

namespace ember {

namespace {

// First byte of an entry. Small forms keep part of the value or length in the low bits.
constexpr uint8_t kEnc6BitStr = 0x80;   // 10xxxxxx: string of up to 63 bytes
constexpr uint8_t kEnc13BitInt = 0xC0;  // 110xxxxx + 1 byte
constexpr uint8_t kEnc12BitStr = 0xE0;  // 1110xxxx + 1 byte of length
constexpr uint8_t kEnc32BitStr = 0xF0;  // + 4 bytes of length
constexpr uint8_t kEnc16BitInt = 0xF1;
constexpr uint8_t kEnc24BitInt = 0xF2;
constexpr uint8_t kEnc32BitInt = 0xF3;
constexpr uint8_t kEnc64BitInt = 0xF4;
constexpr uint8_t kEof = 0xFF;

constexpr uint8_t kEmptyBlob[] = {7, 0, 0, 0, 0, 0, kEof};
constexpr uint64_t kBadBacklen = UINT64_MAX;

// Two's complement value of the low `bits` bits of `u`.
int64_t SignExtend(uint64_t u, int bits) {
  int shift = 64 - bits;
  return static_cast<int64_t>(u << shift) >> shift;
}

// Bytes of backlen for an entry whose encoding + data take `l` bytes. The thresholds are Redis's
// lpEncodeBacklen, including its `<` where `<=` would fit: 16383 takes 3 bytes, 2097151 takes 4.
uint32_t BacklenSize(uint64_t l) {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

// Most significant 7-bit group first without a flag; every later byte carries 0x80, so a
// backwards reader stops at the first byte without it.
void EncodeBacklen(uint64_t l, uint8_t* out) {
  uint32_t n = BacklenSize(l);
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t group = static_cast<uint8_t>((l >> (7 * (n - 1 - i))) & 127);
    out[i] = i == 0 ? group : (group | 0x80);
  }
}

// Reads a backlen whose last byte is p[last], never looking below p[lo].
uint64_t DecodeBacklen(const uint8_t* p, size_t lo, size_t last) {
  uint64_t v = 0;
  for (int i = 0; i < 5 && last >= lo + i; ++i) {
    uint8_t b = p[last - i];
    v |= static_cast<uint64_t>(b & 127) << (7 * i);
    if (!(b & 0x80)) return v;
  }
  return kBadBacklen;
}

// Length of an entry's encoding + data from its first bytes, reading at most `avail` bytes.
// False for an invalid encoding byte (0xF5..0xFF) or a length header that does not fit.
bool EncodedLen(const uint8_t* p, size_t avail, uint64_t* len) {
  uint8_t b = p[0];
  if (b < 0x80) {
    *len = 1;
  } else if ((b & 0xC0) == kEnc6BitStr) {
    *len = 1 + (b & 0x3F);
  } else if ((b & 0xE0) == kEnc13BitInt) {
    *len = 2;
  } else if ((b & 0xF0) == kEnc12BitStr) {
    if (avail < 2) return false;
    *len = 2 + (static_cast<uint64_t>(b & 0x0F) << 8 | p[1]);
  } else if (b == kEnc32BitStr) {
    if (avail < 5) return false;
    *len = 5 + uint64_t{LoadLE32(p + 1)};
  } else if (b == kEnc16BitInt) {
    *len = 3;
  } else if (b == kEnc24BitInt) {
    *len = 4;
  } else if (b == kEnc32BitInt) {
    *len = 5;
  } else if (b == kEnc64BitInt) {
    *len = 9;
  } else {
    return false;
  }
  return true;
}

// Writes the smallest integer encoding of `v`, as lpEncodeGetType chooses it. Returns its size.
uint32_t EncodeInt(int64_t v, uint8_t* out) {
  uint64_t u = static_cast<uint64_t>(v);
  if (v >= 0 && v <= 127) {
    out[0] = static_cast<uint8_t>(v);
    return 1;
  }
  if (v >= -4096 && v <= 4095) {
    out[0] = static_cast<uint8_t>(kEnc13BitInt | ((u >> 8) & 0x1F));
    out[1] = static_cast<uint8_t>(u);
    return 2;
  }
  int bytes;
  if (v >= INT16_MIN && v <= INT16_MAX) {
    out[0] = kEnc16BitInt;
    bytes = 2;
  } else if (v >= -(1 << 23) && v < (1 << 23)) {
    out[0] = kEnc24BitInt;
    bytes = 3;
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    out[0] = kEnc32BitInt;
    bytes = 4;
  } else {
    out[0] = kEnc64BitInt;
    bytes = 8;
  }
  StoreLE(out + 1, u, bytes);
  return 1 + bytes;
}

}  // namespace

// ---- PackedValue -----------------------------------------------------------------------------

std::string PackedValue::ToString() const { return is_int ? Int64ToString(num) : std::string(str); }

bool PackedValue::Equals(std::string_view s) const {
  if (!is_int) return str == s;
  int64_t v;
  return ParseInt64(s, &v) && v == num;
}

// ---- Encoding a new entry --------------------------------------------------------------------

// An entry ready to be written: encoding (the whole entry for integers, the length header for
// strings), the string bytes, and the backlen.
struct ListpackEditor::Encoded {
  uint8_t head[9];
  uint32_t head_len = 0;
  std::string_view payload;
  uint8_t back[5];
  uint32_t back_len = 0;

  uint64_t size() const { return head_len + payload.size() + back_len; }

  static Encoded FromInt(int64_t v) {
    Encoded e;
    e.head_len = EncodeInt(v, e.head);
    e.SetBacklen();
    return e;
  }

  static Encoded FromString(std::string_view s) {
    // Strings that are canonical integers are stored as integers, as Redis does.
    int64_t v;
    if (ParseInt64(s, &v)) return FromInt(v);
    Encoded e;
    uint64_t n = s.size();  // > UINT32_MAX never fits; Splice rejects it by total size
    if (n < 64) {
      e.head[0] = static_cast<uint8_t>(kEnc6BitStr | n);
      e.head_len = 1;
    } else if (n < 4096) {
      e.head[0] = static_cast<uint8_t>(kEnc12BitStr | (n >> 8));
      e.head[1] = static_cast<uint8_t>(n);
      e.head_len = 2;
    } else {
      e.head[0] = kEnc32BitStr;
      StoreLE32(e.head + 1, static_cast<uint32_t>(n));
      e.head_len = 5;
    }
    e.payload = s;
    e.SetBacklen();
    return e;
  }

  void SetBacklen() {
    uint64_t l = head_len + payload.size();
    back_len = BacklenSize(l);
    EncodeBacklen(l, back);
  }

  void WriteTo(uint8_t* p) const {
    std::memcpy(p, head, head_len);
    if (!payload.empty()) std::memcpy(p + head_len, payload.data(), payload.size());
    std::memcpy(p + head_len + payload.size(), back, back_len);
  }
};

// ---- Navigation ------------------------------------------------------------------------------

ListpackView ListpackView::Over(const uint8_t* blob) {
  ListpackView v(blob, LoadLE16(blob + 4));
  if (v.count_ == kUnknownCount) {
    v.count_ = 0;
    for (Pos p = v.First(); p != kNoPos; p = v.Next(p)) ++v.count_;
  }
  return v;
}

uint32_t ListpackView::TotalBytes() const { return LoadLE32(buf_); }

uint32_t ListpackView::EntrySize(Pos p) const {
  uint64_t len = 0;
  EncodedLen(buf_ + p, SIZE_MAX, &len);  // a stored entry is valid
  return static_cast<uint32_t>(len + BacklenSize(len));
}

ListpackView::Pos ListpackView::First() const {
  return buf_[kHeaderSize] == kEof ? kNoPos : kHeaderSize;
}

ListpackView::Pos ListpackView::Last() const { return Prev(TotalBytes() - 1); }

ListpackView::Pos ListpackView::Next(Pos p) const {
  Pos q = p + EntrySize(p);
  return buf_[q] == kEof ? kNoPos : q;
}

ListpackView::Pos ListpackView::Prev(Pos p) const {
  if (p <= kHeaderSize) return kNoPos;
  uint64_t len = DecodeBacklen(buf_, kHeaderSize, p - 1);
  return static_cast<Pos>(p - len - BacklenSize(len));
}

ListpackView::Pos ListpackView::Seek(int64_t index) const {
  int64_t n = static_cast<int64_t>(count_);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return kNoPos;
  // Walk from whichever end is nearer.
  if (index <= n / 2) {
    Pos p = First();
    while (index-- > 0) p = Next(p);
    return p;
  }
  Pos p = Last();
  for (int64_t i = n - 1; i > index; --i) p = Prev(p);
  return p;
}

PackedValue ListpackView::Get(Pos pos) const {
  const uint8_t* p = buf_ + pos;
  uint8_t b = p[0];
  auto str = [](const uint8_t* s, uint64_t n) {
    return PackedValue::Str({reinterpret_cast<const char*>(s), n});
  };
  if (b < 0x80) return PackedValue::Int(b);
  if ((b & 0xC0) == kEnc6BitStr) return str(p + 1, b & 0x3F);
  if ((b & 0xE0) == kEnc13BitInt) return PackedValue::Int(SignExtend((b & 0x1F) << 8 | p[1], 13));
  if ((b & 0xF0) == kEnc12BitStr) return str(p + 2, (b & 0x0F) << 8 | p[1]);
  switch (b) {
    case kEnc32BitStr:
      return str(p + 5, LoadLE32(p + 1));
    case kEnc16BitInt:
      return PackedValue::Int(SignExtend(LoadLE16(p + 1), 16));
    case kEnc24BitInt:
      return PackedValue::Int(SignExtend(LoadLE(p + 1, 3), 24));
    case kEnc32BitInt:
      return PackedValue::Int(SignExtend(LoadLE32(p + 1), 32));
    default:
      assert(b == kEnc64BitInt);
      return PackedValue::Int(static_cast<int64_t>(LoadLE64(p + 1)));
  }
}

ListpackView::Pos ListpackView::Find(std::string_view value, Pos start, uint32_t skip) const {
  // Parse once: an integer entry can only equal a canonical integer string.
  int64_t num;
  bool value_is_int = ParseInt64(value, &num);
  uint32_t to_skip = 0;
  for (Pos p = start; p != kNoPos; p = Next(p)) {
    if (to_skip > 0) {
      --to_skip;
      continue;
    }
    PackedValue v = Get(p);
    if (v.is_int ? (value_is_int && v.num == num) : v.str == value) return p;
    to_skip = skip;
  }
  return kNoPos;
}

// ---- Mutation --------------------------------------------------------------------------------

ListpackView::Pos ListpackEditor::Append(std::string_view value) {
  return InsertAt(TotalBytes() - 1, Encoded::FromString(value));
}

ListpackView::Pos ListpackEditor::AppendInt(int64_t value) {
  return InsertAt(TotalBytes() - 1, Encoded::FromInt(value));
}

ListpackView::Pos ListpackEditor::Prepend(std::string_view value) {
  return InsertAt(kHeaderSize, Encoded::FromString(value));
}

ListpackView::Pos ListpackEditor::InsertBefore(Pos p, std::string_view value) {
  return InsertAt(p, Encoded::FromString(value));
}

ListpackView::Pos ListpackEditor::InsertAfter(Pos p, std::string_view value) {
  return InsertAt(p + EntrySize(p), Encoded::FromString(value));
}

ListpackView::Pos ListpackEditor::Replace(Pos p, std::string_view value) {
  Encoded e = Encoded::FromString(value);
  return Splice(p, EntrySize(p), &e, count_);
}

ListpackView::Pos ListpackEditor::ReplaceInt(Pos p, int64_t value) {
  Encoded e = Encoded::FromInt(value);
  return Splice(p, EntrySize(p), &e, count_);
}

ListpackView::Pos ListpackEditor::Delete(Pos p, uint32_t count) {
  Pos end = p;
  uint32_t n = 0;
  for (; n < count && buf_[end] != kEof; ++n) end += EntrySize(end);
  if (n == 0) return buf_[p] == kEof ? kNoPos : p;
  Splice(p, end - p, nullptr, count_ - n);
  return buf_[p] == kEof ? kNoPos : p;
}

ListpackView::Pos ListpackEditor::InsertAt(uint32_t off, const Encoded& e) {
  return Splice(off, 0, &e, count_ + 1);
}

// Replaces the `old_len` bytes at `off` with `e` (nothing if null). Like Redis, grows before
// moving the tail and offers the room back after shrinking.
ListpackView::Pos ListpackEditor::Splice(uint32_t off, uint32_t old_len, const Encoded* e,
                                         size_t new_count) {
  uint64_t add = e ? e->size() : 0;
  uint64_t old_total = TotalBytes();
  uint64_t new_total = old_total - old_len + add;
  if (new_total > UINT32_MAX) return kNoPos;
  size_t tail = old_total - off - old_len;  // includes the terminator
  if (new_total > old_total) buf_ = storage_.Resize(mutable_data(), old_total, new_total);
  uint8_t* buf = mutable_data();
  std::memmove(buf + off + add, buf + off + old_len, tail);
  if (new_total < old_total) buf_ = buf = storage_.Resize(buf, new_total, new_total);
  if (e) e->WriteTo(buf + off);
  StoreLE32(buf, static_cast<uint32_t>(new_total));
  SetCount(new_count);
  return off;
}

void ListpackEditor::SetCount(size_t n) {
  count_ = n;
  StoreLE16(mutable_data() + 4, static_cast<uint16_t>(n < kUnknownCount ? n : kUnknownCount));
}

// ---- Listpack --------------------------------------------------------------------------------

// A Listpack's own block: reallocated only past the allocator's usable size when growing, and to
// the exact size after shrinking, as Redis's lpInsert does.
class Listpack::OwnBlock final : public ListpackStorage {
 public:
  uint8_t* Resize(uint8_t* blob, size_t keep, size_t total) override {
    if (keep < total && total <= MemUsableSize(blob)) return blob;
    return static_cast<uint8_t*>(MemRealloc(blob, total));
  }
};

Listpack::~Listpack() { MemFree(buf_); }

Listpack::Listpack(Listpack&& o) noexcept
    : buf_(std::exchange(o.buf_, nullptr)), count_(std::exchange(o.count_, 0)) {}

Listpack& Listpack::operator=(Listpack&& o) noexcept {
  if (this != &o) {
    MemFree(buf_);
    buf_ = std::exchange(o.buf_, nullptr);
    count_ = std::exchange(o.count_, 0);
  }
  return *this;
}

Listpack Listpack::FromBytes(std::string_view blob) {
  assert(ValidateIntegrity(blob, /*deep=*/false));
  Listpack lp;
  lp.buf_ = static_cast<uint8_t*>(MemAlloc(blob.size()));
  std::memcpy(lp.buf_, blob.data(), blob.size());
  lp.count_ = ListpackView::Over(lp.buf_).size();
  return lp;
}

size_t Listpack::MallocSize() const { return buf_ ? MemUsableSize(buf_) : 0; }

const uint8_t* Listpack::data() const { return buf_ ? buf_ : kEmptyBlob; }

template <typename F>
Listpack::Pos Listpack::Edit(F&& edit) {
  if (!buf_) {
    buf_ = static_cast<uint8_t*>(MemAlloc(sizeof(kEmptyBlob)));
    std::memcpy(buf_, kEmptyBlob, sizeof(kEmptyBlob));
  }
  OwnBlock block;
  ListpackEditor editor(buf_, count_, block);
  Pos p = edit(editor);
  buf_ = editor.mutable_data();
  count_ = editor.size();
  return p;
}

Listpack::Pos Listpack::Append(std::string_view value) {
  return Edit([&](ListpackEditor& e) { return e.Append(value); });
}

Listpack::Pos Listpack::AppendInt(int64_t value) {
  return Edit([&](ListpackEditor& e) { return e.AppendInt(value); });
}

Listpack::Pos Listpack::Prepend(std::string_view value) {
  return Edit([&](ListpackEditor& e) { return e.Prepend(value); });
}

Listpack::Pos Listpack::InsertBefore(Pos p, std::string_view value) {
  return Edit([&](ListpackEditor& e) { return e.InsertBefore(p, value); });
}

Listpack::Pos Listpack::InsertAfter(Pos p, std::string_view value) {
  return Edit([&](ListpackEditor& e) { return e.InsertAfter(p, value); });
}

Listpack::Pos Listpack::Replace(Pos p, std::string_view value) {
  return Edit([&](ListpackEditor& e) { return e.Replace(p, value); });
}

Listpack::Pos Listpack::ReplaceInt(Pos p, int64_t value) {
  return Edit([&](ListpackEditor& e) { return e.ReplaceInt(p, value); });
}

Listpack::Pos Listpack::Delete(Pos p, uint32_t count) {
  return Edit([&](ListpackEditor& e) { return e.Delete(p, count); });
}

// ---- Validation ------------------------------------------------------------------------------

bool Listpack::ValidateIntegrity(std::string_view blob, bool deep, size_t* count_out) {
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  const size_t size = blob.size();
  if (size < kHeaderSize + 1) return false;
  if (LoadLE32(p) != size || p[size - 1] != kEof) return false;
  const size_t eof = size - 1;

  // Checks the entry at `off` (whose first byte is not the terminator, so off < eof) and sets
  // *next past it. Every read stays below `eof`.
  auto check_entry = [&](size_t off, size_t* next) {
    uint64_t len;
    if (!EncodedLen(p + off, eof - off, &len)) return false;
    if (len > eof - off) return false;
    uint64_t end = off + len + BacklenSize(len);
    if (end > eof) return false;
    if (DecodeBacklen(p, off + len, end - 1) != len) return false;
    *next = end;
    return true;
  };

  size_t off = kHeaderSize;
  if (!deep) return p[off] == kEof || check_entry(off, &off);

  size_t count = 0;
  while (p[off] != kEof) {
    if (!check_entry(off, &off)) return false;
    ++count;
  }
  // A terminator byte before the end would hide trailing garbage from forward walks while
  // backward walks would start in it.
  if (off != eof) return false;
  uint64_t header_count = LoadLE16(p + 4);
  if (header_count != kUnknownCount && header_count != count) return false;
  if (count_out) *count_out = count;
  return true;
}

}  // namespace ember
