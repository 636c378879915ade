#include "protocol/request_parser.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>

#include "common/strings.h"

namespace ember {

void RequestParser::Reset() {
  pos_ = 0;
  multibulk_left_ = 0;
  bulk_len_ = -1;
  arg_spans_.clear();
  pending_bulk_bytes_ = 0;
}

RequestParser::Status RequestParser::Fail(std::string msg) {
  error_ = std::move(msg);
  Reset();
  return Status::kProtocolError;
}

RequestParser::Status RequestParser::Parse(std::string_view buf, size_t* consumed) {
  *consumed = 0;
  if (buf.empty()) return Status::kNeedMore;
  if (pos_ == 0 && buf[0] != '*') return ParseInline(buf, consumed);
  return ParseMultibulk(buf, consumed);
}

RequestParser::Status RequestParser::ParseInline(std::string_view buf, size_t* consumed) {
  size_t nl = buf.find('\n');
  if (nl == std::string_view::npos) {
    if (buf.size() > kInlineMaxSize) return Fail("ERR Protocol error: too big inline request");
    return Status::kNeedMore;
  }
  size_t line_end = nl;
  if (line_end > 0 && buf[line_end - 1] == '\r') --line_end;
  inline_args_.clear();
  if (!SplitArgs(buf.substr(0, line_end), &inline_args_)) {
    return Fail("ERR Protocol error: unbalanced quotes in request");
  }
  *consumed = nl + 1;
  last_was_inline_ = true;
  if (inline_args_.empty()) return Status::kEmpty;
  args_.assign(inline_args_.begin(), inline_args_.end());
  return Status::kRequest;
}

// The common case of a length line: "$" then a canonical non-negative number (no sign, no
// leading zero) then "\r\n", all in the buffer. Anything else takes the general path, which
// gives Redis's exact errors.
static bool FastBulkLength(std::string_view s, int64_t* len, size_t* line_len) {
  if (s.size() < 4 || s[0] != '$') return false;
  size_t i = 1;
  int64_t v = 0;
  if (s[1] == '0') {
    i = 2;
  } else {
    // At most 18 digits: no overflow possible.
    while (i < s.size() && i <= 18 && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + (s[i] - '0');
      ++i;
    }
    if (i == 1) return false;
  }
  if (i + 1 >= s.size() || s[i] != '\r' || s[i + 1] != '\n') return false;
  *len = v;
  *line_len = i + 2;
  return true;
}

// The general length-line parser, with Redis's errors. Returns kRequest when a length was read.
RequestParser::Status RequestParser::ParseBulkLengthLine(std::string_view rest, int64_t* len,
                                                         size_t* line_len) {
  const void* cr = memchr(rest.data(), '\r', rest.size());
  if (!cr) {
    if (rest.size() > kInlineMaxSize) return Fail("ERR Protocol error: too big bulk count string");
    return Status::kNeedMore;
  }
  size_t cr_pos = static_cast<const char*>(cr) - rest.data();
  if (cr_pos + 1 >= rest.size()) return Status::kNeedMore;
  if (rest[0] != '$') {
    return Fail(std::string("ERR Protocol error: expected '$', got '") + rest[0] + "'");
  }
  if (!ParseInt64(rest.substr(1, cr_pos - 1), len) || *len < 0) {
    return Fail("ERR Protocol error: invalid bulk length");
  }
  *line_len = cr_pos + 2;
  return Status::kRequest;
}

// Reads "<digits>\r\n" at p: a canonical number (no sign, no leading zero) of at most 18 digits,
// so it cannot overflow. Returns the position after the line, or nullptr.
static inline const char* ReadNumberLine(const char* p, const char* end, int64_t* out) {
  const char* const start = p;
  const char* const limit = end - p > 18 ? p + 18 : end;
  int64_t v = 0;
  while (p < limit && static_cast<unsigned>(*p - '0') < 10) v = v * 10 + (*p++ - '0');
  if (p == start || (*start == '0' && p - start > 1)) return nullptr;
  if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return nullptr;
  *out = v;
  return p + 2;
}

bool RequestParser::ParseWhole(std::string_view buf, size_t* consumed) {
  const char* const end = buf.data() + buf.size();
  int64_t n;
  const char* p = ReadNumberLine(buf.data() + 1, end, &n);  // after the '*'
  if (!p || n < 1 || n > 99 || (n > kUnauthenticatedMaxArgs && unauthenticated_)) return false;
  args_.resize(static_cast<size_t>(n));
  std::string_view* arg = args_.data();
  const int64_t max_len =
      unauthenticated_ ? std::min(kUnauthenticatedMaxBulk, max_bulk_len_) : max_bulk_len_;
  for (int64_t k = 0; k < n; ++k) {
    int64_t len;
    if (p == end || *p != '$' || !(p = ReadNumberLine(p + 1, end, &len)) || len > max_len ||
        end - p < len + 2) {
      return false;
    }
    *arg++ = std::string_view(p, static_cast<size_t>(len));
    p += len + 2;  // the CRLF is skipped unchecked, as below
  }
  *consumed = static_cast<size_t>(p - buf.data());
  return true;
}

RequestParser::Status RequestParser::ParseMultibulk(std::string_view buf, size_t* consumed) {
  last_was_inline_ = false;
  if (multibulk_left_ == 0 && ParseWhole(buf, consumed)) return Status::kRequest;
  if (multibulk_left_ == 0) {
    // Count line "*<n>\r\n".
    const void* cr = memchr(buf.data(), '\r', buf.size());
    if (!cr) {
      if (buf.size() > kInlineMaxSize) return Fail("ERR Protocol error: too big mbulk count string");
      return Status::kNeedMore;
    }
    size_t cr_pos = static_cast<const char*>(cr) - buf.data();
    if (cr_pos + 1 >= buf.size()) return Status::kNeedMore;  // wait for the '\n'
    int64_t n;
    if (!ParseInt64(buf.substr(1, cr_pos - 1), &n) || n > INT_MAX) {
      return Fail("ERR Protocol error: invalid multibulk length");
    }
    if (n > kUnauthenticatedMaxArgs && unauthenticated_) {
      return Fail("ERR Protocol error: unauthenticated multibulk length");
    }
    pos_ = cr_pos + 2;
    if (n <= 0) {
      *consumed = pos_;
      Reset();
      return Status::kEmpty;
    }
    multibulk_left_ = n;
    arg_spans_.clear();
    arg_spans_.reserve(static_cast<size_t>(std::min<int64_t>(n, 1024)));
  }

  while (multibulk_left_ > 0) {
    if (bulk_len_ < 0) {
      // Length line "$<len>\r\n".
      std::string_view rest = buf.substr(pos_);
      int64_t len;
      size_t line_len;
      if (!FastBulkLength(rest, &len, &line_len)) {
        Status st = ParseBulkLengthLine(rest, &len, &line_len);
        if (st != Status::kRequest) return st;
      }
      if (len > max_bulk_len_) return Fail("ERR Protocol error: invalid bulk length");
      if (len > kUnauthenticatedMaxBulk && unauthenticated_) {
        return Fail("ERR Protocol error: unauthenticated bulk length");
      }
      pos_ += line_len;
      bulk_len_ = len;
    }
    size_t need = pos_ + static_cast<size_t>(bulk_len_) + 2;
    if (buf.size() < need) {
      pending_bulk_bytes_ = need - buf.size();
      return Status::kNeedMore;
    }
    pending_bulk_bytes_ = 0;
    // Redis does not check the CRLF after a bulk; it skips two bytes. So do we.
    arg_spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ = need;
    bulk_len_ = -1;
    --multibulk_left_;
  }

  args_.clear();
  args_.reserve(arg_spans_.size());
  for (auto [off, len] : arg_spans_) args_.emplace_back(buf.data() + off, len);
  *consumed = pos_;
  Reset();
  return Status::kRequest;
}

static int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool SplitArgs(std::string_view line, std::vector<std::string>* out) {
  // Redis splits a C string: a NUL byte ends the line.
  line = line.substr(0, line.find('\0'));
  size_t i = 0, n = line.size();
  while (true) {
    while (i < n && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= n) return true;
    std::string cur;
    bool in_dq = false, in_sq = false;
    while (true) {
      if (in_dq) {
        if (i >= n) return false;  // unterminated quotes
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && HexDigit(line[i + 2]) >= 0 &&
            HexDigit(line[i + 3]) >= 0) {
          cur.push_back(static_cast<char>(HexDigit(line[i + 2]) * 16 + HexDigit(line[i + 3])));
          i += 4;
          continue;
        }
        if (line[i] == '\\' && i + 1 < n) {
          char c = line[++i];
          switch (c) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'b': c = '\b'; break;
            case 'a': c = '\a'; break;
            default: break;
          }
          cur.push_back(c);
        } else if (line[i] == '"') {
          // A closing quote must be followed by a space or nothing at all.
          if (i + 1 < n && !std::isspace(static_cast<unsigned char>(line[i + 1]))) return false;
          in_dq = false;
          ++i;
          break;
        } else {
          cur.push_back(line[i]);
        }
        ++i;
      } else if (in_sq) {
        if (i >= n) return false;
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          cur.push_back('\'');
          i += 2;
          continue;
        }
        if (line[i] == '\'') {
          if (i + 1 < n && !std::isspace(static_cast<unsigned char>(line[i + 1]))) return false;
          in_sq = false;
          ++i;
          break;
        }
        cur.push_back(line[i]);
        ++i;
      } else {
        if (i >= n) break;
        char c = line[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') break;
        if (c == '"') {
          in_dq = true;
        } else if (c == '\'') {
          in_sq = true;
        } else {
          cur.push_back(c);
        }
        ++i;
      }
    }
    out->push_back(std::move(cur));
  }
}

}  // namespace ember
