// The RDB encodings of sets (rdb_types.h).
#include <string>

#include "persistence/rdb_reader.h"
#include "persistence/rdb_types.h"
#include "persistence/rdb_writer.h"

namespace ember {

// Placeholder until the set type lands: nothing can create a set value yet.
bool SaveSetPayload(RdbWriter&, const Value&) { return false; }

bool LoadSet(RdbReader& r, uint8_t type, Value*) {
  return r.Fail("RDB object type " + std::to_string(type) +
                " holds a data type this Ember version does not support yet");
}

}  // namespace ember
