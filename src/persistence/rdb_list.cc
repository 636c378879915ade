// The RDB encodings of lists (rdb_types.h).
#include <string>

#include "persistence/rdb_reader.h"
#include "persistence/rdb_types.h"
#include "persistence/rdb_writer.h"

namespace ember {

// Placeholder until the list type lands: nothing can create a list value yet.
bool SaveListPayload(RdbWriter&, const Value&) { return false; }

bool LoadList(RdbReader& r, uint8_t type, Value*) {
  return r.Fail("RDB object type " + std::to_string(type) +
                " holds a data type this Ember version does not support yet");
}

}  // namespace ember
