// RdbReader: decodes RDB primitives and objects from a source, never trusting the input: every
// length is bounded by the bytes actually present before memory is committed to it, and every
// failure records a message and the offset where it happened.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "db/value.h"
#include "persistence/rdb_io.h"

namespace ember {

class RdbReader {
 public:
  explicit RdbReader(RdbSource* src) : src_(src) {}
  RdbReader(const RdbReader&) = delete;
  RdbReader& operator=(const RdbReader&) = delete;

  // "REDIS" + 4 digits; fails on a bad signature or an unsupported version.
  bool ReadHeader(int* version);
  bool ReadByte(uint8_t* b);
  bool ReadRaw(void* out, size_t len);
  // A length; with `encoded` non-null, a special string encoding (11xxxxxx) is reported there
  // instead of being an error.
  bool ReadLen(uint64_t* len, bool* encoded = nullptr);
  // A string in any encoding (raw, int, LZF).
  bool ReadString(std::string* out);
  // Exactly `len` raw bytes.
  bool ReadBytes(uint64_t len, std::string* out);
  bool ReadMillis(int64_t* ms);
  bool ReadSeconds(int32_t* s);
  // A double as 8 little-endian IEEE 754 bytes (RDB_TYPE_ZSET_2).
  bool ReadBinaryDouble(double* v);
  // A double in the old text form (RDB_TYPE_ZSET): a length byte and that many ASCII
  // characters, or 253/254/255 for NaN/+inf/-inf.
  bool ReadStringDouble(double* v);
  // The value of an object of RDB type `type`.
  bool ReadObject(uint8_t type, Value* out);
  // Skips a module id and reports why its data cannot be loaded.
  bool RejectModuleValue();

  // Records a failure at the current offset; always returns false.
  bool Fail(std::string message);
  const std::string& error() const { return error_; }
  uint64_t error_offset() const { return error_offset_; }
  // Bytes consumed so far.
  uint64_t offset() const { return consumed_before_ + pos_; }
  // CRC64 of the bytes consumed so far.
  uint64_t crc();
  // Bytes read from the source but not consumed (a socket's data after the snapshot).
  std::string TakeUnconsumed();

 private:
  bool Fill(size_t want);
  bool ReadEncodedInt(uint8_t enc, std::string* out);
  bool ReadLzf(std::string* out);

  RdbSource* src_;
  std::string buf_;
  size_t pos_ = 0;        // next unread byte in buf_
  size_t crc_done_ = 0;   // bytes of buf_ already in crc_
  uint64_t crc_ = 0;
  uint64_t consumed_before_ = 0;  // bytes dropped from the front of buf_
  std::string error_;
  uint64_t error_offset_ = 0;
};

// The module type name encoded in a module id (9 characters from Redis's 64-symbol set).
std::string ModuleTypeName(uint64_t module_id);

}  // namespace ember
