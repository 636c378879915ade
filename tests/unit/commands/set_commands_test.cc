// Set commands in-process: what SPOP propagates (its randomness must never reach a replica), and
// the guard against replies that could not fit in memory.
#include <set>
#include <string>
#include <vector>

#include "command_test_base.h"

namespace ember {
namespace {

class SetCommandsTest : public CommandTest {};

std::vector<std::string> Members(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("m" + std::to_string(i));
  return out;
}


TEST_F(SetCommandsTest, SpopPropagatesOneSremPerPoppedMember) {
  // 2 of 100 (pops one by one), 95 of 100 (moves the survivors), then everything (DEL).
  for (int count : {2, 95}) {
    std::vector<std::string> argv = {"sadd", "s"};
    for (const auto& m : Members(100)) argv.push_back(m);
    Run({"del", "s"});
    ASSERT_EQ(Run(argv), Int(100));
    Run({"spop", "s", std::to_string(count)});
    EXPECT_EQ(last_dirty_, static_cast<uint64_t>(count));
    ASSERT_EQ(last_effects_.size(), static_cast<size_t>(count));
    std::set<std::string> popped;
    const auto effects = last_effects_;  // Run() below replaces last_effects_
    for (const auto& effect : effects) {
      ASSERT_EQ(effect.size(), 3u);
      EXPECT_EQ(effect[0], "SREM");
      EXPECT_EQ(effect[1], "s");
      EXPECT_TRUE(popped.insert(effect[2]).second);
      EXPECT_EQ(Run({"sismember", "s", effect[2]}), Int(0));
    }
    EXPECT_EQ(Run({"scard", "s"}), Int(100 - count));
  }
  Run({"spop", "s", "1000"});
  EXPECT_EQ(last_effects_, (std::vector<std::vector<std::string>>{{"DEL", "s"}}));
  EXPECT_EQ(Run({"exists", "s"}), Int(0));

  Run({"sadd", "one", "x"});
  EXPECT_EQ(Run({"spop", "one"}), Bulk("x"));
  EXPECT_EQ(last_effects_, (std::vector<std::vector<std::string>>{{"SREM", "one", "x"}}));
  EXPECT_EQ(Run({"exists", "one"}), Int(0));
}

TEST_F(SetCommandsTest, HugeNegativeSrandmemberCountIsRefused) {
  Run({"sadd", "s", "a", "b"});
  services_.max_string_len_ = 1 << 20;
  EXPECT_EQ(Run({"srandmember", "s", "-4294967296"}).substr(0, 5), "-ERR ");
  EXPECT_EQ(Run({"srandmember", "nokey", "-4294967296"}), "*0\r\n");  // as Redis: nothing to do
  const std::string reply = Run({"srandmember", "s", "-1000"});
  EXPECT_EQ(reply.substr(0, 7), "*1000\r\n");
}

}  // namespace
}  // namespace ember
