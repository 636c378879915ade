// Keyspace notifications in-process: the events each command asks the server to publish, in
// order, with their class, key and database, as Redis 7.0's notifyKeyspaceEvent calls. Events
// are written "<class> <event> <key>" (plus "@<db>" outside the client's database), the class
// being its notify-keyspace-events character.
#include <string>
#include <vector>

#include "command_test_base.h"

namespace ember {
namespace {

using Argv = std::vector<std::string>;
using Events = std::vector<std::string>;

std::string ClassChar(int type) {
  switch (type) {
    case notify::kGeneric: return "g";
    case notify::kString: return "$";
    case notify::kList: return "l";
    case notify::kSet: return "s";
    case notify::kHash: return "h";
    case notify::kZset: return "z";
    case notify::kExpired: return "x";
    case notify::kEvicted: return "e";
    case notify::kKeyMiss: return "m";
    case notify::kNew: return "n";
    default: return "?" + std::to_string(type);
  }
}

// One table row: commands run first (their events are dropped), the command under test and the
// events it must generate.
struct Case {
  std::vector<Argv> setup;
  Argv command;
  Events expected;
};

class NotifyCommandsTest : public CommandTest {
 protected:
  NotifyCommandsTest() {
    // As the server's expiry listener: lazily expired keys report "expired".
    keyspace_.set_expiry_listener([this](int db, std::string_view key) {
      services_.NotifyKeyspaceEvent(notify::kExpired, "expired", key, db);
    });
  }

  // Runs `argv` and returns the events it generated.
  Events EventsOf(Argv argv) {
    services_.events_.clear();
    Run(std::move(argv));
    Events out;
    for (const auto& e : services_.events_) {
      std::string s = ClassChar(e.type) + " " + e.event + " " + e.key;
      if (e.db != client_.db_index) s += "@" + std::to_string(e.db);
      out.push_back(std::move(s));
    }
    services_.events_.clear();
    return out;
  }

  void Setup(const std::vector<Argv>& cmds) {
    for (const auto& c : cmds) Run(c);
    services_.events_.clear();
  }

