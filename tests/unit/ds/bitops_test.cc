#include "ds/bitops.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace ember::bitops {
namespace {

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) {
    // Mix runs of 0x00 / 0xff with noise so the word-skipping paths are exercised.
    switch (rng() % 4) {
      case 0:
        c = '\0';
        break;
      case 1:
        c = '\xff';
        break;
      default:
        c = static_cast<char>(rng() & 0xff);
    }
  }
  return s;
}

int NaiveBit(const std::string& s, uint64_t i) {
  return (static_cast<uint8_t>(s[i / 8]) >> (7 - i % 8)) & 1;
}

TEST(BitopsTest, PopcountMatchesNaive) {
  std::mt19937_64 rng(1);
  for (size_t n : {0, 1, 7, 8, 9, 31, 32, 33, 100, 1000}) {
    std::string s = RandomBytes(rng, n);
    uint64_t expected = 0;
    for (uint64_t i = 0; i < n * 8; ++i) expected += NaiveBit(s, i);
    EXPECT_EQ(Popcount(reinterpret_cast<const uint8_t*>(s.data()), n), expected) << n;
  }
}

TEST(BitopsTest, CountBitsMatchesNaive) {
  std::mt19937_64 rng(2);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s = RandomBytes(rng, 1 + rng() % 80);
    uint64_t nbits = s.size() * 8;
    uint64_t a = rng() % nbits, b = rng() % nbits;
    if (a > b) std::swap(a, b);
    uint64_t expected = 0;
    for (uint64_t i = a; i <= b; ++i) expected += NaiveBit(s, i);
    ASSERT_EQ(CountBits(s, a, b), expected) << a << ".." << b;
  }
}

TEST(BitopsTest, CountBitsFoobar) {
  // The examples from the BITCOUNT documentation.
  EXPECT_EQ(CountBits("foobar", 0, 47), 26u);
  EXPECT_EQ(CountBits("foobar", 0, 7), 4u);
  EXPECT_EQ(CountBits("foobar", 8, 15), 6u);
  EXPECT_EQ(CountBits("foobar", 5, 30), 17u);
}

TEST(BitopsTest, FindBitMatchesNaive) {
  std::mt19937_64 rng(3);
  for (int iter = 0; iter < 5000; ++iter) {
    std::string s = RandomBytes(rng, 1 + rng() % 100);
    if (rng() % 3 == 0) std::fill(s.begin(), s.end(), (rng() & 1) ? '\xff' : '\0');
    uint64_t nbits = s.size() * 8;
    uint64_t a = rng() % nbits, b = rng() % nbits;
    if (a > b) std::swap(a, b);
    bool bit = rng() & 1;
    int64_t expected = -1;
    for (uint64_t i = a; i <= b; ++i) {
      if (NaiveBit(s, i) == static_cast<int>(bit)) {
        expected = static_cast<int64_t>(i);
        break;
      }
    }
    ASSERT_EQ(FindBit(s, bit, a, b), expected) << a << ".." << b << " bit " << bit;
  }
}

TEST(BitopsTest, GetBitPastEndIsZero) {
  std::string s("\x80\x01", 2);
  EXPECT_EQ(GetBit(s, 0), 1);
  EXPECT_EQ(GetBit(s, 1), 0);
  EXPECT_EQ(GetBit(s, 15), 1);
  EXPECT_EQ(GetBit(s, 16), 0);
  EXPECT_EQ(GetBit(s, 1000000), 0);
}

TEST(BitopsTest, CombinePadsShortSources) {
  std::string a("\xff\x0f\xaa", 3), b("\x0f", 1);
  std::vector<std::string_view> srcs{a, b};
  uint8_t out[3];
  Combine(BitOp::kAnd, srcs, out, 3);
  EXPECT_EQ(out[0], 0x0f);
  EXPECT_EQ(out[1], 0x00);
  EXPECT_EQ(out[2], 0x00);
  Combine(BitOp::kOr, srcs, out, 3);
  EXPECT_EQ(out[0], 0xff);
  EXPECT_EQ(out[1], 0x0f);
  EXPECT_EQ(out[2], 0xaa);
  Combine(BitOp::kXor, srcs, out, 3);
  EXPECT_EQ(out[0], 0xf0);
  EXPECT_EQ(out[1], 0x0f);
  EXPECT_EQ(out[2], 0xaa);
  std::vector<std::string_view> one{b};
  Combine(BitOp::kNot, one, out, 3);  // zero padded, then inverted
  EXPECT_EQ(out[0], 0xf0);
  EXPECT_EQ(out[1], 0xff);
  EXPECT_EQ(out[2], 0xff);
}

