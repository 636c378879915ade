// ReplBacklog: the last `capacity` bytes of the replication stream in a ring buffer, addressed
// by replication offset, so a replica that reconnects can continue from where it stopped
// (PSYNC) instead of receiving a full snapshot.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

class ReplBacklog {
 public:
  // `next_offset` is the replication offset the next appended byte will have.
  ReplBacklog(size_t capacity, int64_t next_offset);

  void Append(std::string_view data);
  // Keeps the newest bytes that fit.
  void Resize(size_t capacity);

  size_t capacity() const { return buf_.size(); }
  size_t histlen() const { return histlen_; }
  // Offset of the oldest byte held (repl_backlog_first_byte_offset).
  int64_t first_offset() const { return next_offset_ - static_cast<int64_t>(histlen_); }
  int64_t next_offset() const { return next_offset_; }
  // Whether a replica that has everything before `offset` can continue from here.
  bool CanServeFrom(int64_t offset) const {
    return offset >= first_offset() && offset <= next_offset_;
  }
  // The bytes from `offset` to the end. REQUIRES: CanServeFrom(offset).
  std::string CopyFrom(int64_t offset) const;

 private:
  std::vector<char> buf_;
  size_t head_ = 0;  // where the next byte goes
  size_t histlen_ = 0;
  int64_t next_offset_;
};

}  // namespace ember
