// ASCII sparklines as Redis's sparkline.c draws them (LATENCY GRAPH).
#include "common/sparkline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ember {
namespace {

std::string Render(const std::vector<SparklineSample>& samples, int columns, int rows, bool fill) {
  std::string out;
  RenderSparkline(samples, columns, rows, fill, &out);
  return out;
}

TEST(Sparkline, FilledWithLabels) {
  // 2 rows = 6 steps over 0..11: 0 -> step 0, 6 -> int(36) / 11 = 3, 11 -> 6 clamped to 5.
  const std::vector<SparklineSample> samples = {{0, "a"}, {6, "bb"}, {11, ""}};
  EXPECT_EQ(Render(samples, 80, 2, true), " _#\n_||\n   \nab \n b \n");
  EXPECT_EQ(Render(samples, 80, 2, false), " _`\n_  \n   \nab \n b \n");
}

TEST(Sparkline, NoLabelsNoLabelLines) {
  EXPECT_EQ(Render({{0, ""}, {6, ""}, {11, ""}}, 80, 2, false), " _`\n_  \n");
}

TEST(Sparkline, FlatSequenceAtTheBottom) {
  EXPECT_EQ(Render({{5, ""}, {5, ""}}, 80, 2, true), "  \n__\n");
}

TEST(Sparkline, BlocksOfColumnsShareTheScale) {
  // 1 row = 3 steps over 0..2: 0 -> 0, 1 -> int(3) / 2 = 1, 2 -> 3 clamped to 2. The third
  // sample starts a second block after an empty line.
  EXPECT_EQ(Render({{0, "x"}, {1, "y"}, {2, "z"}}, 2, 1, true), "_o\n  \nxy\n\n#\n \nz\n");
}

TEST(Sparkline, Empty) { EXPECT_EQ(Render({}, 80, 4, true), ""); }

}  // namespace
}  // namespace ember
