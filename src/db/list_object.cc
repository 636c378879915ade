#include "db/list_object.h"

#include "common/strings.h"
#include "db/encoding_limits.h"

namespace ember {

ListObject::ListObject()
    : ql_(static_cast<int>(Limits().list_max_listpack_size),
          static_cast<int>(Limits().list_compress_depth)) {}

size_t ListObject::MallocSize() const { return sizeof(*this) + ql_.MallocSize(); }

std::unique_ptr<Object> ListObject::Clone() const {
  return std::make_unique<ListObject>(ql_.Clone());
}

void ListObject::AddToDigest(Digest& digest) const {
  ql_.ForEach([&](const PackedValue& v) {
    if (v.is_int) {
      char buf[21];
      size_t n = FormatInt64(v.num, buf);
      MixDigest(digest, buf, n);
    } else {
      MixDigest(digest, v.str);
    }
  });
}

}  // namespace ember
