// Number <-> string conversions with Redis's exact rules, glob matching, and small string helpers.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember {

// A hash that lets unordered containers keyed by std::string be searched with a string_view
// (with std::equal_to<>), without building a std::string per lookup.
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Strict base-10 parse as Redis's string2ll: no spaces, no '+', no leading zeros, no overflow.
bool ParseInt64(std::string_view s, int64_t* out);
std::optional<int64_t> ParseInt64(std::string_view s);
// Unsigned variant used by BITFIELD u63 values and counts.
bool ParseUint64(std::string_view s, uint64_t* out);
// A SCAN/SSCAN/HSCAN/ZSCAN cursor as Redis's parseScanCursorOrReply: strtoul semantics (a sign is
// accepted and "-1" wraps around, an empty string is 0), but no leading space, no trailing
// garbage and no overflow.
bool ParseScanCursor(std::string_view s, uint64_t* cursor);

// strtold/strtod with Redis's checks: no leading space, whole string consumed, no NaN, no ERANGE.
bool ParseLongDouble(std::string_view s, long double* out);
bool ParseDouble(std::string_view s, double* out);

// Shortest base-10 form; the buffer must hold 21 bytes. Returns the length.
size_t FormatInt64(int64_t v, char* buf);
std::string Int64ToString(int64_t v);

// Long double as INCRBYFLOAT prints it: %.17Lf with trailing zeros (and a bare '.') trimmed.
std::string LongDoubleToHumanString(long double v);
// Double as Redis's RESP2 bulk/RESP3 double: %.17g, "inf", "-inf", "nan".
std::string DoubleToString(double v);

// Glob-style match with Redis's rules: * ? [abc] [^a] [a-z] and backslash escapes.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

// A double-quoted, escaped form as Redis's sdscatrepr (MONITOR lines, CONFIG REWRITE values):
// \\ \" \n \r \t \a \b, other non-printable bytes as \xHH.
void AppendQuotedRepr(std::string* out, std::string_view s);
std::string QuotedRepr(std::string_view s);

// `s` without the leading and trailing characters in `chars`.
std::string_view TrimView(std::string_view s, std::string_view chars);
// As Redis's sdssplitlen(text, sep): empty parts survive (a trailing separator yields a final
// empty one); empty text yields nothing.
std::vector<std::string_view> SdsSplit(std::string_view text, char sep);
// Appends the file's contents to *out; false if it cannot be opened.
bool ReadWholeFile(const std::string& path, std::string* out);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// ASCII only, as Redis (command names, keywords, SHA-1 hex): no locale lookup per byte.
inline char AsciiToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
inline char AsciiToUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }
std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);

// The value `choices` pairs with `word`, compared without regard to case, or nullopt: an
// option keyword's meaning, as {{"and", kAnd}, {"or", kOr}}.
template <typename T>
std::optional<T> MatchKeyword(std::string_view word,
                              std::initializer_list<std::pair<std::string_view, T>> choices) {
  for (const auto& [name, value] : choices) {
    if (EqualsIgnoreCase(word, name)) return value;
  }
  return std::nullopt;
}

// Memory amounts as in redis.conf: "1gb" = 1024^3, "1g" = 10^9, plain bytes otherwise.
std::optional<int64_t> ParseMemory(std::string_view s);

// `n` random bytes hex-encoded (used for run_id and replication IDs), from /dev/urandom.
std::string RandomHex(size_t n_chars);

}  // namespace ember