TEST(BitopsTest, FieldsRoundTrip) {
  std::mt19937_64 rng(4);
  for (int iter = 0; iter < 2000; ++iter) {
    uint8_t buf[20] = {};
    int bits = 1 + static_cast<int>(rng() % 64);
    uint64_t offset = rng() % 80;
    uint64_t value = rng();
    uint64_t masked = bits == 64 ? value : value & ((uint64_t{1} << bits) - 1);
    SetUnsignedField(buf, offset, bits, value);
    ASSERT_EQ(GetUnsignedField(buf, offset, bits), masked);
    // Neighbouring bits stay untouched.
    for (uint64_t i = 0; i < 160; ++i) {
      if (i < offset || i >= offset + static_cast<uint64_t>(bits)) {
        ASSERT_EQ((buf[i / 8] >> (7 - i % 8)) & 1, 0);
      }
    }
    int64_t sv = GetSignedField(buf, offset, bits);
    if (bits < 64 && (masked >> (bits - 1))) {
      ASSERT_EQ(static_cast<uint64_t>(sv), masked | (~uint64_t{0} << bits));
    } else {
      ASSERT_EQ(static_cast<uint64_t>(sv), masked);
    }
  }
}

TEST(BitopsTest, PaddedFieldsReadZerosPastEnd) {
  std::string s("\xff", 1);
  EXPECT_EQ(GetUnsignedFieldPadded(s, 0, 8), 255u);
  EXPECT_EQ(GetUnsignedFieldPadded(s, 4, 8), 0xf0u);
  EXPECT_EQ(GetSignedFieldPadded(s, 4, 8), -16);
  EXPECT_EQ(GetUnsignedFieldPadded(s, 8, 16), 0u);
  EXPECT_EQ(GetUnsignedFieldPadded(s, 1000, 64), 0u);
  EXPECT_EQ(GetSignedFieldPadded("", 0, 64), 0);
}

TEST(BitopsTest, UnsignedOverflow) {
  uint64_t limit = 12345;
  EXPECT_EQ(CheckUnsignedOverflow(200, 55, 8, Overflow::kWrap, &limit), 0);
  EXPECT_EQ(CheckUnsignedOverflow(200, 56, 8, Overflow::kWrap, &limit), 1);
  EXPECT_EQ(limit, 0u);
  EXPECT_EQ(CheckUnsignedOverflow(200, 300, 8, Overflow::kSat, &limit), 1);
  EXPECT_EQ(limit, 255u);
  EXPECT_EQ(CheckUnsignedOverflow(5, -6, 8, Overflow::kWrap, &limit), -1);
  EXPECT_EQ(limit, 255u);
  EXPECT_EQ(CheckUnsignedOverflow(5, -6, 8, Overflow::kSat, &limit), -1);
  EXPECT_EQ(limit, 0u);
  limit = 7;
  EXPECT_EQ(CheckUnsignedOverflow(5, -6, 8, Overflow::kFail, &limit), -1);
  EXPECT_EQ(limit, 7u);  // untouched for FAIL
  // SET of a negative number: huge as unsigned, so it overflows upwards.
  EXPECT_EQ(CheckUnsignedOverflow(static_cast<uint64_t>(-1), 0, 8, Overflow::kSat, &limit), 1);
  EXPECT_EQ(limit, 255u);
  EXPECT_EQ(CheckUnsignedOverflow(static_cast<uint64_t>(-1), 0, 8, Overflow::kWrap, &limit), 1);
  EXPECT_EQ(limit, 255u);
  EXPECT_EQ(CheckUnsignedOverflow(uint64_t{1} << 62, INT64_MAX, 63, Overflow::kSat, &limit), 1);
  EXPECT_EQ(limit, uint64_t{INT64_MAX});
}

