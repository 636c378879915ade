#include "common/sha1.h"

#include <gtest/gtest.h>

#include <string>

namespace ember {
namespace {

std::string HexOf(std::string_view s) { return Sha1::Hex(Sha1::Hash(s)); }

TEST(Sha1Test, KnownVectors) {
  // FIPS 180 / RFC 3174 test vectors.
  EXPECT_EQ(HexOf(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(HexOf("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(HexOf("The quick brown fox jumps over the lazy dog"),
            "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
  EXPECT_EQ(HexOf(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1Test, PaddingBoundaries) {
  // Lengths around the 55/56/64-byte padding edges, fed whole and byte by byte.
  for (size_t len : {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128}) {
    std::string data(len, 'x');
    for (size_t i = 0; i < len; ++i) data[i] = static_cast<char>('a' + i % 26);
    Sha1 incremental;
    for (char c : data) incremental.Update(&c, 1);
    EXPECT_EQ(Sha1::Hex(incremental.Final()), HexOf(data)) << "len " << len;
  }
  EXPECT_EQ(HexOf(std::string(64, 'a')), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

TEST(Sha1Test, ReusableAfterFinal) {
  Sha1 h;
  h.Update("abc");
  h.Final();
  h.Update("abc");
  EXPECT_EQ(Sha1::Hex(h.Final()), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

}  // namespace
}  // namespace ember

#include "common/sha256.h"

namespace ember {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256::HexOf(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::HexOf("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256::HexOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // ACL SETUSER u >p1 shows this hash in Redis 7.0.
  EXPECT_EQ(Sha256::HexOf("p1"),
            "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a");
  EXPECT_EQ(Sha256::HexOf(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace ember
