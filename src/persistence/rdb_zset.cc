// The RDB encodings of zsets (rdb_types.h).
#include <string>

#include "persistence/rdb_reader.h"
#include "persistence/rdb_types.h"
#include "persistence/rdb_writer.h"

namespace ember {

// Placeholder until the zset type lands: nothing can create a zset value yet.
bool SaveZSetPayload(RdbWriter&, const Value&) { return false; }

bool LoadZSet(RdbReader& r, uint8_t type, Value*) {
  return r.Fail("RDB object type " + std::to_string(type) +
                " holds a data type this Ember version does not support yet");
}

}  // namespace ember
