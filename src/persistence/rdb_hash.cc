// The RDB encodings of hashs (rdb_types.h).
#include <string>

#include "persistence/rdb_reader.h"
#include "persistence/rdb_types.h"
#include "persistence/rdb_writer.h"

namespace ember {

// Placeholder until the hash type lands: nothing can create a hash value yet.
bool SaveHashPayload(RdbWriter&, const Value&) { return false; }

bool LoadHash(RdbReader& r, uint8_t type, Value*) {
  return r.Fail("RDB object type " + std::to_string(type) +
                " holds a data type this Ember version does not support yet");
}

}  // namespace ember
