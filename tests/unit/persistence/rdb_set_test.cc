// The RDB encodings of sets: what Ember writes (byte-compared with Redis 7.0.15's DUMP bodies),
// every form the loader accepts (SET, SET_INTSET, 7.2's SET_LISTPACK), the encoding it builds,
// and corrupt, truncated, empty or duplicated input rejected without crashing.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "db/encoding_limits.h"
#include "db/set_object.h"
#include "ds/listpack.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"

namespace ember {
namespace {

class RdbSetTest : public ::testing::Test {
 protected:
  void TearDown() override { Limits().set_max_intset_entries = 512; }
};

// The type byte and payload of `v`, as the body of a DUMP payload.
std::string SaveBody(const Value& v) {
  StringSink sink;
  RdbWriter w(&sink, {.compression = true, .checksum = true});
  EXPECT_TRUE(w.SaveObject(v));
  w.Flush();
  return sink.str();
}

// Loads a body written by SaveBody (or by hand); `error` receives the reader's message.
bool LoadBody(const std::string& body, Value* out, std::string* error = nullptr) {
  StringSource src(body);
  RdbReader r(&src);
  uint8_t type;
  bool ok = r.ReadByte(&type) && r.ReadObject(type, out);
  if (error) *error = r.error();
  return ok;
}

std::set<std::string> Members(const Value& set) {
  std::set<std::string> out;
  SetForEach(set, [&](std::string_view m) { out.emplace(m); });
  return out;
}

Value Build(const std::vector<std::string>& members) {
  Value s = NewSetFor(members.front());
  for (const auto& m : members) SetAdd(s, m);
  return s;
}

// An RDB length as Redis writes it (6-bit, 14-bit or 32-bit form).
std::string Len(size_t n) {
  StringSink sink;
  RdbWriter w(&sink, {});
  w.SaveLen(n);
  w.Flush();
  return sink.str();
}

std::string Str(std::string_view s) {
  StringSink sink;
  RdbWriter w(&sink, {.compression = false, .checksum = true});
  w.SaveString(s);
  w.Flush();
  return sink.str();
}

std::string ListpackSetBody(const std::vector<std::string>& members) {
  Listpack lp;
  for (const auto& m : members) lp.Append(m);
  return std::string(1, static_cast<char>(rdb::kTypeSetListpack)) + Str(lp.Bytes());
}

std::string StringsSetBody(const std::vector<std::string>& members) {
  std::string body(1, static_cast<char>(rdb::kTypeSet));
  body += Len(members.size());
  for (const auto& m : members) body += Str(m);
  return body;
}

// ---- What Ember writes -----------------------------------------------------------------------

TEST_F(RdbSetTest, DumpBodiesMatchRedis) {
  // DUMP of SADD i 1 2 3 -5 / SADD h hello / SADD h2 a 12345 on Redis 7.0.15, without the
  // version and CRC trailer (a two-member hashtable's order depends on the hash seed, so the
  // one-member one and a member-by-member check stand in for it).
  EXPECT_EQ(SaveBody(Build({"1", "2", "3", "-5"})),
            std::string("\x0b\x10\x02\x00\x00\x00\x04\x00\x00\x00\xfb\xff\x01\x00\x02\x00\x03\x00",
                        18));
  EXPECT_EQ(SaveBody(Build({"hello"})), std::string("\x02\x01\x05hello", 8));
  const std::string two = SaveBody(Build({"a", "12345"}));
  EXPECT_TRUE(two == std::string("\x02\x02\x01\x61\xc1\x39\x30", 7) ||
              two == std::string("\x02\x02\xc1\x39\x30\x01\x61", 7));
}

TEST_F(RdbSetTest, RoundTripKeepsMembersAndEncoding) {
  std::vector<std::vector<std::string>> cases = {
      {"1"}, {"-9223372036854775808", "9223372036854775807", "0"}, {"a"}, {"", "x", "\xff"}};
  std::vector<std::string> big_ints, big_strings;
  for (int i = 0; i < 1000; ++i) {
    big_ints.push_back(std::to_string(i * 7));
    big_strings.push_back("member-" + std::to_string(i) + std::string(i % 50, 'z'));
  }
  cases.push_back(big_ints);
  cases.push_back(big_strings);
  for (const auto& members : cases) {
    Value v = Build(members);
    Value loaded;
    std::string err;
    ASSERT_TRUE(LoadBody(SaveBody(v), &loaded, &err)) << err;
    EXPECT_EQ(loaded.type(), ValueType::kSet);
    EXPECT_EQ(loaded.object()->encoding(), v.object()->encoding());
    EXPECT_EQ(Members(loaded), Members(v));
  }
}

// ---- What the loader accepts -----------------------------------------------------------------

TEST_F(RdbSetTest, OldStringsFormBecomesIntsetWhenItCan) {
  Value v;
  ASSERT_TRUE(LoadBody(StringsSetBody({"3", "1", "2"}), &v));
  EXPECT_EQ(v.object()->encoding(), ObjectEncoding::kIntset);
  EXPECT_EQ(Members(v), (std::set<std::string>{"1", "2", "3"}));
  ASSERT_TRUE(LoadBody(StringsSetBody({"3", "x"}), &v));
  EXPECT_EQ(v.object()->encoding(), ObjectEncoding::kHashtable);
  Limits().set_max_intset_entries = 2;
  ASSERT_TRUE(LoadBody(StringsSetBody({"3", "1", "2"}), &v));
  EXPECT_EQ(v.object()->encoding(), ObjectEncoding::kHashtable);
}

TEST_F(RdbSetTest, IntsetPastTheLimitBecomesHashtable) {
  const std::string body = SaveBody(Build({"1", "2", "3"}));
  Limits().set_max_intset_entries = 2;
  Value v;
  ASSERT_TRUE(LoadBody(body, &v));
  EXPECT_EQ(v.object()->encoding(), ObjectEncoding::kHashtable);
  EXPECT_EQ(Members(v), (std::set<std::string>{"1", "2", "3"}));
}

TEST_F(RdbSetTest, Redis72ListpackSetsConvert) {
  Value v;
  ASSERT_TRUE(LoadBody(ListpackSetBody({"5", "-1", "70000"}), &v));
  EXPECT_EQ(v.object()->encoding(), ObjectEncoding::kIntset);
  EXPECT_EQ(Members(v), (std::set<std::string>{"-1", "5", "70000"}));
  ASSERT_TRUE(LoadBody(ListpackSetBody({"a", "1", std::string(300, 'q')}), &v));
  EXPECT_EQ(v.object()->encoding(), ObjectEncoding::kHashtable);
  EXPECT_EQ(Members(v), (std::set<std::string>{"a", "1", std::string(300, 'q')}));
  Limits().set_max_intset_entries = 1;
  ASSERT_TRUE(LoadBody(ListpackSetBody({"5", "6"}), &v));
  EXPECT_EQ(v.object()->encoding(), ObjectEncoding::kHashtable);
}

TEST_F(RdbSetTest, EmptyAndDuplicateSetsAreRejected) {
  Value v;
  std::string err;
  EXPECT_FALSE(LoadBody(StringsSetBody({}), &v, &err));
  EXPECT_NE(err.find("empty"), std::string::npos) << err;
  EXPECT_FALSE(LoadBody(StringsSetBody({"a", "b", "a"}), &v, &err));
  EXPECT_NE(err.find("duplicate"), std::string::npos) << err;
  EXPECT_FALSE(LoadBody(StringsSetBody({"1", "1"}), &v, &err));
  EXPECT_FALSE(LoadBody(ListpackSetBody({"x", "x"}), &v, &err));
  EXPECT_FALSE(LoadBody(ListpackSetBody({"7", "7"}), &v, &err));
  EXPECT_FALSE(LoadBody(ListpackSetBody({}), &v, &err));
  // An intset blob with a repeated value, one out of order, and an empty one.
  const char kDup[] = "\x0b\x0c\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x01\x00";
  EXPECT_FALSE(LoadBody(std::string(kDup, sizeof(kDup) - 1), &v, &err));
  const char kUnordered[] = "\x0b\x0c\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\x01\x00";
  EXPECT_FALSE(LoadBody(std::string(kUnordered, sizeof(kUnordered) - 1), &v, &err));
  const char kEmpty[] = "\x0b\x08\x02\x00\x00\x00\x00\x00\x00\x00";
  EXPECT_FALSE(LoadBody(std::string(kEmpty, sizeof(kEmpty) - 1), &v, &err));
  // A bad width.
  const char kWidth[] = "\x0b\x0a\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00";
  EXPECT_FALSE(LoadBody(std::string(kWidth, sizeof(kWidth) - 1), &v, &err));
}

// Every proper prefix of every form fails cleanly; random damage never crashes, and whatever
// still loads is a valid set.
TEST_F(RdbSetTest, TruncationAndCorruptionFailCleanly) {
  std::vector<std::string> bodies = {
      SaveBody(Build({"1", "2", "300000", "-9223372036854775808"})),
      SaveBody(Build({"a", "bb", std::string(100, 'c'), "17"})),
      ListpackSetBody({"a", "1", "-70000", std::string(70, 'x')}),
      StringsSetBody({"9", "8", "7"}),
  };
  std::mt19937_64 rng(5);
  for (const auto& body : bodies) {
    for (size_t cut = 0; cut < body.size(); ++cut) {
      Value v;
      std::string err;
      EXPECT_FALSE(LoadBody(body.substr(0, cut), &v, &err)) << cut;
      EXPECT_FALSE(err.empty());
    }
    for (int i = 0; i < 3000; ++i) {
      std::string bad = body;
      for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
        bad[1 + rng() % (bad.size() - 1)] = static_cast<char>(rng());  // keep the type byte
      }
      Value v;
      if (LoadBody(bad, &v)) {
        ASSERT_EQ(v.type(), ValueType::kSet);
        std::set<std::string> seen;
        SetForEach(v, [&](std::string_view m) { EXPECT_TRUE(seen.emplace(m).second); });
        EXPECT_EQ(seen.size(), SetSize(v));
        EXPECT_GT(SetSize(v), 0u);
      }
    }
  }
}

}  // namespace
}  // namespace ember
