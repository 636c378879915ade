#include "command_test_base.h"

namespace ember {
namespace {

class StringCommandsTest : public CommandTest {};

TEST_F(StringCommandsTest, SetGet) {
  EXPECT_EQ(Run({"set", "k", "v"}), kOk);
  EXPECT_EQ(Run({"get", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"get", "missing"}), kNil);
}

TEST_F(StringCommandsTest, SetWithRelativeExpiryPropagatesAbsolutePxat) {
  EXPECT_EQ(Run({"set", "k", "v", "EX", "10"}), kOk);
  ASSERT_EQ(last_effects_.size(), 1u);
  EXPECT_EQ(last_effects_[0],
            (std::vector<std::string>{"SET", "k", "v", "PXAT", std::to_string(now_ms_ + 10000)}));
  now_ms_ += 10001;
  EXPECT_EQ(Run({"get", "k"}), kNil);
}

TEST_F(StringCommandsTest, NxThatFailsIsNotDirty) {
  Run({"set", "k", "v"});
  EXPECT_EQ(Run({"set", "k", "w", "NX"}), kNil);
  EXPECT_EQ(last_dirty_, 0u);
}

TEST_F(StringCommandsTest, IncrOverflowAndType) {
  EXPECT_EQ(Run({"set", "n", "9223372036854775806"}), kOk);
  EXPECT_EQ(Run({"incr", "n"}), Int(INT64_MAX));
  EXPECT_EQ(Run({"incr", "n"}), "-ERR increment or decrement would overflow\r\n");
  Run({"set", "s", "abc"});
  EXPECT_EQ(Run({"incr", "s"}), "-ERR value is not an integer or out of range\r\n");
}

TEST_F(StringCommandsTest, AppendMakesRawAndGrows) {
  Run({"set", "k", "12"});
  EXPECT_EQ(Run({"append", "k", "34"}), Int(4));
  EXPECT_EQ(Run({"get", "k"}), Bulk("1234"));
  EXPECT_EQ(Run({"object", "encoding", "k"}), Bulk("raw"));
}

TEST_F(StringCommandsTest, ExpiredKeyIsGoneForWritesToo) {
  Run({"set", "k", "v", "PX", "5"});
  now_ms_ += 6;
  EXPECT_EQ(Run({"exists", "k"}), Int(0));
  EXPECT_EQ(keyspace_.db(0).size(), 0u);
}

TEST_F(StringCommandsTest, ReplicaHidesButKeepsExpiredKeys) {
  Run({"set", "k", "v", "PX", "5"});
  services_.replica_ = true;
  now_ms_ += 6;
  EXPECT_EQ(Run({"get", "k"}), kNil);
  EXPECT_EQ(keyspace_.db(0).size(), 1u);
}

}  // namespace
}  // namespace ember
