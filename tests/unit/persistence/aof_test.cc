// The AOF manifest (format, parsing, Redis's refusals) and the record reader (every truncation
// point of a file is either a clean end or a truncation reported at the last whole command).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "persistence/aof_manifest.h"
#include "persistence/aof_reader.h"

namespace ember {
namespace {

TEST(AofManifest, FormatsAsRedis) {
  AofManifest am;
  am.NewBase("appendonly.aof", true);
  am.NewIncr("appendonly.aof");
  EXPECT_EQ(am.Format(),
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n");
  // A rewrite: a new incremental file at its start, a new base at its end.
  am.NewIncr("appendonly.aof");
  am.NewBase("appendonly.aof", false);
  am.MarkRewrittenIncrsAsHistory(/*keep_last=*/true);
  // Redis puts the old base at the head of the history, then each rewritten incremental file
  // (walked from the tail) at the head again.
  EXPECT_EQ(am.Format(),
            "file appendonly.aof.2.base.aof seq 2 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type h\n"
            "file appendonly.aof.1.base.rdb seq 1 type h\n"
            "file appendonly.aof.2.incr.aof seq 2 type i\n");
}

TEST(AofManifest, QuotesNamesThatNeedIt) {
  AofManifest am;
  am.NewBase("my file", true);
  EXPECT_EQ(am.Format(), "file \"my file.1.base.rdb\" seq 1 type b\n");
  AofManifest back;
  std::string err;
  ASSERT_TRUE(ParseAofManifest(am.Format(), &back, &err)) << err;
  EXPECT_EQ(back.base->name, "my file.1.base.rdb");
}

TEST(AofManifest, RoundTrips) {
  const std::string text =
      "file appendonly.aof.2.base.rdb seq 2 type b\n"
      "file appendonly.aof.1.incr.aof seq 1 type h\n"
      "file appendonly.aof.3.incr.aof seq 3 type i\n"
      "file appendonly.aof.4.incr.aof seq 4 type i\n";
  AofManifest am;
  std::string err;
  ASSERT_TRUE(ParseAofManifest(text, &am, &err)) << err;
  EXPECT_EQ(am.Format(), text);
  EXPECT_EQ(am.base_seq, 2);
  EXPECT_EQ(am.incr_seq, 4);
  EXPECT_EQ(am.NewIncr("appendonly.aof"), "appendonly.aof.5.incr.aof");
}

TEST(AofManifest, AcceptsCommentsUnknownKeysAndAnyKeyOrder) {
  AofManifest am;
  std::string err;
  ASSERT_TRUE(ParseAofManifest("# comment\ntype b seq 7 file a.rdb extra x\n", &am, &err)) << err;
  ASSERT_TRUE(am.base);
  EXPECT_EQ(am.base->name, "a.rdb");
  EXPECT_EQ(am.base->seq, 7);
}

struct Bad {
  const char* text;
  const char* error;
  int line;
};

TEST(AofManifest, RefusesMalformedWithRedisErrors) {
  const Bad cases[] = {
      {"", "Found an empty AOF manifest", 0},
      {"file a seq 1 type b", "The AOF manifest file contains too long line", 0},
      {"\n", "Invalid AOF manifest file format", 1},
      {"file a seq 1\n", "Invalid AOF manifest file format", 1},
      {"file a seq 1 type\n", "Invalid AOF manifest file format", 1},
      {"file a seq 0 type b\n", "Invalid AOF manifest file format", 1},
      {"file \"a seq 1 type b\n", "Invalid AOF manifest file format", 1},
      {"file dir/a seq 1 type b\n", "File can't be a path, just a filename", 1},
      {"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information", 2},
      {"file a seq 2 type i\nfile b seq 2 type i\n", "Found a non-monotonic sequence number", 2},
      {"file a seq 1 type x\n", "Unknown AOF file type", 1},
  };
  for (const Bad& c : cases) {
    AofManifest am;
    std::string err, line;
    int line_no = -1;
    EXPECT_FALSE(ParseAofManifest(c.text, &am, &err, &line_no, &line)) << c.text;
    EXPECT_EQ(err, c.error) << c.text;
    EXPECT_EQ(line_no, c.line) << c.text;
  }
  // A line longer than 1024 bytes.
  AofManifest am;
  std::string err;
  EXPECT_FALSE(ParseAofManifest("file " + std::string(1100, 'a') + " seq 1 type b\n", &am, &err));
  EXPECT_EQ(err, "The AOF manifest file contains too long line");
}

// A FILE* over `data` (fmemopen), read to the end.
std::vector<std::vector<std::string>> ReadAll(const std::string& data, AofReader::Result* last,
                                              int64_t* valid) {
  FILE* fp = fmemopen(const_cast<char*>(data.data()), data.size(), "r");
  std::vector<std::vector<std::string>> out;
  if (!fp) {  // fmemopen of 0 bytes fails on some libcs: an empty file is a clean end
    *last = AofReader::Result::kEof;
    *valid = 0;
    return out;
  }
  AofReader reader(fp);
  std::vector<std::string> argv;
  for (;;) {
    *last = reader.Next(&argv);
    if (*last != AofReader::Result::kCommand) break;
    out.push_back(argv);
  }
  *valid = reader.valid_up_to();
  fclose(fp);
  return out;
}

const std::string kTwo =
    "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
    "#TS:1700000000\r\n"
    "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
constexpr size_t kFirstEnd = 23;  // after SELECT 0

TEST(AofReader, ReadsCommandsAndSkipsAnnotations) {
  AofReader::Result last;
  int64_t valid;
  auto cmds = ReadAll(kTwo, &last, &valid);
  EXPECT_EQ(last, AofReader::Result::kEof);
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"SELECT", "0"}));
  EXPECT_EQ(cmds[1], (std::vector<std::string>{"SET", "key", "value"}));
  EXPECT_EQ(valid, static_cast<int64_t>(kTwo.size()));
}

