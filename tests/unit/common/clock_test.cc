#include "common/clock.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace ember {
namespace {

// Calibrated (where the kernel keeps time with the TSC), the fast clock keeps pace with
// CLOCK_MONOTONIC.
TEST(FastClock, KeepsPaceWithTheMonotonicClock) {
  CalibrateFastClock();
  if (!FastClockUsesTsc()) GTEST_SKIP() << "the kernel does not keep time with the TSC here";
  const int64_t fast0 = FastMonotonicUs();
  const int64_t mono0 = MonotonicUs();
  EXPECT_LT(std::llabs(fast0 - mono0), 1000);
  timespec pause{0, 50 * 1000 * 1000};
  nanosleep(&pause, nullptr);
  const int64_t fast_elapsed = FastMonotonicUs() - fast0;
  const int64_t mono_elapsed = MonotonicUs() - mono0;
  EXPECT_GE(fast_elapsed, 50000);
  // A 1e-5 rate error is 0.5 us over 50 ms; allow for the two reads and a preemption.
  EXPECT_LT(std::llabs(fast_elapsed - mono_elapsed), 500);
  EXPECT_TRUE(CheckFastClock());
}

TEST(FastClock, NeverGoesBackwards) {
  CalibrateFastClock();
  int64_t last = FastMonotonicUs();
  for (int i = 0; i < 100000; ++i) {
    const int64_t now = FastMonotonicUs();
    ASSERT_GE(now, last);
    last = now;
  }
}

}  // namespace
}  // namespace ember