TEST(BitopsTest, SignedOverflow) {
  int64_t limit = 0;
  EXPECT_EQ(CheckSignedOverflow(100, 27, 8, Overflow::kWrap, &limit), 0);
  EXPECT_EQ(CheckSignedOverflow(100, 28, 8, Overflow::kWrap, &limit), 1);
  EXPECT_EQ(limit, -128);
  EXPECT_EQ(CheckSignedOverflow(100, 28, 8, Overflow::kSat, &limit), 1);
  EXPECT_EQ(limit, 127);
  EXPECT_EQ(CheckSignedOverflow(-100, -29, 8, Overflow::kWrap, &limit), -1);
  EXPECT_EQ(limit, 127);
  EXPECT_EQ(CheckSignedOverflow(-100, -29, 8, Overflow::kSat, &limit), -1);
  EXPECT_EQ(limit, -128);
  EXPECT_EQ(CheckSignedOverflow(INT64_MAX, 1, 64, Overflow::kWrap, &limit), 1);
  EXPECT_EQ(limit, INT64_MIN);
  EXPECT_EQ(CheckSignedOverflow(INT64_MAX, 1, 64, Overflow::kSat, &limit), 1);
  EXPECT_EQ(limit, INT64_MAX);
  EXPECT_EQ(CheckSignedOverflow(INT64_MIN, -1, 64, Overflow::kSat, &limit), -1);
  EXPECT_EQ(limit, INT64_MIN);
  EXPECT_EQ(CheckSignedOverflow(-1, INT64_MIN, 64, Overflow::kWrap, &limit), -1);
  EXPECT_EQ(limit, INT64_MAX);
  EXPECT_EQ(CheckSignedOverflow(5, -5, 64, Overflow::kWrap, &limit), 0);
  // Redis classifies SET i8 of INT64_MIN as an overflow (not underflow): SAT gives the maximum.
  EXPECT_EQ(CheckSignedOverflow(INT64_MIN, 0, 8, Overflow::kSat, &limit), 1);
  EXPECT_EQ(limit, 127);
  EXPECT_EQ(CheckSignedOverflow(-200, 0, 8, Overflow::kSat, &limit), -1);
  EXPECT_EQ(limit, -128);
  EXPECT_EQ(CheckSignedOverflow(200, 0, 8, Overflow::kWrap, &limit), 1);
  EXPECT_EQ(limit, -56);
}

TEST(BitopsTest, LcsDocumentationExample) {
  LcsResult r;
  ASSERT_TRUE(ComputeLcs("ohmytext", "mynewtext", true, true, 0, &r));
  EXPECT_EQ(r.length, 6u);
  EXPECT_EQ(r.common, "mytext");
  ASSERT_EQ(r.matches.size(), 2u);
  EXPECT_EQ(r.matches[0].a_start, 4u);
  EXPECT_EQ(r.matches[0].a_end, 7u);
  EXPECT_EQ(r.matches[0].b_start, 5u);
  EXPECT_EQ(r.matches[0].b_end, 8u);
  EXPECT_EQ(r.matches[1].a_start, 2u);
  EXPECT_EQ(r.matches[1].a_end, 3u);
  EXPECT_EQ(r.matches[1].b_start, 0u);
  EXPECT_EQ(r.matches[1].b_end, 1u);

  ASSERT_TRUE(ComputeLcs("ohmytext", "mynewtext", false, true, 4, &r));
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].length(), 4u);
  EXPECT_TRUE(r.common.empty());
}

TEST(BitopsTest, LcsEmptyAndLengthOnly) {
  LcsResult r;
  ASSERT_TRUE(ComputeLcs("", "abc", true, true, 0, &r));
  EXPECT_EQ(r.length, 0u);
  EXPECT_EQ(r.common, "");
  EXPECT_TRUE(r.matches.empty());
  ASSERT_TRUE(ComputeLcs("abcdef", "acf", false, false, 0, &r));
  EXPECT_EQ(r.length, 3u);
  EXPECT_EQ(LcsTableBytes(2, 3), 3u * 4u * 4u);
}

TEST(BitopsTest, LcsIsACommonSubsequenceOfMaximalLength) {
  std::mt19937_64 rng(5);
  auto is_subseq = [](const std::string& sub, const std::string& s) {
    size_t i = 0;
    for (char c : s) {
      if (i < sub.size() && sub[i] == c) ++i;
    }
    return i == sub.size();
  };
  for (int iter = 0; iter < 300; ++iter) {
    std::string a, b;
    for (size_t n = rng() % 30; n; --n) a += static_cast<char>('a' + rng() % 3);
    for (size_t n = rng() % 30; n; --n) b += static_cast<char>('a' + rng() % 3);
    LcsResult r;
    ASSERT_TRUE(ComputeLcs(a, b, true, true, 0, &r));
    ASSERT_EQ(r.common.size(), r.length);
    ASSERT_TRUE(is_subseq(r.common, a));
    ASSERT_TRUE(is_subseq(r.common, b));
    // Reference length by a rolling-row DP.
    std::vector<uint32_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
    for (size_t i = 1; i <= a.size(); ++i) {
      for (size_t j = 1; j <= b.size(); ++j) {
        cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
      }
      std::swap(prev, cur);
    }
    ASSERT_EQ(r.length, prev[b.size()]);
    // The reported runs cover exactly the subsequence, each a real match.
    uint32_t covered = 0;
    for (const LcsMatch& m : r.matches) {
      ASSERT_EQ(m.a_end - m.a_start, m.b_end - m.b_start);
      ASSERT_EQ(a.substr(m.a_start, m.length()), b.substr(m.b_start, m.length()));
      covered += m.length();
    }
    ASSERT_EQ(covered, r.length);
  }
}

}  // namespace
}  // namespace ember::bitops
