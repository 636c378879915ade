#include "common/strings.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

namespace ember {

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

std::optional<int64_t> ParseInt64(std::string_view s) {
  int64_t v;
  if (!ParseInt64(s, &v)) return std::nullopt;
  return v;
}

bool ParseUint64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  if (s[0] < '1' || s[0] > '9') return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

template <typename T, typename F>
static bool ParseFloating(std::string_view s, T* out, F convert) {
  if (s.empty() || s.size() > 5000) return false;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  T v = convert(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || errno == ERANGE || std::isnan(v)) return false;
  *out = v;
  return true;
}

bool ParseLongDouble(std::string_view s, long double* out) {
  return ParseFloating(s, out, [](const char* p, char** e) { return std::strtold(p, e); });
}

bool ParseDouble(std::string_view s, double* out) {
  return ParseFloating(s, out, [](const char* p, char** e) { return std::strtod(p, e); });
}

size_t FormatInt64(int64_t v, char* buf) {
  // Two digits per division, from a table: lengths and counts in replies are formatted for
  // nearly every command.
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char tmp[20];
  char* end = tmp + sizeof(tmp);
  char* p = end;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  while (u >= 100) {
    const size_t pair = static_cast<size_t>(u % 100) * 2;
    u /= 100;
    *--p = kPairs[pair + 1];
    *--p = kPairs[pair];
  }
  if (u >= 10) {
    *--p = kPairs[u * 2 + 1];
    *--p = kPairs[u * 2];
  } else {
    *--p = static_cast<char>('0' + u);
  }
  size_t len = 0;
  if (v < 0) buf[len++] = '-';
  std::memcpy(buf + len, p, static_cast<size_t>(end - p));
  return len + static_cast<size_t>(end - p);
}

std::string Int64ToString(int64_t v) {
  char buf[21];
  return std::string(buf, FormatInt64(v, buf));
}

std::string LongDoubleToHumanString(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[5600];
  int len = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (len <= 0 || static_cast<size_t>(len) >= sizeof(buf)) return "0";
  std::string s(buf, static_cast<size_t>(len));
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string DoubleToString(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  char buf[128];
  int len = std::snprintf(buf, sizeof(buf), "%.17g", v);
  return std::string(buf, static_cast<size_t>(len));
}

static inline char Fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Iterative matcher with single-star backtracking; character classes handled inline.
static bool MatchClass(std::string_view pattern, size_t* pi, char c, bool nocase) {
  size_t i = *pi + 1;  // after '['
  bool negate = false;
  if (i < pattern.size() && pattern[i] == '^') {
    negate = true;
    ++i;
  }
  bool matched = false;
  while (i < pattern.size() && pattern[i] != ']') {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      ++i;
      if (Fold(pattern[i], nocase) == Fold(c, nocase)) matched = true;
      ++i;
    } else if (i + 2 < pattern.size() && pattern[i + 1] == '-') {
      char start = pattern[i], end = pattern[i + 2];
      if (start > end) std::swap(start, end);
      char cc = c;
      if (nocase) {
        start = Fold(start, true);
        end = Fold(end, true);
        cc = Fold(c, true);
      }
      if (cc >= start && cc <= end) matched = true;
      i += 3;
    } else {
      if (Fold(pattern[i], nocase) == Fold(c, nocase)) matched = true;
      ++i;
    }
  }
  // An unterminated class matches up to the end of the pattern, as in Redis.
  *pi = i < pattern.size() ? i + 1 : i;
  return negate ? !matched : matched;
}

// Iterative matcher: on a mismatch, resume after the most recent '*' with one more character
// consumed by it. Every other token matches exactly one character, so remembering only the last
// star is enough and the cost is O(pattern * string) even for patterns like "a*a*a*...b".
bool ParseScanCursor(std::string_view s, uint64_t* cursor) {
  std::string buf(s);
  if (!buf.empty() && std::isspace(static_cast<unsigned char>(buf[0]))) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(buf.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *cursor = v;
  return true;
}

bool GlobMatch(std::string_view p, std::string_view s, bool nocase) {
  size_t pi = 0, si = 0;
  size_t star_pi = std::string_view::npos, star_si = 0;
  while (si < s.size()) {
    if (pi < p.size()) {
      char pc = p[pi];
      if (pc == '*') {
        while (pi < p.size() && p[pi] == '*') ++pi;
        if (pi == p.size()) return true;
        star_pi = pi;
        star_si = si;
        continue;
      }
      bool matched;
      size_t next_pi = pi + 1;
      if (pc == '?') {
        matched = true;
      } else if (pc == '[') {
        next_pi = pi;
        matched = MatchClass(p, &next_pi, s[si], nocase);
      } else {
        if (pc == '\\' && pi + 1 < p.size()) {
          pc = p[pi + 1];
          next_pi = pi + 2;
        }
        matched = Fold(pc, nocase) == Fold(s[si], nocase);
      }
      if (matched) {
        pi = next_pi;
        ++si;
        continue;
      }
    }
    if (star_pi == std::string_view::npos) return false;
    pi = star_pi;
    si = ++star_si;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

void AppendQuotedRepr(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '"': out->append("\\\""); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\a': out->append("\\a"); break;
      case '\b': out->append("\\b"); break;
      default:
        if (std::isprint(c)) {
          out->push_back(static_cast<char>(c));
        } else {
          out->append("\\x");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        }
    }
  }
  out->push_back('"');
}

std::string QuotedRepr(std::string_view s) {
  std::string out;
  AppendQuotedRepr(&out, s);
  return out;
}

std::string_view TrimView(std::string_view s, std::string_view chars) {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(chars);
  return s.substr(b, e - b + 1);
}

// As sdssplitlen(text, sep): empty parts survive (a trailing separator yields a final empty
// one); empty text yields nothing.
std::vector<std::string_view> SdsSplit(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  if (text.empty()) return parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      break;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  FILE* fp = std::fopen(path.c_str(), "r");
  if (!fp) return false;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), fp)) > 0) out->append(buf, n);
  std::fclose(fp);
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  // ASCII only, as Redis's strcasecmp in the C locale, and branch-free per byte: every
  // command's name is compared once.
  if (a.size() != b.size()) return false;
  auto lower = [](char c) {
    auto u = static_cast<unsigned char>(c);
    return static_cast<unsigned char>(u + ((static_cast<unsigned>(u - 'A') < 26u) << 5));
  };
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = AsciiToLower(c);
  return r;
}

