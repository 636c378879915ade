// Database: keys, TTLs and expiry as a master (delete and report) and as a replica (hide only),
// re-homing entries (RENAME/MOVE), active expiry, and the Keyspace around it.
#include "db/database.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db/keyspace.h"

namespace ember {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  DatabaseTest() {
    listener_ = [this](int db, std::string_view key) { expired_.emplace_back(db, key); };
    db_.set_expiry_listener(&listener_);
  }

  std::string Get(std::string_view key) {
    KeyEntry* e = db_.FindRaw(key);
    return e ? e->value.ToString() : "<none>";
  }

  Database db_{3};
  Database::ExpiryListener listener_;
  std::vector<std::pair<int, std::string>> expired_;
};

TEST_F(DatabaseTest, InsertSetDelete) {
  EXPECT_EQ(db_.index(), 3);
  EXPECT_EQ(db_.size(), 0u);
  KeyEntry* e = db_.Insert("a", Value::FromString("1"));
  EXPECT_EQ(e->key(), "a");
  EXPECT_EQ(db_.FindRaw("a"), e);
  EXPECT_EQ(db_.size(), 1u);

  db_.Set("a", Value::FromString("two"));
  db_.Set("b", Value::FromString("bee"));
  EXPECT_EQ(Get("a"), "two");
  EXPECT_EQ(Get("b"), "bee");
  EXPECT_EQ(db_.size(), 2u);

  EXPECT_TRUE(db_.Delete("a"));
  EXPECT_FALSE(db_.Delete("a"));
  EXPECT_EQ(db_.FindRaw("a"), nullptr);
  EXPECT_EQ(db_.size(), 1u);
}

// Keys below 127 bytes keep their length beside the flags; longer ones carry it before the key.
TEST_F(DatabaseTest, KeysOfEveryLengthAroundTheShortLimit) {
  std::vector<std::string> keys{""};
  for (size_t len : {1, 125, 126, 127, 128, 300, 70000}) keys.emplace_back(len, 'k');
  keys.push_back(std::string(127, 'k') + "x");
  for (const auto& k : keys) {
    KeyEntry* e = db_.Insert(k, Value::FromString(std::to_string(k.size())));
    EXPECT_EQ(e->key(), k);
    EXPECT_EQ(e->has_expire, 0u);
  }
  db_.SetExpire(db_.FindRaw(keys[4]), INT64_MAX);  // the flag beside the length must not touch it
  for (const auto& k : keys) {
    KeyEntry* e = db_.FindRaw(k);
    ASSERT_NE(e, nullptr) << k.size();
    EXPECT_EQ(e->key(), k);
    EXPECT_EQ(e->value.ToString(), std::to_string(k.size()));
  }
  EXPECT_EQ(KeyEntry::AllocSize(10), 38u);
  EXPECT_EQ(KeyEntry::AllocSize(127), 28u + 4 + 127);
}

TEST_F(DatabaseTest, SetGetRemoveExpire) {
  KeyEntry* e = db_.Insert("k", Value::FromString("v"));
  EXPECT_EQ(db_.GetExpire(e), -1);
  EXPECT_FALSE(db_.RemoveExpire(e));
  EXPECT_EQ(db_.expires_count(), 0u);

  db_.SetExpire(e, 5000);
  EXPECT_EQ(db_.GetExpire(e), 5000);
  EXPECT_EQ(db_.expires_count(), 1u);
  // Setting again replaces the time; it does not add a second index entry.
  db_.SetExpire(e, 7000);
  EXPECT_EQ(db_.GetExpire(e), 7000);
  EXPECT_EQ(db_.expires_count(), 1u);

  EXPECT_FALSE(db_.IsExpired(e, 6999));
  EXPECT_TRUE(db_.IsExpired(e, 7000));  // due at exactly its time, as Redis

  EXPECT_TRUE(db_.RemoveExpire(e));
  EXPECT_EQ(db_.GetExpire(e), -1);
  EXPECT_EQ(db_.expires_count(), 0u);
  EXPECT_FALSE(db_.IsExpired(e, 100000));
}

TEST_F(DatabaseTest, SetDropsTtlUnlessKeepTtl) {
  KeyEntry* e = db_.Insert("k", Value::FromString("v"));
  db_.SetExpire(e, 5000);
  e = db_.Set("k", Value::FromString("v2"), /*keep_ttl=*/true);
  EXPECT_EQ(db_.GetExpire(e), 5000);
  e = db_.Set("k", Value::FromString("v3"));
  EXPECT_EQ(db_.GetExpire(e), -1);
  EXPECT_EQ(db_.expires_count(), 0u);
  EXPECT_EQ(Get("k"), "v3");
}

