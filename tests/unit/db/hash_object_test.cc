// Hash values: both encodings behind one interface, the conversions at hash-max-listpack-entries
// and hash-max-listpack-value (one-way), clone, digest (order independent, equal across
// encodings), random pairs, and memory accounting.
#include "db/hash_object.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "db/encoding_limits.h"

namespace ember {
namespace {

class HashObjectTest : public ::testing::Test {
 protected:
  HashObjectTest() : saved_(Limits()) {
    Limits().hash_max_listpack_entries = 4;
    Limits().hash_max_listpack_value = 8;
  }
  ~HashObjectTest() override { Limits() = saved_; }

  static std::map<std::string, std::string> Contents(const Value& h) {
    std::map<std::string, std::string> out;
    h.As<HashObject>()->ForEach([&](const PackedValue& f, const PackedValue& v) {
      EXPECT_TRUE(out.emplace(f.ToString(), v.ToString()).second);
    });
    return out;
  }
  static std::string Get(const Value& h, std::string_view f) {
    auto v = h.As<HashObject>()->Get(f);
    return v ? v->ToString() : "<none>";
  }
  static Digest DigestOf(const Value& h) {
    Digest d{};
    h.As<HashObject>()->AddToDigest(d);
    return d;
  }

  EncodingLimits saved_;
};

TEST_F(HashObjectTest, ListpackSetGetDelete) {
  Value h = NewHashValue();
  EXPECT_EQ(h.object()->encoding(), ObjectEncoding::kListpack);
  EXPECT_TRUE(HashSet(h, "a", "1"));
  EXPECT_TRUE(HashSet(h, "b", "hello"));
  EXPECT_TRUE(HashSet(h, "1", "-5"));
  EXPECT_FALSE(HashSet(h, "a", "2"));
  EXPECT_EQ(h.object()->size(), 3u);
  EXPECT_EQ(Get(h, "a"), "2");
  EXPECT_EQ(Get(h, "1"), "-5");
  EXPECT_EQ(Get(h, "01"), "<none>");  // "01" is not the integer 1
  EXPECT_TRUE(h.As<HashObject>()->Contains("b"));
  EXPECT_TRUE(HashDelete(h, "b"));
  EXPECT_FALSE(HashDelete(h, "b"));
  EXPECT_EQ(Contents(h), (std::map<std::string, std::string>{{"a", "2"}, {"1", "-5"}}));
  EXPECT_EQ(h.object()->encoding(), ObjectEncoding::kListpack);
}

TEST_F(HashObjectTest, EntryLimitConvertsOnTheFifthFieldAndNeverBack) {
  Value h = NewHashValue();
  for (int i = 0; i < 4; ++i) HashSet(h, "f" + std::to_string(i), "v");
  EXPECT_EQ(h.object()->encoding(), ObjectEncoding::kListpack);
  HashSet(h, "f0", "updated");  // an update at the limit keeps the listpack
  EXPECT_EQ(h.object()->encoding(), ObjectEncoding::kListpack);
  HashSet(h, "f4", "v");
  EXPECT_EQ(h.object()->encoding(), ObjectEncoding::kHashtable);
  EXPECT_EQ(h.object()->size(), 5u);
  EXPECT_EQ(Get(h, "f0"), "updated");
  for (int i = 0; i < 5; ++i) HashDelete(h, "f" + std::to_string(i));
  EXPECT_EQ(h.object()->size(), 0u);
  EXPECT_EQ(h.object()->encoding(), ObjectEncoding::kHashtable);
}

TEST_F(HashObjectTest, LoweredEntryLimitConvertsOnAnUpdate) {
  Value h = NewHashValue();
  HashSet(h, "a", "1");
  HashSet(h, "b", "2");
  Limits().hash_max_listpack_entries = 1;
  HashSet(h, "a", "3");
  EXPECT_EQ(h.object()->encoding(), ObjectEncoding::kHashtable);
  EXPECT_EQ(Get(h, "a"), "3");
}

TEST_F(HashObjectTest, ValueLimitConvertsOnFieldOrValueOverEightBytes) {
  Value fits = NewHashValue(), long_value = NewHashValue(), long_field = NewHashValue();
  HashSet(fits, "abcdefgh", "12345678");
  EXPECT_EQ(fits.object()->encoding(), ObjectEncoding::kListpack);
  HashSet(long_value, "f", "123456789");
  EXPECT_EQ(long_value.object()->encoding(), ObjectEncoding::kHashtable);
  HashSet(long_field, "abcdefghi", "v");
  EXPECT_EQ(long_field.object()->encoding(), ObjectEncoding::kHashtable);

  Value args = NewHashValue();
  HashSet(args, "f", "v");
  std::vector<std::string_view> short_args{"g", "12345678"};
  HashConvertIfArgsTooLong(args, short_args);
  EXPECT_EQ(args.object()->encoding(), ObjectEncoding::kListpack);
  std::vector<std::string_view> long_args{"g", "123456789"};
  HashConvertIfArgsTooLong(args, long_args);
  EXPECT_EQ(args.object()->encoding(), ObjectEncoding::kHashtable);
  EXPECT_EQ(Get(args, "f"), "v");
}

TEST_F(HashObjectTest, ConversionKeepsIntegersAsTheirText) {
  Value h = NewHashValue();
  HashSet(h, "-9223372036854775808", "9223372036854775807");
  HashSet(h, "0", "-1");
  const Digest before = DigestOf(h);
  HashConvertToHashtable(h);
  EXPECT_EQ(Contents(h), (std::map<std::string, std::string>{
                             {"-9223372036854775808", "9223372036854775807"}, {"0", "-1"}}));
  EXPECT_EQ(DigestOf(h), before);
}

TEST_F(HashObjectTest, DigestIgnoresOrderAndSeesValues) {
  Value a = NewHashValue(), b = NewHashValue(), c = NewHashValue();
  HashSet(a, "x", "1");
  HashSet(a, "y", "2");
  HashSet(b, "y", "2");
  HashSet(b, "x", "1");
  HashSet(c, "x", "2");
  HashSet(c, "y", "1");
  EXPECT_EQ(DigestOf(a), DigestOf(b));
  EXPECT_NE(DigestOf(a), DigestOf(c));
}

TEST_F(HashObjectTest, CloneIsDeepInBothEncodings) {
  for (bool table : {false, true}) {
    Value h = NewHashValue();
    HashSet(h, "a", "1");
    HashSet(h, "b", "2");
    if (table) HashConvertToHashtable(h);
    Value c = h.Clone();
    EXPECT_EQ(c.object()->encoding(), h.object()->encoding());
    EXPECT_EQ(Contents(c), Contents(h));
    HashSet(h, "a", "changed");
    EXPECT_EQ(Get(c, "a"), "1");
  }
}

TEST_F(HashObjectTest, RandomPairCoversBothEncodings) {
  std::mt19937_64 rng(5);
  for (bool table : {false, true}) {
    Value h = NewHashValue();
    for (int i = 0; i < 4; ++i) HashSet(h, "f" + std::to_string(i), std::to_string(i));
    if (table) HashConvertToHashtable(h);
    std::set<std::string> seen;
    for (int i = 0; i < 400; ++i) {
      auto [f, v] = h.As<HashObject>()->RandomPair(rng);
      EXPECT_EQ("f" + v.ToString(), f.ToString());
      seen.insert(f.ToString());
    }
    EXPECT_EQ(seen.size(), 4u);
  }
}

TEST_F(HashObjectTest, MallocSizeGrowsWithContent) {
  // MallocSize counts the object's own allocation: values always live on the heap.
  Value h = NewHashValue();
  const size_t empty = h.object()->MallocSize();
  // More than the empty block's slack (the listpack grows in place until it is used up).
  HashSet(h, "field", "value");
  EXPECT_GT(h.object()->MallocSize(), empty);
  Limits().hash_max_listpack_entries = 10000;
  Limits().hash_max_listpack_value = 10000;
  Value big = NewHashValue();
  for (int i = 0; i < 1000; ++i) HashSet(big, "field" + std::to_string(i), std::string(20, 'v'));
  const size_t as_listpack = big.object()->MallocSize();
  EXPECT_GT(as_listpack, 1000u * 28);
  HashConvertToHashtable(big);
  EXPECT_GT(big.object()->MallocSize(), as_listpack);  // entries + buckets cost more than the packed form
}

}  // namespace
}  // namespace ember
