// ASCII sparklines as Redis 7.0 draws them for LATENCY GRAPH (sparkline.c): each sample is one
// column, its height quantized into 3 characters per row ("_-`", or "_o#" with '|' below the
// top when filled), followed by a blank line and the samples' labels written vertically.
#pragma once

#include <string>
#include <vector>

namespace ember {

struct SparklineSample {
  double value = 0;
  std::string label;  // written downwards under the column; empty for none
};

// Appends the chart of `samples` to `out`: `rows` chart rows of at most `columns` samples, the
// sequence split into blocks of `columns` separated by an empty line. The scale spans the minimum
// to the maximum of the whole sequence.
void RenderSparkline(const std::vector<SparklineSample>& samples, int columns, int rows, bool fill,
                     std::string* out);

}  // namespace ember