TEST_F(DatabaseTest, DeleteDropsTtl) {
  KeyEntry* e = db_.Insert("k", Value::FromString("v"));
  db_.SetExpire(e, 5000);
  EXPECT_TRUE(db_.Delete("k"));
  EXPECT_EQ(db_.expires_count(), 0u);
  // A new key with the same name starts without a TTL.
  e = db_.Insert("k", Value::FromString("v"));
  EXPECT_EQ(db_.GetExpire(e), -1);
}

TEST_F(DatabaseTest, MasterFindDeletesExpiredKeyAndReportsIt) {
  KeyEntry* e = db_.Insert("k", Value::FromString("v"));
  db_.SetExpire(e, 1000);
  EXPECT_EQ(db_.Find("k", 999, /*delete_expired=*/true), e);
  EXPECT_TRUE(expired_.empty());

  EXPECT_EQ(db_.Find("k", 1000, true), nullptr);
  EXPECT_EQ(db_.size(), 0u);
  EXPECT_EQ(db_.expires_count(), 0u);
  EXPECT_EQ(db_.FindRaw("k"), nullptr);
  ASSERT_EQ(expired_.size(), 1u);
  EXPECT_EQ(expired_[0].first, 3);
  EXPECT_EQ(expired_[0].second, "k");

  // Gone for good: a second lookup reports nothing more.
  EXPECT_EQ(db_.Find("k", 2000, true), nullptr);
  EXPECT_EQ(expired_.size(), 1u);
}

TEST_F(DatabaseTest, ReplicaFindHidesExpiredKeyWithoutDeleting) {
  KeyEntry* e = db_.Insert("k", Value::FromString("v"));
  db_.SetExpire(e, 1000);
  EXPECT_EQ(db_.Find("k", 1500, /*delete_expired=*/false), nullptr);
  EXPECT_EQ(db_.Find("k", 1500, false), nullptr);
  EXPECT_EQ(db_.size(), 1u);
  EXPECT_EQ(db_.expires_count(), 1u);
  EXPECT_EQ(db_.FindRaw("k"), e);
  EXPECT_TRUE(expired_.empty());
  // Before its time it is visible; the master's DEL is what removes it.
  EXPECT_EQ(db_.Find("k", 500, false), e);
  EXPECT_TRUE(db_.Delete("k"));
  EXPECT_TRUE(expired_.empty());
}

TEST_F(DatabaseTest, FindWithoutTtlNeverExpires) {
  KeyEntry* e = db_.Insert("k", Value::FromString("v"));
  EXPECT_EQ(db_.Find("k", INT64_MAX, true), e);
  EXPECT_EQ(db_.Find("missing", 0, true), nullptr);
  EXPECT_TRUE(expired_.empty());
}

TEST_F(DatabaseTest, NoListenerIsFine) {
  Database db(0);
  KeyEntry* e = db.Insert("k", Value::FromString("v"));
  db.SetExpire(e, 10);
  EXPECT_EQ(db.Find("k", 10, true), nullptr);
  EXPECT_EQ(db.size(), 0u);
}

TEST_F(DatabaseTest, DetachRekeyAttachMovesValueAndDropsTtl) {
  KeyEntry* e = db_.Insert("old", Value::FromString("a value longer than fourteen bytes"));
  db_.SetExpire(e, 9000);
  e->lru = 1234;

  KeyEntry* d = db_.Detach("old");
  ASSERT_EQ(d, e);
  EXPECT_EQ(db_.size(), 0u);
  EXPECT_EQ(db_.expires_count(), 0u);
  EXPECT_EQ(d->has_expire, 0u);

  KeyEntry* n = Database::Rekey(d, "new");
  EXPECT_EQ(n->key(), "new");
  EXPECT_EQ(n->lru, 1234u);
  db_.Attach(n);
  db_.SetExpire(n, 9000);
  EXPECT_EQ(db_.FindRaw("old"), nullptr);
  EXPECT_EQ(db_.FindRaw("new"), n);
  EXPECT_EQ(Get("new"), "a value longer than fourteen bytes");
  EXPECT_EQ(db_.GetExpire(n), 9000);

  // MOVE: attach the same entry to another database.
  Database other(4);
  KeyEntry* m = db_.Detach("new");
  other.Attach(m);
  other.SetExpire(m, 8000);
  EXPECT_EQ(db_.size(), 0u);
  EXPECT_EQ(db_.expires_count(), 0u);
  EXPECT_EQ(other.FindRaw("new"), m);
  EXPECT_EQ(other.GetExpire(m), 8000);
  EXPECT_EQ(db_.Detach("missing"), nullptr);
}

