#include "commands/scan_options.h"

#include "common/errors.h"

namespace ember {

bool ParseScanOptions(CommandContext& ctx, size_t first, bool allow_type, ScanOptions* out) {
  for (size_t i = first; i < ctx.argc(); i += 2) {
    std::string_view opt = ctx.arg(i);
    const bool has_value = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "count") && has_value) {
      if (!ParseInt64(ctx.arg(i + 1), &out->count)) {
        ctx.reply().Error(errors::kNotInteger);
        return false;
      }
      if (out->count < 1) {
        ctx.ReplySyntaxError();
        return false;
      }
    } else if (EqualsIgnoreCase(opt, "match") && has_value) {
      out->pattern = ctx.arg(i + 1);
      out->use_pattern = out->pattern != "*";
    } else if (allow_type && EqualsIgnoreCase(opt, "type") && has_value) {
      out->type_name = ctx.arg(i + 1);
    } else {
      ctx.ReplySyntaxError();
      return false;
    }
  }
  return true;
}

}  // namespace ember
