#include "server/repl_backlog.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace ember {
namespace {

TEST(ReplBacklog, OffsetsAndWrapAround) {
  ReplBacklog b(10, 1);
  EXPECT_EQ(b.first_offset(), 1);
  EXPECT_TRUE(b.CanServeFrom(1));  // nothing missed yet
  EXPECT_FALSE(b.CanServeFrom(2));
  b.Append("abcdef");
  EXPECT_EQ(b.histlen(), 6u);
  EXPECT_EQ(b.CopyFrom(3), "cdef");
  b.Append("ghijkl");  // wraps: keeps the newest 10 bytes
  EXPECT_EQ(b.histlen(), 10u);
  EXPECT_EQ(b.first_offset(), 3);
  EXPECT_EQ(b.next_offset(), 13);
  EXPECT_FALSE(b.CanServeFrom(2));
  EXPECT_EQ(b.CopyFrom(3), "cdefghijkl");
  EXPECT_EQ(b.CopyFrom(13), "");
  b.Append(std::string(25, 'z'));  // larger than the buffer
  EXPECT_EQ(b.CopyFrom(b.first_offset()), std::string(10, 'z'));
}

TEST(ReplBacklog, MatchesAStringModelUnderRandomAppendsAndResizes) {
  std::mt19937 rng(3);
  ReplBacklog b(64, 101);
  std::string all;
  for (int i = 0; i < 2000; i++) {
    if (rng() % 50 == 0) b.Resize(16 + rng() % 100);
    std::string chunk(rng() % 40, '\0');
    for (char& c : chunk) c = static_cast<char>('a' + rng() % 26);
    b.Append(chunk);
    all += chunk;
    ASSERT_EQ(b.next_offset(), 101 + static_cast<int64_t>(all.size()));
    ASSERT_LE(b.histlen(), b.capacity());
    ASSERT_EQ(b.CopyFrom(b.first_offset()), all.substr(all.size() - b.histlen()));
  }
}

}  // namespace
}  // namespace ember
