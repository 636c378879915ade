// ListObject: the value of a list key. Every list is a quicklist (ds/quicklist.h), as in Redis
// 7.0, whose OBJECT ENCODING is "quicklist" whatever the size (the listpack list encoding came
// with 7.2). A new list takes its node size and compress depth from EncodingLimits() at creation
// (list-max-listpack-size, list-compress-depth), as Redis's createQuicklistObject does; CONFIG SET
// later affects lists created afterwards.
#pragma once

#include <memory>

#include "db/object.h"
#include "ds/quicklist.h"

namespace ember {

class ListObject final : public Object {
 public:
  // An empty list with the current limits.
  ListObject();
  explicit ListObject(Quicklist ql) : ql_(std::move(ql)) {}

  ObjectEncoding encoding() const override { return ObjectEncoding::kQuicklist; }
  size_t MallocSize() const override;
  std::unique_ptr<Object> Clone() const override;
  // Redis mixes each element's string form, head to tail.
  void AddToDigest(Digest& digest) const override;
  size_t size() const override { return ql_.size(); }
  size_t FreeEffort() const override { return ql_.node_count(); }

  Quicklist& ql() { return ql_; }
  const Quicklist& ql() const { return ql_; }

 private:
  Quicklist ql_;
};

}  // namespace ember
