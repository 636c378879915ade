#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "db/encoding_limits.h"
#include "db/zset_object.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"

namespace ember {
namespace {

class RdbZSetTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = Limits(); }
  void TearDown() override { Limits() = saved_; }
  EncodingLimits saved_;
};

Value MakeZSet(bool skiplist, int n, const std::string& prefix = "m") {
  Value z = skiplist ? NewSkiplistZSetValue() : NewZSetValue(1, 0);
  for (int i = 0; i < n; ++i) ZSetInsertNew(z, prefix + std::to_string(i), i * 1.5 - 3);
  return z;
}

// Type byte + payload, as inside a DUMP.
std::string Save(const Value& v) {
  StringSink sink;
  RdbWriter w(&sink, {});
  EXPECT_TRUE(w.SaveObject(v));
  w.Flush();
  return sink.str();
}

bool Load(const std::string& bytes, Value* out, std::string* error = nullptr) {
  if (bytes.empty()) return false;
  std::string payload = bytes.substr(1);  // StringSource only views it
  StringSource src(payload);
  RdbReader r(&src);
  bool ok = r.ReadObject(static_cast<uint8_t>(bytes[0]), out);
  if (error) *error = r.error();
  return ok;
}

Digest DigestOf(const Value& v) {
  Digest d{};
  v.object()->AddToDigest(d);
  return d;
}

TEST_F(RdbZSetTest, RoundTripBothEncodings) {
  for (bool skiplist : {false, true}) {
    Value v = MakeZSet(skiplist, skiplist ? 300 : 20);
    std::string bytes = Save(v);
    EXPECT_EQ(static_cast<uint8_t>(bytes[0]),
              skiplist ? rdb::kTypeZSet2 : rdb::kTypeZSetListpack);
    Value back;
    ASSERT_TRUE(Load(bytes, &back));
    EXPECT_EQ(back.type(), ValueType::kZSet);
    EXPECT_EQ(back.object()->encoding(), v.object()->encoding());
    EXPECT_EQ(DigestOf(back), DigestOf(v));
    EXPECT_EQ(Save(back), bytes);
  }
}

TEST_F(RdbZSetTest, SkiplistIsWrittenFromTheTail) {
  Value v = MakeZSet(true, 2);  // m0 -3, m1 -1.5
  std::string bytes = Save(v);
  // type, len 2, "m1", -1.5, "m0", -3
  std::string want("\x05\x02\x02m1", 5);
  double d = -1.5;
  want.append(reinterpret_cast<const char*>(&d), 8);
  want.append("\x02m0", 3);
  d = -3;
  want.append(reinterpret_cast<const char*>(&d), 8);
  EXPECT_EQ(bytes, want);
}

TEST_F(RdbZSetTest, LoadsAsTheCurrentLimitsSay) {
  std::string small = Save(MakeZSet(false, 10));
  std::string large = Save(MakeZSet(true, 10));
  Value v;
  Limits().zset_max_listpack_entries = 5;
  ASSERT_TRUE(Load(small, &v));
  EXPECT_EQ(v.object()->encoding(), ObjectEncoding::kSkiplist);
  ASSERT_TRUE(Load(large, &v));
  EXPECT_EQ(v.object()->encoding(), ObjectEncoding::kSkiplist);
  Limits().zset_max_listpack_entries = 128;
  ASSERT_TRUE(Load(large, &v));
  EXPECT_EQ(v.object()->encoding(), ObjectEncoding::kListpack);
  Limits().zset_max_listpack_value = 1;
  ASSERT_TRUE(Load(large, &v));
  EXPECT_EQ(v.object()->encoding(), ObjectEncoding::kSkiplist);
}

