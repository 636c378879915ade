#include "persistence/aof_manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "common/strings.h"
#include "protocol/request_parser.h"

namespace ember {
namespace {

constexpr size_t kManifestMaxLine = 1024;  // Redis's MANIFEST_MAX_LINE

// Redis's sdsneedsrepr: quoting is needed for escapes, spaces and non-printable bytes.
bool NeedsRepr(std::string_view s) {
  for (unsigned char c : s) {
    if (c == '\\' || c == '"' || c == '\n' || c == '\r' || c == '\t' || c == '\a' || c == '\b' ||
        !isprint(c) || isspace(c)) {
      return true;
    }
  }
  return false;
}

void AppendLine(std::string* out, const AofFileInfo& f) {
  out->append("file ");
  if (NeedsRepr(f.name)) {
    AppendQuotedRepr(out, f.name);
  } else {
    out->append(f.name);
  }
  out->append(" seq ").append(std::to_string(f.seq)).append(" type ");
  out->push_back(f.type);
  out->push_back('\n');
}

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

}  // namespace

bool WriteFully(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string AofManifest::Format() const {
  std::string out;
  if (base) AppendLine(&out, *base);
  for (const AofFileInfo& f : history) AppendLine(&out, f);
  for (const AofFileInfo& f : incrs) AppendLine(&out, f);
  return out;
}

const std::string& AofManifest::NewBase(std::string_view filename, bool rdb_preamble) {
  if (base) {
    base->type = AofFileInfo::kHistory;
    history.insert(history.begin(), *base);
  }
  ++base_seq;
  base = AofFileInfo{std::string(filename) + "." + std::to_string(base_seq) + ".base" +
                         (rdb_preamble ? ".rdb" : ".aof"),
                     base_seq, AofFileInfo::kBase};
  return base->name;
}

const std::string& AofManifest::NewIncr(std::string_view filename) {
  ++incr_seq;
  incrs.push_back({std::string(filename) + "." + std::to_string(incr_seq) + ".incr.aof", incr_seq,
                   AofFileInfo::kIncr});
  return incrs.back().name;
}

void AofManifest::MarkRewrittenIncrsAsHistory(bool keep_last) {
  size_t n = incrs.size();
  if (keep_last && n > 0) --n;
  // Redis walks from the tail and inserts each at the head of the history list: the history
  // keeps the incremental files in their original order.
  std::vector<AofFileInfo> moved(incrs.begin(), incrs.begin() + static_cast<long>(n));
  for (AofFileInfo& f : moved) f.type = AofFileInfo::kHistory;
  history.insert(history.begin(), moved.begin(), moved.end());
  incrs.erase(incrs.begin(), incrs.begin() + static_cast<long>(n));
}

std::string AofManifestName(std::string_view filename) {
  return std::string(filename) + ".manifest";
}

// The name a manifest is written under before its rename.
static std::string AofTempManifestName(std::string_view filename) {
  return "temp-" + std::string(filename) + ".manifest";
}

bool ParseAofManifest(std::string_view text, AofManifest* out, std::string* err, int* line_no,
                      std::string* line_out) {
  AofManifest am;
  int64_t maxseq = 0;
  int linenum = 0;
  size_t pos = 0;
  auto fail = [&](const char* msg, std::string_view line, bool with_line) {
    *err = msg;
    if (line_no) *line_no = with_line ? linenum : 0;
    if (line_out) *line_out = with_line ? std::string(line) : std::string();
    return false;
  };
  if (text.empty()) return fail("Found an empty AOF manifest", {}, false);
  while (pos < text.size()) {
    // fgets with a MANIFEST_MAX_LINE+1 buffer: at most 1024 bytes per read.
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view raw = text.substr(pos, std::min(end - pos, kManifestMaxLine));
    pos += raw.size();
    ++linenum;
    if (raw[0] == '#') continue;
    if (raw.find('\n') == std::string_view::npos) {
      return fail("The AOF manifest file contains too long line", {}, false);
    }
    std::string_view line = Trim(raw);
    if (line.empty()) return fail("Invalid AOF manifest file format", line, true);
    std::vector<std::string> argv;
    if (!SplitArgs(line, &argv) || argv.size() < 6 || argv.size() % 2 != 0) {
      return fail("Invalid AOF manifest file format", line, true);
    }
    AofFileInfo info;
    info.type = 0;
    for (size_t i = 0; i < argv.size(); i += 2) {
      if (EqualsIgnoreCase(argv[i], "file")) {
        info.name = argv[i + 1];
        if (info.name.find('/') != std::string::npos) {
          return fail("File can't be a path, just a filename", line, true);
        }
      } else if (EqualsIgnoreCase(argv[i], "seq")) {
        info.seq = std::atoll(argv[i + 1].c_str());
      } else if (EqualsIgnoreCase(argv[i], "type")) {
        info.type = argv[i + 1].empty() ? 0 : argv[i + 1][0];
      }
      // Unknown keys are skipped, for forward compatibility (as Redis).
    }
    if (info.name.empty() || info.seq == 0 || info.type == 0) {
      return fail("Invalid AOF manifest file format", line, true);
    }
    if (info.type == AofFileInfo::kBase) {
      if (am.base) return fail("Found duplicate base file information", line, true);
      am.base_seq = info.seq;
      am.base = std::move(info);
    } else if (info.type == AofFileInfo::kHistory) {
      am.history.push_back(std::move(info));
    } else if (info.type == AofFileInfo::kIncr) {
      if (info.seq <= maxseq) return fail("Found a non-monotonic sequence number", line, true);
      maxseq = info.seq;
      am.incr_seq = info.seq;
      am.incrs.push_back(std::move(info));
    } else {
      return fail("Unknown AOF file type", line, true);
    }
  }
  *out = std::move(am);
  return true;
}

bool WriteAofManifestFile(const std::string& dir, std::string_view filename,
                          std::string_view text) {
  const std::string name = AofManifestName(filename);
  const std::string tmp_name = AofTempManifestName(filename);
  const std::string path = dir + "/" + name;
  const std::string tmp_path = dir + "/" + tmp_name;
  int fd = open(tmp_path.c_str(), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    EMBER_LOG_WARNING("Can't open the AOF manifest file {}: {}", tmp_name, strerror(errno));
    return false;
  }
  bool ok = true;
  if (!WriteFully(fd, text)) {
    EMBER_LOG_WARNING("Error trying to write the temporary AOF manifest file {}: {}", tmp_name,
                      strerror(errno));
    ok = false;
  } else if (fsync(fd) != 0) {
    EMBER_LOG_WARNING("Fail to fsync the temp AOF file {}: {}.", tmp_name, strerror(errno));
    ok = false;
  }
  close(fd);
  if (!ok) return false;
  if (rename(tmp_path.c_str(), path.c_str()) != 0) {
    EMBER_LOG_WARNING("Error trying to rename the temporary AOF manifest file {} into {}: {}",
                      tmp_name, name, strerror(errno));
    return false;
  }
  // The directory too: new files and the rename must survive a crash.
  int dfd = open(dir.c_str(), O_RDONLY | O_CLOEXEC);
  if (dfd < 0 || fsync(dfd) != 0) {
    EMBER_LOG_WARNING("Fail to fsync AOF directory {}: {}.", path, strerror(errno));
    if (dfd >= 0) close(dfd);
    return false;
  }
  close(dfd);
  return true;
}

}  // namespace ember
