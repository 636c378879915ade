#include "server/replica_own_expires.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace ember {
namespace {

class ReplicaOwnExpiresTest : public ::testing::Test {
 protected:
  KeyEntry* Add(int db, const std::string& key, int64_t expire_ms = -1) {
    KeyEntry* e = keyspace_.db(db).Insert(key, Value::FromString("v"));
    if (expire_ms >= 0) keyspace_.db(db).SetExpire(e, expire_ms);
    return e;
  }
  bool Present(int db, const std::string& key) { return keyspace_.db(db).FindRaw(key); }

  Keyspace keyspace_{4};
  ReplicaOwnExpires own_;
  std::mt19937_64 rng_{7};
};

TEST_F(ReplicaOwnExpiresTest, RemembersOnlyKeysWithATtlInSomeDatabase) {
  Add(0, "plain");
  Add(2, "volatile", 1000);
  own_.RememberIfVolatile(keyspace_, "plain");
  own_.RememberIfVolatile(keyspace_, "missing");
  own_.RememberIfVolatile(keyspace_, "volatile");
  EXPECT_EQ(own_.size(), 1u);
}

TEST_F(ReplicaOwnExpiresTest, DeletesExpiredInstancesInEveryDatabaseAndForgetsThem) {
  std::vector<std::string> deleted;
  keyspace_.set_expiry_listener([&](int db, std::string_view key) {
    deleted.push_back(std::to_string(db) + ":" + std::string(key));
  });
  Add(0, "k", 100);
  Add(3, "k", 100);
  Add(1, "k");  // no TTL: left alone
  own_.RememberIfVolatile(keyspace_, "k");
  own_.ExpireStep(keyspace_, /*now_ms=*/50, rng_);
  EXPECT_TRUE(Present(0, "k"));
  EXPECT_EQ(own_.size(), 1u);
  own_.ExpireStep(keyspace_, /*now_ms=*/200, rng_);
  EXPECT_EQ(deleted, (std::vector<std::string>{"0:k", "3:k"}));
  EXPECT_FALSE(Present(0, "k"));
  EXPECT_FALSE(Present(3, "k"));
  EXPECT_TRUE(Present(1, "k"));
  EXPECT_EQ(own_.size(), 0u);
}

TEST_F(ReplicaOwnExpiresTest, ForgetsKeysThatLostTheirTtl) {
  KeyEntry* e = Add(0, "k", 100);
  own_.RememberIfVolatile(keyspace_, "k");
  keyspace_.db(0).RemoveExpire(e);
  own_.ExpireStep(keyspace_, /*now_ms=*/200, rng_);
  EXPECT_TRUE(Present(0, "k"));
  EXPECT_EQ(own_.size(), 0u);
}

TEST_F(ReplicaOwnExpiresTest, StopsAfterAFewKeysStillAlive) {
  for (int i = 0; i < 100; ++i) {
    std::string key = "alive" + std::to_string(i);
    Add(0, key, 1000);
    own_.RememberIfVolatile(keyspace_, key);
  }
  own_.ExpireStep(keyspace_, /*now_ms=*/10, rng_);
  EXPECT_EQ(own_.size(), 100u);
  EXPECT_EQ(keyspace_.db(0).size(), 100u);
}

}  // namespace
}  // namespace ember
