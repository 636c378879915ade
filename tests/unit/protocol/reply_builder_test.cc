#include "protocol/reply_builder.h"

#include <gtest/gtest.h>

namespace ember {
namespace {

TEST(ReplyBuilderTest, Resp2Encodings) {
  std::string out;
  ReplyBuilder r(&out);
  r.Ok();
  r.Integer(-42);
  r.Bulk("hi");
  r.Null();
  r.NullArray();
  r.MapLen(2);
  r.SetLen(3);
  r.Double(1.5);
  r.Bool(true);
  r.Verbatim("txt");
  EXPECT_EQ(out, "+OK\r\n:-42\r\n$2\r\nhi\r\n$-1\r\n*-1\r\n*4\r\n*3\r\n$3\r\n1.5\r\n:1\r\n$3\r\ntxt\r\n");
}

TEST(ReplyBuilderTest, Resp3Encodings) {
  std::string out;
  ReplyBuilder r(&out);
  r.set_resp3(true);
  r.Null();
  r.NullArray();
  r.MapLen(2);
  r.SetLen(3);
  r.Double(1.5);
  r.Double(1.0 / 0.0);
  r.Bool(false);
  r.Verbatim("abc");
  r.PushLen(1);
  EXPECT_EQ(out, "_\r\n_\r\n%2\r\n~3\r\n,1.5\r\n,inf\r\n#f\r\n=7\r\ntxt:abc\r\n>1\r\n");
}

TEST(ReplyBuilderTest, ErrorsAreOneLineAndCounted) {
  std::string out;
  ReplyBuilder r(&out);
  r.Error("ERR bad\r\nthing");
  EXPECT_EQ(out, "-ERR bad  thing\r\n");
  EXPECT_EQ(r.last_error_code(), "ERR");
  EXPECT_EQ(r.errors_sent(), 1u);
}

TEST(ReplyBuilderTest, MutedWritesNothing) {
  std::string out;
  ReplyBuilder r(&out);
  r.set_muted(true);
  r.Bulk("x");
  r.Error("ERR x");
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(r.errors_sent(), 1u);
}

}  // namespace
}  // namespace ember
