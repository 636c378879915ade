// The RDB file format constants, as Redis 7.0 defines them (docs/rdb.md describes the layout).
#pragma once

#include <cstdint>

namespace ember::rdb {

// Redis 7.0 writes version 10; 7.2 writes 11 (adds the listpack set and stream v3).
constexpr int kVersion = 10;
constexpr int kMaxReadableVersion = 11;

// Object types (the byte before a key).
enum Type : uint8_t {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeZSet = 3,
  kTypeHash = 4,
  kTypeZSet2 = 5,  // doubles stored binary
  kTypeModulePreGA = 6,
  kTypeModule2 = 7,
  kTypeHashZipmap = 9,
  kTypeListZiplist = 10,
  kTypeSetIntset = 11,
  kTypeZSetZiplist = 12,
  kTypeHashZiplist = 13,
  kTypeListQuicklist = 14,
  kTypeStreamListpacks = 15,
  kTypeHashListpack = 16,
  kTypeZSetListpack = 17,
  kTypeListQuicklist2 = 18,
  kTypeStreamListpacks2 = 19,
  kTypeSetListpack = 20,
  kTypeStreamListpacks3 = 21,
};

inline bool IsObjectType(int t) { return (t >= 0 && t <= 7) || (t >= 9 && t <= 21); }

// Special opcodes.
enum Opcode : uint8_t {
  kOpFunction2 = 245,
  kOpFunctionPreGA = 246,
  kOpModuleAux = 247,
  kOpIdle = 248,
  kOpFreq = 249,
  kOpAux = 250,
  kOpResizeDb = 251,
  kOpExpireTimeMs = 252,
  kOpExpireTime = 253,
  kOpSelectDb = 254,
  kOpEof = 255,
};

// Length encoding: the two top bits of the first byte.
constexpr uint8_t kLen6Bit = 0;
constexpr uint8_t kLen14Bit = 1;
constexpr uint8_t kLen32Bit = 0x80;
constexpr uint8_t kLen64Bit = 0x81;
constexpr uint8_t kLenEncoded = 3;  // 11xxxxxx: a specially encoded string follows

// Special string encodings (the low 6 bits after 11).
constexpr uint8_t kEncInt8 = 0;
constexpr uint8_t kEncInt16 = 1;
constexpr uint8_t kEncInt32 = 2;
constexpr uint8_t kEncLzf = 3;

// Quicklist 2 node containers.
constexpr uint64_t kQuicklistNodePlain = 1;
constexpr uint64_t kQuicklistNodePacked = 2;

}  // namespace ember::rdb