TEST_F(DatabaseTest, ActiveExpireStepDeletesOnlyDueKeys) {
  std::mt19937_64 rng(5);
  EXPECT_EQ(db_.ActiveExpireStep(20, 0, rng), std::make_pair(size_t{0}, size_t{0}));

  for (int i = 0; i < 100; ++i) {
    KeyEntry* e = db_.Insert("k" + std::to_string(i), Value::FromInt(i));
    if (i % 2 == 0) db_.SetExpire(e, 1000);    // due at now=2000
    else if (i % 3 == 0) db_.SetExpire(e, 5000);  // not yet due
  }
  size_t volatile_keys = db_.expires_count();
  ASSERT_EQ(volatile_keys, 50u + 17u);

  // Nothing is due yet: keys are sampled, none deleted.
  auto [sampled, expired] = db_.ActiveExpireStep(20, 500, rng);
  EXPECT_EQ(sampled, 20u);
  EXPECT_EQ(expired, 0u);
  EXPECT_EQ(db_.size(), 100u);

  size_t total_expired = 0;
  for (int round = 0; round < 1000 && db_.expires_count() > 17; ++round) {
    auto [s, x] = db_.ActiveExpireStep(20, 2000, rng);
    EXPECT_LE(x, s);
    total_expired += x;
  }
  EXPECT_EQ(total_expired, 50u);
  EXPECT_EQ(db_.size(), 50u);
  EXPECT_EQ(db_.expires_count(), 17u);
  EXPECT_EQ(expired_.size(), 50u);
  std::set<std::string> reported;
  for (const auto& [db, key] : expired_) {
    EXPECT_EQ(db, 3);
    reported.insert(key);
  }
  EXPECT_EQ(reported.size(), 50u);
  for (int i = 0; i < 100; ++i) {
    std::string k = "k" + std::to_string(i);
    EXPECT_EQ(db_.FindRaw(k) == nullptr, i % 2 == 0) << k;
    EXPECT_EQ(reported.count(k) == 1, i % 2 == 0) << k;
  }
}

TEST_F(DatabaseTest, ClearAndSwapContents) {
  for (int i = 0; i < 10; ++i) {
    KeyEntry* e = db_.Insert("a" + std::to_string(i), Value::FromInt(i));
    if (i < 3) db_.SetExpire(e, 100 + i);
  }
  Database other(7);
  other.Insert("b", Value::FromString("x"));

  db_.SwapContents(other);
  EXPECT_EQ(db_.index(), 3);  // indexes stay; contents move
  EXPECT_EQ(other.index(), 7);
  EXPECT_EQ(db_.size(), 1u);
  EXPECT_EQ(db_.expires_count(), 0u);
  EXPECT_EQ(other.size(), 10u);
  EXPECT_EQ(other.expires_count(), 3u);
  EXPECT_EQ(other.GetExpire(other.FindRaw("a1")), 101);
  EXPECT_NE(db_.FindRaw("b"), nullptr);

  other.Clear();
  EXPECT_EQ(other.size(), 0u);
  EXPECT_EQ(other.expires_count(), 0u);
  EXPECT_EQ(other.FindRaw("a1"), nullptr);
  other.Insert("again", Value::FromInt(1));
  EXPECT_EQ(other.size(), 1u);
}

TEST_F(DatabaseTest, ScanAndRandomEntry) {
  for (int i = 0; i < 300; ++i) db_.Insert("k" + std::to_string(i), Value::FromInt(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = db_.Scan(cursor, [&](KeyEntry* e) { seen.insert(std::string(e->key())); });
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), 300u);

  std::mt19937_64 rng(9);
  for (int i = 0; i < 50; ++i) {
    KeyEntry* e = db_.RandomEntry(rng);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(db_.FindRaw(e->key()), e);
  }
  db_.Clear();
  EXPECT_EQ(db_.RandomEntry(rng), nullptr);
}

TEST(KeyspaceTest, SwapFlushAndListener) {
  Keyspace ks(4);
  EXPECT_EQ(ks.num_dbs(), 4);
  std::vector<std::pair<int, std::string>> expired;
  ks.set_expiry_listener(
      [&](int db, std::string_view key) { expired.emplace_back(db, std::string(key)); });

  ks.db(0).Insert("a", Value::FromInt(1));
  ks.db(2).Insert("b", Value::FromInt(2));
  ks.db(2).Insert("c", Value::FromInt(3));
  EXPECT_EQ(ks.TotalKeys(), 3u);

  ks.Swap(0, 2);
  EXPECT_EQ(ks.db(0).size(), 2u);
  EXPECT_EQ(ks.db(2).size(), 1u);
  EXPECT_EQ(ks.db(0).index(), 0);
  ks.Swap(1, 1);

  // Expiry in a swapped database is reported with the database's own (new) index.
  KeyEntry* e = ks.db(0).FindRaw("b");
  ks.db(0).SetExpire(e, 10);
  EXPECT_EQ(ks.db(0).Find("b", 20, true), nullptr);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], std::make_pair(0, std::string("b")));

  ks.FlushAll();
  EXPECT_EQ(ks.TotalKeys(), 0u);
}

}  // namespace
}  // namespace ember
