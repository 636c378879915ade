// Object: the aggregate values (lists, hashes, sets, sorted sets) a Value points to. Each type
// keeps a compact encoding for small values and a scalable one for large ones, switched at the
// thresholds of EncodingLimits() exactly as Redis switches them, and reports the encoding by
// Redis's name in OBJECT ENCODING.
//
// The base class holds what generic code needs without knowing the type: the encoding, memory
// accounting (MEMORY USAGE), a deep copy (COPY) and the DEBUG DIGEST contribution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "db/digest.h"

namespace ember {

// The encodings of aggregate values, by Redis's OBJECT ENCODING names.
enum class ObjectEncoding : uint8_t { kListpack, kQuicklist, kIntset, kHashtable, kSkiplist };

const char* ObjectEncodingName(ObjectEncoding e);

class Object {
 public:
  virtual ~Object() = default;
  virtual ObjectEncoding encoding() const = 0;
  // Heap bytes held, this object included (MEMORY USAGE).
  virtual size_t MallocSize() const = 0;
  virtual std::unique_ptr<Object> Clone() const = 0;
  // Mixes the elements into `digest` as Redis's xorObjectDigest does for the type.
  virtual void AddToDigest(Digest& digest) const = 0;
  // Number of elements (hash: fields, sorted set: members).
  virtual size_t size() const = 0;
  // About how many allocations freeing it takes (Redis's lazyfreeGetFreeEffort): UNLINK frees
  // values above a threshold in the background.
  virtual size_t FreeEffort() const { return size(); }
};

}  // namespace ember
