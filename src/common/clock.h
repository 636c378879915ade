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

// Command timing reads the clock about once per command. Where the kernel itself keeps time with
// the TSC (its clocksource is "tsc": invariant and synchronised across cores), reading the TSC
// directly costs less than half of clock_gettime, which orders the read with a fence. The rate
// comes from CalibrateFastClock (once, at start-up); before it, or on any other machine,
// FastMonotonicUs is MonotonicUs. Its readings are comparable only with each other.
void CalibrateFastClock();
// From the cron: false (and CLOCK_MONOTONIC from now on) when the TSC stopped keeping pace.
bool CheckFastClock();
bool FastClockUsesTsc();

namespace detail {
struct FastClock {
  bool use_tsc = false;
  uint64_t tsc0 = 0;
  int64_t us0 = 0;
  uint64_t us_per_tick_q40 = 0;  // microseconds per TSC tick, times 2^40
};
extern FastClock g_fast_clock;
}  // namespace detail

inline int64_t FastMonotonicUs() {
#if defined(__x86_64__)
  const detail::FastClock& c = detail::g_fast_clock;
  if (c.use_tsc) {
    const auto ticks = static_cast<__int128>(static_cast<int64_t>(__builtin_ia32_rdtsc() - c.tsc0));
    return c.us0 + static_cast<int64_t>((ticks * c.us_per_tick_q40) >> 40);
  }
#endif
  return MonotonicUs();
}

}  // namespace ember
