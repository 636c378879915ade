// The RDB encodings of hashes: round trips of both encodings, Redis's DUMP bytes for a listpack
// hash, the old forms (zipmap, ziplist) and the HASH form choosing the encoding by the limits,
// and rejection of empty hashes, odd entry counts, repeated fields, and every truncation or
// random damage of a payload (without crashing).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/endian.h"
#include "db/encoding_limits.h"
#include "db/hash_object.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_writer.h"

namespace ember {
namespace {

class RdbHashTest : public ::testing::Test {
 protected:
  RdbHashTest() : saved_(Limits()) {}
  ~RdbHashTest() override { Limits() = saved_; }
  EncodingLimits saved_;
};

Value MakeHash(const std::vector<std::pair<std::string, std::string>>& pairs) {
  Value h = NewHashValue();
  for (const auto& [f, v] : pairs) HashSet(h, f, v);
  return h;
}

// Type byte + payload, as in a DUMP body.
std::string Serialize(const Value& v) {
  StringSink sink;
  RdbWriter w(&sink, {});
  EXPECT_TRUE(w.SaveObject(v));
  w.Flush();
  return sink.str();
}

// Reads a type byte + payload; returns false (with the reader's error in *error) on failure.
bool Deserialize(std::string_view bytes, Value* out, std::string* error = nullptr) {
  StringSource src(bytes);
  RdbReader r(&src);
  uint8_t type;
  bool ok = r.ReadByte(&type) && r.ReadObject(type, out);
  if (error) *error = r.error();
  return ok;
}

// A type byte and one RDB string holding `blob` (the form of every encoded-blob type).
std::string BlobObject(uint8_t type, std::string_view blob) {
  StringSink sink;
  RdbWriter w(&sink, {.compression = false, .checksum = true});
  w.SaveType(type);
  w.SaveString(blob);
  w.Flush();
  return sink.str();
}

std::map<std::string, std::string> Contents(const Value& v) {
  std::map<std::string, std::string> out;
  v.As<HashObject>()->ForEach([&](const PackedValue& f, const PackedValue& val) {
    out.emplace(f.ToString(), val.ToString());
  });
  return out;
}

// A zipmap of short pairs (Redis 2.x small hashes).
std::string Zipmap(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string z(1, static_cast<char>(pairs.size()));
  for (const auto& [f, v] : pairs) {
    z += static_cast<char>(f.size()) + f;
    z += static_cast<char>(v.size());
    z += '\0';  // no free bytes
    z += v;
  }
  return z + '\xff';
}

// A ziplist of short strings (entries of up to 63 bytes, 1-byte prevlen).
std::string Ziplist(const std::vector<std::string>& entries) {
  std::string body;
  size_t prev = 0, tail = 10;
  for (const std::string& e : entries) {
    tail = 10 + body.size();
    std::string entry;
    entry += static_cast<char>(prev);
    entry += static_cast<char>(e.size());  // 00pppppp
    entry += e;
    body += entry;
    prev = entry.size();
  }
  std::string z(10, '\0');
  StoreLE32(reinterpret_cast<uint8_t*>(z.data()), static_cast<uint32_t>(10 + body.size() + 1));
  StoreLE32(reinterpret_cast<uint8_t*>(z.data() + 4), static_cast<uint32_t>(tail));
  z[8] = static_cast<char>(entries.size());
  return z + body + '\xff';
}

TEST_F(RdbHashTest, ListpackDumpBodyMatchesRedis) {
  // Redis 7.0.15: HSET h a 1 b hello; DUMP h (without the version and CRC trailer).
  const char kRedis[] =
      "\x10\x16\x16\x00\x00\x00\x04\x00\x81\x61\x02\x01\x01\x81\x62\x02\x85hello\x06\xff";
  const std::string redis(kRedis, sizeof(kRedis) - 1);
  EXPECT_EQ(Serialize(MakeHash({{"a", "1"}, {"b", "hello"}})), redis);
}

TEST_F(RdbHashTest, RoundTripOfBothEncodings) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 600; ++i) pairs.emplace_back("f" + std::to_string(i), std::to_string(i * 3));
  pairs.emplace_back(std::string("\0\xff", 2), "");
  for (size_t n : {size_t{3}, pairs.size()}) {
    std::vector<std::pair<std::string, std::string>> part(pairs.end() - n, pairs.end());
    Value v = MakeHash(part);
    std::string bytes = Serialize(v);
    EXPECT_EQ(static_cast<uint8_t>(bytes[0]),
              n == 3 ? rdb::kTypeHashListpack : rdb::kTypeHash);
    Value back;
    ASSERT_TRUE(Deserialize(bytes, &back));
    EXPECT_EQ(back.type(), ValueType::kHash);
    EXPECT_EQ(back.As<HashObject>()->encoding(), v.As<HashObject>()->encoding());
    EXPECT_EQ(Contents(back), Contents(v));
  }
}

