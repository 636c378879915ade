#include "db/set_object.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/memory.h"
#include "db/encoding_limits.h"

namespace ember {
namespace {

// Restores set-max-intset-entries after a test changes it.
class SetObjectTest : public ::testing::Test {
 protected:
  void TearDown() override { Limits().set_max_intset_entries = 512; }
};

std::vector<std::string> Members(const Value& set) {
  std::vector<std::string> out;
  SetForEach(set, [&](std::string_view m) { out.emplace_back(m); });
  return out;
}

std::set<std::string> MemberSet(const Value& set) {
  auto v = Members(set);
  return {v.begin(), v.end()};
}

ObjectEncoding Enc(const Value& v) { return v.object()->encoding(); }

Value Build(std::initializer_list<std::string_view> members) {
  Value s = NewSetFor(*members.begin());
  for (auto m : members) SetAdd(s, m);
  return s;
}

TEST_F(SetObjectTest, CreateChoosesEncodingByFirstMember) {
  EXPECT_EQ(Enc(NewSetFor("12")), ObjectEncoding::kIntset);
  EXPECT_EQ(Enc(NewSetFor("-9223372036854775808")), ObjectEncoding::kIntset);
  for (const char* not_int : {"a", "01", "+1", " 1", "1.0", "9223372036854775808", "", "-0"}) {
    EXPECT_EQ(Enc(NewSetFor(not_int)), ObjectEncoding::kHashtable) << not_int;
  }
  Value v = NewSetFor("1");
  EXPECT_EQ(v.type(), ValueType::kSet);
  EXPECT_STREQ(v.EncodingName(), "intset");
}

// The blob is Redis's: the same members give the bytes Redis 7.0.15 dumps (SADD i 1 2 3 -5).
TEST_F(SetObjectTest, IntsetBytesMatchRedis) {
  Value s = Build({"1", "2", "3", "-5"});
  ASSERT_EQ(Enc(s), ObjectEncoding::kIntset);
  EXPECT_EQ(s.As<IntsetSet>()->Bytes(),
            std::string("\x02\x00\x00\x00\x04\x00\x00\x00\xfb\xff\x01\x00\x02\x00\x03\x00", 16));
  EXPECT_EQ(Members(s), (std::vector<std::string>{"-5", "1", "2", "3"}));
}

TEST_F(SetObjectTest, IntsetWidensAndNeverNarrows) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  Value s = Build({"1", "-1"});
  EXPECT_EQ(s.As<IntsetSet>()->width(), 2u);
  EXPECT_TRUE(SetAdd(s, "40000"));
  EXPECT_EQ(s.As<IntsetSet>()->width(), 4u);
  EXPECT_TRUE(SetAdd(s, std::to_string(kMin)));  // a negative widening goes first
  EXPECT_TRUE(SetAdd(s, std::to_string(kMax)));
  EXPECT_EQ(s.As<IntsetSet>()->width(), 8u);
  EXPECT_EQ(Members(s), (std::vector<std::string>{std::to_string(kMin), "-1", "1", "40000",
                                                  std::to_string(kMax)}));
  EXPECT_TRUE(SetIsMember(s, std::to_string(kMin)));
  EXPECT_FALSE(SetIsMember(s, "2"));
  EXPECT_FALSE(SetIsMember(s, "01"));
  EXPECT_TRUE(SetRemove(s, std::to_string(kMin)));
  EXPECT_TRUE(SetRemove(s, std::to_string(kMax)));
  EXPECT_EQ(s.As<IntsetSet>()->width(), 8u);
  EXPECT_EQ(Enc(s), ObjectEncoding::kIntset);
  EXPECT_FALSE(SetRemove(s, "a"));
  EXPECT_FALSE(SetRemove(s, "99999999999"));
}

TEST_F(SetObjectTest, ConvertsAtTheLimitAndNeverBack) {
  Limits().set_max_intset_entries = 4;
  Value s = Build({"1", "2", "3", "4"});
  EXPECT_EQ(Enc(s), ObjectEncoding::kIntset);
  EXPECT_FALSE(SetAdd(s, "4"));  // a duplicate does not count
  EXPECT_EQ(Enc(s), ObjectEncoding::kIntset);
  EXPECT_TRUE(SetAdd(s, "5"));
  EXPECT_EQ(Enc(s), ObjectEncoding::kHashtable);
  EXPECT_EQ(MemberSet(s), (std::set<std::string>{"1", "2", "3", "4", "5"}));
  for (const char* m : {"5", "4", "3", "2"}) EXPECT_TRUE(SetRemove(s, m));
  EXPECT_EQ(Enc(s), ObjectEncoding::kHashtable);
  EXPECT_TRUE(SetIsMember(s, "1"));
}

TEST_F(SetObjectTest, StringMemberConverts) {
  Value s = Build({"1", "2"});
  EXPECT_TRUE(SetAdd(s, "x"));
  EXPECT_EQ(Enc(s), ObjectEncoding::kHashtable);
  EXPECT_EQ(MemberSet(s), (std::set<std::string>{"1", "2", "x"}));
  EXPECT_FALSE(SetAdd(s, "1"));
}

TEST_F(SetObjectTest, LimitZeroMeansHashtableFromTheFirstMember) {
  Limits().set_max_intset_entries = 0;
  Value s = NewSetFor("1");
  SetAdd(s, "1");
  EXPECT_EQ(Enc(s), ObjectEncoding::kHashtable);
}

// The intset lives in the object's own allocation: one block, no per-member allocation, and the
// block follows the size (it grows while members arrive and is trimmed after many removals).
TEST_F(SetObjectTest, IntsetIsOneCompactBlock) {
  Value s = NewIntsetSetValue();
  for (int i = 0; i < 500; ++i) SetAdd(s, std::to_string(i * 3));
  const IntsetSet* is = s.As<IntsetSet>();
  EXPECT_EQ(is->Bytes().size(), 8u + 500 * 2);
  EXPECT_EQ(is->MallocSize(), MemUsableSize(is));
  EXPECT_LT(is->MallocSize(), sizeof(IntsetSet) + 8 + 500 * 2 + 32);
  for (int i = 0; i < 490; ++i) SetRemove(s, std::to_string(i * 3));
  EXPECT_LT(s.As<IntsetSet>()->MallocSize(), 100u);
  EXPECT_EQ(SetSize(s), 10u);
}

TEST_F(SetObjectTest, CloneIsIndependentAndKeepsEncoding) {
  for (bool ints : {true, false}) {
    Value s = ints ? Build({"3", "1", "2"}) : Build({"a", "b", "1"});
    Value c = s.Clone();
    EXPECT_EQ(Enc(c), Enc(s));
    EXPECT_EQ(MemberSet(c), MemberSet(s));
    SetAdd(c, "9");
    EXPECT_FALSE(SetIsMember(s, "9"));
  }
}

// DEBUG DIGEST does not depend on the encoding or the order: the members are xored in.
TEST_F(SetObjectTest, DigestIndependentOfEncodingAndOrder) {
  Value a = Build({"1", "2", "3"});
  Value b = NewHashtableSetValue();
  for (const char* m : {"3", "1", "2"}) SetAdd(b, m);
  Digest da{}, db{};
  a.object()->AddToDigest(da);
  b.object()->AddToDigest(db);
  EXPECT_EQ(da, db);
  Digest empty{};
  EXPECT_NE(da, empty);
}

TEST_F(SetObjectTest, RandomMembersAreMembers) {
  std::mt19937_64 rng(3);
  for (bool ints : {true, false}) {
    Value s = ints ? Build({"1", "2", "3", "4"}) : Build({"a", "b", "c", "d"});
    std::set<std::string> drawn;
    std::string m;
    for (int i = 0; i < 400; ++i) {
      SetRandomMember(s, rng, &m);
      EXPECT_TRUE(SetIsMember(s, m));
      drawn.insert(m);
    }
    EXPECT_EQ(drawn.size(), 4u);
  }
}

TEST_F(SetObjectTest, ScanOfAnIntsetReturnsEverythingAtOnce) {
  Value s = Build({"5", "1"});
  std::vector<std::string> seen;
  EXPECT_EQ(SetScan(s, 0, [&](std::string_view m) { seen.emplace_back(m); }), 0u);
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "5"}));
}

