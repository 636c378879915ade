#include "persistence/dump_payload.h"

#include "common/crc64.h"
#include "common/endian.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"

namespace ember {
namespace {

constexpr size_t kFooterLen = 10;

}  // namespace

std::string CreateDumpPayload(const Value& value, bool compression) {
  StringSink sink;
  RdbWriter w(&sink, {.compression = compression, .checksum = true});
  w.SaveObject(value);
  w.Flush();
  return SealDumpPayload(std::move(sink.str()));
}

std::string SealDumpPayload(std::string body) {
  body.push_back(static_cast<char>(rdb::kVersion & 0xff));
  body.push_back(static_cast<char>((rdb::kVersion >> 8) & 0xff));
  uint8_t crc[8];
  StoreLE64(crc, Crc64(0, body));
  body.append(reinterpret_cast<const char*>(crc), 8);
  return body;
}

bool VerifyDumpPayload(std::string_view payload) {
  if (payload.size() < kFooterLen) return false;
  const auto* footer =
      reinterpret_cast<const unsigned char*>(payload.data() + payload.size() - kFooterLen);
  const int version = LoadLE16(footer);
  // As Redis 7.0: a payload from a newer RDB version (Redis 7.2's 11) is refused, even though
  // files of that version load.
  if (version > rdb::kVersion) return false;
  return Crc64(0, payload.data(), payload.size() - 8) == LoadLE64(footer + 2);
}

bool LoadDumpPayload(std::string_view payload, Value* out) {
  StringSource src(payload.substr(0, payload.size() - kFooterLen));
  RdbReader r(&src);
  uint8_t type;
  if (!r.ReadByte(&type) || !rdb::IsObjectType(type)) return false;
  return r.ReadObject(type, out);
}

}  // namespace ember
