#include <gtest/gtest.h>

#include "commands/command.h"

namespace ember {
namespace {

// Durations land in Redis's LATENCY HISTOGRAM buckets: bound k is (1024 + 8) * 2^k - 1 ns.
TEST(LatencyHistogramTest, Log2BucketsMatchRedisBounds) {
  const std::pair<int64_t, size_t> cases[] = {
      {0, 0}, {1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 3}, {8, 3}, {9, 4}, {16, 4}, {17, 5},
      {33, 5}, {34, 6}, {1056, 10}, {1057, 11}, {5000000, 20}};
  for (auto [us, bucket] : cases) {
    LatencyHistogram h;
    h.Record(us);
    EXPECT_EQ(h.log2_counts[bucket], 1u) << us << " us";
  }
  const int64_t reported[] = {1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056};
  for (size_t k = 0; k < std::size(reported); ++k) {
    EXPECT_EQ(LatencyHistogram::Log2BucketBoundNs(k) / 1000, reported[k]) << k;
  }
}

}  // namespace
}  // namespace ember
