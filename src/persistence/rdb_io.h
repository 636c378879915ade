// Byte sinks and sources for the RDB serializer, so one writer serves SAVE/BGSAVE (a file),
// DUMP (a string) and later a diskless full sync (a socket), and one reader serves them back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ember {

class RdbSink {
 public:
  virtual ~RdbSink() = default;
  // Writes all bytes or returns false (errno says why for files and sockets).
  virtual bool Write(const char* data, size_t len) = 0;
};

class StringSink : public RdbSink {
 public:
  bool Write(const char* data, size_t len) override {
    out_.append(data, len);
    return true;
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

// How often incremental fsync syncs a file being written (Redis's REDIS_AUTOSYNC_BYTES).
inline constexpr size_t kIncrementalFsyncBytes = 4 << 20;

// Writes to a file descriptor; with `fsync_every` > 0, fdatasyncs every that many bytes so the
// kernel never holds a huge dirty backlog (Redis's rdb-save-incremental-fsync).
class FdSink : public RdbSink {
 public:
  explicit FdSink(int fd, size_t fsync_every = 0) : fd_(fd), fsync_every_(fsync_every) {}
  bool Write(const char* data, size_t len) override;
  uint64_t written() const { return written_; }

 private:
  int fd_;
  size_t fsync_every_;
  uint64_t written_ = 0;
  uint64_t unsynced_ = 0;
};

class RdbSource {
 public:
  virtual ~RdbSource() = default;
  // Reads up to `len` bytes; returns how many (0 at end of input or on error).
  virtual size_t Read(char* buf, size_t len) = 0;
};

class StringSource : public RdbSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  size_t Read(char* buf, size_t len) override;

 private:
  std::string_view data_;
};

class FdSource : public RdbSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  size_t Read(char* buf, size_t len) override;

 private:
  int fd_;
};

}  // namespace ember
