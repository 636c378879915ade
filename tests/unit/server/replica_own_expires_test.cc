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

TEST_F(ReplicaOwnExpiresTest, DeletesExpiredKeysOnlyInTheDatabasesRemembered) {
  std::vector<std::string> deleted;
  keyspace_.set_expiry_listener([&](int db, std::string_view key) {
    deleted.push_back(std::to_string(db) + ":" + std::string(key));
  });
  Add(0, "k", 100);
  Add(3, "k", 100);
  Add(2, "k", 100);  // the master's, say: not remembered, left to the master's DEL
  Add(1, "k");       // no TTL
  own_.Remember(0, "k");
  own_.Remember(3, "k");
  own_.Remember(1, "k");
  own_.ExpireStep(keyspace_, /*now_ms=*/50, rng_);
  EXPECT_TRUE(Present(0, "k"));
  EXPECT_EQ(own_.size(), 1u);
  own_.ExpireStep(keyspace_, /*now_ms=*/200, rng_);
  EXPECT_EQ(deleted, (std::vector<std::string>{"0:k", "3:k"}));
  EXPECT_TRUE(Present(1, "k"));
  EXPECT_TRUE(Present(2, "k"));
  EXPECT_EQ(own_.size(), 0u);
}

TEST_F(ReplicaOwnExpiresTest, ForgetsKeysThatLostTheirTtl) {
  KeyEntry* e = Add(0, "k", 100);
  own_.Remember(0, "k");
  own_.Remember(0, "gone");
  own_.Remember(64, "beyond the bitmap");
  EXPECT_EQ(own_.size(), 2u);
  keyspace_.db(0).RemoveExpire(e);
  own_.ExpireStep(keyspace_, /*now_ms=*/200, rng_);
  EXPECT_TRUE(Present(0, "k"));
  EXPECT_EQ(own_.size(), 0u);
}

TEST_F(ReplicaOwnExpiresTest, LeavesLiveKeysUntouched) {
  KeyEntry* e = Add(0, "k", 1000);
  e->lru = 12345;  // an access time the sampling must not refresh
  own_.Remember(0, "k");
  own_.ExpireStep(keyspace_, /*now_ms=*/10, rng_);
  EXPECT_EQ(keyspace_.db(0).FindRaw("k")->lru, 12345u);
  EXPECT_EQ(own_.size(), 1u);
}

TEST_F(ReplicaOwnExpiresTest, ExpiresEverythingDueAcrossSteps) {
  for (int i = 0; i < 1000; ++i) {
    std::string key = "k" + std::to_string(i);
    Add(0, key, i % 2 ? 100 : 10000);  // odd keys due at 100
    own_.Remember(0, key);
  }
  // Each step stops after a few live keys, as Redis's: the last due keys take many steps.
  for (int step = 0; step < 100000 && keyspace_.db(0).size() > 500; ++step) {
    own_.ExpireStep(keyspace_, /*now_ms=*/200, rng_);
  }
  EXPECT_EQ(keyspace_.db(0).size(), 500u);
  EXPECT_EQ(own_.size(), 500u);
  EXPECT_TRUE(Present(0, "k0"));
  EXPECT_FALSE(Present(0, "k1"));
}

}  // namespace
}  // namespace ember
