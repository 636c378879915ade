#include "persistence/rdb_io.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ember {

bool FdSink::Write(const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::write(fd_, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
    unsynced_ += static_cast<uint64_t>(n);
  }
  if (fsync_every_ > 0 && unsynced_ >= fsync_every_) {
    if (::fdatasync(fd_) != 0) return false;
    unsynced_ = 0;
  }
  return true;
}

size_t StringSource::Read(char* buf, size_t len) {
  size_t n = len < data_.size() ? len : data_.size();
  std::memcpy(buf, data_.data(), n);
  data_.remove_prefix(n);
  return n;
}

size_t FdSource::Read(char* buf, size_t len) {
  size_t total = 0;
  while (total < len) {
    ssize_t n = ::read(fd_, buf + total, len - total);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

}  // namespace ember
