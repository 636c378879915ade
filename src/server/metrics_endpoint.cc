// The Prometheus endpoint: INFO turned into the text exposition format, and a minimal HTTP/1.1
// listener on the event loop that serves it. See metrics_endpoint.h.
#include "server/metrics_endpoint.h"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>
#include <unordered_map>
#include <unordered_set>

#include "commands/command.h"
#include "common/clock.h"
#include "common/log.h"
#include "server/info.h"
#include "server/listener.h"
#include "server/server.h"

namespace ember {

namespace {

constexpr size_t kMaxRequestBytes = 8 * 1024;      // request line + headers
constexpr int64_t kRequestDeadlineMs = 10 * 1000;  // from accept to the last byte sent
constexpr size_t kMaxOpenRequests = 64;            // more are closed at once
constexpr size_t kMaxDrainBytes = 64 * 1024;       // read and dropped after the response
constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";

// --- Names, labels and values -------------------------------------------------------------------

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// A metric name matches [a-zA-Z_:][a-zA-Z0-9_:]*, a label name [a-zA-Z_][a-zA-Z0-9_]*; other
// characters become '_'.
std::string SanitizeName(std::string_view s, bool colon_ok) {
  std::string out;
  out.reserve(s.size() + 1);
  if (s.empty() || IsAsciiDigit(s[0])) out.push_back('_');
  for (char c : s) {
    bool ok = IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '_' || (colon_ok && c == ':');
    out.push_back(ok ? c : '_');
  }
  return out;
}

struct Label {
  std::string_view name;
  std::string_view value;
};

// The length of the valid UTF-8 sequence at the start of `s`, or 0 (Prometheus refuses a scrape
// with invalid UTF-8 in a label value).
size_t Utf8SequenceLength(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(0);
  size_t len = lead < 0x80           ? 1
               : (lead >> 5) == 0x6  ? 2
               : (lead >> 4) == 0xe  ? 3
               : (lead >> 3) == 0x1e ? 4
                                     : 0;
  if (len == 0 || len > s.size()) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((byte(i) >> 6) != 0x2) return 0;
  }
  // Overlong forms, surrogates and code points past U+10FFFF.
  if ((len == 2 && lead < 0xc2) || (len == 3 && lead == 0xe0 && byte(1) < 0xa0) ||
      (len == 3 && lead == 0xed && byte(1) >= 0xa0) ||
      (len == 4 && lead == 0xf0 && byte(1) < 0x90) || (len == 4 && lead > 0xf4) ||
      (len == 4 && lead == 0xf4 && byte(1) >= 0x90)) {
    return 0;
  }
  return len;
}

// {a="x",b="y"}, with \, " and newlines escaped in the values and invalid UTF-8 replaced by
// U+FFFD; empty for no labels.
std::string FormatLabels(std::initializer_list<Label> labels) {
  if (labels.size() == 0) return {};
  std::string out = "{";
  for (const Label& l : labels) {
    if (out.size() > 1) out.push_back(',');
    out.append(l.name);
    out.append("=\"");
    std::string_view v = l.value;
    while (!v.empty()) {
      char c = v[0];
      if (c == '\\') {
        out.append("\\\\");
      } else if (c == '"') {
        out.append("\\\"");
      } else if (c == '\n') {
        out.append("\\n");
      } else if (size_t len = Utf8SequenceLength(v); len > 0) {
        out.append(v.substr(0, len));
        v.remove_prefix(len);
        continue;
      } else {
        out.append("\xEF\xBF\xBD");
      }
      v.remove_prefix(1);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// An INFO number: an optional '-', digits, and an optional fraction. Nothing else (hex IDs such as
// "00000000", addresses, "inf") is taken for one.
bool IsInfoNumber(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  size_t digits = 0;
  while (i < s.size() && IsAsciiDigit(s[i])) ++i, ++digits;
  if (digits == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t frac = 0;
    while (i < s.size() && IsAsciiDigit(s[i])) ++i, ++frac;
    if (frac == 0) return false;
  }
  return i == s.size();
}

// INFO number `s` divided by 10^`shift`, by moving the decimal point: exact, where going through
// a double turns 99.96% into 0.9995999999999999 and loses microseconds from a Unix time.
std::string ShiftDecimal(std::string_view s, int shift) {
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  size_t dot = s.find('.');
  std::string digits(s.substr(0, dot));
  int int_len = static_cast<int>(digits.size()) - shift;
  if (dot != std::string_view::npos) digits.append(s.substr(dot + 1));
  if (int_len <= 0) {
    digits.insert(0, static_cast<size_t>(1 - int_len), '0');
    int_len = 1;
  }
  std::string int_part = digits.substr(0, static_cast<size_t>(int_len));
  std::string frac = digits.substr(static_cast<size_t>(int_len));
  size_t first = int_part.find_first_not_of('0');
  int_part = first == std::string::npos ? "0" : int_part.substr(first);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  std::string out = int_part;
  if (!frac.empty()) out += "." + frac;
  return negative && out != "0" ? "-" + out : out;
}

// The sample value for INFO number `s` in the metric's unit: times `mul` (through a double) and
// divided by 10^`shift` (exactly); unchanged numbers are copied as written.
std::string FormatValue(std::string_view s, double mul = 1, int shift = 0) {
  if (mul != 1) {
    double v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return fmt::format("{}", v * mul);
  }
  return ShiftDecimal(s, shift);
}

// --- The exposition ----------------------------------------------------------------------------

// Families in order of first appearance, each written as one block (HELP, TYPE, its samples), as
// the text format requires.
class Exposition {
 public:
  // Adds a sample of `family`, created with `type` and `help` on first use; `suffix` extends the
  // family's name for the sample (_bucket, _sum, _count). A sample whose series exists already, or
  // whose family exists with another type, is dropped: Prometheus rejects a scrape with
  // duplicate series as a whole.
  void Add(std::string_view family, std::string_view type, std::string_view help,
           std::string_view suffix, std::string_view labels, std::string_view value) {
    std::string series = fmt::format("{}{}{}", family, suffix, labels);
    if (!series_.insert(series).second) return;
    auto [it, inserted] = index_.try_emplace(std::string(family), families_.size());
    if (inserted)
      families_.push_back({std::string(family), std::string(type), std::string(help), {}});
    Family& f = families_[it->second];
    if (f.type != type) return;
    f.samples.append(series);
    f.samples.push_back(' ');
    f.samples.append(value);
    f.samples.push_back('\n');
  }

  std::string Text() const {
    std::string out;
    for (const Family& f : families_) {
      out.append("# HELP ");
      out.append(f.name);
      out.push_back(' ');
      for (char c : f.help) {
        if (c == '\\') {
          out.append("\\\\");
        } else if (c == '\n') {
          out.append("\\n");
        } else {
          out.push_back(c);
        }
      }
      fmt::format_to(std::back_inserter(out), "\n# TYPE {} {}\n", f.name, f.type);
      out.append(f.samples);
    }
    return out;
  }

 private:
  struct Family {
    std::string name;
    std::string type;
    std::string help;
    std::string samples;
  };
  std::vector<Family> families_;
  std::unordered_map<std::string, size_t> index_;
  std::unordered_set<std::string> series_;
};

// --- INFO fields -> metrics ----------------------------------------------------------------------

// Fields whose text is an ID that may look like a number ("00000000").
bool IsStringField(std::string_view field) {
  return field == "redis_git_sha1" || field == "redis_build_id" || field == "run_id" ||
         field == "master_replid" || field == "master_replid2";
}

// Duplicates of other fields.
bool IsSkippedField(std::string_view field) {
  return EndsWith(field, "_human") || field == "uptime_in_days";
}

bool IsCounter(std::string_view section, std::string_view field) {
  if (section == "cpu") return true;
  if (section == "stats") {
    // Everything in stats counts events, except these.
    return !(StartsWith(field, "instantaneous_") || StartsWith(field, "current_") ||
             StartsWith(field, "pubsub") || StartsWith(field, "tracking_") ||
             EndsWith(field, "_perc") || field == "latest_fork_usec" ||
             field == "migrate_cached_sockets" || field == "slave_expires_tracked_keys");
  }
  return field == "rdb_saves" || field == "aof_rewrites" || field == "aof_delayed_fsync" ||
         field == "lazyfreed_objects";
}

bool IsBytes(std::string_view section, std::string_view field) {
  if (section == "memory") {
    return !(StartsWith(field, "number_of_") || EndsWith(field, "_ratio") ||
             EndsWith(field, "_perc") || field == "active_defrag_running" ||
             field == "lazyfree_pending_objects" || field == "lazyfreed_objects");
  }
  static constexpr std::string_view kBytes[] = {
      "client_recent_max_input_buffer",
      "client_recent_max_output_buffer",
      "current_cow_peak",
      "current_cow_size",
      "rdb_last_cow_size",
      "aof_last_cow_size",
      "module_fork_last_cow_size",
      "aof_current_size",
      "aof_base_size",
      "aof_buffer_length",
      "loading_rdb_used_mem",
      "repl_backlog_size",
      "repl_backlog_histlen",
  };
  return std::find(std::begin(kBytes), std::end(kBytes), field) != std::end(kBytes);
}

// Fields in milliseconds without a unit in their name.
bool IsMilliseconds(std::string_view field) {
  return field == "total_eviction_exceeded_time" || field == "current_eviction_exceeded_time" ||
         field == "total_active_defrag_time" || field == "current_active_defrag_time";
}

void ReplaceSuffix(std::string* s, std::string_view from, std::string_view to) {
  s->resize(s->size() - from.size());
  s->append(to);
}

struct NumericName {
  std::string name;  // without "ember_"
  bool counter;
  double mul = 1;  // INFO's unit -> the metric's: times mul, divided by 10^shift
  int shift = 0;
};

// Prometheus's conventions: base units (seconds, bytes, ratios) named as a suffix, and counters
// ending in _total (total_commands_processed -> commands_processed_total).
NumericName NameNumeric(std::string_view section, std::string_view field, bool percent_sign) {
  NumericName n{std::string(field), IsCounter(section, field)};
  std::string& name = n.name;
  if (n.counter) {
    if (StartsWith(name, "total_")) name.erase(0, 6);
    if (EndsWith(name, "_count")) ReplaceSuffix(&name, "_count", "");
  }
  if (EndsWith(name, "_perc")) {
    ReplaceSuffix(&name, "_perc", "_ratio");
    n.shift = 2;
  } else if (percent_sign) {
    name.append("_ratio");
    n.shift = 2;
  } else if (EndsWith(name, "_usec")) {
    ReplaceSuffix(&name, "_usec", "_seconds");
    n.shift = 6;
  } else if (EndsWith(name, "_milliseconds")) {
    ReplaceSuffix(&name, "_milliseconds", "_seconds");
    n.shift = 3;
  } else if (EndsWith(name, "_per_sec")) {
    ReplaceSuffix(&name, "_per_sec", "_per_second");
  } else if (EndsWith(name, "_sec")) {
    ReplaceSuffix(&name, "_sec", "_seconds");
  } else if (EndsWith(name, "_kbps")) {
    ReplaceSuffix(&name, "_kbps", "_bytes_per_second");
    n.mul = 1024;
  } else if (IsMilliseconds(field)) {
    name.append("_seconds");
    n.shift = 3;
  } else if (field == "rdb_last_save_time" || field == "loading_start_time") {
    ReplaceSuffix(&name, "_time", "_timestamp_seconds");
  } else if (field == "current_cow_size_age" || section == "cpu") {
    name.append("_seconds");
  } else if (IsBytes(section, field) && !EndsWith(name, "_bytes")) {
    name.append("_bytes");
  }
  if (n.counter && !EndsWith(name, "_total")) name.append("_total");
  return n;
}

// "a=1,b=2" -> {a,1}, {b,2}.
std::vector<std::pair<std::string_view, std::string_view>> SplitPairs(std::string_view s) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos) out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// "name" followed by decimal digits only.
bool IsNumbered(std::string_view field, std::string_view name) {
  if (!StartsWith(field, name) || field.size() == name.size()) return false;
  return std::all_of(field.begin() + static_cast<std::ptrdiff_t>(name.size()), field.end(),
                     IsAsciiDigit);
}

class InfoConverter {
 public:
  explicit InfoConverter(Exposition& out) : out_(out) {}

  void Field(std::string_view section, std::string_view field, std::string_view value) {
    if (section == "commandstats" && StartsWith(field, "cmdstat_")) {
      return CommandStats(field.substr(8), value);
    }
    if (section == "errorstats" && StartsWith(field, "errorstat_")) {
      for (auto [k, v] : SplitPairs(value)) {
        if (k == "count" && IsInfoNumber(v)) {
          out_.Add("ember_errors_total", "counter", "INFO errorstats: error replies, by prefix", "",
                   FormatLabels({{"error", field.substr(10)}}), v);
        }
      }
      return;
    }
    if (section == "keyspace" && IsNumbered(field, "db")) return Keyspace(field.substr(2), value);
    if (section == "replication" && IsNumbered(field, "slave")) return Replica(value);
    if (section == "stats" && StartsWith(field, "sync_full_reason_") && IsInfoNumber(value)) {
      out_.Add("ember_sync_full_reason_total", "counter",
               "INFO stats: sync_full_reason_<reason>, full syncs by reason", "",
               FormatLabels({{"reason", field.substr(17)}}), value);
      return;
    }
    if (IsSkippedField(field) || value.empty()) return;

    bool percent_sign = !value.empty() && value.back() == '%';
    std::string_view number = percent_sign ? value.substr(0, value.size() - 1) : value;
    if (!IsStringField(field) && IsInfoNumber(number)) {
      NumericName n = NameNumeric(section, field, percent_sign);
      out_.Add("ember_" + SanitizeName(n.name, true), n.counter ? "counter" : "gauge",
               fmt::format("INFO {}: {}", section, field), "", "",
               FormatValue(number, n.mul, n.shift));
      return;
    }
    // Structured lines not known above (e.g. latencystats) are left out.
    if (value.find('=') != std::string_view::npos) return;
    // A string: an info-style gauge whose label carries the text.
    std::string label = SanitizeName(field, false);
    out_.Add(fmt::format("ember_{}_{}", SanitizeName(section, false), label), "gauge",
             fmt::format("INFO {}: {} (the value is the label)", section, field), "",
             FormatLabels({{label, value}}), "1");
  }

 private:
  void CommandStats(std::string_view cmd, std::string_view value) {
    // usec is left out: the histogram's _sum (RenderMetrics) is the same figure.
    static constexpr std::pair<std::string_view, std::string_view> kCounters[] = {
        {"calls", "ember_command_calls_total"},
        {"rejected_calls", "ember_command_rejected_calls_total"},
        {"failed_calls", "ember_command_failed_calls_total"},
    };
    std::string labels = FormatLabels({{"cmd", cmd}});
    for (auto [k, v] : SplitPairs(value)) {
      for (auto [key, name] : kCounters) {
        if (k == key && IsInfoNumber(v)) {
          out_.Add(name, "counter", fmt::format("INFO commandstats: {}, by command", key), "",
                   labels, v);
        }
      }
    }
  }

  void Keyspace(std::string_view db, std::string_view value) {
    std::string labels = FormatLabels({{"db", db}});
    for (auto [k, v] : SplitPairs(value)) {
      if (!IsInfoNumber(v)) continue;
      if (k == "keys") {
        out_.Add("ember_db_keys", "gauge", "INFO keyspace: keys, by database", "", labels, v);
      } else if (k == "expires") {
        out_.Add("ember_db_keys_expiring", "gauge", "INFO keyspace: expires, by database", "",
                 labels, v);
      } else if (k == "avg_ttl") {
        out_.Add("ember_db_avg_ttl_seconds", "gauge", "INFO keyspace: avg_ttl, by database", "",
                 labels, FormatValue(v, 1, 3));
      }
    }
  }

  void Replica(std::string_view value) {
    auto pairs = SplitPairs(value);
    std::string_view ip, port, state;
    for (auto [k, v] : pairs) {
      if (k == "ip") ip = v;
      if (k == "port") port = v;
      if (k == "state") state = v;
    }
    std::string labels = FormatLabels({{"ip", ip}, {"port", port}, {"state", state}});
    for (auto [k, v] : pairs) {
      if (k == "ip" || k == "port" || k == "state" || !IsInfoNumber(v)) continue;
      std::string name =
          k == "lag" ? "ember_replica_lag_seconds" : "ember_replica_" + SanitizeName(k, true);
      out_.Add(name, "gauge", fmt::format("INFO replication: {} of each replica (slaveN)", k), "",
               labels, v);
    }
  }

  Exposition& out_;
};

constexpr std::string_view kLe[] = {"0.000001", "0.000002", "0.000005", "0.00001", "0.000025",
                                    "0.00005",  "0.0001",   "0.00025",  "0.0005",  "0.001",
                                    "0.0025",   "0.005",    "0.01",     "0.025",   "0.1",
                                    "1",        "+Inf"};
static_assert(std::size(kLe) == LatencyHistogram::kBuckets);

void AddHistogram(Exposition& out, const CommandSpec& spec) {
  const LatencyHistogram& h = spec.latency;
  uint64_t count = h.count();
  if (count == 0) return;
  constexpr std::string_view kName = "ember_command_duration_seconds";
  constexpr std::string_view kHelp =
      "Command execution time (the handler, as INFO commandstats usec), by command";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
    cumulative += h.counts[i];
    out.Add(kName, "histogram", kHelp, "_bucket",
            FormatLabels({{"cmd", spec.name}, {"le", kLe[i]}}), std::to_string(cumulative));
  }
  std::string labels = FormatLabels({{"cmd", spec.name}});
  out.Add(kName, "histogram", kHelp, "_sum", labels, ShiftDecimal(std::to_string(h.sum_us), 6));
  out.Add(kName, "histogram", kHelp, "_count", labels, std::to_string(count));
}

}  // namespace

std::string RenderMetrics(std::string_view info, const CommandTable& commands) {
  Exposition out;
  InfoConverter converter(out);
  std::string section;
  while (!info.empty()) {
    size_t nl = info.find('\n');
    std::string_view line = info.substr(0, nl);
    info.remove_prefix(nl == std::string_view::npos ? info.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line[0] == '#') {
      section.clear();
      for (char c : line.substr(1)) {
        if (c != ' ') section.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
      }
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    converter.Field(section, line.substr(0, colon), line.substr(colon + 1));
  }
  commands.ForEach([&](const CommandSpec& spec) {
    AddHistogram(out, spec);
    for (const auto& sub : spec.subcommands) AddHistogram(out, *sub);
  });
  return out.Text();
}

// --- HTTP ------------------------------------------------------------------------------------

namespace {

bool IsTokenChar(char c) {
  return IsAsciiAlpha(c) || IsAsciiDigit(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Control characters other than horizontal tab (a line's CR is removed before).
bool HasControlChar(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

bool ParseRequestLine(std::string_view line, HttpRequestHead* head) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return false;
  }
  head->method = line.substr(0, sp1);
  head->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  head->version = line.substr(sp2 + 1);
  if (head->method.empty() || !std::all_of(head->method.begin(), head->method.end(), IsTokenChar)) {
    return false;
  }
  if (head->target.empty() || HasControlChar(head->target) ||
      std::any_of(head->target.begin(), head->target.end(),
                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    return false;
  }
  return head->version == "HTTP/1.1" || head->version == "HTTP/1.0";
}

bool IsHeaderLine(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;  // also obsolete folding
  std::string_view name = line.substr(0, colon);
  return std::all_of(name.begin(), name.end(), IsTokenChar) && !HasControlChar(line);
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Error";
  }
}

}  // namespace

HttpParseResult ParseHttpRequestHead(std::string_view buf, HttpRequestHead* head) {
  // Empty lines before the request line are ignored (RFC 9112, 2.2).
  size_t pos = 0;
  while (pos < buf.size() && (buf[pos] == '\r' || buf[pos] == '\n')) ++pos;
  bool first = true;
  while (true) {
    size_t nl = buf.find('\n', pos);
    if (nl == std::string_view::npos) {
      // Refuse garbage without waiting for the rest: no control characters, and the method so
      // far made of token characters.
      std::string_view partial = buf.substr(pos);
      if (!partial.empty() && partial.back() == '\r') partial.remove_suffix(1);
      if (HasControlChar(partial)) return HttpParseResult::kBad;
      if (first) {
        std::string_view method = partial.substr(0, partial.find(' '));
        if (!std::all_of(method.begin(), method.end(), IsTokenChar)) return HttpParseResult::kBad;
      }
      return HttpParseResult::kIncomplete;
    }
    std::string_view line = buf.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    if (first) {
      if (!ParseRequestLine(line, head)) return HttpParseResult::kBad;
      first = false;
    } else if (line.empty()) {
      return HttpParseResult::kOk;
    } else if (!IsHeaderLine(line)) {
      return HttpParseResult::kBad;
    }
  }
}

int RouteMetricsRequest(const HttpRequestHead& head) {
  std::string_view path = head.target.substr(0, head.target.find('?'));
  if (path != "/metrics") return 404;
  return head.method == "GET" || head.method == "HEAD" ? 200 : 405;
}

std::string HttpResponse(int status, std::string_view content_type, std::string_view body,
                         bool head_only) {
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n",
      status, ReasonPhrase(status), content_type, body.size(),
      status == 405 ? "Allow: GET, HEAD\r\n" : "");
  if (!head_only) out.append(body);
  return out;
}

// --- The listener ------------------------------------------------------------------------------

class MetricsEndpoint::Acceptor : public IoHandler {
 public:
  Acceptor(MetricsEndpoint* owner, int fd) : owner_(owner), fd_(fd) {}
  ~Acceptor() override { CloseFd(); }
  void OnIoEvent(uint32_t /*events*/) override {
    if (fd_ >= 0) owner_->Accept(fd_);
  }
  int fd() const { return fd_; }
  void CloseFd() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  MetricsEndpoint* owner_;
  int fd_;
};

// One HTTP exchange: read the request head, write the response, then read until the client
// closes, so that unread request bytes cannot turn our close into a reset that destroys the
// response in flight.
class MetricsEndpoint::Request : public IoHandler {
 public:
  Request(MetricsEndpoint* owner, int fd, bool forbidden)
      : owner_(owner),
        fd_(fd),
        forbidden_(forbidden),
        deadline_ms_(MonotonicMs() + kRequestDeadlineMs) {}
  ~Request() override { CloseFd(); }

  void OnIoEvent(uint32_t /*events*/) override {
    if (fd_ < 0) return;
    switch (state_) {
      case State::kReading:
        return Read();
      case State::kWriting:
        return Write();
      case State::kDraining:
        return Drain();
    }
  }

  int fd() const { return fd_; }
  int64_t deadline_ms() const { return deadline_ms_; }
  void CloseFd() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  enum class State { kReading, kWriting, kDraining };

  void Read() {
    char buf[kMaxRequestBytes];
    ssize_t n;
    do {
      n = read(fd_, buf, kMaxRequestBytes - in_.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) return owner_->Finish(this);
    in_.append(buf, static_cast<size_t>(n));
    HttpRequestHead head;
    switch (ParseHttpRequestHead(in_, &head)) {
      case HttpParseResult::kOk:
        return Respond(owner_->Answer(head, forbidden_));
      case HttpParseResult::kBad:
        return Respond(HttpResponse(400, kTextContentType, "Bad Request\n", false));
      case HttpParseResult::kIncomplete:
        if (in_.size() >= kMaxRequestBytes) {
          Respond(HttpResponse(431, kTextContentType, "Request Header Fields Too Large\n", false));
        }
        return;
    }
  }

  void Respond(std::string response) {
    in_.clear();
    in_.shrink_to_fit();
    out_ = std::move(response);
    state_ = State::kWriting;
    Write();
  }

  void Write() {
    while (out_pos_ < out_.size()) {
      ssize_t n = send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!waiting_writable_) {
          owner_->server_.loop().Modify(fd_, EPOLLOUT, this);
          waiting_writable_ = true;
        }
        return;
      }
      if (n < 0) return owner_->Finish(this);
      out_pos_ += static_cast<size_t>(n);
    }
    out_.clear();
    out_.shrink_to_fit();
    shutdown(fd_, SHUT_WR);
    state_ = State::kDraining;
    if (waiting_writable_) owner_->server_.loop().Modify(fd_, EPOLLIN, this);
  }

  void Drain() {
    char buf[4096];
    ssize_t n;
    do {
      n = read(fd_, buf, sizeof(buf));
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) return owner_->Finish(this);
    drained_ += static_cast<size_t>(n);
    if (drained_ > kMaxDrainBytes) owner_->Finish(this);
  }

  MetricsEndpoint* owner_;
  int fd_;
  bool forbidden_;
  int64_t deadline_ms_;
  State state_ = State::kReading;
  std::string in_;
  std::string out_;
  size_t out_pos_ = 0;
  size_t drained_ = 0;
  bool waiting_writable_ = false;
};

MetricsEndpoint::MetricsEndpoint(Server& server) : server_(server) {}

MetricsEndpoint::~MetricsEndpoint() {
  // Not inside the event loop: nothing can still name these handlers.
  for (auto& a : acceptors_) server_.loop().Remove(a->fd());
  for (auto& r : requests_) {
    if (r->fd() >= 0) server_.loop().Remove(r->fd());
  }
}

bool MetricsEndpoint::Apply(std::string* err) {
  const ServerConfig& cfg = server_.config();
  if (cfg.metrics_port == bound_port_ && (bound_port_ == 0 || cfg.bind == bound_addrs_)) {
    return true;
  }
  CloseListeners();
  if (cfg.metrics_port == 0) return true;
  for (const std::string& addr : cfg.bind) {
    if (!Listen(addr, cfg.metrics_port)) {
      CloseListeners();
      *err = "Unable to listen on metrics-port. Check server logs.";
      return false;
    }
  }
  bound_addrs_ = cfg.bind;
  bound_port_ = cfg.metrics_port;
  EMBER_LOG_NOTICE("Metrics endpoint listening on port {} (GET /metrics)", bound_port_);
  return true;
}

bool MetricsEndpoint::Listen(const std::string& addr_spec, int64_t port) {
  bool skipped = false;
  std::string error;
  int fd = OpenTcpListenSocket(addr_spec, port, 128, &skipped, &error);
  if (fd < 0) {
    if (!skipped) EMBER_LOG_WARNING("Could not create the metrics listening socket {}", error);
    return skipped;
  }
  auto acceptor = std::make_unique<Acceptor>(this, fd);
  server_.loop().Add(fd, EPOLLIN, acceptor.get());
  acceptors_.push_back(std::move(acceptor));
  return true;
}

void MetricsEndpoint::CloseListeners() {
  if (bound_port_ != 0) EMBER_LOG_NOTICE("Metrics endpoint closed on port {}", bound_port_);
  for (auto& a : acceptors_) {
    server_.loop().Remove(a->fd());
    a->CloseFd();
    // The current batch of events may still name it: deleted on the next loop iteration.
    server_.loop().Defer([a = std::shared_ptr<Acceptor>(std::move(a))] {});
  }
  acceptors_.clear();
  bound_addrs_.clear();
  bound_port_ = 0;
}

void MetricsEndpoint::CloseInChild() {
  // Plain close(): the epoll set is shared with the parent.
  for (auto& a : acceptors_) a->CloseFd();
  for (auto& r : requests_) r->CloseFd();
}

std::vector<int> MetricsEndpoint::ports() const {
  std::vector<int> out;
  for (const auto& a : acceptors_) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (getsockname(a->fd(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) continue;
    if (ss.ss_family == AF_INET)
      out.push_back(ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port));
    if (ss.ss_family == AF_INET6) {
      out.push_back(ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port));
    }
  }
  return out;
}

void MetricsEndpoint::Accept(int listen_fd) {
  // A bounded batch per event, as the client listeners.
  for (int i = 0; i < 100; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd =
        accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        EMBER_LOG_WARNING("Accepting metrics connection: {}", strerror(errno));
      }
      return;
    }
    if (requests_.size() >= kMaxOpenRequests) {
      EMBER_LOG_VERBOSE("Metrics endpoint: too many open requests, connection closed");
      close(fd);
      continue;
    }
    bool forbidden = server_.protected_mode_active() && !IsLoopbackPeer(FormatSockAddr(&ss));
    auto request = std::make_unique<Request>(this, fd, forbidden);
    server_.loop().Add(fd, EPOLLIN, request.get());
    requests_.push_back(std::move(request));
  }
}