TEST_F(RdbHashTest, HashFormChoosesTheEncodingByTheLimits) {
  Limits().hash_max_listpack_value = 64;
  Value h = NewHashValue();
  HashSet(h, "f", std::string(100, 'x'));
  HashSet(h, "g", "1");
  HashDelete(h, "f");  // a hashtable that now fits a listpack
  std::string bytes = Serialize(h);
  ASSERT_EQ(static_cast<uint8_t>(bytes[0]), rdb::kTypeHash);
  Value back;
  ASSERT_TRUE(Deserialize(bytes, &back));
  EXPECT_EQ(back.As<HashObject>()->encoding(), ObjectEncoding::kListpack);

  // A listpack over a lowered entry limit loads as a hashtable; a long value alone does not
  // convert a stored listpack (Redis 7.0 checks only the count there).
  std::string lp = Serialize(MakeHash({{"a", "1"}, {"b", std::string(40, 'y')}}));
  Limits().hash_max_listpack_value = 10;
  ASSERT_TRUE(Deserialize(lp, &back));
  EXPECT_EQ(back.As<HashObject>()->encoding(), ObjectEncoding::kListpack);
  Limits().hash_max_listpack_entries = 1;
  ASSERT_TRUE(Deserialize(lp, &back));
  EXPECT_EQ(back.As<HashObject>()->encoding(), ObjectEncoding::kHashtable);
  EXPECT_EQ(Contents(back).at("b"), std::string(40, 'y'));
}

TEST_F(RdbHashTest, ZipmapAndZiplistForms) {
  Value v;
  std::string error;
  ASSERT_TRUE(Deserialize(BlobObject(rdb::kTypeHashZipmap, Zipmap({{"a", "1"}, {"bb", "xyz"}})),
                          &v, &error))
      << error;
  EXPECT_EQ(v.As<HashObject>()->encoding(), ObjectEncoding::kListpack);
  EXPECT_EQ(Contents(v), (std::map<std::string, std::string>{{"a", "1"}, {"bb", "xyz"}}));

  ASSERT_TRUE(Deserialize(BlobObject(rdb::kTypeHashZiplist, Ziplist({"a", "1", "bb", "xyz"})),
                          &v, &error))
      << error;
  EXPECT_EQ(v.As<HashObject>()->encoding(), ObjectEncoding::kListpack);
  EXPECT_EQ(Contents(v), (std::map<std::string, std::string>{{"a", "1"}, {"bb", "xyz"}}));
  // Converted entry by entry: the listpack is the one HSET would have built.
  EXPECT_EQ(v.As<HashObject>()->listpack().Bytes(),
            MakeHash({{"a", "1"}, {"bb", "xyz"}}).As<HashObject>()->listpack().Bytes());

  // A zipmap value over hash-max-listpack-value converts (the zipmap rule checks lengths).
  Limits().hash_max_listpack_value = 2;
  ASSERT_TRUE(Deserialize(BlobObject(rdb::kTypeHashZipmap, Zipmap({{"a", "1"}, {"bb", "xyz"}})),
                          &v));
  EXPECT_EQ(v.As<HashObject>()->encoding(), ObjectEncoding::kHashtable);
  Limits().hash_max_listpack_entries = 1;
  ASSERT_TRUE(Deserialize(BlobObject(rdb::kTypeHashZiplist, Ziplist({"a", "1", "b", "2"})), &v));
  EXPECT_EQ(v.As<HashObject>()->encoding(), ObjectEncoding::kHashtable);
}

