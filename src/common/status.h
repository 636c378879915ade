// Expected failures of keyspace operations are values, not exceptions: an OpStatus, or an
// OpResult<T> carrying either a value or a status. Handlers turn a status into Redis's error reply.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace ember {

enum class OpStatus {
  kOk,
  kKeyNotFound,
  kWrongType,
  kSyntaxError,
  kNotAnInteger,   // value is not an integer or out of range
  kNotAFloat,      // value is not a valid float
  kOutOfRange,
  kOverflow,       // increment or decrement would overflow
  kSkipped,        // NX/XX condition not met
  kInvalidExpire,  // invalid expire time in 'cmd' command
  kBitOffsetOutOfRange,
  kStringTooLong,  // string exceeds maximum allowed size (proto-max-bulk-len)
};

template <typename T>
class OpResult {
 public:
  OpResult(T value) : value_(std::move(value)), status_(OpStatus::kOk) {}  // NOLINT: implicit
  OpResult(OpStatus status) : status_(status) { assert(status != OpStatus::kOk); }  // NOLINT

  bool ok() const { return status_ == OpStatus::kOk; }
  OpStatus status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

 private:
  T value_{};
  OpStatus status_;
};

}  // namespace ember
