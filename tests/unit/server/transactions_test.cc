#include "server/transactions.h"

#include <gtest/gtest.h>

namespace ember {
namespace {

TEST(WatchedKeysTest, TouchMarksOnlyWatchersOfThatKeyInThatDb) {
  WatchedKeys w;
  w.Watch(1, 0, "a", false);
  w.Watch(2, 0, "b", false);
  w.Watch(3, 1, "a", false);
  w.Touch(0, "a", true);
  EXPECT_TRUE(w.dirty(1));
  EXPECT_FALSE(w.dirty(2));
  EXPECT_FALSE(w.dirty(3));
}

TEST(WatchedKeysTest, UnwatchAllForgetsTheClientEverywhere) {
  WatchedKeys w;
  w.Watch(1, 0, "a", false);
  w.Watch(1, 0, "a", false);  // twice is once
  w.Watch(1, 2, "b", false);
  EXPECT_EQ(w.watched_by(1), 2u);
  w.UnwatchAll(1);
  EXPECT_TRUE(w.empty());
  w.Touch(0, "a", true);
  EXPECT_FALSE(w.dirty(1));
}

TEST(WatchedKeysTest, DeletingAKeyThatWasAlreadyExpiredIsNoChange) {
  WatchedKeys w;
  w.Watch(1, 0, "stale", true);
  w.Touch(0, "stale", false);  // the expiry deletes it
  EXPECT_FALSE(w.dirty(1));
  w.Touch(0, "stale", true);  // then it is written
  EXPECT_TRUE(w.dirty(1));
}

TEST(WatchedKeysTest, TouchDbMarksWatchersOfKeysThatExisted) {
  WatchedKeys w;
  w.Watch(1, 0, "present", false);
  w.Watch(2, 0, "absent", false);
  w.Watch(3, 1, "present", false);
  w.TouchDb(0, [](std::string_view key) { return key == "present"; });
  EXPECT_TRUE(w.dirty(1));
  EXPECT_FALSE(w.dirty(2));
  EXPECT_FALSE(w.dirty(3));
}

TEST(WatchedKeysTest, AnyExpiredSinceIgnoresKeysExpiredWhenWatched) {
  WatchedKeys w;
  w.Watch(1, 0, "old", true);
  auto all_expired = [](int, std::string_view) { return true; };
  EXPECT_FALSE(w.AnyExpiredSince(1, all_expired));
  w.Watch(1, 0, "live", false);
  EXPECT_TRUE(w.AnyExpiredSince(1, all_expired));
}

}  // namespace
}  // namespace ember
