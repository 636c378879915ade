// Generic keyspace commands in-process: replies, what they propagate, and expiry on a master vs a
// replica. Reply texts were checked against Redis 7.0.15.
#include <set>

#include "command_test_base.h"

namespace ember {
namespace {

class GenericCommandsTest : public CommandTest {
 protected:
  static std::string Err(std::string_view text) { return "-" + std::string(text) + "\r\n"; }
  static std::string Status(std::string_view s) { return "+" + std::string(s) + "\r\n"; }
  static std::string Array(std::initializer_list<std::string> items) {
    std::string out = "*" + std::to_string(items.size()) + "\r\n";
    for (const auto& i : items) out += i;
    return out;
  }
  static std::string ScanReply(std::string_view cursor, std::initializer_list<std::string> keys) {
    std::string out = "*2\r\n" + Bulk(cursor) + "*" + std::to_string(keys.size()) + "\r\n";
    for (const auto& k : keys) out += Bulk(k);
    return out;
  }
  // Runs a full SCAN and returns the keys seen.
  std::multiset<std::string> ScanAll(std::vector<std::string> options) {
    std::multiset<std::string> keys;
    std::string cursor = "0";
    do {
      std::vector<std::string> argv{"scan", cursor};
      argv.insert(argv.end(), options.begin(), options.end());
      std::string out = Run(argv);
      // *2 $n cursor *m ($len key)*
      size_t pos = out.find("\r\n", 4);  // after "$n"
      size_t end = out.find("\r\n", pos + 2);
      cursor = out.substr(pos + 2, end - pos - 2);
      pos = out.find("\r\n", end + 2);  // after "*m"
      while (pos + 2 < out.size()) {
        size_t len_end = out.find("\r\n", pos + 2);
        size_t len = std::stoul(out.substr(pos + 3, len_end - pos - 3));
        keys.insert(out.substr(len_end + 2, len));
        pos = len_end + 2 + len;
      }
    } while (cursor != "0");
    return keys;
  }
};

TEST_F(GenericCommandsTest, DelUnlinkExistsTouchType) {
  Run({"set", "a", "1"});
  Run({"set", "b", "2"});
  EXPECT_EQ(Run({"exists", "a", "a", "b", "c"}), Int(3));
  EXPECT_EQ(Run({"touch", "a", "c"}), Int(1));
  EXPECT_EQ(Run({"type", "a"}), Status("string"));
  EXPECT_EQ(Run({"type", "c"}), Status("none"));
  EXPECT_EQ(Run({"del", "a", "c", "a"}), Int(1));
  EXPECT_EQ(last_dirty_, 1u);
  EXPECT_EQ(Run({"unlink", "b"}), Int(1));
  EXPECT_TRUE(last_effects_.empty());  // UNLINK propagates as itself
  EXPECT_EQ(Run({"del", "nothing"}), Int(0));
  EXPECT_EQ(last_dirty_, 0u);
}

TEST_F(GenericCommandsTest, ExpireRewritesToPexpireatKeepingOptions) {
  Run({"set", "k", "v"});
  EXPECT_EQ(Run({"expire", "k", "100", "nx"}), Int(1));
  ASSERT_EQ(last_effects_.size(), 1u);
  EXPECT_EQ(last_effects_[0], (std::vector<std::string>{"PEXPIREAT", "k",
                                                         std::to_string(now_ms_ + 100000), "nx"}));
  EXPECT_EQ(Run({"ttl", "k"}), Int(100));
  EXPECT_EQ(Run({"pttl", "k"}), Int(100000));
  EXPECT_EQ(Run({"expiretime", "k"}), Int(now_ms_ / 1000 + 100));
  EXPECT_EQ(Run({"pexpiretime", "k"}), Int(now_ms_ + 100000));

  EXPECT_EQ(Run({"pexpireat", "k", std::to_string(now_ms_ + 5000)}), Int(1));
  EXPECT_TRUE(last_effects_.empty());  // already absolute: propagated as received
  EXPECT_EQ(Run({"expireat", "k", std::to_string(now_ms_ / 1000 + 50)}), Int(1));
  EXPECT_EQ(last_effects_[0][0], "PEXPIREAT");
}

TEST_F(GenericCommandsTest, ExpireInThePastDeletesAndPropagatesDel) {
  Run({"set", "k", "v"});
  EXPECT_EQ(Run({"expire", "k", "-1"}), Int(1));
  ASSERT_EQ(last_effects_.size(), 1u);
  EXPECT_EQ(last_effects_[0], (std::vector<std::string>{"DEL", "k"}));
  EXPECT_EQ(Run({"exists", "k"}), Int(0));
  EXPECT_EQ(keyspace_.db(0).size(), 0u);
}

TEST_F(GenericCommandsTest, ReplicaKeepsPastTtlUntilMastersDel) {
  services_.replica_ = true;
  Run({"set", "k", "v"});
  EXPECT_EQ(Run({"pexpireat", "k", "1"}), Int(1));
  EXPECT_TRUE(last_effects_.empty());
  EXPECT_EQ(keyspace_.db(0).size(), 1u);  // stored, hidden from reads
  EXPECT_EQ(Run({"exists", "k"}), Int(0));
  EXPECT_EQ(Run({"ttl", "k"}), Int(-2));
  EXPECT_EQ(Run({"keys", "*"}), Array({}));
  EXPECT_EQ(Run({"scan", "0"}), ScanReply("0", {}));
  EXPECT_EQ(keyspace_.db(0).size(), 1u);  // nothing deleted by reads on a replica
  EXPECT_EQ(Run({"del", "k"}), Int(1));   // the master's DEL
  EXPECT_EQ(keyspace_.db(0).size(), 0u);
}

TEST_F(GenericCommandsTest, ExpireOptions) {
  Run({"set", "k", "v"});
  EXPECT_EQ(Run({"expire", "k", "100", "xx"}), Int(0));
  EXPECT_EQ(Run({"expire", "k", "100", "gt"}), Int(0));  // no TTL = infinite
  EXPECT_EQ(Run({"expire", "k", "100", "lt"}), Int(1));
  EXPECT_EQ(Run({"expire", "k", "200", "nx"}), Int(0));
  EXPECT_EQ(Run({"expire", "k", "200", "gt"}), Int(1));
  EXPECT_EQ(Run({"expire", "k", "150", "gt"}), Int(0));
  EXPECT_EQ(last_dirty_, 0u);
  EXPECT_EQ(Run({"expire", "k", "150", "LT", "XX"}), Int(1));
  EXPECT_EQ(Run({"ttl", "k"}), Int(150));
  EXPECT_EQ(Run({"expire", "k", "1", "nx", "xx"}),
            Err("ERR NX and XX, GT or LT options at the same time are not compatible"));
  EXPECT_EQ(Run({"expire", "k", "1", "gt", "lt"}),
            Err("ERR GT and LT options at the same time are not compatible"));
  EXPECT_EQ(Run({"expire", "k", "x", "foo"}), Err("ERR Unsupported option foo"));
  EXPECT_EQ(Run({"expire", "k", "x"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"expire", "k", "9223372036854775807"}),
            Err("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(Run({"pexpire", "k", "9223372036854775807"}),
            Err("ERR invalid expire time in 'pexpire' command"));
  EXPECT_EQ(Run({"expire", "missing", "10"}), Int(0));
}

TEST_F(GenericCommandsTest, TtlAndPersist) {
  EXPECT_EQ(Run({"ttl", "k"}), Int(-2));
  Run({"set", "k", "v"});
  EXPECT_EQ(Run({"ttl", "k"}), Int(-1));
  EXPECT_EQ(Run({"expiretime", "k"}), Int(-1));
  EXPECT_EQ(Run({"persist", "k"}), Int(0));
  EXPECT_EQ(last_dirty_, 0u);
  Run({"pexpire", "k", "1499"});
  EXPECT_EQ(Run({"ttl", "k"}), Int(1));  // rounded
  Run({"pexpire", "k", "1500"});
  EXPECT_EQ(Run({"ttl", "k"}), Int(2));
  EXPECT_EQ(Run({"persist", "k"}), Int(1));
  EXPECT_EQ(last_dirty_, 1u);
  EXPECT_EQ(Run({"pttl", "k"}), Int(-1));
  Run({"pexpireat", "k", "9223372036854775807"});
  EXPECT_EQ(Run({"expiretime", "k"}), Int(9223372036854776));
}

TEST_F(GenericCommandsTest, KeysAndScanHideExpired) {
  for (int i = 0; i < 50; ++i) Run({"set", "key:" + std::to_string(i), "v"});
  Run({"set", "other", "v"});
  Run({"set", "gone", "v", "PX", "10"});
  now_ms_ += 20;
  std::multiset<std::string> all = ScanAll({});
  EXPECT_EQ(all.size(), 51u);
  EXPECT_EQ(all.count("gone"), 0u);
  EXPECT_EQ(keyspace_.db(0).size(), 51u);  // the master deleted it while scanning
  std::multiset<std::string> some = ScanAll({"MATCH", "key:1*", "COUNT", "3"});
  EXPECT_EQ(some.size(), 11u);  // key:1, key:10..19
  EXPECT_EQ(ScanAll({"type", "STRING"}).size(), 51u);
  EXPECT_EQ(ScanAll({"type", "list"}).size(), 0u);
  EXPECT_EQ(Run({"keys", "oth?r"}), Array({Bulk("other")}));
  EXPECT_EQ(Run({"scan", "x"}), Err("ERR invalid cursor"));
  EXPECT_EQ(Run({"scan", "0", "count", "0"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"scan", "0", "count", "x"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"scan", "0", "match"}), Err("ERR syntax error"));
}

TEST_F(GenericCommandsTest, RandomKey) {
  EXPECT_EQ(Run({"randomkey"}), kNil);
  Run({"set", "a", "1"});
  EXPECT_EQ(Run({"randomkey"}), Bulk("a"));
  Run({"pexpire", "a", "1"});
  now_ms_ += 2;
  EXPECT_EQ(Run({"randomkey"}), kNil);
  EXPECT_EQ(keyspace_.db(0).size(), 0u);
}

TEST_F(GenericCommandsTest, RenameKeepsTtl) {
  EXPECT_EQ(Run({"rename", "a", "b"}), Err("ERR no such key"));
  EXPECT_EQ(Run({"renamenx", "a", "a"}), Err("ERR no such key"));
  Run({"set", "a", "1"});
  Run({"pexpire", "a", "5000"});
  EXPECT_EQ(Run({"rename", "a", "a"}), kOk);
  EXPECT_EQ(last_dirty_, 0u);
  Run({"set", "b", "2"});
  EXPECT_EQ(Run({"renamenx", "a", "b"}), Int(0));
  EXPECT_EQ(Run({"rename", "a", "b"}), kOk);
  EXPECT_EQ(Run({"get", "b"}), Bulk("1"));
  EXPECT_EQ(Run({"pttl", "b"}), Int(5000));
  EXPECT_EQ(Run({"exists", "a"}), Int(0));
  EXPECT_EQ(Run({"renamenx", "b", "c"}), Int(1));
  EXPECT_EQ(Run({"pttl", "c"}), Int(5000));
}

TEST_F(GenericCommandsTest, CopyAndMove) {
  Run({"set", "a", "a string longer than forty-four bytes, so raw encoded"});
  Run({"pexpire", "a", "7000"});
  EXPECT_EQ(Run({"copy", "a", "a"}), Err("ERR source and destination objects are the same"));
  EXPECT_EQ(Run({"copy", "a", "b"}), Int(1));
  EXPECT_EQ(Run({"copy", "a", "b"}), Int(0));
  EXPECT_EQ(Run({"copy", "a", "b", "replace"}), Int(1));
  EXPECT_EQ(Run({"pttl", "b"}), Int(7000));
  EXPECT_EQ(Run({"object", "encoding", "b"}), Bulk("raw"));
  EXPECT_EQ(Run({"copy", "a", "a", "db", "3"}), Int(1));
  EXPECT_EQ(Run({"copy", "a", "a", "db", "16"}), Err("ERR DB index is out of range"));
  EXPECT_EQ(Run({"copy", "a", "a", "db"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"copy", "nokey", "x"}), Int(0));
  // The copy is independent of the source.
  Run({"append", "b", "!"});
  EXPECT_EQ(Run({"strlen", "a"}), Int(53));

  EXPECT_EQ(Run({"move", "a", "0"}), Err("ERR source and destination objects are the same"));
  EXPECT_EQ(Run({"move", "a", "x"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"move", "a", "3"}), Int(0));  // exists there
  EXPECT_EQ(Run({"move", "b", "4"}), Int(1));
  EXPECT_EQ(Run({"exists", "b"}), Int(0));
  EXPECT_EQ(Run({"select", "4"}), kOk);
  EXPECT_EQ(Run({"pttl", "b"}), Int(7000));
  EXPECT_EQ(Run({"get", "b"}),
            Bulk("a string longer than forty-four bytes, so raw encoded!"));
}

TEST_F(GenericCommandsTest, ObjectSubcommands) {
  Run({"set", "small", "100"});
  Run({"set", "big", "10000"});
  Run({"set", "s", "hello"});
  EXPECT_EQ(Run({"object", "encoding", "small"}), Bulk("int"));
  EXPECT_EQ(Run({"object", "encoding", "s"}), Bulk("embstr"));
  EXPECT_EQ(Run({"object", "refcount", "small"}), Int(2147483647));
  EXPECT_EQ(Run({"object", "refcount", "big"}), Int(1));
  EXPECT_EQ(Run({"object", "refcount", "s"}), Int(1));
  EXPECT_EQ(Run({"object", "idletime", "s"}), Int(0));
  EXPECT_EQ(Run({"object", "encoding", "none"}), kNil);
  EXPECT_EQ(Run({"object", "freq", "s"}).substr(0, 40), "-ERR An LFU maxmemory policy is not sele");
  std::string help = Run({"object", "help"});
  EXPECT_EQ(help.substr(0, 4), "*15\r");
  EXPECT_NE(help.find("+    Prints this help.\r\n"), std::string::npos);
}

TEST_F(GenericCommandsTest, IntrospectionDoesNotResetIdleTime) {
  Run({"set", "k", "v"});
  KeyEntry* e = keyspace_.db(0).FindRaw("k");
  e->lru = (LruClock() - 100) & 0xFFFFFF;
  uint64_t hits = keyspace_.stats().hits, misses = keyspace_.stats().misses;
  for (const char* cmd : {"type", "exists", "ttl", "pttl", "expiretime"}) Run({cmd, "k"});
  Run({"object", "encoding", "k"});
  Run({"exists", "nokey"});
  EXPECT_EQ(keyspace_.stats().hits, hits + 6);
  EXPECT_EQ(keyspace_.stats().misses, misses + 1);
  std::string idle = Run({"object", "idletime", "k"});
  EXPECT_TRUE(idle == Int(100) || idle == Int(101)) << idle;  // the clock may tick meanwhile
  EXPECT_EQ(Run({"touch", "k"}), Int(1));
  EXPECT_EQ(Run({"object", "idletime", "k"}), Int(0));
}

TEST_F(GenericCommandsTest, SelectSwapdbDbsizeFlush) {
  EXPECT_EQ(Run({"select", "16"}), Err("ERR DB index is out of range"));
  EXPECT_EQ(Run({"select", "x"}), Err("ERR value is not an integer or out of range"));
  Run({"set", "a", "1"});
  EXPECT_EQ(Run({"dbsize"}), Int(1));
  EXPECT_EQ(Run({"swapdb", "x", "1"}), Err("ERR invalid first DB index"));
  EXPECT_EQ(Run({"swapdb", "0", "x"}), Err("ERR invalid second DB index"));
  EXPECT_EQ(Run({"swapdb", "0", "16"}), Err("ERR DB index is out of range"));
  EXPECT_EQ(Run({"swapdb", "0", "1"}), kOk);
  EXPECT_EQ(Run({"dbsize"}), Int(0));
  EXPECT_EQ(Run({"select", "1"}), kOk);
  EXPECT_EQ(client_.db_index, 1);
  EXPECT_EQ(Run({"dbsize"}), Int(1));
  EXPECT_EQ(Run({"flushdb", "foo"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"flushdb", "async"}), kOk);
  EXPECT_EQ(last_dirty_, 1u);
  EXPECT_EQ(Run({"dbsize"}), Int(0));
  Run({"set", "x", "1"});
  Run({"select", "5"});
  Run({"set", "y", "1"});
  EXPECT_EQ(Run({"flushall", "SYNC"}), kOk);
  EXPECT_EQ(last_dirty_, 2u);  // one per removed key (Redis 7.0.15)
  EXPECT_EQ(keyspace_.TotalKeys(), 0u);
}

}  // namespace
}  // namespace ember
