// The options of the SCAN family (SCAN, SSCAN, HSCAN, ZSCAN), parsed as Redis's
// scanGenericCommand parses them: COUNT n (an integer >= 1), MATCH pattern and, for SCAN only,
// TYPE name, in any order, the last occurrence winning.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "commands/command.h"
#include "common/strings.h"

namespace ember {

struct ScanOptions {
  int64_t count = 10;
  std::string_view pattern;  // used only when use_pattern
  bool use_pattern = false;  // MATCH given and not "*"
  std::optional<std::string_view> type_name;

  bool Matches(std::string_view s) const { return !use_pattern || GlobMatch(pattern, s); }
  // How many buckets one call may visit while gathering `count` elements (Redis: count * 10).
  int64_t max_iterations() const { return count > INT64_MAX / 10 ? INT64_MAX : count * 10; }
};

// Parses ctx.args() from index `first`. Replies the error and returns false on a bad option.
bool ParseScanOptions(CommandContext& ctx, size_t first, bool allow_type, ScanOptions* out);

}  // namespace ember
