#include "persistence/rdb_writer.h"

#include <lzf.h>

#include <cstring>

#include "common/crc64.h"
#include "common/endian.h"
#include "common/strings.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_types.h"

namespace ember {
namespace {

constexpr size_t kFlushThreshold = 64 * 1024;

}  // namespace

bool RdbWriter::SaveRaw(const void* data, size_t len) {
  if (!ok_) return false;
  buf_.append(static_cast<const char*>(data), len);
  if (buf_.size() >= kFlushThreshold) return Flush();
  return true;
}

bool RdbWriter::Flush() {
  if (!ok_) return false;
  if (buf_.empty()) return true;
  crc_ = Crc64(crc_, buf_);
  ok_ = sink_->Write(buf_.data(), buf_.size());
  flushed_ += buf_.size();
  buf_.clear();
  return ok_;
}

bool RdbWriter::SaveHeader() {
  char magic[16];
  int n = std::snprintf(magic, sizeof(magic), "REDIS%04d", rdb::kVersion);
  return SaveRaw(magic, static_cast<size_t>(n));
}

bool RdbWriter::SaveLen(uint64_t len) {
  unsigned char b[9];
  if (len < (1u << 6)) {
    b[0] = static_cast<unsigned char>(len);
    return SaveRaw(b, 1);
  }
  if (len < (1u << 14)) {
    b[0] = static_cast<unsigned char>((len >> 8) | (rdb::kLen14Bit << 6));
    b[1] = static_cast<unsigned char>(len & 0xff);
    return SaveRaw(b, 2);
  }
  if (len <= UINT32_MAX) {
    b[0] = rdb::kLen32Bit;
    StoreBE(b + 1, len, 4);
    return SaveRaw(b, 5);
  }
  b[0] = rdb::kLen64Bit;
  StoreBE(b + 1, len, 8);
  return SaveRaw(b, 9);
}

bool RdbWriter::TrySaveEncodedInt(int64_t v) {
  unsigned char b[5];
  size_t n;
  if (v >= INT8_MIN && v <= INT8_MAX) {
    b[0] = (rdb::kLenEncoded << 6) | rdb::kEncInt8;
    b[1] = static_cast<unsigned char>(v);
    n = 2;
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    b[0] = (rdb::kLenEncoded << 6) | rdb::kEncInt16;
    StoreLE16(b + 1, static_cast<uint16_t>(v));
    n = 3;
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    b[0] = (rdb::kLenEncoded << 6) | rdb::kEncInt32;
    StoreLE32(b + 1, static_cast<uint32_t>(v));
    n = 5;
  } else {
    return false;
  }
  SaveRaw(b, n);
  return true;
}

bool RdbWriter::TrySaveLzf(std::string_view s) {
  // As Redis: compression must save at least 4 bytes to be worth it.
  if (s.size() <= 4) return false;
  size_t out_len = s.size() - 4;
  if (lzf_buf_.size() < out_len) lzf_buf_.resize(out_len);
  unsigned int clen = lzf_compress(s.data(), static_cast<unsigned int>(s.size()),
                                   lzf_buf_.data(), static_cast<unsigned int>(out_len));
  if (clen == 0) return false;
  SaveByte((rdb::kLenEncoded << 6) | rdb::kEncLzf);
  SaveLen(clen);
  SaveLen(s.size());
  SaveRaw(lzf_buf_.data(), clen);
  // A huge incompressible-then-compressible value should not pin a huge scratch buffer.
  if (lzf_buf_.size() > (1u << 20)) std::string().swap(lzf_buf_);
  return true;
}

bool RdbWriter::SaveString(std::string_view s) {
  if (s.size() <= 11) {
    int64_t v;
    // Only strings that are the canonical spelling of their integer (so they read back equal).
    if (ParseInt64(s, &v) && TrySaveEncodedInt(v)) return ok_;
  }
  if (opts_.compression && s.size() > 20 && s.size() <= UINT32_MAX && TrySaveLzf(s)) return ok_;
  SaveLen(s.size());
  return SaveRaw(s.data(), s.size());
}

bool RdbWriter::SaveInt64AsString(int64_t v) {
  if (TrySaveEncodedInt(v)) return ok_;
  char digits[24];
  int n = std::snprintf(digits, sizeof(digits), "%lld", static_cast<long long>(v));
  SaveLen(static_cast<uint64_t>(n));
  return SaveRaw(digits, static_cast<size_t>(n));
}

bool RdbWriter::SaveAux(std::string_view key, std::string_view value) {
  SaveByte(rdb::kOpAux);
  SaveString(key);
  return SaveString(value);
}

bool RdbWriter::SaveAuxInt(std::string_view key, int64_t value) {
  SaveByte(rdb::kOpAux);
  SaveString(key);
  return SaveInt64AsString(value);
}

bool RdbWriter::SaveSelectDb(int db) {
  SaveByte(rdb::kOpSelectDb);
  return SaveLen(static_cast<uint64_t>(db));
}

bool RdbWriter::SaveResizeDb(uint64_t db_size, uint64_t expires_size) {
  SaveByte(rdb::kOpResizeDb);
  SaveLen(db_size);
  return SaveLen(expires_size);
}

bool RdbWriter::SaveExpireMs(int64_t when_ms) {
  SaveByte(rdb::kOpExpireTimeMs);
  unsigned char b[8];
  StoreLE64(b, static_cast<uint64_t>(when_ms));
  return SaveRaw(b, 8);
}

bool RdbWriter::SaveIdle(uint64_t idle_seconds) {
  SaveByte(rdb::kOpIdle);
  return SaveLen(idle_seconds);
}

bool RdbWriter::SaveFreq(uint8_t counter) {
  SaveByte(rdb::kOpFreq);
  return SaveByte(counter);
}

bool RdbWriter::SaveFunction(std::string_view library_code) {
  SaveByte(rdb::kOpFunction2);
  return SaveString(library_code);
}

bool RdbWriter::SaveBinaryDouble(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  unsigned char b[8];
  StoreLE64(b, bits);
  return SaveRaw(b, 8);
}

// The types Redis 7.0 writes for each encoding.
uint8_t RdbWriter::TypeOf(const Value& value) {
  const bool compact =
      value.is_object() && (value.object()->encoding() == ObjectEncoding::kListpack ||
                            value.object()->encoding() == ObjectEncoding::kIntset);
  switch (value.type()) {
    case ValueType::kString: return rdb::kTypeString;
    case ValueType::kList: return rdb::kTypeListQuicklist2;
    case ValueType::kSet: return compact ? rdb::kTypeSetIntset : rdb::kTypeSet;
    case ValueType::kZSet: return compact ? rdb::kTypeZSetListpack : rdb::kTypeZSet2;
    case ValueType::kHash: return compact ? rdb::kTypeHashListpack : rdb::kTypeHash;
    case ValueType::kStream: break;
  }
  return 0xff;
}

bool RdbWriter::SavePayload(const Value& value) {
  switch (value.type()) {
    case ValueType::kString: {
      if (value.is_int()) return SaveInt64AsString(value.int_value());
      char scratch[24];
      return SaveString(value.GetString(scratch));
    }
    case ValueType::kList: return SaveListPayload(*this, value);
    case ValueType::kSet: return SaveSetPayload(*this, value);
    case ValueType::kZSet: return SaveZSetPayload(*this, value);
    case ValueType::kHash: return SaveHashPayload(*this, value);
    case ValueType::kStream: break;
  }
  ok_ = false;
  return false;
}

bool RdbWriter::SaveObject(const Value& value) {
  SaveType(TypeOf(value));
  return SavePayload(value);
}

bool RdbWriter::SaveKeyValue(std::string_view key, const Value& value) {
  SaveType(TypeOf(value));
  SaveString(key);
  return SavePayload(value);
}

bool RdbWriter::SaveEof() {
  SaveByte(rdb::kOpEof);
  if (!Flush()) return false;
  uint64_t crc = opts_.checksum ? crc_ : 0;
  unsigned char b[8];
  StoreLE64(b, crc);
  ok_ = sink_->Write(reinterpret_cast<const char*>(b), 8);
  flushed_ += 8;
  return ok_;
}

size_t RdbSerializedLength(const Value& value, bool compression) {
  StringSink sink;
  RdbWriter w(&sink, {.compression = compression, .checksum = false});
  w.SavePayload(value);
  w.Flush();
  return sink.str().size();
}

}  // namespace ember