TEST_F(RdbHashTest, EmptyOddAndDuplicateAreErrors) {
  Value v;
  std::string error;
  auto fails = [&](const std::string& bytes, const std::string& want) {
    EXPECT_FALSE(Deserialize(bytes, &v, &error));
    EXPECT_NE(error.find(want), std::string::npos) << error;
  };
  fails(std::string("\x04\x00", 2), "Empty hash");
  fails(std::string("\x04\x02\x01" "a\x01" "1\x01" "a\x01" "2", 11), "dup");
  std::string pairs(1, '\x04');
  pairs += static_cast<char>(3);
  for (int i = 0; i < 3; ++i) pairs += std::string("\x02" "f") + static_cast<char>('0' + i % 2) + "\x01v";
  fails(pairs, "dup");

  Listpack odd;
  odd.Append("a");
  fails(BlobObject(rdb::kTypeHashListpack, odd.Bytes()), "integrity");
  fails(BlobObject(rdb::kTypeHashListpack, Listpack().Bytes()), "Empty hash");
  Listpack dup;
  for (const char* s : {"a", "1", "b", "2", "a", "3"}) dup.Append(s);
  fails(BlobObject(rdb::kTypeHashListpack, dup.Bytes()), "dup");
  Listpack int_dup;  // "7" and 7 are the same field
  int_dup.AppendInt(7);
  int_dup.Append("x");
  int_dup.Append("7");
  int_dup.Append("y");
  fails(BlobObject(rdb::kTypeHashListpack, int_dup.Bytes()), "dup");

  fails(BlobObject(rdb::kTypeHashZiplist, Ziplist({"a", "1", "b"})), "integrity");
  fails(BlobObject(rdb::kTypeHashZiplist, Ziplist({"a", "1", "a", "2"})), "dup");
  fails(BlobObject(rdb::kTypeHashZiplist, Ziplist({})), "Empty hash");
  fails(BlobObject(rdb::kTypeHashZipmap, Zipmap({{"a", "1"}, {"a", "2"}})), "dup");
  fails(BlobObject(rdb::kTypeHashZipmap, "\x01\xff"), "integrity");
}

TEST_F(RdbHashTest, EveryTruncationAndRandomDamageFailsCleanly) {
  std::vector<std::string> payloads = {
      Serialize(MakeHash({{"a", "1"}, {"bb", "hello"}, {"-7", std::string(30, 'z')}})),
      BlobObject(rdb::kTypeHashZipmap, Zipmap({{"a", "1"}, {"bb", "xyz"}})),
      BlobObject(rdb::kTypeHashZiplist, Ziplist({"a", "1", "bb", "xyz"})),
  };
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 40; ++i) many.emplace_back("k" + std::to_string(i), std::string(70, 'v'));
  payloads.push_back(Serialize(MakeHash(many)));

  std::mt19937_64 rng(11);
  for (const std::string& p : payloads) {
    Value v;
    ASSERT_TRUE(Deserialize(p, &v));
    for (size_t cut = 0; cut < p.size(); ++cut) {
      EXPECT_FALSE(Deserialize(p.substr(0, cut), &v)) << "cut at " << cut;
    }
    for (int round = 0; round < 2000; ++round) {
      std::string damaged = p;
      damaged[1 + rng() % (damaged.size() - 1)] ^= static_cast<char>(1 + rng() % 255);
      if (Deserialize(damaged, &v)) {
        // Whatever is accepted is a well-formed hash: walk it all.
        size_t n = 0;
        v.As<HashObject>()->ForEach([&](const PackedValue&, const PackedValue&) { ++n; });
        EXPECT_EQ(n, v.As<HashObject>()->size());
      }
    }
  }
}

}  // namespace
}  // namespace ember
