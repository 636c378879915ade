// Wall-clock and monotonic time helpers. The server caches "now" once per event-loop iteration
// (see server/server.h) so a command and its propagated effects agree on expiry decisions.
#pragma once

#include <chrono>
#include <cstdint>

namespace ember {

inline int64_t WallClockUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
inline int64_t WallClockMs() { return WallClockUs() / 1000; }

inline int64_t MonotonicUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
inline int64_t MonotonicMs() { return MonotonicUs() / 1000; }

}  // namespace ember
