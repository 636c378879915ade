#include "common/clock.h"

#include <fstream>
#include <string>

namespace ember {

detail::FastClock detail::g_fast_clock;

namespace {

bool KernelKeepsTimeWithTsc() {
  std::ifstream in("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string name;
  return in >> name && name == "tsc";
}

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

void CalibrateFastClock() {
#if defined(__x86_64__)
  if (!KernelKeepsTimeWithTsc()) return;
  // Both clocks read 2 ms apart: read errors of tens of nanoseconds make the rate good to 1e-5.
  const int64_t ns0 = MonotonicNs();
  const uint64_t tsc0 = __builtin_ia32_rdtsc();
  int64_t ns1;
  do {
    ns1 = MonotonicNs();
  } while (ns1 - ns0 < 2000000);
  const uint64_t tsc1 = __builtin_ia32_rdtsc();
  if (tsc1 <= tsc0) return;
  const auto elapsed_ns = static_cast<unsigned __int128>(ns1 - ns0);
  detail::FastClock& c = detail::g_fast_clock;
  c.us_per_tick_q40 = static_cast<uint64_t>((elapsed_ns << 40) / (1000 * (tsc1 - tsc0)));
  c.tsc0 = tsc1;
  c.us0 = ns1 / 1000;
  c.use_tsc = c.us_per_tick_q40 > 0;
#endif
}

}  // namespace ember
