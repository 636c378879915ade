// List commands in-process: what the blocking and multi-key pops propagate (Redis 7.0's
// rewrites), what they answer where blocking is not allowed, and that a list emptied by a
// command is deleted.
#include "command_test_base.h"

namespace ember {
namespace {

using Argv = std::vector<std::string>;

class ListCommandsTest : public CommandTest {};

TEST_F(ListCommandsTest, BlockingPopsPropagateTheirTwin) {
  Run({"rpush", "l", "a", "b", "c", "d", "e"});
  EXPECT_EQ(Run({"blpop", "nokey", "l", "0"}), "*2\r\n" + Bulk("l") + Bulk("a"));
  EXPECT_EQ(last_effects_, (std::vector<Argv>{{"LPOP", "l"}}));
  EXPECT_EQ(Run({"brpop", "l", "1.5"}), "*2\r\n" + Bulk("l") + Bulk("e"));
  EXPECT_EQ(last_effects_, (std::vector<Argv>{{"RPOP", "l"}}));
  EXPECT_EQ(Run({"blmove", "l", "m", "left", "RIGHT", "0"}), Bulk("b"));
  EXPECT_EQ(last_effects_, (std::vector<Argv>{{"LMOVE", "l", "m", "left", "RIGHT"}}));
  EXPECT_EQ(Run({"brpoplpush", "l", "m", "0"}), Bulk("d"));
  EXPECT_EQ(last_effects_, (std::vector<Argv>{{"RPOPLPUSH", "l", "m"}}));
  // BLMPOP / LMPOP propagate the count actually popped.
  EXPECT_EQ(Run({"blmpop", "0", "2", "nokey", "m", "LEFT", "COUNT", "10"}),
            "*2\r\n" + Bulk("m") + "*2\r\n" + Bulk("d") + Bulk("b"));  // d went to the head
  EXPECT_EQ(last_effects_, (std::vector<Argv>{{"LPOP", "m", "2"}}));
  EXPECT_EQ(Run({"exists", "m"}), Int(0));
  Run({"rpush", "x", "1", "2", "3"});
  Run({"lmpop", "1", "x", "RIGHT", "COUNT", "2"});
  EXPECT_EQ(last_effects_, (std::vector<Argv>{{"RPOP", "x", "2"}}));
  EXPECT_EQ(last_dirty_, 2u);
}

TEST_F(ListCommandsTest, NothingToServe) {
  // Allowed to block: no reply, the dispatcher parks the client.
  EXPECT_EQ(Run({"blpop", "nokey", "0"}), "");
  EXPECT_EQ(Run({"blmove", "nokey", "dst", "LEFT", "LEFT", "0"}), "");
  EXPECT_EQ(Run({"blmpop", "0", "1", "nokey", "LEFT"}), "");
  EXPECT_TRUE(last_effects_.empty());
  // Not allowed (MULTI): BLPOP/BLMPOP answer a null array, BLMOVE/BRPOPLPUSH a null bulk.
  may_block_ = false;
  EXPECT_EQ(Run({"blpop", "nokey", "0"}), "*-1\r\n");
  EXPECT_EQ(Run({"brpop", "nokey", "0"}), "*-1\r\n");
  EXPECT_EQ(Run({"blmpop", "0", "1", "nokey", "LEFT"}), "*-1\r\n");
  EXPECT_EQ(Run({"blmove", "nokey", "dst", "LEFT", "LEFT", "0"}), kNil);
  EXPECT_EQ(Run({"brpoplpush", "nokey", "dst", "0"}), kNil);
  EXPECT_EQ(Run({"exists", "dst"}), Int(0));
}

TEST_F(ListCommandsTest, EmptiedListsAreDeleted) {
  for (const Argv& pop : std::vector<Argv>{{"lpop", "l"},
                                           {"rpop", "l", "5"},
                                           {"lrem", "l", "0", "v"},
                                           {"ltrim", "l", "1", "0"},
                                           {"lmove", "l", "other", "LEFT", "LEFT"},
                                           {"lmpop", "1", "l", "LEFT"}}) {
    Run({"rpush", "l", "v"});
    Run(pop);
    EXPECT_EQ(Run({"exists", "l"}), Int(0)) << pop[0];
  }
  // Moving a one-element list onto itself keeps it.
  Run({"rpush", "self", "v"});
  EXPECT_EQ(Run({"rpoplpush", "self", "self"}), Bulk("v"));
  EXPECT_EQ(Run({"llen", "self"}), Int(1));
}

TEST_F(ListCommandsTest, NoChangeNoPropagation) {
  Run({"rpush", "l", "a", "b"});
  Run({"ltrim", "l", "0", "-1"});
  EXPECT_EQ(last_dirty_, 0u);
  Run({"lrem", "l", "0", "zz"});
  EXPECT_EQ(last_dirty_, 0u);
  EXPECT_EQ(Run({"linsert", "l", "BEFORE", "zz", "x"}), Int(-1));
  EXPECT_EQ(last_dirty_, 0u);
  EXPECT_EQ(Run({"lpushx", "nokey", "x"}), Int(0));
  EXPECT_EQ(last_dirty_, 0u);
}

}  // namespace
}  // namespace ember
