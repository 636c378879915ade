#include "ds/bitops.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>

namespace ember::bitops {

namespace {

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline const uint8_t* Bytes(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

}  // namespace

// ---- Counting and searching ----------------------------------------------------------------

uint64_t Popcount(const uint8_t* p, size_t n) {
  uint64_t count = 0;
  size_t i = 0;
  // Four independent accumulators keep the popcount units busy on long strings.
  uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  for (; i + 32 <= n; i += 32) {
    c0 += static_cast<uint64_t>(__builtin_popcountll(Load64(p + i)));
    c1 += static_cast<uint64_t>(__builtin_popcountll(Load64(p + i + 8)));
    c2 += static_cast<uint64_t>(__builtin_popcountll(Load64(p + i + 16)));
    c3 += static_cast<uint64_t>(__builtin_popcountll(Load64(p + i + 24)));
  }
  count = c0 + c1 + c2 + c3;
  for (; i + 8 <= n; i += 8) count += static_cast<uint64_t>(__builtin_popcountll(Load64(p + i)));
  for (; i < n; ++i) count += static_cast<uint64_t>(__builtin_popcount(p[i]));
  return count;
}

uint64_t CountBits(std::string_view s, uint64_t first_bit, uint64_t last_bit) {
  const uint8_t* p = Bytes(s);
  uint64_t first_byte = first_bit >> 3;
  uint64_t last_byte = last_bit >> 3;
  uint64_t count = Popcount(p + first_byte, last_byte - first_byte + 1);
  // Take back the bits of the edge bytes that lie outside the range. The two masks are disjoint
  // even when both edges are the same byte.
  unsigned before = (0xFFu << (8 - (first_bit & 7))) & 0xFFu;
  unsigned after = (1u << (7 - (last_bit & 7))) - 1;
  count -= static_cast<uint64_t>(__builtin_popcount(p[first_byte] & before));
  count -= static_cast<uint64_t>(__builtin_popcount(p[last_byte] & after));
  return count;
}

int64_t FindBit(std::string_view s, bool bit, uint64_t first_bit, uint64_t last_bit) {
  const uint8_t* p = Bytes(s);
  const uint8_t skip_byte = bit ? 0x00 : 0xFF;
  const uint64_t skip_word = bit ? 0 : ~uint64_t{0};
  uint64_t pos = first_bit;
  while (pos <= last_bit) {
    if ((pos & 7) != 0 || pos + 7 > last_bit) {
      // A partial byte at either edge: test bit by bit.
      if (GetBit(s, pos) == static_cast<int>(bit)) return static_cast<int64_t>(pos);
      ++pos;
      continue;
    }
    // Byte aligned with at least a whole byte left: skip uninteresting words, then bytes.
    while (pos + 63 <= last_bit && Load64(p + (pos >> 3)) == skip_word) pos += 64;
    if (pos + 7 > last_bit) continue;
    uint8_t b = p[pos >> 3];
    if (b == skip_byte) {
      pos += 8;
      continue;
    }
    unsigned v = bit ? b : static_cast<uint8_t>(~b);
    // The first wanted bit is the most significant set bit of v.
    return static_cast<int64_t>(pos) + (__builtin_clz(v) - 24);
  }
  return -1;
}

// ---- BITOP ---------------------------------------------------------------------------------

void Combine(BitOp op, std::span<const std::string_view> srcs, uint8_t* out, size_t out_len) {
  size_t n0 = std::min(srcs[0].size(), out_len);
  if (n0) std::memcpy(out, srcs[0].data(), n0);
  std::memset(out + n0, 0, out_len - n0);
  if (op == BitOp::kNot) {
    for (size_t i = 0; i < out_len; ++i) out[i] = static_cast<uint8_t>(~out[i]);
    return;
  }
  for (size_t k = 1; k < srcs.size(); ++k) {
    const uint8_t* src = Bytes(srcs[k]);
    size_t n = std::min(srcs[k].size(), out_len);
    switch (op) {
      case BitOp::kAnd:
        for (size_t i = 0; i < n; ++i) out[i] &= src[i];
        std::memset(out + n, 0, out_len - n);
        break;
      case BitOp::kOr:
        for (size_t i = 0; i < n; ++i) out[i] |= src[i];
        break;
      case BitOp::kXor:
        for (size_t i = 0; i < n; ++i) out[i] ^= src[i];
        break;
      case BitOp::kNot:
        break;
    }
  }
}

// ---- BITFIELD ------------------------------------------------------------------------------

uint64_t GetUnsignedField(const uint8_t* p, uint64_t offset, int bits) {
  uint64_t value = 0;
  for (int j = 0; j < bits; ++j, ++offset) {
    uint64_t bitval = (p[offset >> 3] >> (7 - (offset & 7))) & 1;
    value = (value << 1) | bitval;
  }
  return value;
}

int64_t GetSignedField(const uint8_t* p, uint64_t offset, int bits) {
  uint64_t u = GetUnsignedField(p, offset, bits);
  // Sign-extend from the field's top bit.
  if (bits < 64 && (u & (uint64_t{1} << (bits - 1)))) u |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(u);
}

namespace {
// Copies the (at most 9) bytes holding a field into a zero-padded buffer; returns the field's
// bit offset inside it.
uint64_t CopyFieldBytes(std::string_view s, uint64_t offset, uint8_t (&buf)[9]) {
  std::memset(buf, 0, sizeof(buf));
  uint64_t byte = offset >> 3;
  if (byte < s.size()) {
    size_t n = std::min<size_t>(sizeof(buf), s.size() - byte);
    std::memcpy(buf, s.data() + byte, n);
  }
  return offset & 7;
}
}  // namespace

uint64_t GetUnsignedFieldPadded(std::string_view s, uint64_t offset, int bits) {
  uint8_t buf[9];
  uint64_t local = CopyFieldBytes(s, offset, buf);
  return GetUnsignedField(buf, local, bits);
}

int64_t GetSignedFieldPadded(std::string_view s, uint64_t offset, int bits) {
  uint8_t buf[9];
  uint64_t local = CopyFieldBytes(s, offset, buf);
  return GetSignedField(buf, local, bits);
}

void SetUnsignedField(uint8_t* p, uint64_t offset, int bits, uint64_t value) {
  for (int j = 0; j < bits; ++j, ++offset) {
    uint64_t bitval = (value >> (bits - 1 - j)) & 1;
    uint8_t mask = static_cast<uint8_t>(1u << (7 - (offset & 7)));
    uint8_t& b = p[offset >> 3];
    b = static_cast<uint8_t>(bitval ? (b | mask) : (b & ~mask));
  }
}

int CheckUnsignedOverflow(uint64_t value, int64_t incr, int bits, Overflow ow, uint64_t* limit) {
  const uint64_t max = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  // Only used once value <= max, when neither can wrap.
  const int64_t max_incr = static_cast<int64_t>(max - value);
  const int64_t min_incr = static_cast<int64_t>(0 - value);
  int result;
  if (value > max || (incr > 0 && incr > max_incr)) {
    result = 1;
    if (ow == Overflow::kSat) *limit = max;
  } else if (incr < 0 && incr < min_incr) {
    result = -1;
    if (ow == Overflow::kSat) *limit = 0;
  } else {
    return 0;
  }
  if (ow == Overflow::kWrap) {
    uint64_t sum = value + static_cast<uint64_t>(incr);
    *limit = bits >= 64 ? sum : (sum & max);
  }
  return result;
}

int CheckSignedOverflow(int64_t value, int64_t incr, int bits, Overflow ow, int64_t* limit) {
  const int64_t max = bits >= 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
  const int64_t min = -max - 1;
  // These may wrap when `value` is out of range; they are only decisive when it is not. The
  // wrapped comparisons reproduce Redis's classification of out-of-range SET values.
  const int64_t max_incr =
      static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
  const int64_t min_incr =
      static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
  int result;
  if (value > max || (bits != 64 && incr > max_incr) ||
      (value >= 0 && incr > 0 && incr > max_incr)) {
    result = 1;
    if (ow == Overflow::kSat) *limit = max;
  } else if (value < min || (bits != 64 && incr < min_incr) ||
             (value < 0 && incr < 0 && incr < min_incr)) {
    result = -1;
    if (ow == Overflow::kSat) *limit = min;
  } else {
    return 0;
  }
  if (ow == Overflow::kWrap) {
    uint64_t sum = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      uint64_t high = ~uint64_t{0} << bits;
      uint64_t msb = uint64_t{1} << (bits - 1);
      sum = (sum & msb) ? (sum | high) : (sum & ~high);
    }
    *limit = static_cast<int64_t>(sum);
  }
  return result;
}

// ---- LCS -----------------------------------------------------------------------------------

uint64_t LcsTableBytes(size_t a_len, size_t b_len) {
  return (static_cast<uint64_t>(a_len) + 1) * (static_cast<uint64_t>(b_len) + 1) * sizeof(uint32_t);
}

bool ComputeLcs(std::string_view a, std::string_view b, bool want_common, bool want_matches,
                uint64_t min_match_len, LcsResult* out) {
  const auto alen = static_cast<uint32_t>(a.size());
  const auto blen = static_cast<uint32_t>(b.size());
  const uint64_t cells = (uint64_t{alen} + 1) * (uint64_t{blen} + 1);
  if (cells > SIZE_MAX / sizeof(uint32_t)) return false;
  std::unique_ptr<uint32_t[]> table(new (std::nothrow) uint32_t[cells]);
  if (!table) return false;
  const uint64_t row = uint64_t{blen} + 1;
  auto at = [&](uint32_t i, uint32_t j) -> uint32_t& { return table[i * row + j]; };

  // at(i, j) is the LCS length of a[0..i) and b[0..j).
  for (uint32_t j = 0; j <= blen; ++j) at(0, j) = 0;
  for (uint32_t i = 1; i <= alen; ++i) {
    at(i, 0) = 0;
    const char ac = a[i - 1];
    for (uint32_t j = 1; j <= blen; ++j) {
      if (ac == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }

  out->length = at(alen, blen);
  out->common.clear();
  out->matches.clear();
  if (!want_common && !want_matches) return true;
  if (want_common) out->common.resize(out->length);

  // Walk back from the end. Matching bytes extend the current run backwards; a step that skips
  // a byte closes it. The tie-break (prefer moving in b) decides which LCS is reported, and must
  // stay as it is to report what Redis reports.
  uint32_t idx = out->length;
  uint32_t i = alen, j = blen;
  bool open = false;
  LcsMatch run{};
  auto close_run = [&] {
    if (want_matches && run.length() >= min_match_len) out->matches.push_back(run);
    open = false;
  };
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      if (want_common) out->common[--idx] = a[i - 1];
      if (!open) {
        run = {i - 1, i - 1, j - 1, j - 1};
        open = true;
      } else {
        // Consecutive matches always continue the run: both indexes moved back by one.
        --run.a_start;
        --run.b_start;
      }
      --i;
      --j;
      if (run.a_start == 0 || run.b_start == 0) close_run();
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (open) close_run();
    }
  }
  return true;
}

}  // namespace ember::bitops
