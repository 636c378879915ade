// Every data command, called with random argument lists drawn from nasty values, must answer
// with exactly one well-formed reply and never crash (run under ASan/UBSan by `make test`).
#include <random>

#include "command_test_base.h"

namespace ember {
namespace {

class CommandFuzzTest : public CommandTest {};

const char* const kValues[] = {
    "k", "k2", "0", "1", "-1", "2", "10", "100", "-100", "4294967296", "-4294967296",
    "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1.5", "-0.0", "inf",
    "-inf", "nan", "1e400", "", " ", "abc", "\xff\xfe", "*", "[a-", "\\", "EX", "PX", "EXAT",
    "PXAT", "NX", "XX", "GT", "LT", "KEEPTTL", "GET", "PERSIST", "MATCH", "COUNT", "TYPE", "BYTE",
    "BIT", "AND", "OR", "XOR", "NOT", "OVERFLOW", "WRAP", "SAT", "FAIL", "SET", "INCRBY", "i8",
    "u63", "i64", "u1", "#3", "LEN", "IDX", "MINMATCHLEN", "WITHMATCHLEN", "REPLACE", "DB",
    "ENCODING", "string", "16", "999999999"};

TEST_F(CommandFuzzTest, RandomArgumentsNeverCrash) {
  services_.max_string_len_ = 1 << 20;  // keep SETRANGE/SETBIT growth small
  may_block_ = false;                   // a blocked command would not reply
  // Each entry is the command's leading words: {"get"} or {"object", "encoding"}.
  std::vector<std::vector<std::string>> names;
  CommandTable::Global().ForEach([&](const CommandSpec& spec) {
    if (spec.handler && !spec.is(cmd_flags::kAdmin)) names.push_back({spec.name});
    for (const auto& sub : spec.subcommands) {
      if (sub->is(cmd_flags::kAdmin)) continue;
      names.push_back({spec.name, sub->name.substr(spec.name.size() + 1)});
    }
  });
  ASSERT_FALSE(names.empty());
  std::mt19937 rng(7);
  int non_errors = 0;
  for (int iter = 0; iter < 200000; ++iter) {
    std::vector<std::string> argv = names[rng() % names.size()];
    size_t extra = rng() % 8;
    for (size_t i = 0; i < extra; ++i) argv.emplace_back(kValues[rng() % std::size(kValues)]);
    std::string reply = Run(argv);
    ASSERT_FALSE(reply.empty()) << argv[0];
    ASSERT_TRUE(reply.size() >= 3 && reply.compare(reply.size() - 2, 2, "\r\n") == 0) << argv[0];
    if (reply[0] != '-') ++non_errors;
    now_ms_ += rng() % 50;
  }
  // The argument pool must reach past argument checking often enough to mean something.
  EXPECT_GT(non_errors, 20000);
}

}  // namespace
}  // namespace ember
