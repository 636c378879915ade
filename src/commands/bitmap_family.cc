// Bitmap commands over string values: single bits (SETBIT, GETBIT), counting and searching
// (BITCOUNT, BITPOS, with BYTE or BIT ranges), combining keys (BITOP) and packed integer fields
// (BITFIELD, BITFIELD_RO). Redis keeps these in bitops.c; the algorithms live in ds/bitops.h.
//
// Bit 0 is the most significant bit of the first byte. Writes grow the string with zero bytes
// and turn it "raw"; bit offsets are limited by proto-max-bulk-len (except on the master's link).
// SETBIT and BITFIELD count as changes only when a bit actually changed or the string was
// created or grown, as in Redis 7.0, so no-op writes are not propagated.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "commands/command.h"
#include "commands/command_families.h"
#include "commands/string_helpers.h"
#include "common/errors.h"
#include "common/strings.h"
#include "db/database.h"
#include "db/value.h"
#include "ds/bitops.h"

namespace ember {

namespace {

using std::string_view;
using namespace string_helpers;

// Error texts only this family sends, word for word as Redis 7.0.
constexpr string_view kErrBitArg = "ERR The bit argument must be 1 or 0.";
constexpr string_view kErrBitopNot = "ERR BITOP NOT must be called with a single source key.";
constexpr string_view kErrOverflowType = "ERR Invalid OVERFLOW type specified";
constexpr string_view kErrBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";
constexpr string_view kErrBitfieldRo = "ERR BITFIELD_RO only supports the GET subcommand";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

// Redis's getBitOffsetFromArgument. With `hash_bits` > 0 the "#N" form means N * hash_bits
// (BITFIELD). Negative offsets and offsets past proto-max-bulk-len bytes are errors.
bool ParseBitOffset(CommandContext& ctx, string_view arg, int hash_bits, uint64_t* out) {
  bool use_hash = arg.size() > 1 && arg[0] == '#' && hash_bits > 0;
  if (use_hash) arg.remove_prefix(1);
  int64_t v;
  if (!ParseInt64(arg, &v)) return false;
  // Redis multiplies without an overflow check; wrap the same way.
  if (use_hash)
    v = static_cast<int64_t>(static_cast<uint64_t>(v) * static_cast<uint64_t>(hash_bits));
  if (v < 0) return false;
  const uint64_t byte = static_cast<uint64_t>(v) >> 3;
  if (byte >= static_cast<uint64_t>(kValueMaxLen)) return false;
  if (!ctx.client().is_master_link &&
      byte >= static_cast<uint64_t>(ctx.services().max_string_len())) {
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

// Redis's lookupStringForBitCommand: the string at argv[1], created or zero-grown so that bit
// `max_bit` exists, made mutable ("raw"). Returns nullptr after replying WRONGTYPE. *grown is set
// when the key was created or its length changed.
KeyEntry* LookupStringForBits(CommandContext& ctx, uint64_t max_bit, bool* grown) {
  string_view key = ctx.arg(1);
  const size_t need = static_cast<size_t>(max_bit >> 3) + 1;
  KeyEntry* e = ctx.LookupWrite(key);
  if (!e) {
    *grown = true;
    return ctx.AddNewKey(key, BuildRaw<uint8_t>(need, [&](uint8_t* p) { std::memset(p, 0, need); }));
  }
  if (!IsString(e)) {
    ctx.ReplyStatus(OpStatus::kWrongType);
    return nullptr;
  }
  size_t old_len = e->value.StringLength();
  e->value.MutableString(need);
  *grown = need > old_len;
  return e;
}

// ---------------------------------------------------------------------------------------------
// SETBIT, GETBIT
// ---------------------------------------------------------------------------------------------

void CmdSetBit(CommandContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffset(ctx, ctx.arg(2), 0, &offset)) return ctx.reply().Error(errors::kBitOffset);
  int64_t on;
  if (!ParseInt64(ctx.arg(3), &on) || (on & ~int64_t{1})) {
    return ctx.reply().Error(errors::kBitValue);
  }
  bool grown = false;
  KeyEntry* e = LookupStringForBits(ctx, offset, &grown);
  if (!e) return;

  uint8_t* p = reinterpret_cast<uint8_t*>(e->value.MutableString(0));
  uint8_t& byte = p[offset >> 3];
  const uint8_t mask = static_cast<uint8_t>(1u << (7 - (offset & 7)));
  const int old_bit = (byte & mask) ? 1 : 0;
  if (grown || old_bit != on) {
    byte = static_cast<uint8_t>(on ? (byte | mask) : (byte & ~mask));
    ctx.MarkDirty();
    ctx.Notify(notify::kString, "setbit", ctx.arg(1));
  }
  ctx.reply().Integer(old_bit);
}

void CmdGetBit(CommandContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffset(ctx, ctx.arg(2), 0, &offset)) return ctx.reply().Error(errors::kBitOffset);
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (!e) return ctx.reply().Integer(0);
  if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
  char scratch[21];
  ctx.reply().Integer(bitops::GetBit(e->value.GetString(scratch), offset));
}

// ---------------------------------------------------------------------------------------------
// BITCOUNT, BITPOS
// ---------------------------------------------------------------------------------------------

// Parses a BYTE|BIT unit; returns false on anything else.
bool ParseUnit(string_view arg, bool* is_bit) {
  if (EqualsIgnoreCase(arg, "bit")) {
    *is_bit = true;
  } else if (EqualsIgnoreCase(arg, "byte")) {
    *is_bit = false;
  } else {
    return false;
  }
  return true;
}

// Resolves Redis-style (possibly negative) inclusive indexes against `total` units. Returns
// false for an empty range.
bool ResolveRange(int64_t total, int64_t* start, int64_t* end) {
  if (*start < 0) *start += total;
  if (*end < 0) *end += total;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= total) *end = total - 1;
  return *start <= *end;
}

void CmdBitCount(CommandContext& ctx) {
  // The key is looked up before the range is parsed: a missing key is 0 whatever follows.
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (!e) return ctx.reply().Integer(0);
  if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
  char scratch[21];
  string_view s = e->value.GetString(scratch);

  int64_t start = 0, end = 0;
  bool is_bit = false;
  const size_t argc = ctx.argc();
  if (argc == 4 || argc == 5) {
    if (!ParseInt64(ctx.arg(2), &start) || !ParseInt64(ctx.arg(3), &end)) {
      return ctx.ReplyStatus(OpStatus::kNotAnInteger);
    }
    if (argc == 5 && !ParseUnit(ctx.arg(4), &is_bit)) return ctx.ReplySyntaxError();
    if (start < 0 && end < 0 && start > end) return ctx.reply().Integer(0);
  } else if (argc == 2) {
    start = 0;
    end = -1;
  } else {
    return ctx.ReplySyntaxError();
  }

  const auto len = static_cast<int64_t>(s.size());
  if (!ResolveRange(is_bit ? len * 8 : len, &start, &end)) return ctx.reply().Integer(0);
  const auto first = static_cast<uint64_t>(is_bit ? start : start * 8);
  const auto last = static_cast<uint64_t>(is_bit ? end : end * 8 + 7);
  ctx.reply().Integer(static_cast<int64_t>(bitops::CountBits(s, first, last)));
}

void CmdBitPos(CommandContext& ctx) {
  int64_t bit;
  if (!ParseInt64(ctx.arg(2), &bit)) return ctx.ReplyStatus(OpStatus::kNotAnInteger);
  if (bit != 0 && bit != 1) return ctx.reply().Error(kErrBitArg);

  // A missing key is an endless run of zeros.
  KeyEntry* e = ctx.LookupRead(ctx.arg(1));
  if (!e) return ctx.reply().Integer(bit ? -1 : 0);
  if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
  char scratch[21];
  string_view s = e->value.GetString(scratch);
  const auto len = static_cast<int64_t>(s.size());

  int64_t start = 0, end = 0;
  bool is_bit = false, end_given = false;
  const size_t argc = ctx.argc();
  if (argc >= 4 && argc <= 6) {
    if (!ParseInt64(ctx.arg(3), &start)) return ctx.ReplyStatus(OpStatus::kNotAnInteger);
    if (argc == 6 && !ParseUnit(ctx.arg(5), &is_bit)) return ctx.ReplySyntaxError();
    if (argc >= 5) {
      if (!ParseInt64(ctx.arg(4), &end)) return ctx.ReplyStatus(OpStatus::kNotAnInteger);
      end_given = true;
    } else {
      end = -1;
    }
  } else if (argc == 3) {
    start = 0;
    end = -1;
  } else {
    return ctx.ReplySyntaxError();
  }

  // An empty range holds neither a 0 nor a 1.
  if (!ResolveRange(is_bit ? len * 8 : len, &start, &end)) return ctx.reply().Integer(-1);
  const auto first = static_cast<uint64_t>(is_bit ? start : start * 8);
  const auto last = static_cast<uint64_t>(is_bit ? end : end * 8 + 7);
  int64_t pos = bitops::FindBit(s, bit == 1, first, last);
  // Looking for a 0 with no explicit end: the string continues with zeros past its end.
  if (pos < 0 && bit == 0 && !end_given) pos = static_cast<int64_t>(last) + 1;
  ctx.reply().Integer(pos);
}

// ---------------------------------------------------------------------------------------------
// BITOP
// ---------------------------------------------------------------------------------------------

void CmdBitOp(CommandContext& ctx) {
  using bitops::BitOp;
  const std::optional<BitOp> op = MatchKeyword<BitOp>(
      ctx.arg(1),
      {{"and", BitOp::kAnd}, {"or", BitOp::kOr}, {"xor", BitOp::kXor}, {"not", BitOp::kNot}});
  if (!op) return ctx.ReplySyntaxError();
  if (*op == BitOp::kNot && ctx.argc() != 4) return ctx.reply().Error(kErrBitopNot);

  // Missing keys are empty strings; int-encoded values are formatted into per-key scratch.
  const size_t numkeys = ctx.argc() - 3;
  std::vector<string_view> srcs(numkeys);
  std::vector<char> scratch(numkeys * 21);
  size_t maxlen = 0;
  for (size_t j = 0; j < numkeys; ++j) {
    KeyEntry* e = ctx.LookupRead(ctx.arg(j + 3));
    if (!e) continue;
    if (!IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
    srcs[j] = e->value.GetString(scratch.data() + j * 21);
    maxlen = std::max(maxlen, srcs[j].size());
  }

  string_view dest = ctx.arg(2);
  if (maxlen) {
    // Computed into a fresh value before the destination (maybe also a source) is replaced.
    Value result =
        BuildRaw<uint8_t>(maxlen, [&](uint8_t* p) { bitops::Combine(*op, srcs, p, maxlen); });
    ctx.LookupWrite(dest);  // setKey's lookup: an expired destination goes first
    ctx.db().Set(dest, std::move(result));
    ctx.MarkDirty();
    ctx.Notify(notify::kString, "set", dest);
  } else if (ctx.db().Delete(dest)) {  // dbDelete: a stale destination is a "del" too
    ctx.MarkDirty();
    ctx.Notify(notify::kGeneric, "del", dest);
  }
  ctx.reply().Integer(static_cast<int64_t>(maxlen));
}

// ---------------------------------------------------------------------------------------------
// BITFIELD, BITFIELD_RO
// ---------------------------------------------------------------------------------------------

struct BitfieldOp {
  enum Kind : uint8_t { kGet, kSet, kIncrBy } kind;
  bool is_signed;
  int bits;
  bitops::Overflow overflow;
  uint64_t offset;
  int64_t value;  // SET value or INCRBY increment
};

// "i8", "u16", ...: signed up to 64 bits, unsigned up to 63.
bool ParseBitfieldType(string_view arg, bool* is_signed, int* bits) {
  if (arg.empty()) return false;
  if (arg[0] == 'i' || arg[0] == 'I') {
    *is_signed = true;
  } else if (arg[0] == 'u' || arg[0] == 'U') {
    *is_signed = false;
  } else {
    return false;
  }
  string_view digits = arg.substr(1);
  // Redis reads the width as a C string: it stops at a NUL byte.
  if (size_t nul = digits.find('\0'); nul != string_view::npos) digits = digits.substr(0, nul);
  int64_t n;
  if (!ParseInt64(digits, &n) || n < 1 || (*is_signed && n > 64) || (!*is_signed && n > 63)) {
    return false;
  }
  *bits = static_cast<int>(n);
  return true;
}

// A BITFIELD SET or INCRBY of the field `op` names in `buf`, Int giving the field's signedness
// (int64_t or uint64_t): replies with the old value (SET) or the new one (INCRBY), or null when
// OVERFLOW FAIL refuses the write (nullopt). Returns whether the field's bits changed.
template <typename Int>
std::optional<bool> WriteBitfield(uint8_t* buf, const BitfieldOp& op, ReplyBuilder& r) {
  constexpr bool kSigned = std::is_signed_v<Int>;
  auto overflows = [&](Int value, int64_t incr, Int* limit) {
    if constexpr (kSigned) {
      return bitops::CheckSignedOverflow(value, incr, op.bits, op.overflow, limit);
    } else {
      return bitops::CheckUnsignedOverflow(value, incr, op.bits, op.overflow, limit);
    }
  };
  Int old_val;
  if constexpr (kSigned) {
    old_val = bitops::GetSignedField(buf, op.offset, op.bits);
  } else {
    old_val = bitops::GetUnsignedField(buf, op.offset, op.bits);
  }
  Int new_val, wrapped = 0;
  int of;
  if (op.kind == BitfieldOp::kIncrBy) {
    of = overflows(old_val, op.value, &wrapped);
    // Two's complement addition, without signed overflow.
    new_val = static_cast<Int>(static_cast<uint64_t>(old_val) + static_cast<uint64_t>(op.value));
  } else {
    new_val = static_cast<Int>(op.value);
    of = overflows(new_val, 0, &wrapped);
  }
  if (of) {
    if (op.overflow == bitops::Overflow::kFail) {
      r.Null();
      return std::nullopt;
    }
    new_val = wrapped;
  }
  r.Integer(static_cast<int64_t>(op.kind == BitfieldOp::kIncrBy ? new_val : old_val));
  bitops::SetUnsignedField(buf, op.offset, op.bits, static_cast<uint64_t>(new_val));
  return old_val != new_val;
}

void BitfieldGeneric(CommandContext& ctx, bool read_only_cmd) {
  std::vector<BitfieldOp> ops;
  bitops::Overflow overflow = bitops::Overflow::kWrap;
  bool read_only = true;
  uint64_t highest_write_bit = 0;

  for (size_t j = 2; j < ctx.argc(); ++j) {
    const size_t remaining = ctx.argc() - j - 1;
    string_view sub = ctx.arg(j);
    BitfieldOp op{};
    if (EqualsIgnoreCase(sub, "get") && remaining >= 2) {
      op.kind = BitfieldOp::kGet;
    } else if (EqualsIgnoreCase(sub, "set") && remaining >= 3) {
      op.kind = BitfieldOp::kSet;
    } else if (EqualsIgnoreCase(sub, "incrby") && remaining >= 3) {
      op.kind = BitfieldOp::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "overflow") && remaining >= 1) {
      const std::optional<bitops::Overflow> type = MatchKeyword<bitops::Overflow>(
          ctx.arg(++j), {{"wrap", bitops::Overflow::kWrap},
                         {"sat", bitops::Overflow::kSat},
                         {"fail", bitops::Overflow::kFail}});
      if (!type) return ctx.reply().Error(kErrOverflowType);
      overflow = *type;
      continue;
    } else {
      return ctx.ReplySyntaxError();
    }

    if (!ParseBitfieldType(ctx.arg(j + 1), &op.is_signed, &op.bits)) {
      return ctx.reply().Error(kErrBitfieldType);
    }
    if (!ParseBitOffset(ctx, ctx.arg(j + 2), op.bits, &op.offset)) {
      return ctx.reply().Error(errors::kBitOffset);
    }
    if (op.kind != BitfieldOp::kGet) {
      read_only = false;
      highest_write_bit =
          std::max(highest_write_bit, op.offset + static_cast<uint64_t>(op.bits) - 1);
      if (!ParseInt64(ctx.arg(j + 3), &op.value)) return ctx.ReplyStatus(OpStatus::kNotAnInteger);
    }
    op.overflow = overflow;
    ops.push_back(op);
    j += op.kind == BitfieldOp::kGet ? 2 : 3;
  }

  KeyEntry* e;
  bool grown = false;
  if (read_only) {
    // A missing key reads as zeros, but another type is still an error.
    e = ctx.LookupRead(ctx.arg(1));
    if (e && !IsString(e)) return ctx.ReplyStatus(OpStatus::kWrongType);
  } else {
    if (read_only_cmd) return ctx.reply().Error(kErrBitfieldRo);
    e = LookupStringForBits(ctx, highest_write_bit, &grown);
    if (!e) return;
  }

  // For writes the value is now a mutable buffer covering every written field.
  uint8_t* buf = read_only ? nullptr : reinterpret_cast<uint8_t*>(e->value.MutableString(0));
  uint64_t changes = 0;
  ReplyBuilder& r = ctx.reply();
  r.ArrayLen(ops.size());
  for (const BitfieldOp& op : ops) {
    if (op.kind == BitfieldOp::kGet) {
      char scratch[21];
      string_view s = e ? e->value.GetString(scratch) : string_view();
      if (op.is_signed) {
        r.Integer(bitops::GetSignedFieldPadded(s, op.offset, op.bits));
      } else {
        r.Integer(static_cast<int64_t>(bitops::GetUnsignedFieldPadded(s, op.offset, op.bits)));
      }
      continue;
    }
    const std::optional<bool> changed = op.is_signed ? WriteBitfield<int64_t>(buf, op, r)
                                                      : WriteBitfield<uint64_t>(buf, op, r);
    if (changed && (grown || *changed)) ++changes;
  }
  if (changes) {
    ctx.MarkDirty(changes);
    ctx.Notify(notify::kString, "setbit", ctx.arg(1));
  }
}

void CmdBitfield(CommandContext& ctx) { BitfieldGeneric(ctx, false); }
void CmdBitfieldRo(CommandContext& ctx) { BitfieldGeneric(ctx, true); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

void RegisterBitmapFamily(CommandTable& table) {
  using namespace cmd_flags;
  // Arity, flags and key positions as Redis 7.0's COMMAND INFO reports them.
  table.Add(
      MakeCommand("setbit", 4, kWrite | kDenyOom, {1, 1, 1}, CmdSetBit, "bitmap", acl_cat::kBitmap,
                  "Sets or clears one bit of a string value, returning its old value.", "2.2.0"));
  table.Add(MakeCommand("getbit", 3, kReadOnly | kFast, {1, 1, 1}, CmdGetBit, "bitmap",
                        acl_cat::kBitmap, "Returns one bit of a string value.", "2.2.0"));
  table.Add(
      MakeCommand("bitcount", -2, kReadOnly, {1, 1, 1}, CmdBitCount, "bitmap", acl_cat::kBitmap,
                  "Counts the set bits of a string value, optionally within a range.", "2.6.0"));
  table.Add(MakeCommand("bitpos", -3, kReadOnly, {1, 1, 1}, CmdBitPos, "bitmap", acl_cat::kBitmap,
                        "Finds the first set or clear bit of a string value.", "2.8.7"));
  table.Add(MakeCommand("bitop", -4, kWrite | kDenyOom, {2, -1, 1}, CmdBitOp, "bitmap",
                        acl_cat::kBitmap,
                        "Combines string values bitwise (AND, OR, XOR, NOT) into a key.", "2.6.0"));
  table.Add(MakeCommand(
      "bitfield", -2, kWrite | kDenyOom, {1, 1, 1}, CmdBitfield, "bitmap", acl_cat::kBitmap,
      "Reads, writes and increments packed integer fields of a string value.", "3.2.0"));
  table.Add(MakeCommand("bitfield_ro", -2, kReadOnly | kFast, {1, 1, 1}, CmdBitfieldRo, "bitmap",
                        acl_cat::kBitmap, "Reads packed integer fields of a string value.",
                        "6.0.0"));
}

}  // namespace ember
