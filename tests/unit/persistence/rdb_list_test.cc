// The RDB encodings of lists: QUICKLIST_2 written byte for byte as Redis 7.0 (DUMP payloads
// captured from redis-server 7.0.15), every older form Redis wrote read back, and corrupt or
// truncated payloads rejected with an error, never a crash.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "db/encoding_limits.h"
#include "db/list_object.h"
#include "persistence/dump_payload.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"

namespace ember {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

Value MakeList(const std::vector<std::string>& elements) {
  Value v = Value::FromObject(ValueType::kList, std::make_unique<ListObject>());
  for (const auto& e : elements) v.As<ListObject>()->ql().PushTail(e);
  return v;
}

std::vector<std::string> Elements(const Value& v) {
  std::vector<std::string> out;
  v.As<ListObject>()->ql().ForEach([&](const PackedValue& p) { out.push_back(p.ToString()); });
  return out;
}

// Type byte + payload, as a key's value in an RDB file.
std::string SaveObject(const Value& v, bool compression = true) {
  StringSink sink;
  RdbWriter w(&sink, {.compression = compression, .checksum = true});
  w.SaveObject(v);
  w.Flush();
  return sink.str();
}

// Reads a type byte and the object after it; the error text on failure.
bool LoadObject(std::string_view bytes, Value* out, std::string* error = nullptr) {
  StringSource src(bytes);
  RdbReader r(&src);
  uint8_t type;
  bool ok = r.ReadByte(&type) && r.ReadObject(type, out);
  if (!ok && error) *error = r.error();
  return ok;
}

// Limits for one test, restored after.
struct LimitsGuard {
  LimitsGuard(int64_t fill, int64_t depth) : saved(Limits()) {
    Limits().list_max_listpack_size = fill;
    Limits().list_compress_depth = depth;
  }
  ~LimitsGuard() { Limits() = saved; }
  EncodingLimits saved;
};

TEST(RdbList, DumpEqualsRedis) {
  // RPUSH l a b 1 -2 300 on redis-server 7.0.15, then DUMP l.
  Value small = MakeList({"a", "b", "1", "-2", "300"});
  EXPECT_EQ(CreateDumpPayload(small, true),
            FromHex("120102151500000005008161028162020101dffe02c12c02ff0a003fb48a4daa65ae50"));
  // list-max-listpack-size 4, list-compress-depth 1: the middle node is kept compressed and
  // written as its LZF data.
  LimitsGuard limits(4, 1);
  std::vector<std::string> elements;
  for (int i = 0; i < 12; ++i) elements.push_back("element-" + std::to_string(i % 3) + "-padding-padding");
  Value compressed = MakeList(elements);
  EXPECT_EQ(CreateDumpPayload(compressed, true),
            FromHex("120302c33740731773000000040099656c656d656e742d302d70616464696e67c007001ae0001a"
                    "0031c012c007e0011a0032c012c007e0011ae0095000ff02c33740731773000000040099656c"
                    "656d656e742d312d70616464696e67c007001ae0001a0032c012c007e0011a0030c012c007e0"
                    "011ae0095000ff02c33740731773000000040099656c656d656e742d322d70616464696e67c0"
                    "07001ae0001a0030c012c007e0011a0031c012c007e0011ae0095000ff0a0054496229b02c2a"
                    "9e"));
  Value back;
  ASSERT_TRUE(LoadDumpPayload(CreateDumpPayload(compressed, true), &back));
  EXPECT_EQ(Elements(back), elements);
}

TEST(RdbList, RoundTripEveryLayout) {
  std::vector<std::string> elements;
  for (int i = 0; i < 3000; ++i) {
    elements.push_back(i % 5 == 0 ? std::to_string(i * 1000003LL) : "value-" + std::to_string(i));
  }
  elements.push_back(std::string(20000, 'x'));  // larger than a node
  for (int64_t fill : {-5, -2, -1, 1, 7, 128}) {
    for (int64_t depth : {0, 1, 3}) {
      LimitsGuard limits(fill, depth);
      Value v = MakeList(elements);
      for (bool compression : {true, false}) {
        Value back;
        std::string error;
        ASSERT_TRUE(LoadObject(SaveObject(v, compression), &back, &error)) << error;
        EXPECT_EQ(Elements(back), elements);
        // Loading keeps Redis's node boundaries, so writing again gives the same bytes.
        EXPECT_EQ(SaveObject(back, compression), SaveObject(v, compression));
      }
    }
  }
}

TEST(RdbList, PlainNodesRoundTrip) {
  Quicklist::SetPackedThreshold(64);
  Value v = MakeList({"a", std::string(100, 'P'), "b", "12"});
  std::string bytes = SaveObject(v);
  Value back;
  ASSERT_TRUE(LoadObject(bytes, &back));
  EXPECT_EQ(Elements(back), Elements(v));
  EXPECT_EQ(SaveObject(back), bytes);
  Quicklist::SetPackedThreshold(size_t{1} << 30);
}

// Old forms, built by hand as Redis 2.x-6.x wrote them.
TEST(RdbList, LoadsEveryOlderEncoding) {
  // LIST: a length and one string per element (ints encoded as Redis does).
  StringSink sink;
  RdbWriter w(&sink, {});
  w.SaveType(rdb::kTypeList);
  w.SaveLen(3);
  w.SaveString("x");
  w.SaveString("123");
  w.SaveString(std::string(30, 'y'));
  w.Flush();
  Value v;
  std::string error;
  ASSERT_TRUE(LoadObject(sink.str(), &v, &error)) << error;
  EXPECT_EQ(Elements(v), (std::vector<std::string>{"x", "123", std::string(30, 'y')}));
  EXPECT_STREQ(v.EncodingName(), "quicklist");

  // A ziplist holding 2 and 5 (ziplist.c's own example).
  const std::string ziplist = std::string("\x0f\x00\x00\x00\x0c\x00\x00\x00\x02\x00\x00\xf3\x02\xf6\xff", 15);
  for (uint8_t type : {rdb::kTypeListZiplist, rdb::kTypeListQuicklist}) {
    StringSink s;
    RdbWriter ww(&s, {});
    ww.SaveType(type);
    if (type == rdb::kTypeListQuicklist) ww.SaveLen(2);  // two ziplist nodes
    ww.SaveString(ziplist);
    if (type == rdb::kTypeListQuicklist) ww.SaveString(ziplist);
    ww.Flush();
    Value got;
    ASSERT_TRUE(LoadObject(s.str(), &got, &error)) << int(type) << error;
    std::vector<std::string> want = {"2", "5"};
    if (type == rdb::kTypeListQuicklist) want = {"2", "5", "2", "5"};
    EXPECT_EQ(Elements(got), want);
  }
}

std::string Quicklist2(const std::vector<std::pair<uint64_t, std::string>>& nodes) {
  StringSink s;
  RdbWriter w(&s, {});
  w.SaveType(rdb::kTypeListQuicklist2);
  w.SaveLen(nodes.size());
  for (const auto& [container, blob] : nodes) {
    w.SaveLen(container);
    w.SaveString(blob);
  }
  w.Flush();
  return s.str();
}

TEST(RdbList, EmptyNodesSkippedEmptyListsRejected) {
  const std::string empty_lp("\x07\x00\x00\x00\x00\x00\xff", 7);
  Listpack one;
  one.Append("a");
  const std::string one_lp(one.Bytes());
  Value v;
  std::string error;
  ASSERT_TRUE(LoadObject(Quicklist2({{2, empty_lp}, {2, one_lp}, {2, empty_lp}}), &v, &error));
  EXPECT_EQ(Elements(v), (std::vector<std::string>{"a"}));
  EXPECT_EQ(v.As<ListObject>()->ql().node_count(), 1u);
  EXPECT_FALSE(LoadObject(Quicklist2({{2, empty_lp}}), &v, &error));
  EXPECT_FALSE(LoadObject(Quicklist2({}), &v, &error));
  // Unknown container, empty plain element, listpack that does not validate.
  EXPECT_FALSE(LoadObject(Quicklist2({{3, one_lp}}), &v, &error));
  EXPECT_FALSE(LoadObject(Quicklist2({{1, ""}}), &v, &error));
  std::string bad = one_lp;
  bad[bad.size() - 2] = '\x7f';  // backlen
  EXPECT_FALSE(LoadObject(Quicklist2({{2, bad}}), &v, &error));
  EXPECT_FALSE(error.empty());
  // LIST with no element.
  StringSink s;
  RdbWriter w(&s, {});
  w.SaveType(rdb::kTypeList);
  w.SaveLen(0);
  w.Flush();
  EXPECT_FALSE(LoadObject(s.str(), &v, &error));
}

TEST(RdbList, EveryTruncationAndRandomDamageFailsCleanly) {
  LimitsGuard limits(8, 1);
  std::vector<std::string> elements;
  for (int i = 0; i < 100; ++i) elements.push_back("e" + std::to_string(i) + std::string(i % 13, 'z'));
  const std::string good = SaveObject(MakeList(elements));
  for (size_t cut = 0; cut < good.size(); ++cut) {
    Value v;
    std::string error;
    EXPECT_FALSE(LoadObject(good.substr(0, cut), &v, &error)) << cut;
    EXPECT_FALSE(error.empty()) << cut;
  }
  std::mt19937_64 rng(11);
  int loaded = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bad = good;
    for (int edits = 1 + rng() % 3; edits > 0; --edits) {
      bad[1 + rng() % (bad.size() - 1)] = static_cast<char>(rng());
    }
    Value v;
    if (LoadObject(bad, &v)) {
      // Whatever loads must be a walkable, non-empty list.
      ++loaded;
      EXPECT_GT(Elements(v).size(), 0u);
    }
  }
  EXPECT_LT(loaded, 3000);
}

}  // namespace
}  // namespace ember
