// HashObject: both encodings behind one interface, the conversions at hash-max-listpack-entries
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

  static std::map<std::string, std::string> Contents(const HashObject& h) {
    std::map<std::string, std::string> out;
    h.ForEach([&](const PackedValue& f, const PackedValue& v) {
      EXPECT_TRUE(out.emplace(f.ToString(), v.ToString()).second);
    });
    return out;
  }
  static std::string Get(const HashObject& h, std::string_view f) {
    auto v = h.Get(f);
    return v ? v->ToString() : "<none>";
  }
  static Digest DigestOf(const HashObject& h) {
    Digest d{};
    h.AddToDigest(d);
    return d;
  }

  EncodingLimits saved_;
};

TEST_F(HashObjectTest, ListpackSetGetDelete) {
  HashObject h;
  EXPECT_EQ(h.encoding(), ObjectEncoding::kListpack);
  EXPECT_TRUE(h.Set("a", "1"));
  EXPECT_TRUE(h.Set("b", "hello"));
  EXPECT_TRUE(h.Set("1", "-5"));
  EXPECT_FALSE(h.Set("a", "2"));
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(Get(h, "a"), "2");
  EXPECT_EQ(Get(h, "1"), "-5");
  EXPECT_EQ(Get(h, "01"), "<none>");  // "01" is not the integer 1
  EXPECT_TRUE(h.Contains("b"));
  EXPECT_TRUE(h.Delete("b"));
  EXPECT_FALSE(h.Delete("b"));
  EXPECT_EQ(Contents(h), (std::map<std::string, std::string>{{"a", "2"}, {"1", "-5"}}));
  EXPECT_EQ(h.encoding(), ObjectEncoding::kListpack);
}

TEST_F(HashObjectTest, EntryLimitConvertsOnTheFifthFieldAndNeverBack) {
  HashObject h;
  for (int i = 0; i < 4; ++i) h.Set("f" + std::to_string(i), "v");
  EXPECT_EQ(h.encoding(), ObjectEncoding::kListpack);
  h.Set("f0", "updated");  // an update at the limit keeps the listpack
  EXPECT_EQ(h.encoding(), ObjectEncoding::kListpack);
  h.Set("f4", "v");
  EXPECT_EQ(h.encoding(), ObjectEncoding::kHashtable);
  EXPECT_EQ(h.size(), 5u);
  EXPECT_EQ(Get(h, "f0"), "updated");
  for (int i = 0; i < 5; ++i) h.Delete("f" + std::to_string(i));
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.encoding(), ObjectEncoding::kHashtable);
}

TEST_F(HashObjectTest, LoweredEntryLimitConvertsOnAnUpdate) {
  HashObject h;
  h.Set("a", "1");
  h.Set("b", "2");
  Limits().hash_max_listpack_entries = 1;
  h.Set("a", "3");
  EXPECT_EQ(h.encoding(), ObjectEncoding::kHashtable);
  EXPECT_EQ(Get(h, "a"), "3");
}

TEST_F(HashObjectTest, ValueLimitConvertsOnFieldOrValueOverEightBytes) {
  HashObject fits, long_value, long_field;
  fits.Set("abcdefgh", "12345678");
  EXPECT_EQ(fits.encoding(), ObjectEncoding::kListpack);
  long_value.Set("f", "123456789");
  EXPECT_EQ(long_value.encoding(), ObjectEncoding::kHashtable);
  long_field.Set("abcdefghi", "v");
  EXPECT_EQ(long_field.encoding(), ObjectEncoding::kHashtable);

  HashObject args;
  args.Set("f", "v");
  std::vector<std::string_view> short_args{"g", "12345678"};
  args.ConvertIfArgsTooLong(short_args);
  EXPECT_EQ(args.encoding(), ObjectEncoding::kListpack);
  std::vector<std::string_view> long_args{"g", "123456789"};
  args.ConvertIfArgsTooLong(long_args);
  EXPECT_EQ(args.encoding(), ObjectEncoding::kHashtable);
  EXPECT_EQ(Get(args, "f"), "v");
}

TEST_F(HashObjectTest, ConversionKeepsIntegersAsTheirText) {
  HashObject h;
  h.Set("-9223372036854775808", "9223372036854775807");
  h.Set("0", "-1");
  const Digest before = DigestOf(h);
  h.ConvertToHashtable();
  EXPECT_EQ(Contents(h), (std::map<std::string, std::string>{
                             {"-9223372036854775808", "9223372036854775807"}, {"0", "-1"}}));
  EXPECT_EQ(DigestOf(h), before);
}

TEST_F(HashObjectTest, DigestIgnoresOrderAndSeesValues) {
  HashObject a, b, c;
  a.Set("x", "1");
  a.Set("y", "2");
  b.Set("y", "2");
  b.Set("x", "1");
  c.Set("x", "2");
  c.Set("y", "1");
  EXPECT_EQ(DigestOf(a), DigestOf(b));
  EXPECT_NE(DigestOf(a), DigestOf(c));
}

TEST_F(HashObjectTest, CloneIsDeepInBothEncodings) {
  for (bool table : {false, true}) {
    HashObject h;
    h.Set("a", "1");
    h.Set("b", "2");
    if (table) h.ConvertToHashtable();
    auto copy = h.Clone();
    auto* c = static_cast<HashObject*>(copy.get());
    EXPECT_EQ(c->encoding(), h.encoding());
    EXPECT_EQ(Contents(*c), Contents(h));
    h.Set("a", "changed");
    EXPECT_EQ(Get(*c, "a"), "1");
  }
}

TEST_F(HashObjectTest, RandomPairCoversBothEncodings) {
  std::mt19937_64 rng(5);
  for (bool table : {false, true}) {
    HashObject h;
    for (int i = 0; i < 4; ++i) h.Set("f" + std::to_string(i), std::to_string(i));
    if (table) h.ConvertToHashtable();
    std::set<std::string> seen;
    for (int i = 0; i < 400; ++i) {
      auto [f, v] = h.RandomPair(rng);
      EXPECT_EQ("f" + v.ToString(), f.ToString());
      seen.insert(f.ToString());
    }
    EXPECT_EQ(seen.size(), 4u);
  }
}

TEST_F(HashObjectTest, MallocSizeGrowsWithContent) {
  // MallocSize counts the object's own allocation: values always live on the heap.
  auto h = std::make_unique<HashObject>();
  const size_t empty = h->MallocSize();
  h->Set("f", "v");
  EXPECT_GT(h->MallocSize(), empty);
  Limits().hash_max_listpack_entries = 10000;
  Limits().hash_max_listpack_value = 10000;
  auto big = std::make_unique<HashObject>();
  for (int i = 0; i < 1000; ++i) big->Set("field" + std::to_string(i), std::string(20, 'v'));
  const size_t as_listpack = big->MallocSize();
  EXPECT_GT(as_listpack, 1000u * 28);
  big->ConvertToHashtable();
  EXPECT_GT(big->MallocSize(), as_listpack);  // entries + buckets cost more than the packed form
}

}  // namespace
}  // namespace ember
