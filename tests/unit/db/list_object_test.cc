// ListObject: the Object contract for lists (encoding, memory, deep copy, digest), and the
// limits a new list takes from EncodingLimits().
#include "db/list_object.h"

#include <gtest/gtest.h>

#include <string>

#include "db/encoding_limits.h"
#include "db/value.h"

namespace ember {
namespace {

TEST(ListObject, AlwaysQuicklistEncoded) {
  Value v = Value::FromObject(ValueType::kList, std::make_unique<ListObject>());
  EXPECT_EQ(v.type(), ValueType::kList);
  EXPECT_STREQ(v.EncodingName(), "quicklist");
  auto* list = v.As<ListObject>();
  for (int i = 0; i < 5000; ++i) list->ql().PushTail(std::to_string(i));
  EXPECT_STREQ(v.EncodingName(), "quicklist");
  EXPECT_EQ(list->size(), 5000u);
}

TEST(ListObject, TakesLimitsAtCreation) {
  EncodingLimits saved = Limits();
  Limits().list_max_listpack_size = 3;
  Limits().list_compress_depth = 2;
  ListObject list;
  EXPECT_EQ(list.ql().fill(), 3);
  EXPECT_EQ(list.ql().compress(), 2);
  // A later change affects new lists only.
  Limits().list_max_listpack_size = -2;
  EXPECT_EQ(list.ql().fill(), 3);
  Limits() = saved;
}

TEST(ListObject, MemoryCountsNodesAndElements) {
  ListObject small;
  small.ql().PushTail("a");
  const size_t one = small.MallocSize();
  EXPECT_GE(one, sizeof(ListObject));
  ListObject big;
  for (int i = 0; i < 1000; ++i) big.ql().PushTail("element-" + std::to_string(i));
  EXPECT_GT(big.MallocSize(), one + 1000 * 10);
  // The heap size a Value reports is the object's.
  Value v = Value::FromObject(ValueType::kList, std::make_unique<ListObject>());
  v.As<ListObject>()->ql().PushTail("x");
  EXPECT_EQ(v.HeapBytes(), v.As<ListObject>()->MallocSize());
}

TEST(ListObject, CloneIsIndependent) {
  Value v = Value::FromObject(ValueType::kList, std::make_unique<ListObject>());
  v.As<ListObject>()->ql().PushTail("a");
  v.As<ListObject>()->ql().PushTail("b");
  Value copy = v.Clone();
  copy.As<ListObject>()->ql().PushTail("c");
  EXPECT_EQ(v.As<ListObject>()->size(), 2u);
  EXPECT_EQ(copy.As<ListObject>()->size(), 3u);
  EXPECT_STREQ(copy.EncodingName(), "quicklist");
}

TEST(ListObject, DigestMixesElementStringsInOrder) {
  ListObject list;
  list.ql().PushTail("a");
  list.ql().PushTail("42");  // stored as an integer, digested as its digits
  list.ql().PushTail("-7");
  Digest got{};
  list.AddToDigest(got);
  Digest want{};
  MixDigest(want, "a");
  MixDigest(want, "42");
  MixDigest(want, "-7");
  EXPECT_EQ(got, want);
  // Order matters.
  ListObject reversed;
  reversed.ql().PushHead("a");
  reversed.ql().PushHead("42");
  reversed.ql().PushHead("-7");
  Digest other{};
  reversed.AddToDigest(other);
  EXPECT_NE(other, want);
}

}  // namespace
}  // namespace ember