TEST(AofReader, EveryTruncationEndsAtTheLastWholeCommand) {
  const size_t annotation_end = kFirstEnd + 16;
  for (size_t cut = 1; cut < kTwo.size(); ++cut) {
    AofReader::Result last;
    int64_t valid;
    auto cmds = ReadAll(kTwo.substr(0, cut), &last, &valid);
    if (cut == kFirstEnd || cut == annotation_end) {
      EXPECT_EQ(last, AofReader::Result::kEof) << cut;
      EXPECT_EQ(cmds.size(), 1u) << cut;
    } else if (cut > kFirstEnd && cut < annotation_end) {
      // Inside the annotation line: fgets returns the partial line, which is skipped.
      EXPECT_EQ(last, AofReader::Result::kEof) << cut;
    } else {
      EXPECT_EQ(last, AofReader::Result::kTruncated) << cut;
      EXPECT_EQ(cmds.size(), cut < kFirstEnd ? 0u : 1u) << cut;
      EXPECT_EQ(valid, cut < kFirstEnd ? 0 : static_cast<int64_t>(kFirstEnd)) << cut;
    }
  }
}

TEST(AofReader, FormatErrors) {
  for (const char* bad : {"X\r\n", "*0\r\n", "*1\r\nX3\r\nfoo\r\n", "*1\r\n$-1\r\n"}) {
    AofReader::Result last;
    int64_t valid;
    ReadAll(bad, &last, &valid);
    EXPECT_EQ(last, AofReader::Result::kFormatError) << bad;
  }
  // A corrupt second command: the first stays valid.
  AofReader::Result last;
  int64_t valid;
  auto cmds = ReadAll(kTwo.substr(0, kFirstEnd) + "?garbage\r\n", &last, &valid);
  EXPECT_EQ(last, AofReader::Result::kFormatError);
  EXPECT_EQ(cmds.size(), 1u);
  EXPECT_EQ(valid, static_cast<int64_t>(kFirstEnd));
}

}  // namespace
}  // namespace ember
