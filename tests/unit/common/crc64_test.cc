#include "common/crc64.h"

#include <gtest/gtest.h>

#include <string>

namespace ember {
namespace {

TEST(Crc64, CheckValueOfTheJonesVariant) {
  // The check value Redis's crc64 self-test uses.
  EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64(0, ""), 0u);
}

TEST(Crc64, IncrementalEqualsOneShotAtEverySplit) {
  std::string s;
  for (int i = 0; i < 100; i++) s.push_back(static_cast<char>(i * 37 + 11));
  const uint64_t whole = Crc64(0, s);
  for (size_t cut = 0; cut <= s.size(); cut++) {
    uint64_t c = Crc64(0, s.data(), cut);
    c = Crc64(c, s.data() + cut, s.size() - cut);
    EXPECT_EQ(c, whole) << cut;
  }
}

TEST(Crc64, MatchesARealRedisDumpPayload) {
  // DUMP of the string "bar" from redis-server 7.0.15: payload, then the CRC64 little-endian.
  const std::string payload("\x00\x03" "bar" "\x0a\x00", 7);
  EXPECT_EQ(Crc64(0, payload), 0x17fd66ee6049bee6ULL);
}

}  // namespace
}  // namespace ember
