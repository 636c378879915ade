// Helpers shared by the families that work on string values: the string commands
// (string_family.cc) and the bitmap commands (bitmap_family.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "commands/command.h"
#include "db/database.h"
#include "db/value.h"

namespace ember::string_helpers {

// A value's length is stored in 32 bits, whatever proto-max-bulk-len says.
constexpr int64_t kValueMaxLen = UINT32_MAX;

inline bool IsString(const KeyEntry* e) { return e->value.type() == ValueType::kString; }

// A raw-encoded string of `n` bytes filled by `fill(Byte*)` (Byte is char or uint8_t). Redis
// creates these with sdsnewlen at their exact size; so do we, through a temporary buffer, up to
// 1MB. Larger ones are built in place: growing in place reserves at most 1MB extra, and avoids
// holding the bytes twice.
template <typename Byte = char, typename F>
Value BuildRaw(size_t n, F&& fill) {
  static_assert(sizeof(Byte) == 1);
  constexpr size_t kStackMax = 4096;
  constexpr size_t kCopyMax = 1024 * 1024;
  auto bytes = [n](Byte* p) { return std::string_view(reinterpret_cast<const char*>(p), n); };
  if (n <= kStackMax) {
    Byte buf[kStackMax];
    fill(buf);
    return Value::FromBytes(bytes(buf), Encoding::kRaw);
  }
  if (n < kCopyMax) {
    std::unique_ptr<Byte[]> buf(new Byte[n]);
    fill(buf.get());
    return Value::FromBytes(bytes(buf.get()), Encoding::kRaw);
  }
  Value v;
  fill(reinterpret_cast<Byte*>(v.MutableString(n)));
  return v;
}

}  // namespace ember::string_helpers
