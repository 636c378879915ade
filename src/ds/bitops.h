// Pure algorithms over byte strings used by the string and bitmap command families: bit counting
// and searching (BITCOUNT, BITPOS), bitwise combination (BITOP), packed integer fields
// (BITFIELD), and the longest common subsequence (LCS).
//
// Bits are numbered as Redis numbers them: bit 0 is the most significant bit of byte 0. Nothing
// here touches the keyspace or replies; the command handlers parse, call these, then reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ember::bitops {

// ---- Counting and searching ----------------------------------------------------------------

// Number of set bits in `n` bytes.
uint64_t Popcount(const uint8_t* p, size_t n);

// Number of set bits in the inclusive bit range [first_bit, last_bit] of `s`.
// REQUIRES: 0 <= first_bit <= last_bit < s.size() * 8.
uint64_t CountBits(std::string_view s, uint64_t first_bit, uint64_t last_bit);

// Position of the first bit equal to `bit` in the inclusive range [first_bit, last_bit] of `s`,
// or -1 when there is none. REQUIRES: 0 <= first_bit <= last_bit < s.size() * 8.
int64_t FindBit(std::string_view s, bool bit, uint64_t first_bit, uint64_t last_bit);

// Value of bit `offset` (0 when past the end).
inline int GetBit(std::string_view s, uint64_t offset) {
  uint64_t byte = offset >> 3;
  if (byte >= s.size()) return 0;
  return (static_cast<uint8_t>(s[byte]) >> (7 - (offset & 7))) & 1;
}

// ---- BITOP ---------------------------------------------------------------------------------

enum class BitOp { kAnd, kOr, kXor, kNot };

// Combines `srcs` byte by byte into `out` (`out_len` bytes); a source shorter than `out_len` is
// treated as zero padded. kNot uses only srcs[0]. REQUIRES: srcs is not empty.
void Combine(BitOp op, std::span<const std::string_view> srcs, uint8_t* out, size_t out_len);

// ---- BITFIELD ------------------------------------------------------------------------------

enum class Overflow { kWrap, kSat, kFail };

// Reads `bits` (1..64) bits at bit `offset` as an unsigned / two's complement signed integer.
// REQUIRES: the bytes holding the field are inside `p`.
uint64_t GetUnsignedField(const uint8_t* p, uint64_t offset, int bits);
int64_t GetSignedField(const uint8_t* p, uint64_t offset, int bits);
// Same, but bits past the end of `s` read as 0.
uint64_t GetUnsignedFieldPadded(std::string_view s, uint64_t offset, int bits);
int64_t GetSignedFieldPadded(std::string_view s, uint64_t offset, int bits);
// Writes the low `bits` bits of `value` at bit `offset`. REQUIRES: the bytes are inside `p`.
void SetUnsignedField(uint8_t* p, uint64_t offset, int bits, uint64_t value);

// Whether `value + incr` fits a field of `bits` bits: 0 when it does, 1 on overflow, -1 on
// underflow. On overflow/underflow `*limit` receives the wrapped (kWrap) or saturated (kSat)
// result; it is left alone for kFail. The arithmetic mirrors Redis's
// checkUnsignedBitfieldOverflow / checkSignedBitfieldOverflow exactly, including how an
// out-of-range SET value (incr 0) is classified. Unsigned `bits` is 1..63, signed 1..64.
int CheckUnsignedOverflow(uint64_t value, int64_t incr, int bits, Overflow ow, uint64_t* limit);
int CheckSignedOverflow(int64_t value, int64_t incr, int bits, Overflow ow, int64_t* limit);

// ---- LCS -----------------------------------------------------------------------------------

// One run of consecutive matching bytes, as inclusive ranges in each string.
struct LcsMatch {
  uint32_t a_start, a_end;
  uint32_t b_start, b_end;
  uint32_t length() const { return a_end - a_start + 1; }
};

struct LcsResult {
  uint32_t length = 0;
  std::string common;             // the subsequence itself (if asked for)
  std::vector<LcsMatch> matches;  // runs from the end of the strings backwards (if asked for)
};

// Bytes of transient memory ComputeLcs needs for strings of these lengths.
uint64_t LcsTableBytes(size_t a_len, size_t b_len);

// Longest common subsequence by dynamic programming, reporting matching runs the way Redis's
// LCS IDX does (from the end backwards; runs shorter than `min_match_len` are left out).
// Returns false if the table could not be allocated. REQUIRES: both lengths < UINT32_MAX - 1.
bool ComputeLcs(std::string_view a, std::string_view b, bool want_common, bool want_matches,
                uint64_t min_match_len, LcsResult* out);

}  // namespace ember::bitops