void MetricsEndpoint::Finish(Request* request) {
  if (request->fd() >= 0) server_.loop().Remove(request->fd());
  request->CloseFd();
  auto it = std::find_if(requests_.begin(), requests_.end(),
                         [&](const auto& r) { return r.get() == request; });
  if (it == requests_.end()) return;
  // The current batch of events may still name it: deleted on the next loop iteration.
  server_.loop().Defer([r = std::shared_ptr<Request>(std::move(*it))] {});
  requests_.erase(it);
}

void MetricsEndpoint::Cron() {
  if (requests_.empty()) return;
  int64_t now = MonotonicMs();
  std::vector<Request*> expired;
  for (const auto& r : requests_) {
    if (now >= r->deadline_ms()) expired.push_back(r.get());
  }
  for (Request* r : expired) Finish(r);
}

std::string MetricsEndpoint::Answer(const HttpRequestHead& head, bool forbidden) {
  bool head_only = head.method == "HEAD";
  if (forbidden) {
    return HttpResponse(403, kTextContentType,
                        "Forbidden: protected mode is on and the default user has no password. "
                        "Scrape from a loopback address, set a password, or set protected-mode "
                        "no.\n",
                        head_only);
  }
  int status = RouteMetricsRequest(head);
  if (status != 200) {
    return HttpResponse(status, kTextContentType, fmt::format("{}\n", ReasonPhrase(status)),
                        head_only);
  }
  std::string_view sections[] = {"everything"};
  std::string body = RenderMetrics(GenerateInfo(server_, sections), CommandTable::Global());
  return HttpResponse(200, kMetricsContentType, body, head_only);
}

}  // namespace ember
