// Wall-clock and monotonic time helpers. The server caches "now" once per event-loop iteration
// (see server/server.h) so a command and its propagated effects agree on expiry decisions.
#pragma once

#include <time.h>

#include <cstdint>

namespace ember {

// clock_gettime directly (the vDSO, no system call): std::chrono's clocks add an out-of-line
// call to every read, and the server reads the monotonic clock twice per command.
inline int64_t ClockUs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

inline int64_t WallClockUs() { return ClockUs(CLOCK_REALTIME); }
inline int64_t WallClockMs() { return WallClockUs() / 1000; }

inline int64_t MonotonicUs() { return ClockUs(CLOCK_MONOTONIC); }
inline int64_t MonotonicMs() { return MonotonicUs() / 1000; }

}  // namespace ember
