// The RDB encodings of the aggregate types, one file per type (rdb_list.cc, rdb_set.cc,
// rdb_zset.cc, rdb_hash.cc). RdbWriter::TypeOf picks the type byte Redis 7.0 writes for the
// value's encoding; SavePayload and ReadObject dispatch here for the payload.
//
// Loaders accept every form Redis 2.x-7.2 writes for the type (docs/rdb.md), validate every
// embedded blob (listpack, ziplist, intset, zipmap) before using it, reject empty aggregates and
// duplicates as Redis does, and build the encoding the current EncodingLimits() call for.
#pragma once

#include <cstdint>

#include "db/value.h"

namespace ember {

class RdbReader;
class RdbWriter;

bool SaveListPayload(RdbWriter& w, const Value& list);
bool SaveSetPayload(RdbWriter& w, const Value& set);
bool SaveZSetPayload(RdbWriter& w, const Value& zset);
bool SaveHashPayload(RdbWriter& w, const Value& hash);

// `type` is the RDB type byte already read.
bool LoadList(RdbReader& r, uint8_t type, Value* out);
bool LoadSet(RdbReader& r, uint8_t type, Value* out);
bool LoadZSet(RdbReader& r, uint8_t type, Value* out);
bool LoadHash(RdbReader& r, uint8_t type, Value* out);

}  // namespace ember
