// RdbWriter: encodes RDB primitives (lengths, strings with the int and LZF encodings, opcodes,
// objects) into a sink, keeping the CRC64 of everything written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "db/value.h"
#include "persistence/rdb_io.h"

namespace ember {

struct RdbWriteOptions {
  bool compression = true;  // rdbcompression: LZF for strings longer than 20 bytes
  bool checksum = true;     // rdbchecksum: otherwise the trailer is 8 zero bytes
};

class RdbWriter {
 public:
  RdbWriter(RdbSink* sink, RdbWriteOptions opts) : sink_(sink), opts_(opts) {}
  ~RdbWriter() = default;
  RdbWriter(const RdbWriter&) = delete;
  RdbWriter& operator=(const RdbWriter&) = delete;

  // Every Save* returns false once the sink failed; the first failure sticks.
  bool SaveHeader();  // "REDIS0010"
  bool SaveAux(std::string_view key, std::string_view value);
  bool SaveAuxInt(std::string_view key, int64_t value);
  bool SaveSelectDb(int db);
  bool SaveResizeDb(uint64_t db_size, uint64_t expires_size);
  bool SaveExpireMs(int64_t when_ms);
  bool SaveIdle(uint64_t idle_seconds);
  bool SaveFreq(uint8_t counter);
  bool SaveFunction(std::string_view library_code);
  // Type byte, key and value.
  bool SaveKeyValue(std::string_view key, const Value& value);
  // The value alone (type byte + payload): the body of a DUMP payload.
  bool SaveObject(const Value& value);
  // The value's encoding without the type byte.
  bool SavePayload(const Value& value);
  // EOF opcode and the CRC trailer; flushes.
  bool SaveEof();
  // Pushes buffered bytes to the sink.
  bool Flush();

  // Primitives.
  bool SaveType(uint8_t type) { return SaveByte(type); }
  bool SaveLen(uint64_t len);
  bool SaveString(std::string_view s);
  bool SaveInt64AsString(int64_t v);
  // A double as 8 little-endian IEEE 754 bytes (RDB_TYPE_ZSET_2 scores).
  bool SaveBinaryDouble(double v);
  bool SaveRaw(const void* data, size_t len);
  bool SaveByte(uint8_t b) { return SaveRaw(&b, 1); }

  uint64_t crc() const { return crc_; }
  bool ok() const { return ok_; }
  uint64_t bytes_written() const { return flushed_ + buf_.size(); }

 private:
  static uint8_t TypeOf(const Value& value);
  // Appends the int encoding of `v` if it fits in 32 bits.
  bool TrySaveEncodedInt(int64_t v);
  bool TrySaveLzf(std::string_view s);

  RdbSink* sink_;
  RdbWriteOptions opts_;
  std::string buf_;
  std::string lzf_buf_;
  uint64_t crc_ = 0;
  uint64_t flushed_ = 0;
  bool ok_ = true;
};

// Bytes of a value's encoding without the type byte (DEBUG OBJECT serializedlength).
size_t RdbSerializedLength(const Value& value, bool compression);

}  // namespace ember
