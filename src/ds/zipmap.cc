#include "ds/zipmap.h"

#include <cstdint>

#include "common/endian.h"

namespace ember::zipmap {

namespace {

constexpr uint8_t kBigLen = 254;
constexpr uint8_t kEnd = 255;

using PairFn = std::function<void(std::string_view, std::string_view)>;

// Reads a length at p[*off], using only bytes before `end` (the terminator's offset).
bool ReadLen(const uint8_t* p, size_t* off, size_t end, uint64_t* len) {
  size_t q = *off;
  if (q >= end || p[q] == kEnd) return false;
  if (p[q] < kBigLen) {
    *len = p[q];
    *off = q + 1;
    return true;
  }
  if (end - q < 5) return false;
  *len = LoadLE32(p + q + 1);
  *off = q + 5;
  // Redis's iterator sizes a length field from its value, not its first byte, so it misreads a
  // long form holding a short length (and RESTORE fails); such a blob was never written by Redis.
  return *len >= kBigLen;
}

// Walks every pair, bounds-checked, calling `fn` (if given). False if the blob is malformed.
bool Walk(std::string_view blob, size_t* count_out, const PairFn* fn) {
  const auto* p = reinterpret_cast<const uint8_t*>(blob.data());
  const size_t size = blob.size();
  if (size < 2 || p[size - 1] != kEnd) return false;
  const size_t end = size - 1;
  size_t off = 1, count = 0;
  auto view = [p](size_t at, uint64_t n) {
    return std::string_view(reinterpret_cast<const char*>(p + at), n);
  };
  while (p[off] != kEnd) {
    uint64_t klen, vlen;
    if (!ReadLen(p, &off, end, &klen) || klen > end - off) return false;
    size_t key = off;
    off += klen;
    if (!ReadLen(p, &off, end, &vlen) || off >= end) return false;
    uint64_t slack = p[off++];  // unused bytes after the value
    if (vlen > end - off || slack > end - off - vlen) return false;
    if (fn) (*fn)(view(key, klen), view(off, vlen));
    off += vlen + slack;
    ++count;
  }
  if (off != end) return false;  // an early terminator would hide trailing bytes
  if (count_out) *count_out = count;
  return true;
}

}  // namespace

bool ValidateIntegrity(std::string_view blob, size_t* count_out) {
  size_t count;
  if (!Walk(blob, &count, nullptr)) return false;
  if (count == 0) return false;
  uint8_t zmlen = static_cast<uint8_t>(blob[0]);
  if (zmlen != kBigLen && zmlen != count) return false;
  if (count_out) *count_out = count;
  return true;
}

void ForEach(std::string_view blob, const PairFn& fn) { Walk(blob, nullptr, &fn); }

}  // namespace ember::zipmap
