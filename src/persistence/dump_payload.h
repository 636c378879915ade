// DUMP/RESTORE payloads: one serialized object (type byte + RDB encoding), then the RDB version
// (2 bytes, little endian) and a CRC64 of everything before it (8 bytes, little endian), so a
// payload moves between Ember and Redis in both directions.
#pragma once

#include <string>
#include <string_view>

#include "db/value.h"

namespace ember {

std::string CreateDumpPayload(const Value& value, bool compression);
// Appends the footer (RDB version, CRC64) to serialized content: FUNCTION DUMP's payload.
std::string SealDumpPayload(std::string body);
// Checks the footer: the version is at most ours and the checksum matches.
bool VerifyDumpPayload(std::string_view payload);
// Decodes a verified payload's object.
bool LoadDumpPayload(std::string_view payload, Value* out);

}  // namespace ember