  // Each case on an empty keyspace.
  void RunCases(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
      Run({"flushall"});
      Setup(c.setup);
      std::string what;
      for (const auto& a : c.command) what += a + " ";
      EXPECT_EQ(EventsOf(c.command), c.expected) << what;
    }
  }
};

TEST_F(NotifyCommandsTest, Strings) {
  const std::vector<Case> cases = {
      {{}, {"set", "k", "v"}, {"n new k", "$ set k"}},
      {{{"set", "k", "v"}}, {"set", "k", "w"}, {"$ set k"}},
      {{}, {"set", "k", "v", "ex", "100"}, {"n new k", "$ set k", "g expire k"}},
      {{{"set", "k", "v"}}, {"set", "k", "w", "nx"}, {}},
      {{}, {"set", "k", "w", "xx"}, {}},
      {{{"set", "k", "v"}}, {"set", "k", "w", "get"}, {"$ set k"}},
      {{}, {"setnx", "k", "v"}, {"n new k", "$ set k"}},
      {{}, {"setex", "k", "10", "v"}, {"n new k", "$ set k", "g expire k"}},
      {{}, {"psetex", "k", "10000", "v"}, {"n new k", "$ set k", "g expire k"}},
      {{}, {"mset", "a", "1", "b", "2"}, {"n new a", "$ set a", "n new b", "$ set b"}},
      {{{"set", "a", "1"}}, {"msetnx", "a", "1", "b", "2"}, {}},
      {{}, {"msetnx", "a", "1", "b", "2"}, {"n new a", "$ set a", "n new b", "$ set b"}},
      {{{"set", "k", "v"}}, {"getset", "k", "w"}, {"$ set k"}},
      {{}, {"append", "k", "x"}, {"n new k", "$ append k"}},
      {{{"set", "k", "v"}}, {"append", "k", "x"}, {"$ append k"}},
      {{}, {"setrange", "k", "2", "x"}, {"n new k", "$ setrange k"}},
      {{}, {"setrange", "k", "2", ""}, {}},
      {{{"set", "k", "v"}}, {"setrange", "k", "0", "x"}, {"$ setrange k"}},
      {{{"set", "k", "v"}}, {"setrange", "k", "0", ""}, {}},
      {{}, {"incr", "k"}, {"n new k", "$ incrby k"}},
      {{{"set", "k", "1"}}, {"decr", "k"}, {"$ incrby k"}},
      {{{"set", "k", "1"}}, {"incrby", "k", "5"}, {"$ incrby k"}},
      {{{"set", "k", "1"}}, {"decrby", "k", "5"}, {"$ incrby k"}},
      {{{"set", "k", "x"}}, {"incr", "k"}, {}},
      {{{"set", "k", "1"}}, {"incrbyfloat", "k", "1.5"}, {"$ incrbyfloat k"}},
      {{{"set", "k", "v"}}, {"getdel", "k"}, {"g del k"}},
      {{}, {"getdel", "k"}, {}},
      {{{"set", "k", "v"}}, {"getex", "k", "ex", "100"}, {"g expire k"}},
      {{{"set", "k", "v"}}, {"getex", "k", "pxat", "1"}, {"g del k"}},
      {{{"set", "k", "v", "ex", "100"}}, {"getex", "k", "persist"}, {"g persist k"}},
      {{{"set", "k", "v"}}, {"getex", "k", "persist"}, {}},
      {{{"set", "k", "v"}}, {"getex", "k"}, {}},
      {{{"set", "k", "v"}}, {"get", "k"}, {}},
  };
  RunCases(cases);
}

TEST_F(NotifyCommandsTest, Bitmaps) {
  const std::vector<Case> cases = {
      {{}, {"setbit", "k", "7", "1"}, {"n new k", "$ setbit k"}},
      {{{"setbit", "k", "7", "1"}}, {"setbit", "k", "7", "0"}, {"$ setbit k"}},
      {{}, {"bitfield", "k", "set", "u8", "0", "255"}, {"n new k", "$ setbit k"}},
      {{{"set", "k", "a"}}, {"bitfield", "k", "get", "u8", "0"}, {}},
      {{{"set", "a", "x"}}, {"bitop", "and", "d", "a"}, {"n new d", "$ set d"}},
      {{{"set", "d", "x"}}, {"bitop", "and", "d", "nokey"}, {"g del d"}},
      {{}, {"bitop", "and", "d", "nokey"}, {}},
  };
  RunCases(cases);
}

TEST_F(NotifyCommandsTest, Generic) {
  const std::vector<Case> cases = {
      {{{"set", "a", "1"}, {"set", "b", "2"}}, {"del", "a", "nokey", "b"}, {"g del a", "g del b"}},
      {{}, {"del", "nokey"}, {}},
      {{{"set", "a", "1"}}, {"unlink", "a"}, {"g del a"}},
      {{{"set", "a", "1"}}, {"rename", "a", "b"}, {"n new b", "g rename_from a", "g rename_to b"}},
      {{{"set", "a", "1"}, {"set", "b", "2"}},
       {"rename", "a", "b"},
       {"n new b", "g rename_from a", "g rename_to b"}},
      {{{"set", "a", "1"}}, {"renamenx", "a", "b"}, {"n new b", "g rename_from a", "g rename_to b"}},
      {{{"set", "a", "1"}, {"set", "b", "2"}}, {"renamenx", "a", "b"}, {}},
      {{{"set", "a", "1"}}, {"rename", "a", "a"}, {}},
      {{{"set", "a", "1"}}, {"expire", "a", "100"}, {"g expire a"}},
      {{{"set", "a", "1"}}, {"pexpire", "a", "100000"}, {"g expire a"}},
      {{{"set", "a", "1"}}, {"expireat", "a", "1"}, {"g del a"}},
      {{{"set", "a", "1"}}, {"expire", "a", "-1"}, {"g del a"}},
      {{{"set", "a", "1"}}, {"expire", "a", "100", "xx"}, {}},
      {{}, {"expire", "nokey", "100"}, {}},
      {{{"set", "a", "1", "ex", "100"}}, {"persist", "a"}, {"g persist a"}},
      {{{"set", "a", "1"}}, {"persist", "a"}, {}},
      {{{"set", "a", "1"}}, {"copy", "a", "b"}, {"n new b", "g copy_to b"}},
      {{{"set", "a", "1"}}, {"copy", "a", "b", "db", "3"}, {"n new b@3", "g copy_to b@3"}},
      {{{"set", "a", "1"}, {"set", "b", "2"}}, {"copy", "a", "b"}, {}},
      {{{"set", "a", "1"}, {"set", "b", "2"}},
       {"copy", "a", "b", "replace"},
       {"n new b", "g copy_to b"}},
      {{{"set", "a", "1"}}, {"move", "a", "2"}, {"n new a@2", "g move_from a", "g move_to a@2"}},
      {{}, {"move", "a", "2"}, {}},
      {{{"set", "a", "1"}}, {"exists", "a"}, {}},
      {{{"set", "a", "1"}}, {"type", "a"}, {}},
  };
  RunCases(cases);
}

TEST_F(NotifyCommandsTest, Lists) {
  const std::vector<Case> cases = {
      {{}, {"lpush", "l", "a", "b"}, {"n new l", "l lpush l"}},
      {{{"rpush", "l", "a"}}, {"rpush", "l", "b", "c"}, {"l rpush l"}},
      {{}, {"lpushx", "l", "a"}, {}},
      {{{"rpush", "l", "a"}}, {"lpushx", "l", "b"}, {"l lpush l"}},
      {{{"rpush", "l", "a"}}, {"rpushx", "l", "b"}, {"l rpush l"}},
      {{{"rpush", "l", "a", "b"}}, {"lpop", "l"}, {"l lpop l"}},
      {{{"rpush", "l", "a"}}, {"lpop", "l"}, {"l lpop l", "g del l"}},
      {{{"rpush", "l", "a"}}, {"rpop", "l"}, {"l rpop l", "g del l"}},
      {{{"rpush", "l", "a", "b"}}, {"rpop", "l", "5"}, {"l rpop l", "g del l"}},
      {{{"rpush", "l", "a", "b"}}, {"lpop", "l", "0"}, {}},
      {{}, {"lpop", "l"}, {}},
      {{{"rpush", "l", "a", "b"}}, {"lmpop", "2", "x", "l", "left"}, {"l lpop l"}},
      {{{"rpush", "l", "a"}}, {"blpop", "x", "l", "0"}, {"l lpop l", "g del l"}},
      {{{"rpush", "l", "a", "b"}}, {"brpop", "l", "0"}, {"l rpop l"}},
      {{{"rpush", "l", "a"}}, {"blmpop", "0", "1", "l", "right"}, {"l rpop l", "g del l"}},
      {{{"rpush", "l", "a", "b"}}, {"lset", "l", "0", "x"}, {"l lset l"}},
      {{{"rpush", "l", "a", "b"}}, {"lset", "l", "5", "x"}, {}},
      {{{"rpush", "l", "a", "b"}}, {"linsert", "l", "before", "b", "x"}, {"l linsert l"}},
      {{{"rpush", "l", "a", "b"}}, {"linsert", "l", "before", "z", "x"}, {}},
      {{{"rpush", "l", "a", "b", "a"}}, {"lrem", "l", "0", "a"}, {"l lrem l"}},
      {{{"rpush", "l", "a", "a"}}, {"lrem", "l", "0", "a"}, {"l lrem l", "g del l"}},
      {{{"rpush", "l", "a", "b"}}, {"lrem", "l", "0", "z"}, {}},
      {{{"rpush", "l", "a", "b", "c"}}, {"ltrim", "l", "0", "1"}, {"l ltrim l"}},
      {{{"rpush", "l", "a", "b", "c"}}, {"ltrim", "l", "0", "-1"}, {"l ltrim l"}},
      {{{"rpush", "l", "a", "b"}}, {"ltrim", "l", "5", "6"}, {"l ltrim l", "g del l"}},
      {{{"rpush", "l", "a", "b"}},
       {"lmove", "l", "m", "left", "right"},
       {"n new m", "l rpush m", "l lpop l"}},
      {{{"rpush", "l", "a"}, {"rpush", "m", "x"}},
       {"rpoplpush", "l", "m"},
       {"l lpush m", "l rpop l", "g del l"}},
      {{{"rpush", "l", "a"}}, {"lmove", "l", "l", "left", "right"}, {"l rpush l", "l lpop l"}},
      {{{"rpush", "l", "a"}},
       {"blmove", "l", "m", "right", "left", "0"},
       {"n new m", "l lpush m", "l rpop l", "g del l"}},
      {{{"rpush", "l", "a"}},
       {"brpoplpush", "l", "m", "0"},
       {"n new m", "l lpush m", "l rpop l", "g del l"}},
      {{}, {"lmove", "l", "m", "left", "right"}, {}},
  };
  RunCases(cases);
}

TEST_F(NotifyCommandsTest, Hashes) {
  const std::vector<Case> cases = {
      {{}, {"hset", "h", "f", "v", "g", "w"}, {"n new h", "h hset h"}},
      {{{"hset", "h", "f", "v"}}, {"hset", "h", "f", "v"}, {"h hset h"}},
      {{{"hset", "h", "f", "v"}}, {"hmset", "h", "g", "v"}, {"h hset h"}},
      {{}, {"hsetnx", "h", "f", "v"}, {"n new h", "h hset h"}},
      {{{"hset", "h", "f", "v"}}, {"hsetnx", "h", "f", "w"}, {}},
      {{{"hset", "h", "f", "v", "g", "w"}}, {"hdel", "h", "f", "x"}, {"h hdel h"}},
      {{{"hset", "h", "f", "v"}}, {"hdel", "h", "f"}, {"h hdel h", "g del h"}},
      {{{"hset", "h", "f", "v"}}, {"hdel", "h", "x"}, {}},
      {{}, {"hincrby", "h", "f", "2"}, {"n new h", "h hincrby h"}},
      {{{"hset", "h", "f", "1"}}, {"hincrbyfloat", "h", "f", "2.5"}, {"h hincrbyfloat h"}},
      {{{"hset", "h", "f", "x"}}, {"hincrby", "h", "f", "2"}, {}},
  };
  RunCases(cases);
}

TEST_F(NotifyCommandsTest, Sets) {
  const std::vector<Case> cases = {
      {{}, {"sadd", "s", "a", "b"}, {"n new s", "s sadd s"}},
      {{{"sadd", "s", "a"}}, {"sadd", "s", "a"}, {}},
      {{{"sadd", "s", "a", "b"}}, {"srem", "s", "a", "x"}, {"s srem s"}},
      {{{"sadd", "s", "a"}}, {"srem", "s", "a"}, {"s srem s", "g del s"}},
      {{{"sadd", "s", "a"}}, {"srem", "s", "x"}, {}},
      {{{"sadd", "s", "a", "b"}}, {"smove", "s", "t", "a"}, {"s srem s", "n new t", "s sadd t"}},
      {{{"sadd", "s", "a"}, {"sadd", "t", "a"}},
       {"smove", "s", "t", "a"},
       {"s srem s", "g del s"}},
      {{{"sadd", "s", "a"}}, {"smove", "s", "t", "x"}, {}},
      {{{"sadd", "s", "a", "b"}}, {"spop", "s"}, {"s spop s"}},
      {{{"sadd", "s", "a"}}, {"spop", "s"}, {"s spop s", "g del s"}},
      {{{"sadd", "s", "a", "b", "c"}}, {"spop", "s", "2"}, {"s spop s"}},
      {{{"sadd", "s", "a", "b"}}, {"spop", "s", "5"}, {"s spop s", "g del s"}},
      {{{"sadd", "s", "a", "b"}}, {"spop", "s", "0"}, {}},
      {{}, {"spop", "s"}, {}},
      {{{"sadd", "a", "1", "2"}, {"sadd", "b", "2"}},
       {"sinterstore", "d", "a", "b"},
       {"n new d", "s sinterstore d"}},
      {{{"sadd", "a", "1"}, {"sadd", "d", "x"}}, {"sinterstore", "d", "a", "nokey"}, {"g del d"}},
      {{{"sadd", "a", "1"}}, {"sinterstore", "d", "a", "nokey"}, {}},
      {{{"sadd", "a", "1"}, {"sadd", "d", "x"}},
       {"sunionstore", "d", "a"},
       {"s sunionstore d"}},
      {{{"sadd", "a", "1"}}, {"sdiffstore", "d", "a", "a"}, {}},
      {{{"sadd", "a", "1"}, {"sadd", "d", "x"}}, {"sdiffstore", "d", "a", "a"}, {"g del d"}},
      {{{"sadd", "a", "1", "2"}}, {"sdiffstore", "d", "a"}, {"n new d", "s sdiffstore d"}},
  };
  RunCases(cases);
}

TEST_F(NotifyCommandsTest, SortedSets) {
  const std::vector<Case> cases = {
      {{}, {"zadd", "z", "1", "a"}, {"n new z", "z zadd z"}},
      {{{"zadd", "z", "1", "a"}}, {"zadd", "z", "1", "a"}, {}},
      {{{"zadd", "z", "1", "a"}}, {"zadd", "z", "2", "a"}, {"z zadd z"}},
      {{{"zadd", "z", "1", "a"}}, {"zadd", "z", "incr", "2", "a"}, {"z zincr z"}},
      {{}, {"zadd", "z", "xx", "1", "a"}, {}},
      {{}, {"zincrby", "z", "2", "a"}, {"n new z", "z zincr z"}},
      {{{"zadd", "z", "1", "a", "2", "b"}}, {"zrem", "z", "a", "x"}, {"z zrem z"}},
      {{{"zadd", "z", "1", "a"}}, {"zrem", "z", "a"}, {"z zrem z", "g del z"}},
      {{{"zadd", "z", "1", "a"}}, {"zrem", "z", "x"}, {}},
      {{{"zadd", "z", "1", "a", "2", "b"}}, {"zremrangebyrank", "z", "0", "0"},
       {"z zremrangebyrank z"}},
      {{{"zadd", "z", "1", "a"}}, {"zremrangebyscore", "z", "0", "5"},
       {"z zremrangebyscore z", "g del z"}},
      {{{"zadd", "z", "0", "a", "0", "b"}}, {"zremrangebylex", "z", "[a", "[a"},
       {"z zremrangebylex z"}},
      {{{"zadd", "z", "1", "a"}}, {"zremrangebyscore", "z", "5", "6"}, {}},
      {{{"zadd", "z", "1", "a", "2", "b"}}, {"zpopmin", "z"}, {"z zpopmin z"}},
      {{{"zadd", "z", "1", "a"}}, {"zpopmax", "z", "3"}, {"z zpopmax z", "g del z"}},
      {{{"zadd", "z", "1", "a"}}, {"zpopmin", "z", "0"}, {}},
      {{{"zadd", "z", "1", "a"}}, {"bzpopmin", "x", "z", "0"}, {"z zpopmin z", "g del z"}},
      {{{"zadd", "z", "1", "a", "2", "b"}}, {"zmpop", "1", "z", "max"}, {"z zpopmax z"}},
      {{{"zadd", "z", "1", "a"}}, {"bzmpop", "0", "1", "z", "min"}, {"z zpopmin z", "g del z"}},
      {{{"zadd", "a", "1", "x"}}, {"zunionstore", "d", "1", "a"}, {"n new d", "z zunionstore d"}},
      {{{"zadd", "a", "1", "x"}, {"zadd", "b", "1", "x"}},
       {"zinterstore", "d", "2", "a", "b"},
       {"n new d", "z zinterstore d"}},
      {{{"zadd", "a", "1", "x"}, {"zadd", "d", "1", "x"}}, {"zdiffstore", "d", "2", "a", "a"},
       {"g del d"}},
      {{{"zadd", "a", "1", "x"}}, {"zdiffstore", "d", "2", "a", "a"}, {}},
      {{{"zadd", "a", "1", "x"}}, {"zrangestore", "d", "a", "0", "-1"},
       {"n new d", "z zrangestore d"}},
      {{{"zadd", "a", "1", "x"}, {"zadd", "d", "1", "x"}}, {"zrangestore", "d", "a", "5", "6"},
       {"g del d"}},
  };
  RunCases(cases);
}

TEST_F(NotifyCommandsTest, Sort) {
  const std::vector<Case> cases = {
      {{{"rpush", "l", "2", "1"}}, {"sort", "l", "store", "d"}, {"n new d", "l sortstore d"}},
      {{{"rpush", "d", "x"}}, {"sort", "nokey", "store", "d"}, {"g del d"}},
      {{}, {"sort", "nokey", "store", "d"}, {}},
      {{{"rpush", "l", "2", "1"}}, {"sort", "l"}, {}},
  };
  RunCases(cases);
}

TEST_F(NotifyCommandsTest, LazyExpiryReportsExpired) {
  Setup({{"set", "k", "v", "px", "10"}});
  now_ms_ += 100;
  EXPECT_EQ(EventsOf({"get", "k"}), (Events{"x expired k"}));
  Setup({{"set", "k", "v", "px", "10"}});
  now_ms_ += 100;
  // A write to the expired key: the expiry first, then the command's own events.
  EXPECT_EQ(EventsOf({"lpush", "k", "a"}), (Events{"x expired k", "n new k", "l lpush k"}));
}

TEST_F(NotifyCommandsTest, StaleStoreDestinations) {
  // A stored result removes an expired destination first (Redis's setKey looks it up); an
  // empty result deletes it unseen (dbDelete), so it is a "del".
  const std::vector<std::pair<Argv, Events>> cases = {
      {{"sunionstore", "d", "s"}, {"x expired d", "n new d", "s sunionstore d"}},
      {{"sinterstore", "d", "s", "nokey"}, {"g del d"}},
      {{"zunionstore", "d", "1", "z"}, {"x expired d", "n new d", "z zunionstore d"}},
      {{"zinterstore", "d", "2", "z", "nokey"}, {"g del d"}},
      {{"zrangestore", "d", "z", "0", "-1"}, {"x expired d", "n new d", "z zrangestore d"}},
      {{"sort", "l", "store", "d"}, {"x expired d", "n new d", "l sortstore d"}},
      {{"sort", "nokey", "store", "d"}, {"g del d"}},
      {{"bitop", "or", "d", "b"}, {"x expired d", "n new d", "$ set d"}},
      {{"bitop", "or", "d", "nokey"}, {"g del d"}},
  };
  for (const auto& [argv, expected] : cases) {
    Setup({{"flushall"},
           {"sadd", "s", "1"},
           {"zadd", "z", "1", "m"},
           {"rpush", "l", "1"},
           {"set", "b", "x"},
           {"set", "d", "v", "px", "10"}});
    now_ms_ += 100;
    EXPECT_EQ(EventsOf(argv), expected) << argv[0];
  }
}

TEST_F(NotifyCommandsTest, EventsUseTheClientsDatabase) {
  client_.db_index = 5;
  EXPECT_EQ(EventsOf({"set", "k", "v"}), (Events{"n new k", "$ set k"}));
  services_.events_.clear();
  Run({"sadd", "s", "a"});
  ASSERT_EQ(services_.events_.size(), 2u);
  EXPECT_EQ(services_.events_[1], (NotifiedEvent{notify::kSet, "sadd", "s", 5}));
}

TEST_F(NotifyCommandsTest, ClassesNotEnabledAreNotReported) {
  // Only lists: no "new", no generic "del" for the emptied list.
  services_.set_keyspace_events(notify::kKeyspace | notify::kList);
  EXPECT_EQ(EventsOf({"rpush", "l", "a"}), (Events{"l rpush l"}));
  EXPECT_EQ(EventsOf({"set", "k", "v"}), (Events{}));
  EXPECT_EQ(EventsOf({"lpop", "l"}), (Events{"l lpop l"}));
  services_.set_keyspace_events(0);
  EXPECT_EQ(EventsOf({"rpush", "l", "a"}), (Events{}));
}

TEST_F(NotifyCommandsTest, KeyMissOnReads) {
  services_.set_keyspace_events(notify::kKeyevent | notify::kKeyMiss);
  EXPECT_EQ(EventsOf({"get", "nokey"}), (Events{"m keymiss nokey"}));
  EXPECT_EQ(EventsOf({"mget", "a", "b"}), (Events{"m keymiss a", "m keymiss b"}));
  // Writes do not report misses.
  EXPECT_EQ(EventsOf({"set", "a", "1"}), (Events{}));
  EXPECT_EQ(EventsOf({"get", "a"}), (Events{}));
  // SORT ... STORE and Z*STORE read their sources as Redis 7.0 does.
  EXPECT_EQ(EventsOf({"sort", "nokey", "store", "d"}), (Events{"m keymiss nokey"}));
  EXPECT_EQ(EventsOf({"zunionstore", "d", "1", "nokey"}), (Events{"m keymiss nokey"}));
  // TYPE/EXISTS look up without touching but report misses; OBJECT does not (LOOKUP_NONOTIFY).
  EXPECT_EQ(EventsOf({"exists", "nokey", "a"}), (Events{"m keymiss nokey"}));
  EXPECT_EQ(EventsOf({"type", "nokey"}), (Events{"m keymiss nokey"}));
  EXPECT_EQ(EventsOf({"object", "encoding", "nokey"}), (Events{}));
}

}  // namespace
}  // namespace ember
