#include "persistence/rdb_reader.h"

#include <lzf.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "common/crc64.h"
#include "common/endian.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_types.h"

namespace ember {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// A string's bytes are read in steps of this size, so a corrupt length cannot make us allocate
// far more than the input holds.
constexpr size_t kStringStep = 1 << 20;
// An LZF back-reference token of 3 bytes expands to at most 264 bytes.
constexpr uint64_t kMaxLzfRatio = 90;

}  // namespace

bool RdbReader::Fail(std::string message) {
  if (error_.empty()) {
    error_ = std::move(message);
    error_offset_ = offset();
  }
  return false;
}

uint64_t RdbReader::crc() {
  crc_ = Crc64(crc_, buf_.data() + crc_done_, pos_ - crc_done_);
  crc_done_ = pos_;
  return crc_;
}

std::string RdbReader::TakeUnconsumed() {
  crc();
  std::string rest = buf_.substr(pos_);
  buf_.resize(pos_);
  return rest;
}

bool RdbReader::Fill(size_t want) {
  if (buf_.size() - pos_ >= want) return true;
  // Drop consumed bytes (folding them into the CRC first).
  crc();
  consumed_before_ += pos_;
  buf_.erase(0, pos_);
  pos_ = 0;
  crc_done_ = 0;
  while (buf_.size() < want) {
    size_t have = buf_.size();
    size_t ask = want - have > kReadChunk ? want - have : kReadChunk;
    buf_.resize(have + ask);
    size_t n = src_->Read(buf_.data() + have, ask);
    buf_.resize(have + n);
    if (n == 0) return Fail("Unexpected EOF reading RDB file");
  }
  return true;
}

bool RdbReader::ReadRaw(void* out, size_t len) {
  if (!Fill(len)) return false;
  std::memcpy(out, buf_.data() + pos_, len);
  pos_ += len;
  return true;
}

bool RdbReader::ReadByte(uint8_t* b) { return ReadRaw(b, 1); }

bool RdbReader::ReadHeader(int* version) {
  char magic[9];
  if (!ReadRaw(magic, 9)) return false;
  if (std::memcmp(magic, "REDIS", 5) != 0) return Fail("Wrong signature trying to load DB from file");
  int v = 0;
  for (int i = 5; i < 9; i++) {
    if (magic[i] < '0' || magic[i] > '9') return Fail("Wrong signature trying to load DB from file");
    v = v * 10 + (magic[i] - '0');
  }
  if (v < 1 || v > rdb::kMaxReadableVersion) {
    return Fail("Can't handle RDB format version " + std::to_string(v));
  }
  *version = v;
  return true;
}

bool RdbReader::ReadLen(uint64_t* len, bool* encoded) {
  uint8_t b[8];
  if (!ReadByte(b)) return false;
  const int kind = b[0] >> 6;
  if (encoded) *encoded = false;
  if (kind == rdb::kLenEncoded) {
    if (!encoded) return Fail("Unexpected encoded length");
    *encoded = true;
    *len = b[0] & 0x3f;
    return true;
  }
  if (kind == rdb::kLen6Bit) {
    *len = b[0] & 0x3f;
    return true;
  }
  if (kind == rdb::kLen14Bit) {
    uint8_t lo;
    if (!ReadByte(&lo)) return false;
    *len = (static_cast<uint64_t>(b[0] & 0x3f) << 8) | lo;
    return true;
  }
  int n;
  if (b[0] == rdb::kLen32Bit) {
    n = 4;
  } else if (b[0] == rdb::kLen64Bit) {
    n = 8;
  } else {
    return Fail("Unknown length encoding " + std::to_string(b[0]) + " in rdbLoadLen()");
  }
  if (!ReadRaw(b, static_cast<size_t>(n))) return false;
  *len = LoadBE(b, n);
  return true;
}

bool RdbReader::ReadEncodedInt(uint8_t enc, std::string* out) {
  unsigned char b[4];
  int64_t v;
  if (enc == rdb::kEncInt8) {
    if (!ReadRaw(b, 1)) return false;
    v = static_cast<int8_t>(b[0]);
  } else if (enc == rdb::kEncInt16) {
    if (!ReadRaw(b, 2)) return false;
    v = static_cast<int16_t>(LoadLE16(b));
  } else {
    if (!ReadRaw(b, 4)) return false;
    v = static_cast<int32_t>(LoadLE32(b));
  }
  *out = std::to_string(v);
  return true;
}

bool RdbReader::ReadLzf(std::string* out) {
  uint64_t clen, ulen;
  if (!ReadLen(&clen) || !ReadLen(&ulen)) return false;
  if (clen == 0 || ulen == 0 || ulen > clen * kMaxLzfRatio + 64 || ulen > UINT32_MAX) {
    return Fail("Invalid LZF compressed string lengths");
  }
  std::string compressed;
  if (!ReadBytes(clen, &compressed)) return false;
  out->resize(static_cast<size_t>(ulen));
  unsigned int n = lzf_decompress(compressed.data(), static_cast<unsigned int>(clen), out->data(),
                                  static_cast<unsigned int>(ulen));
  if (n != ulen) return Fail("Invalid LZF compressed string");
  return true;
}

