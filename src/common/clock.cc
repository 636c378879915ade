#include "common/clock.h"

#include <cstdlib>
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

#if defined(__x86_64__)
// Both clocks at one instant: the TSC read between two CLOCK_MONOTONIC reads, the closest pair
// of ten tries (an interrupt or preemption in between would skew the rate).
bool SampleClocks(int64_t* ns, uint64_t* tsc) {
  int64_t best_window = 10000;  // a window of 10 us or more is no sample
  for (int i = 0; i < 10; ++i) {
    const int64_t before = MonotonicNs();
    const uint64_t t = __builtin_ia32_rdtsc();
    const int64_t window = MonotonicNs() - before;
    if (window < best_window) {
      best_window = window;
      *ns = before + window / 2;
      *tsc = t;
    }
  }
  return best_window < 10000;
}
#endif

}  // namespace

void CalibrateFastClock() {
#if defined(__x86_64__)
  if (!KernelKeepsTimeWithTsc()) return;
  // Samples 10 ms apart, each good to a few tens of nanoseconds: the rate is good to ~1e-5.
  int64_t ns0 = 0, ns1 = 0;
  uint64_t tsc0 = 0, tsc1 = 0;
  if (!SampleClocks(&ns0, &tsc0)) return;
  while (MonotonicNs() - ns0 < 10000000) {
  }
  if (!SampleClocks(&ns1, &tsc1) || tsc1 <= tsc0) return;
  const auto elapsed_ns = static_cast<unsigned __int128>(ns1 - ns0);
  detail::FastClock& c = detail::g_fast_clock;
  c.us_per_tick_q40 = static_cast<uint64_t>((elapsed_ns << 40) / (1000 * (tsc1 - tsc0)));
  c.tsc0 = tsc1;
  c.us0 = ns1 / 1000;
  c.use_tsc = c.us_per_tick_q40 > 0;
#endif
}

bool FastClockUsesTsc() { return detail::g_fast_clock.use_tsc; }

bool CheckFastClock() {
  detail::FastClock& c = detail::g_fast_clock;
  if (!c.use_tsc) return true;
  // Over each second or more, the TSC must keep pace with CLOCK_MONOTONIC (1%): a kernel that
  // found it unstable and changed its clocksource, or a TSC that stopped, fails this.
  static int64_t last_fast = 0, last_mono = 0;
  const int64_t fast = FastMonotonicUs();
  const int64_t mono = MonotonicUs();
  if (last_mono != 0 && mono - last_mono < 1000000) return true;
  const int64_t mono_elapsed = mono - last_mono;
  const bool paced =
      last_mono == 0 || std::llabs((fast - last_fast) - mono_elapsed) <= mono_elapsed / 100;
  last_fast = fast;
  last_mono = mono;
  if (!paced) c.use_tsc = false;
  return paced;
}

}  // namespace ember
