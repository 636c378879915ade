// The multi-part AOF manifest (Redis 7.0's appendonly.aof.manifest): one line per file,
// "file <name> seq <n> type <b|h|i>", the base first, then history files, then the incremental
// files in sequence order. Names that need it are quoted as Redis's sdscatrepr; the parser reads
// them back as sdssplitargs, and refuses what Redis refuses with Redis's texts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

struct AofFileInfo {
  enum Type : char { kBase = 'b', kHistory = 'h', kIncr = 'i' };
  std::string name;
  int64_t seq = 0;
  char type = kIncr;
  bool operator==(const AofFileInfo&) const = default;
};

struct AofManifest {
  std::optional<AofFileInfo> base;
  std::vector<AofFileInfo> history;
  std::vector<AofFileInfo> incrs;
  int64_t base_seq = 0;  // the last base sequence number used
  int64_t incr_seq = 0;  // the last incremental sequence number used

  bool empty() const { return !base && incrs.empty(); }
  // The manifest's text, as Redis writes it.
  std::string Format() const;
  // Marks the current base as history and adds a new one named after `filename` (the
  // appendfilename): "<filename>.<seq>.base.rdb" (or .aof without the RDB preamble).
  const std::string& NewBase(std::string_view filename, bool rdb_preamble);
  // Appends a new incremental file "<filename>.<seq>.incr.aof".
  const std::string& NewIncr(std::string_view filename);
  // After a rewrite: every incremental file but the last (`keep_last`: the one being written)
  // becomes history.
  void MarkRewrittenIncrsAsHistory(bool keep_last);
};

// "<filename>.manifest".
std::string AofManifestName(std::string_view filename);

// Parses a manifest's text. On failure returns false with Redis's error in *err and, when the
// error is about a line, that line (trimmed) and its 1-based number.
bool ParseAofManifest(std::string_view text, AofManifest* out, std::string* err,
                      int* line_no = nullptr, std::string* line = nullptr);

// write(2) until all of `data` is written (EINTR retried). False on error.
bool WriteFully(int fd, std::string_view data);

// Writes `text` to dir/<temp>, fsyncs it, renames it over dir/<name> and fsyncs the directory
// (Redis's writeAofManifestFile). Logs and returns false on failure.
bool WriteAofManifestFile(const std::string& dir, std::string_view filename,
                          std::string_view text);

}  // namespace ember
