// A growable byte buffer for socket input. Unlike std::string it never zero-fills the space it
// reserves for a read, which matters when every read reserves 16 KB.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

#include "common/memory.h"

namespace ember {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ~ByteBuffer() { MemFree(data_); }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return {data_, size_}; }

  // Makes room for `extra` bytes after size() without initializing them; returns where they
  // start. Commit(n) then adds the n bytes actually written.
  char* Prepare(size_t extra) {
    if (size_ + extra > capacity_) {
      size_t cap = capacity_ ? capacity_ : 1024;
      while (cap < size_ + extra) cap *= 2;
      data_ = static_cast<char*>(MemRealloc(data_, cap));
      capacity_ = cap;
    }
    return data_ + size_;
  }
  void Commit(size_t n) { size_ += n; }

  // Drops the first n bytes.
  void ConsumeFront(size_t n) {
    if (n >= size_) {
      size_ = 0;
      return;
    }
    std::memmove(data_, data_ + n, size_ - n);
    size_ -= n;
  }
  void Clear() { size_ = 0; }
  // Frees the storage when empty and larger than `keep` bytes.
  void ShrinkIfLarger(size_t keep) {
    if (size_ == 0 && capacity_ > keep) {
      MemFree(data_);
      data_ = nullptr;
      capacity_ = 0;
    }
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace ember
