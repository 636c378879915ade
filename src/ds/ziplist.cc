#include "ds/ziplist.h"

#include <cassert>
#include <cstdint>

#include "common/endian.h"

namespace ember::ziplist {

namespace {

constexpr size_t kHeaderSize = 10;
constexpr uint8_t kEnd = 0xFF;
constexpr uint8_t kBigPrevlen = 0xFE;  // prevlen follows as a u32

constexpr uint8_t kInt16 = 0xC0;
constexpr uint8_t kInt32 = 0xD0;
constexpr uint8_t kInt64 = 0xE0;
constexpr uint8_t kInt24 = 0xF0;
constexpr uint8_t kInt8 = 0xFE;
constexpr uint8_t kImmMin = 0xF1;  // 0xF1..0xFD hold 0..12
constexpr uint8_t kImmMax = 0xFD;

int64_t SignExtend(uint64_t u, int bits) {
  int shift = 64 - bits;
  return static_cast<int64_t>(u << shift) >> shift;
}

// Size of the data after an integer encoding byte, or -1 if `enc` is no integer encoding.
int IntSize(uint8_t enc) {
  switch (enc) {
    case kInt8:
      return 1;
    case kInt16:
      return 2;
    case kInt24:
      return 3;
    case kInt32:
      return 4;
    case kInt64:
      return 8;
    default:
      return enc >= kImmMin && enc <= kImmMax ? 0 : -1;
  }
}

struct Entry {
  uint64_t prevlen;  // size of the entry before, as recorded in this one
  size_t data;       // offset of the string bytes or integer bytes
  uint64_t len;      // string length, or integer size
  uint8_t enc;       // first encoding byte
  bool is_str;       // else an integer
  size_t end;        // offset just past the entry
};

// Decodes the entry at `off` reading only bytes before `limit` (the terminator's offset).
bool DecodeEntry(const uint8_t* p, size_t off, size_t limit, Entry* e) {
  size_t q = off;
  if (q >= limit) return false;
  if (p[q] < kBigPrevlen) {
    e->prevlen = p[q];
    q += 1;
  } else {
    if (limit - q < 5) return false;
    e->prevlen = LoadLE32(p + q + 1);
    q += 5;
  }
  if (q >= limit) return false;
  uint8_t b = p[q];
  e->enc = b;
  size_t lensize;
  switch (b >> 6) {
    case 0:
      lensize = 1;
      e->len = b & 0x3F;
      break;
    case 1:
      lensize = 2;
      if (limit - q < lensize) return false;
      e->len = static_cast<uint64_t>(b & 0x3F) << 8 | p[q + 1];
      break;
    case 2:
      lensize = 5;
      if (limit - q < lensize) return false;
      e->len = LoadBE(p + q + 1, 4);
      break;
    default: {
      int n = IntSize(b);
      if (n < 0) return false;
      lensize = 1;
      e->len = static_cast<uint64_t>(n);
    }
  }
  e->is_str = (b >> 6) != 3;
  e->data = q + lensize;
  if (e->len > limit - e->data) return false;
  e->end = e->data + e->len;
  return true;
}

PackedValue ValueOf(const uint8_t* p, const Entry& e) {
  const uint8_t* d = p + e.data;
  if (e.is_str) return PackedValue::Str({reinterpret_cast<const char*>(d), e.len});
  if (e.enc >= kImmMin && e.enc <= kImmMax) return PackedValue::Int((e.enc & 0x0F) - 1);
  int bits = static_cast<int>(e.len) * 8;
  return PackedValue::Int(SignExtend(LoadLE(d, static_cast<int>(e.len)), bits));
}

}  // namespace

bool ValidateIntegrity(std::string_view blob, size_t* count_out) {
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  const size_t size = blob.size();
  if (size < kHeaderSize + 1) return false;
  if (LoadLE32(p) != size || p[size - 1] != kEnd) return false;
  const size_t end = size - 1;
  const uint64_t tail = LoadLE32(p + 4);
  if (tail > end) return false;

  size_t off = kHeaderSize, last = 0, count = 0;
  uint64_t prev_size = 0;
  while (p[off] != kEnd) {
    Entry e;
    if (!DecodeEntry(p, off, end, &e)) return false;
    if (e.prevlen != prev_size) return false;
    prev_size = e.end - off;
    last = off;
    off = e.end;
    ++count;
  }
  if (off != end) return false;  // an 0xFF entry before the real terminator
  if (count > 0 && last != tail) return false;
  uint64_t header_count = LoadLE16(p + 8);
  if (header_count != 65535 && header_count != count) return false;
  if (count_out) *count_out = count;
  return true;
}

void ForEach(std::string_view blob, const std::function<void(const PackedValue&)>& fn) {
  if (blob.size() < kHeaderSize + 1) return;
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  const size_t end = blob.size() - 1;
  for (size_t off = kHeaderSize; p[off] != kEnd;) {
    Entry e;
    // Decoding stays bounds-checked: cheap, and an unvalidated blob cannot make it read astray.
    if (!DecodeEntry(p, off, end, &e)) {
      assert(false && "ziplist::ForEach on an invalid blob");
      return;
    }
    fn(ValueOf(p, e));
    off = e.end;
  }
}

}  // namespace ember::ziplist
