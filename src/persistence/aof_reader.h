// Reads an AOF's commands one at a time with the rules of Redis's loadSingleAppendOnlyFile:
// "#" lines are annotations (aof-timestamp-enabled's "#TS:"), a record is "*<argc>" then argc
// "$<len>" bulk strings; running out of bytes inside a record is a truncation (recoverable with
// aof-load-truncated), anything else out of place is a format error.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ember {

class AofReader {
 public:
  enum class Result { kCommand, kEof, kTruncated, kFormatError, kIoError };

  // Reads from `fp` (not owned) from its current position.
  explicit AofReader(FILE* fp) : fp_(fp) {}

  // The next command into *argv. kEof only at a record boundary.
  Result Next(std::vector<std::string>* argv);
  // The offset just after the last whole command read (or where reading started).
  int64_t valid_up_to() const { return valid_up_to_; }
  void set_valid_up_to(int64_t v) { valid_up_to_ = v; }

 private:
  FILE* fp_;
  int64_t valid_up_to_ = -1;
};

}  // namespace ember
