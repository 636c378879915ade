#include "server/repl_backlog.h"

#include <algorithm>
#include <cstring>

namespace ember {

ReplBacklog::ReplBacklog(size_t capacity, int64_t next_offset)
    : buf_(std::max<size_t>(capacity, 1)), next_offset_(next_offset) {}

void ReplBacklog::Append(std::string_view data) {
  next_offset_ += static_cast<int64_t>(data.size());
  const size_t cap = buf_.size();
  if (data.size() >= cap) {
    data = data.substr(data.size() - cap);
    std::memcpy(buf_.data(), data.data(), cap);
    head_ = 0;
    histlen_ = cap;
    return;
  }
  const size_t first = std::min(data.size(), cap - head_);
  std::memcpy(buf_.data() + head_, data.data(), first);
  std::memcpy(buf_.data(), data.data() + first, data.size() - first);
  head_ = (head_ + data.size()) % cap;
  histlen_ = std::min(cap, histlen_ + data.size());
}

std::string ReplBacklog::CopyFrom(int64_t offset) const {
  const size_t n = static_cast<size_t>(next_offset_ - offset);
  std::string out(n, '\0');
  const size_t cap = buf_.size();
  const size_t start = (head_ + cap - n) % cap;
  const size_t first = std::min(n, cap - start);
  std::memcpy(out.data(), buf_.data() + start, first);
  std::memcpy(out.data() + first, buf_.data(), n - first);
  return out;
}

void ReplBacklog::Resize(size_t capacity) {
  capacity = std::max<size_t>(capacity, 1);
  if (capacity == buf_.size()) return;
  const size_t keep = std::min(histlen_, capacity);
  std::string tail = CopyFrom(next_offset_ - static_cast<int64_t>(keep));
  buf_.assign(capacity, '\0');
  std::memcpy(buf_.data(), tail.data(), keep);
  head_ = keep % capacity;
  histlen_ = keep;
}

}  // namespace ember