TEST_F(RdbZSetTest, OldForms) {
  // RDB_TYPE_ZSET: text scores, with the 253/254/255 codes for nan/+inf/-inf.
  std::string text("\x03\x03\x01" "a\x03" "1.5\x01" "b\xfe\x01" "c\xff", 14);
  Value v;
  ASSERT_TRUE(Load(text, &v));
  auto* z = v.As<ZSetObject>();
  EXPECT_EQ(z->size(), 3u);
  EXPECT_EQ(*z->Score("a"), 1.5);
  EXPECT_EQ(*z->Score("b"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*z->Score("c"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(z->encoding(), ObjectEncoding::kListpack);

  // RDB_TYPE_ZSET_ZIPLIST: "a" 1 "b" 2 (immediate integers).
  std::string zl("\x15\x00\x00\x00\x12\x00\x00\x00\x04\x00"
                 "\x00\x01" "a" "\x03\xf2" "\x02\x01" "b" "\x03\xf3" "\xff",
                 21);
  ASSERT_TRUE(Load(std::string(1, '\x0c') + std::string(1, static_cast<char>(zl.size())) + zl, &v));
  z = v.As<ZSetObject>();
  EXPECT_EQ(z->size(), 2u);
  EXPECT_EQ(*z->Score("b"), 2);
  // Re-encoded as the listpack Redis would hold.
  Value expect = NewZSetValue(1, 1);
  ZSetInsertNew(expect, "a", 1);
  ZSetInsertNew(expect, "b", 2);
  EXPECT_EQ(z->listpack().Bytes(), expect.As<ZSetObject>()->listpack().Bytes());
}

TEST_F(RdbZSetTest, RejectsInvalidZSets) {
  Value v;
  std::string error;
  EXPECT_FALSE(Load(std::string("\x05\x00", 2), &v, &error));  // empty
  EXPECT_NE(error.find("Empty"), std::string::npos);
  EXPECT_FALSE(Load(std::string("\x03\x01\x01" "a\xfd", 5), &v, &error));  // NaN
  EXPECT_NE(error.find("NAN"), std::string::npos);
  EXPECT_FALSE(Load(std::string("\x03\x02\x01" "a\x01" "1\x01" "a\x01" "2", 10), &v, &error));
  EXPECT_NE(error.find("Duplicate"), std::string::npos);

  auto listpack_of = [](std::initializer_list<std::string_view> entries) {
    Listpack lp;
    for (auto e : entries) lp.Append(e);
    std::string blob(lp.Bytes());
    return std::string(1, '\x11') + std::string(1, static_cast<char>(blob.size())) + blob;
  };
  EXPECT_TRUE(Load(listpack_of({"a", "1", "b", "2"}), &v));
  EXPECT_FALSE(Load(listpack_of({"a", "1", "b"}), &v));            // odd count
  EXPECT_FALSE(Load(listpack_of({"a", "1", "a", "2"}), &v));       // duplicate member
  EXPECT_FALSE(Load(listpack_of({"a", "1", "c", "2", "a", "3"}), &v));  // duplicate, not adjacent
  EXPECT_FALSE(Load(listpack_of({"a", "x"}), &v));                 // score not a number
  EXPECT_FALSE(Load(listpack_of({"a", "nan"}), &v));               // NaN score
  EXPECT_FALSE(Load(listpack_of({"b", "2", "a", "1"}), &v));       // out of order
  EXPECT_FALSE(Load(listpack_of({"b", "1", "a", "1"}), &v));       // out of lex order
  EXPECT_FALSE(Load(listpack_of({}), &v));                         // empty
}

// Every truncation fails; random damage either fails or yields a consistent zset.
TEST_F(RdbZSetTest, CorruptPayloadsNeverCrash) {
  std::mt19937_64 rng(3);
  for (bool skiplist : {false, true}) {
    std::string bytes = Save(MakeZSet(skiplist, skiplist ? 150 : 12, "member-"));
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      Value v;
      EXPECT_FALSE(Load(bytes.substr(0, cut), &v)) << "cut at " << cut;
    }
    for (int round = 0; round < 3000; ++round) {
      std::string damaged = bytes;
      for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
        damaged[1 + rng() % (damaged.size() - 1)] ^= static_cast<char>(1 << (rng() % 8));
      }
      Value v;
      if (Load(damaged, &v)) {
        auto* z = v.As<ZSetObject>();
        ASSERT_GT(z->size(), 0u);
        size_t n = 0;
        for (auto c = z->AtRank(0, false); c.valid(); c.Next()) {
          ASSERT_FALSE(std::isnan(c.score()));
          ++n;
        }
        ASSERT_EQ(n, z->size());
        Save(v);
      }
    }
  }
  // Ziplist and text forms too.
  std::string zl("\x0c\x15\x15\x00\x00\x00\x12\x00\x00\x00\x04\x00"
                 "\x00\x01" "a" "\x03\xf2" "\x02\x01" "b" "\x03\xf3" "\xff",
                 23);
  std::string text("\x03\x03\x01" "a\x03" "1.5\x01" "b\xfe\x01" "c\xff", 14);
  for (const std::string& bytes : {zl, text}) {
    Value v;
    ASSERT_TRUE(Load(bytes, &v));
    for (size_t cut = 0; cut < bytes.size(); ++cut) EXPECT_FALSE(Load(bytes.substr(0, cut), &v));
    for (size_t i = 1; i < bytes.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string damaged = bytes;
        damaged[i] ^= static_cast<char>(1 << bit);
        if (Load(damaged, &v)) {
          ASSERT_GT(v.As<ZSetObject>()->size(), 0u);
        }
      }
    }
  }
}

}  // namespace
}  // namespace ember
