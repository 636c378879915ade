// Sorted set commands in-process: what they propagate (the rewritten pops), what they count as
// dirty, and a blocking pop that finds nothing (no reply: the dispatcher parks the client).
#include <gtest/gtest.h>

#include "command_test_base.h"

namespace ember {
namespace {

using Argv = std::vector<std::string>;

class ZSetCommandsTest : public CommandTest {};

TEST_F(ZSetCommandsTest, BlockingPopsPropagateAsPlainPops) {
  Run({"zadd", "z", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(Run({"bzpopmin", "nosuch", "z", "0"}), "*3\r\n" + Bulk("z") + Bulk("a") + Bulk("1"));
  EXPECT_EQ(last_effects_, (std::vector<Argv>{{"ZPOPMIN", "z"}}));
  Run({"bzpopmax", "z", "0"});
  EXPECT_EQ(last_effects_, (std::vector<Argv>{{"ZPOPMAX", "z"}}));
  Run({"bzmpop", "1", "1", "z", "MAX", "COUNT", "5"});
  EXPECT_EQ(last_effects_, (std::vector<Argv>{{"ZPOPMAX", "z", "5"}}));
  EXPECT_EQ(Run({"exists", "z"}), Int(0));
}

TEST_F(ZSetCommandsTest, ZMPopPropagatesAsZPopWithCount) {
  Run({"zadd", "z", "1", "a", "2", "b"});
  Run({"zmpop", "2", "nosuch", "z", "MIN"});
  EXPECT_EQ(last_effects_, (std::vector<Argv>{{"ZPOPMIN", "z", "1"}}));
  EXPECT_EQ(last_dirty_, 1u);
  Run({"zmpop", "1", "nosuch", "MIN"});
  EXPECT_TRUE(last_effects_.empty());
  EXPECT_EQ(last_dirty_, 0u);
}

TEST_F(ZSetCommandsTest, ABlockingPopWithNothingToServeDoesNotReply) {
  EXPECT_EQ(Run({"bzpopmin", "nosuch", "0"}), "");
  EXPECT_EQ(Run({"bzmpop", "0.5", "1", "nosuch", "MIN"}), "");
  EXPECT_EQ(last_dirty_, 0u);
  Run({"set", "s", "v"});
  EXPECT_EQ(Run({"bzpopmin", "nosuch", "s", "0"}).substr(0, 10), "-WRONGTYPE");
}

TEST_F(ZSetCommandsTest, ABlockingPopThatMayNotBlockRepliesANullArray) {
  may_block_ = false;  // inside MULTI or a script
  EXPECT_EQ(Run({"bzpopmax", "nosuch", "0"}), "*-1\r\n");
  EXPECT_EQ(Run({"bzmpop", "0", "1", "nosuch", "MAX"}), "*-1\r\n");
}

TEST_F(ZSetCommandsTest, DirtyCountsWhatChanged) {
  Run({"zadd", "z", "1", "a", "2", "b"});
  EXPECT_EQ(last_dirty_, 2u);
  Run({"zadd", "z", "1", "a", "3", "b"});
  EXPECT_EQ(last_dirty_, 1u);
  Run({"zadd", "z", "NX", "1", "a"});
  EXPECT_EQ(last_dirty_, 0u);
  Run({"zrem", "z", "a", "x"});
  EXPECT_EQ(last_dirty_, 1u);
  Run({"zrangestore", "d", "nosuch", "0", "-1"});
  EXPECT_EQ(last_dirty_, 0u);
  Run({"zunionstore", "d", "1", "z"});
  EXPECT_EQ(last_dirty_, 1u);
  EXPECT_TRUE(last_effects_.empty());  // propagated as received
}

}  // namespace
}  // namespace ember
