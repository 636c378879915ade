// ASCII sparklines; see sparkline.h. The quantization follows Redis's sparklineRenderRange,
// including its integer truncations, so the same samples give the same characters.
#include "common/sparkline.h"

#include <algorithm>
#include <string_view>

namespace ember {

namespace {

constexpr std::string_view kLine = "_-`";    // the three heights within a row
constexpr std::string_view kFilled = "_o#";  // the same, filled below with '|'
constexpr int kLevels = static_cast<int>(kLine.size());

// One block of samples [begin, end): the chart rows, then (when any sample has a label) a
// blank line and one line per label character.
void RenderBlock(const std::vector<SparklineSample>& samples, size_t begin, size_t end, double min,
                 double range, int rows, bool fill, bool labels, std::string* out) {
  const int steps = kLevels * rows;
  const size_t len = end - begin;
  std::vector<int> step(len);
  for (size_t j = 0; j < len; ++j) {
    // Redis truncates the product before dividing, then the quotient.
    const double scaled = static_cast<int>((samples[begin + j].value - min) * steps) / range;
    step[j] = std::clamp(static_cast<int>(scaled), 0, steps - 1);
  }
  std::string line;
  for (int row = 0; row < rows; ++row) {
    line.assign(len, ' ');
    for (size_t j = 0; j < len; ++j) {
      // The level this sample reaches within this row (rows count from the top).
      const int level = step[j] - (rows - row - 1) * kLevels;
      if (level >= 0 && level < kLevels) {
        line[j] = fill ? kFilled[level] : kLine[level];
      } else if (fill && level >= kLevels) {
        line[j] = '|';
      }
    }
    out->append(line).push_back('\n');
  }
  if (!labels) return;
  out->append(len, ' ').push_back('\n');
  for (size_t k = 0;; ++k) {
    line.assign(len, ' ');
    bool any = false;
    for (size_t j = 0; j < len; ++j) {
      const std::string& label = samples[begin + j].label;
      if (k < label.size()) {
        line[j] = label[k];
        any = true;
      }
    }
    if (!any) break;
    out->append(line).push_back('\n');
  }
}

}  // namespace

void RenderSparkline(const std::vector<SparklineSample>& samples, int columns, int rows, bool fill,
                     std::string* out) {
  if (samples.empty() || columns <= 0 || rows <= 0) return;
  double min = samples[0].value, max = samples[0].value;
  bool labels = false;
  for (const SparklineSample& s : samples) {
    min = std::min(min, s.value);
    max = std::max(max, s.value);
    labels = labels || !s.label.empty();
  }
  const double range = max - min == 0 ? 1 : max - min;
  const size_t width = static_cast<size_t>(columns);
  for (size_t begin = 0; begin < samples.size(); begin += width) {
    if (begin != 0) out->push_back('\n');
    RenderBlock(samples, begin, std::min(samples.size(), begin + width), min, range, rows, fill,
                labels, out);
  }
}

}  // namespace ember