std::string ToUpper(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = AsciiToUpper(c);
  return r;
}

std::optional<int64_t> ParseMemory(std::string_view s) {
  static const struct {
    const char* suffix;
    int64_t mul;
  } kUnits[] = {{"kb", 1024},       {"mb", 1024LL * 1024},     {"gb", 1024LL * 1024 * 1024},
                {"k", 1000},        {"m", 1000LL * 1000},      {"g", 1000LL * 1000 * 1000},
                {"b", 1}};
  std::string lower = ToLower(s);
  int64_t mul = 1;
  std::string_view digits = lower;
  for (const auto& u : kUnits) {
    size_t n = std::strlen(u.suffix);
    if (lower.size() > n && lower.compare(lower.size() - n, n, u.suffix) == 0) {
      mul = u.mul;
      digits = std::string_view(lower).substr(0, lower.size() - n);
      break;
    }
  }
  int64_t v;
  if (!ParseInt64(digits, &v)) return std::nullopt;
  if (v != 0 && (v > INT64_MAX / mul || v < INT64_MIN / mul)) return std::nullopt;
  return v * mul;
}

std::string RandomHex(size_t n_chars) {
  static const char kHex[] = "0123456789abcdef";
  std::string out(n_chars, '0');
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  std::string bytes(n_chars, '\0');
  if (!urandom.read(bytes.data(), static_cast<std::streamsize>(n_chars))) {
    std::random_device rd;
    for (auto& b : bytes) b = static_cast<char>(rd());
  }
  for (size_t i = 0; i < n_chars; ++i) out[i] = kHex[static_cast<unsigned char>(bytes[i]) & 15];
  return out;
}

}  // namespace ember