bool RdbReader::ReadString(std::string* out) {
  uint64_t len;
  bool encoded;
  if (!ReadLen(&len, &encoded)) return false;
  if (encoded) {
    switch (len) {
      case rdb::kEncInt8:
      case rdb::kEncInt16:
      case rdb::kEncInt32:
        return ReadEncodedInt(static_cast<uint8_t>(len), out);
      case rdb::kEncLzf:
        return ReadLzf(out);
      default:
        return Fail("Unknown RDB string encoding type " + std::to_string(len));
    }
  }
  return ReadBytes(len, out);
}

bool RdbReader::ReadBytes(uint64_t len, std::string* out) {
  out->clear();
  // Grow step by step: a truncated file with a huge length fails at its end, not in malloc.
  while (out->size() < len) {
    size_t step = static_cast<size_t>(std::min<uint64_t>(len - out->size(), kStringStep));
    if (!Fill(step)) return false;
    out->append(buf_.data() + pos_, step);
    pos_ += step;
  }
  return true;
}

bool RdbReader::ReadMillis(int64_t* ms) {
  unsigned char b[8];
  if (!ReadRaw(b, 8)) return false;
  *ms = static_cast<int64_t>(LoadLE64(b));
  return true;
}

bool RdbReader::ReadSeconds(int32_t* s) {
  unsigned char b[4];
  if (!ReadRaw(b, 4)) return false;
  *s = static_cast<int32_t>(LoadLE32(b));
  return true;
}

bool RdbReader::ReadBinaryDouble(double* v) {
  unsigned char b[8];
  if (!ReadRaw(b, 8)) return false;
  uint64_t bits = LoadLE64(b);
  std::memcpy(v, &bits, 8);
  return true;
}

bool RdbReader::ReadStringDouble(double* v) {
  uint8_t len;
  if (!ReadByte(&len)) return false;
  switch (len) {
    case 253: *v = std::numeric_limits<double>::quiet_NaN(); return true;
    case 254: *v = std::numeric_limits<double>::infinity(); return true;
    case 255: *v = -std::numeric_limits<double>::infinity(); return true;
  }
  char buf[256];
  if (!ReadRaw(buf, len)) return false;
  buf[len] = '\0';
  char* end = nullptr;
  *v = std::strtod(buf, &end);
  if (len == 0 || end != buf + len) return Fail("Invalid double value in RDB");
  return true;
}

std::string ModuleTypeName(uint64_t module_id) {
  static constexpr char kCharset[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string name(9, ' ');
  uint64_t bits = module_id >> 10;  // the low 10 bits are the encoding version
  for (int j = 8; j >= 0; j--) {
    name[static_cast<size_t>(j)] = kCharset[bits & 63];
    bits >>= 6;
  }
  return name;
}

bool RdbReader::RejectModuleValue() {
  uint64_t id;
  if (!ReadLen(&id)) return false;
  return Fail("The RDB file contains module data I can't load: no matching module type '" +
              ModuleTypeName(id) + "'");
}

bool RdbReader::ReadObject(uint8_t type, Value* out) {
  switch (type) {
    case rdb::kTypeString: {
      std::string s;
      if (!ReadString(&s)) return false;
      *out = Value::FromString(s);
      return true;
    }
    case rdb::kTypeList:
    case rdb::kTypeListZiplist:
    case rdb::kTypeListQuicklist:
    case rdb::kTypeListQuicklist2:
      return LoadList(*this, type, out);
    case rdb::kTypeSet:
    case rdb::kTypeSetIntset:
    case rdb::kTypeSetListpack:
      return LoadSet(*this, type, out);
    case rdb::kTypeZSet:
    case rdb::kTypeZSet2:
    case rdb::kTypeZSetZiplist:
    case rdb::kTypeZSetListpack:
      return LoadZSet(*this, type, out);
    case rdb::kTypeHash:
    case rdb::kTypeHashZipmap:
    case rdb::kTypeHashZiplist:
    case rdb::kTypeHashListpack:
      return LoadHash(*this, type, out);
    case rdb::kTypeModulePreGA:
    case rdb::kTypeModule2:
      return RejectModuleValue();
    default:
      if (!rdb::IsObjectType(type)) return Fail("Unknown RDB encoding type " + std::to_string(type));
      // Each data type adds its encodings here when it lands (docs/rdb.md).
      return Fail("RDB object type " + std::to_string(type) +
                  " holds a data type this Ember version does not support yet");
  }
}

}  // namespace ember