// Random operations against std::set, with a small limit so both encodings and the conversion
// are exercised.
TEST_F(SetObjectTest, RandomOperationsMatchModel) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 20; ++round) {
    Limits().set_max_intset_entries = static_cast<int64_t>(rng() % 40);
    Value s = NewIntsetSetValue();
    std::set<std::string> model;
    const bool strings_too = round % 2;
    for (int i = 0; i < 600; ++i) {
      std::string m;
      const auto r = rng() % 10;
      if (strings_too && r == 0) {
        m = "s" + std::to_string(rng() % 20);
      } else if (r == 1) {
        m = std::to_string(static_cast<int64_t>(rng()));
      } else {
        m = std::to_string(static_cast<int64_t>(rng() % 60) - 30);
      }
      if (rng() % 3) {
        ASSERT_EQ(SetAdd(s, m), model.insert(m).second) << m;
      } else {
        ASSERT_EQ(SetRemove(s, m), model.erase(m) == 1) << m;
      }
      ASSERT_EQ(SetSize(s), model.size());
      if (Enc(s) == ObjectEncoding::kIntset) {
        ASSERT_LE(SetSize(s), SetMaxIntsetEntries());
      }
    }
    EXPECT_EQ(MemberSet(s), model);
  }
}

}  // namespace
}  // namespace ember
