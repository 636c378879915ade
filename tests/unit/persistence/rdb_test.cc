#include <gtest/gtest.h>

#include <random>
#include <string>

#include "common/crc64.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_reader.h"
#include "persistence/rdb_snapshot.h"
#include "persistence/rdb_writer.h"

namespace ember {
namespace {

std::string Encode(std::string_view s, bool compression = true) {
  StringSink sink;
  RdbWriter w(&sink, {.compression = compression, .checksum = true});
  w.SaveString(s);
  w.Flush();
  return sink.str();
}

std::string Decode(const std::string& bytes, bool* ok = nullptr) {
  StringSource src(bytes);
  RdbReader r(&src);
  std::string out;
  bool good = r.ReadString(&out);
  if (ok) *ok = good;
  return out;
}

TEST(RdbStrings, IntegerEncodingsAsRedis) {
  EXPECT_EQ(Encode("12"), std::string("\xc0\x0c", 2));
  EXPECT_EQ(Encode("-128"), std::string("\xc0\x80", 2));
  EXPECT_EQ(Encode("12345"), std::string("\xc1\x39\x30", 3));  // DUMP of 12345 from Redis
  EXPECT_EQ(Encode("-2147483648"), std::string("\xc2\x00\x00\x00\x80", 5));
  // Not canonical, or beyond 32 bits: stored as bytes.
  EXPECT_EQ(Encode("012"), std::string("\x03" "012", 4));
  EXPECT_EQ(Encode("2147483648"), std::string("\x0a" "2147483648", 11));
  for (const char* s : {"0", "-1", "127", "128", "32767", "-32769", "2147483647", "+1", " 1"}) {
    EXPECT_EQ(Decode(Encode(s)), s);
  }
}

TEST(RdbStrings, LengthEncodingsRoundTrip) {
  for (size_t len : {0u, 1u, 63u, 64u, 16383u, 16384u, 70000u}) {
    std::string s(len, 'x');
    for (size_t i = 0; i < len; i++) s[i] = static_cast<char>('a' + (i * 7919) % 26);
    const std::string enc = Encode(s, /*compression=*/false);
    EXPECT_EQ(Decode(enc), s) << len;
    const size_t header = len < 64 ? 1 : len < 16384 ? 2 : 5;
    EXPECT_EQ(enc.size(), header + len) << len;
  }
}

TEST(RdbStrings, LzfAsRedisWritesIt) {
  // DUMP of a 100-byte run of 'a' from redis-server 7.0.15.
  const std::string redis_payload("\xc3\x09\x40\x64\x01" "aa\xe0\x57\x00\x01" "aa", 13);
  EXPECT_EQ(Decode(redis_payload), std::string(100, 'a'));
  EXPECT_EQ(Encode(std::string(100, 'a')), redis_payload);
  // Short or incompressible strings stay raw.
  EXPECT_EQ(Encode("abcdefghijklmnopqrstu").size(), 22u);
}

TEST(RdbStrings, CorruptLzfAndHugeLengthsFailCleanly) {
  bool ok = true;
  // ulen far beyond what clen can expand to.
  Decode(std::string("\xc3\x02\x80\x40\x00\x00\x00" "ab", 9), &ok);
  EXPECT_FALSE(ok);
  // A 4 GiB raw string in a 10-byte input: an error, not a 4 GiB allocation.
  Decode(std::string("\x80\xff\xff\xff\xff" "abcde", 10), &ok);
  EXPECT_FALSE(ok);
  Decode(std::string("\x81\xff\xff\xff\xff\xff\xff\xff\xff", 9), &ok);
  EXPECT_FALSE(ok);
  Decode(std::string("\xc4", 1), &ok);  // unknown special encoding
  EXPECT_FALSE(ok);
}

TEST(RdbObjects, StringDumpBodyMatchesRedis) {
  StringSink sink;
  RdbWriter w(&sink, {});
  w.SaveObject(Value::FromString("bar"));
  w.Flush();
  EXPECT_EQ(sink.str(), std::string("\x00\x03" "bar", 5));
  EXPECT_EQ(Crc64(0, sink.str() + std::string("\x0a\x00", 2)), 0x17fd66ee6049bee6ULL);
}

std::string SnapshotOf(Keyspace& ks, RdbWriteOptions opts = {}) {
  StringSink sink;
  RdbWriter w(&sink, opts);
  SnapshotSaveInfo info;
  EXPECT_TRUE(SaveSnapshot(w, ks, info));
  return sink.str();
}

void Fill(Keyspace& ks) {
  ks.db(0).Insert("int", Value::FromString("42"));
  ks.db(0).Insert("bigint", Value::FromString("-9223372036854775808"));
  ks.db(0).Insert("empty", Value::FromString(""));
  ks.db(0).Insert("bin", Value::FromString(std::string("\0\xff\r\n", 4)));
  ks.db(3).Insert("long", Value::FromString(std::string(5000, 'z')));
  KeyEntry* e = ks.db(15).Insert("ttl", Value::FromString("v"));
  ks.db(15).SetExpire(e, 4102444800000);  // 2100-01-01
  KeyEntry* gone = ks.db(15).Insert("expired", Value::FromString("v"));
  ks.db(15).SetExpire(gone, 1000);
}

TEST(RdbSnapshot, RoundTripWithExpiriesAndDatabases) {
  Keyspace ks(16);
  Fill(ks);
  const std::string file = SnapshotOf(ks);
  ASSERT_EQ(file.substr(0, 9), "REDIS0010");

  Keyspace loaded(16);
  StringSource src(file);
  RdbReader r(&src);
  SnapshotLoadInfo info;
  SnapshotLoadOptions opts;
  opts.now_ms = 1700000000000;
  ASSERT_TRUE(LoadSnapshot(r, loaded, opts, &info)) << r.error();
  EXPECT_EQ(info.keys_loaded, 6u);
  EXPECT_EQ(info.keys_expired, 1u);
  EXPECT_EQ(loaded.db(0).size(), 4u);
  EXPECT_EQ(loaded.db(0).FindRaw("int")->value.ToString(), "42");
  EXPECT_TRUE(loaded.db(0).FindRaw("int")->value.is_int());
  EXPECT_EQ(loaded.db(0).FindRaw("bigint")->value.ToString(), "-9223372036854775808");
  EXPECT_EQ(loaded.db(0).FindRaw("bin")->value.ToString(), std::string("\0\xff\r\n", 4));
  EXPECT_EQ(loaded.db(3).FindRaw("long")->value.ToString(), std::string(5000, 'z'));
  KeyEntry* ttl = loaded.db(15).FindRaw("ttl");
  ASSERT_NE(ttl, nullptr);
  EXPECT_EQ(loaded.db(15).GetExpire(ttl), 4102444800000);
  EXPECT_EQ(loaded.db(15).FindRaw("expired"), nullptr);
  ASSERT_NE(info.Aux("redis-ver"), nullptr);
  EXPECT_EQ(*info.Aux("redis-bits"), "64");
}

TEST(RdbSnapshot, ChecksumOffWritesZeroAndStillLoads) {
  Keyspace ks(16);
  Fill(ks);
  const std::string file = SnapshotOf(ks, {.compression = false, .checksum = false});
  EXPECT_EQ(file.substr(file.size() - 8), std::string(8, '\0'));
  Keyspace loaded(16);
  StringSource src(file);
  RdbReader r(&src);
  SnapshotLoadInfo info;
  EXPECT_TRUE(LoadSnapshot(r, loaded, {}, &info)) << r.error();
}

bool LoadBytes(const std::string& bytes, std::string* error = nullptr) {
  Keyspace ks(16);
  StringSource src(bytes);
  RdbReader r(&src);
  SnapshotLoadInfo info;
  bool ok = LoadSnapshot(r, ks, {}, &info);
  if (error) *error = r.error();
  return ok;
}

TEST(RdbSnapshot, EveryTruncationFailsWithAnError) {
  Keyspace ks(16);
  Fill(ks);
  const std::string file = SnapshotOf(ks);
  for (size_t cut = 0; cut < file.size(); cut++) {
    std::string err;
    EXPECT_FALSE(LoadBytes(file.substr(0, cut), &err)) << cut;
    EXPECT_FALSE(err.empty()) << cut;
  }
}

TEST(RdbSnapshot, BadChecksumVersionAndSignature) {
  Keyspace ks(16);
  Fill(ks);
  std::string file = SnapshotOf(ks);
  std::string bad = file;
  bad[bad.size() - 3] ^= 0x40;
  std::string err;
  EXPECT_FALSE(LoadBytes(bad, &err));
  EXPECT_NE(err.find("Wrong RDB checksum"), std::string::npos) << err;

  bad = file;
  bad.replace(5, 4, "0012");
  EXPECT_FALSE(LoadBytes(bad, &err));
  EXPECT_EQ(err, "Can't handle RDB format version 12");

  bad = file;
  bad[0] = 'X';
  EXPECT_FALSE(LoadBytes(bad, &err));
  EXPECT_EQ(err, "Wrong signature trying to load DB from file");
}

TEST(RdbSnapshot, RandomCorruptionNeverCrashes) {
  Keyspace ks(16);
  Fill(ks);
  const std::string file = SnapshotOf(ks, {.compression = true, .checksum = false});
  std::mt19937 rng(7);
  for (int round = 0; round < 3000; round++) {
    std::string bad = file;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; i++) bad[rng() % bad.size()] = static_cast<char>(rng());
    LoadBytes(bad);  // must return (either way) without crashing or huge allocations
  }
}

TEST(RdbSnapshot, DuplicateKeysAndTooManyDatabasesAreErrors) {
  std::string file = "REDIS0010";
  file += std::string("\x00\x01k\x01v\x00\x01k\x01v\xff", 11);
  file += std::string(8, '\0');
  std::string err;
  EXPECT_FALSE(LoadBytes(file, &err));
  EXPECT_EQ(err, "RDB has duplicated key 'k' in DB 0");

  file = "REDIS0010";
  file += std::string("\xfe\x10\xff", 3) + std::string(8, '\0');
  EXPECT_FALSE(LoadBytes(file, &err));
  EXPECT_NE(err.find("more than 16 databases"), std::string::npos);
}

TEST(RdbSnapshot, ModuleDataIsRejectedByName) {
  EXPECT_EQ(ModuleTypeName(0), "AAAAAAAAA");
  std::string file = "REDIS0010";
  file += std::string("\xf7\x80\x00\x00\x00\x00", 6);  // MODULE_AUX with a 32-bit id
  std::string err;
  EXPECT_FALSE(LoadBytes(file, &err));
  EXPECT_NE(err.find("no matching module"), std::string::npos) << err;
}

}  // namespace
}  // namespace ember
