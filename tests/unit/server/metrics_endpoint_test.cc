#include "server/metrics_endpoint.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>

#include "commands/command.h"

namespace ember {
namespace {

// INFO text as GenerateInfo writes it (CRLF, "# Section" headers, blank lines between sections).
constexpr std::string_view kInfo =
    "# Server\r\n"
    "redis_version:7.0.15\r\n"
    "redis_git_sha1:00000000\r\n"
    "os:Linux 6.1.0 x86_64\r\n"
    "server_time_usec:1700000000123456\r\n"
    "uptime_in_seconds:42\r\n"
    "uptime_in_days:0\r\n"
    "empty_field:\r\n"
    "executable:/opt/a \"quoted\" path\\x\r\n"
    "config_file:/etc/\xc3\xa9mber/\xff\xc3.conf\r\n"
    "\r\n"
    "# Clients\r\n"
    "connected_clients:3\r\n"
    "\r\n"
    "# Memory\r\n"
    "used_memory:1048576\r\n"
    "used_memory_human:1.00M\r\n"
    "used_memory_peak_perc:50.00%\r\n"
    "number_of_cached_scripts:0\r\n"
    "total_system_memory:8000000000\r\n"
    "mem_fragmentation_ratio:1.25\r\n"
    "maxmemory_policy:noeviction\r\n"
    "\r\n"
    "# Persistence\r\n"
    "rdb_last_save_time:1700000000\r\n"
    "rdb_saves:2\r\n"
    "rdb_last_bgsave_time_sec:-1\r\n"
    "rdb_last_cow_size:4096\r\n"
    "\r\n"
    "# Stats\r\n"
    "total_commands_processed:1234\r\n"
    "instantaneous_ops_per_sec:17\r\n"
    "instantaneous_input_kbps:2.00\r\n"
    "sync_full:3\r\n"
    "sync_full_reason_replid_mismatch:2\r\n"
    "sync_full_reason_backlog_miss:1\r\n"
    "expired_stale_perc:0.05\r\n"
    "expired_time_cap_reached_count:5\r\n"
    "expire_cycle_cpu_milliseconds:1500\r\n"
    "latest_fork_usec:250\r\n"
    "pubsub_channels:0\r\n"
    "total_eviction_exceeded_time:2000\r\n"
    "\r\n"
    "# Replication\r\n"
    "role:master\r\n"
    "connected_slaves:2\r\n"
    "slave0:ip=127.0.0.1,port=7001,state=online,offset=500,lag=0,offset_lag=20\r\n"
    "slave1:ip=::1,port=7002,state=wait_bgsave,offset=0,lag=3\r\n"
    "master_replid:0123456789012345678901234567890123456789\r\n"
    "master_repl_offset:520\r\n"
    "\r\n"
    "# CPU\r\n"
    "used_cpu_sys:1.500000\r\n"
    "\r\n"
    "# Commandstats\r\n"
    "cmdstat_set:calls=10,usec=30,usec_per_call=3.00,rejected_calls=1,failed_calls=2\r\n"
    "cmdstat_config|get:calls=1,usec=9,usec_per_call=9.00,rejected_calls=0,failed_calls=0\r\n"
    "\r\n"
    "# Errorstats\r\n"
    "errorstat_ERR:count=4\r\n"
    "errorstat_WRONGTYPE:count=1\r\n"
    "\r\n"
    "# Latencystats\r\n"
    "latency_percentiles_usec_set:p50=1.003,p99=2.007\r\n"
    "\r\n"
    "# Keyspace\r\n"
    "db0:keys=7,expires=2,avg_ttl=1500\r\n"
    "db3:keys=1,expires=0,avg_ttl=0\r\n";

struct Parsed {
  std::map<std::string, std::string> types;    // family -> type
  std::map<std::string, std::string> samples;  // name{labels} -> value
  std::vector<std::string> order;              // family of each sample, in order
};

// Checks every line against the text format and collects the samples.
Parsed Parse(const std::string& text) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? (\S+)$)");
  static const std::regex kType(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex kHelp(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$)");
  Parsed p;
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    std::smatch m;
    if (std::regex_match(line, m, kType)) {
      EXPECT_TRUE(p.types.emplace(m[1], m[2]).second) << "family twice: " << line;
    } else if (std::regex_match(line, m, kHelp)) {
    } else if (std::regex_match(line, m, kSample)) {
      std::string series = m[1].str() + m[2].str();
      EXPECT_TRUE(p.samples.emplace(series, m[5]).second) << "duplicate series: " << line;
      std::string value = m[5];
      EXPECT_TRUE(value == "+Inf" || std::regex_match(value, std::regex(R"(-?[0-9.e+-]+)")))
          << line;
    } else {
      ADD_FAILURE() << "not a valid exposition line: '" << line << "'";
    }
  }
  return p;
}

TEST(Metrics, InfoFieldsFollowPrometheusConventions) {
  CommandTable table;
  Parsed p = Parse(RenderMetrics(kInfo, table));
  auto& s = p.samples;
  EXPECT_EQ(s["ember_connected_clients"], "3");
  EXPECT_EQ(p.types["ember_connected_clients"], "gauge");
  EXPECT_EQ(s["ember_used_memory_bytes"], "1048576");
  EXPECT_EQ(s["ember_total_system_memory_bytes"], "8000000000");  // a gauge keeps its total_
  EXPECT_EQ(s["ember_number_of_cached_scripts"], "0");
  EXPECT_EQ(s["ember_used_memory_peak_ratio"], "0.5");
  EXPECT_EQ(s["ember_mem_fragmentation_ratio"], "1.25");
  EXPECT_EQ(s["ember_commands_processed_total"], "1234");
  EXPECT_EQ(p.types["ember_commands_processed_total"], "counter");
  EXPECT_EQ(s["ember_instantaneous_ops_per_second"], "17");
  EXPECT_EQ(p.types["ember_instantaneous_ops_per_second"], "gauge");
  EXPECT_EQ(s["ember_instantaneous_input_bytes_per_second"], "2048");
  EXPECT_EQ(s["ember_sync_full_total"], "3");
  EXPECT_EQ(s["ember_expired_stale_ratio"], "0.0005");
  EXPECT_EQ(p.types["ember_expired_stale_ratio"], "gauge");
  EXPECT_EQ(s["ember_expired_time_cap_reached_total"], "5");
  EXPECT_EQ(s["ember_expire_cycle_cpu_seconds_total"], "1.5");
  EXPECT_EQ(s["ember_eviction_exceeded_time_seconds_total"], "2");
  EXPECT_EQ(s["ember_latest_fork_seconds"], "0.00025");
  EXPECT_EQ(p.types["ember_pubsub_channels"], "gauge");
  EXPECT_EQ(s["ember_server_time_seconds"], "1700000000.123456");
  EXPECT_EQ(s["ember_uptime_in_seconds"], "42");
  EXPECT_EQ(s["ember_rdb_last_save_timestamp_seconds"], "1700000000");
  EXPECT_EQ(s["ember_rdb_saves_total"], "2");
  EXPECT_EQ(s["ember_rdb_last_bgsave_time_seconds"], "-1");
  EXPECT_EQ(s["ember_rdb_last_cow_size_bytes"], "4096");
  EXPECT_EQ(s["ember_used_cpu_sys_seconds_total"], "1.5");
  EXPECT_EQ(s["ember_connected_slaves"], "2");
  EXPECT_EQ(s["ember_master_repl_offset"], "520");
  // Duplicates and empty values are left out.
  EXPECT_EQ(s.count("ember_uptime_in_days"), 0u);
  EXPECT_EQ(p.types.count("ember_server_empty_field"), 0u);
  for (const auto& [series, value] : s) EXPECT_EQ(series.find("human"), std::string::npos);
}

TEST(Metrics, StringsBecomeInfoGauges) {
  CommandTable table;
  Parsed p = Parse(RenderMetrics(kInfo, table));
  auto& s = p.samples;
  EXPECT_EQ(s["ember_replication_role{role=\"master\"}"], "1");
  EXPECT_EQ(s["ember_server_redis_version{redis_version=\"7.0.15\"}"], "1");
  // IDs that look like numbers stay strings.
  EXPECT_EQ(s["ember_server_redis_git_sha1{redis_git_sha1=\"00000000\"}"], "1");
  EXPECT_EQ(s["ember_replication_master_replid{master_replid="
              "\"0123456789012345678901234567890123456789\"}"],
            "1");
  EXPECT_EQ(s["ember_server_os{os=\"Linux 6.1.0 x86_64\"}"], "1");
  EXPECT_EQ(s["ember_memory_maxmemory_policy{maxmemory_policy=\"noeviction\"}"], "1");
  // Quotes and backslashes are escaped in label values.
  EXPECT_EQ(s["ember_server_executable{executable=\"/opt/a \\\"quoted\\\" path\\\\x\"}"], "1");
  // Invalid UTF-8 is replaced (Prometheus would refuse the whole scrape), valid UTF-8 kept.
  EXPECT_EQ(s["ember_server_config_file{config_file=\"/etc/\xc3\xa9mber/"
              "\xef\xbf\xbd\xef\xbf\xbd.conf\"}"],
            "1");
}

TEST(Metrics, StructuredLinesBecomeLabelledSeries) {
  CommandTable table;
  Parsed p = Parse(RenderMetrics(kInfo, table));
  auto& s = p.samples;
  std::string r0 = "{ip=\"127.0.0.1\",port=\"7001\",state=\"online\"}";
  std::string r1 = "{ip=\"::1\",port=\"7002\",state=\"wait_bgsave\"}";
  EXPECT_EQ(s["ember_replica_offset" + r0], "500");
  EXPECT_EQ(s["ember_replica_lag_seconds" + r0], "0");
  EXPECT_EQ(s["ember_replica_offset_lag" + r0], "20");
  EXPECT_EQ(s["ember_replica_offset" + r1], "0");
  EXPECT_EQ(s["ember_replica_lag_seconds" + r1], "3");
  EXPECT_EQ(s["ember_db_keys{db=\"0\"}"], "7");
  EXPECT_EQ(s["ember_db_keys_expiring{db=\"0\"}"], "2");
  EXPECT_EQ(s["ember_db_avg_ttl_seconds{db=\"0\"}"], "1.5");
  EXPECT_EQ(s["ember_db_keys{db=\"3\"}"], "1");
  EXPECT_EQ(s["ember_command_calls_total{cmd=\"set\"}"], "10");
  EXPECT_EQ(s["ember_command_rejected_calls_total{cmd=\"set\"}"], "1");
  EXPECT_EQ(s["ember_command_failed_calls_total{cmd=\"set\"}"], "2");
  EXPECT_EQ(s["ember_command_calls_total{cmd=\"config|get\"}"], "1");
  EXPECT_EQ(s["ember_errors_total{error=\"ERR\"}"], "4");
  EXPECT_EQ(s["ember_errors_total{error=\"WRONGTYPE\"}"], "1");
  EXPECT_EQ(s["ember_sync_full_reason_total{reason=\"replid_mismatch\"}"], "2");
  EXPECT_EQ(s["ember_sync_full_reason_total{reason=\"backlog_miss\"}"], "1");
  EXPECT_EQ(p.types["ember_sync_full_reason_total"], "counter");
  // Unknown structured lines are left out.
  for (const auto& [series, value] : s)
    EXPECT_EQ(series.find("latency_percentiles"), std::string::npos);
}

TEST(Metrics, FamiliesAreContiguous) {
  CommandTable table;
  std::string text = RenderMetrics(kInfo, table);
  std::string last;
  std::set<std::string> done;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::string family = line.substr(7, line.find(' ', 7) - 7);
    EXPECT_TRUE(done.insert(family).second) << family;
  }
}

TEST(Metrics, CommandLatencyHistograms) {
  CommandTable table;
  CommandSpec* get = table.Add(MakeCommand("get", 2, 0, kNoKeys, nullptr, "string", 0, "", ""));
  CommandSpec* idle = table.Add(MakeCommand("idle", 1, 0, kNoKeys, nullptr, "string", 0, "", ""));
  (void)idle;
  for (int64_t us : {0, 1, 1, 2, 7, 100, 3000000}) get->latency.Record(us);
  Parsed p = Parse(RenderMetrics("", table));
  auto& s = p.samples;
  EXPECT_EQ(p.types["ember_command_duration_seconds"], "histogram");
  auto bucket = [&](const char* le) {
    return s["ember_command_duration_seconds_bucket{cmd=\"get\",le=\"" + std::string(le) + "\"}"];
  };
  EXPECT_EQ(bucket("0.000001"), "3");
  EXPECT_EQ(bucket("0.000002"), "4");
  EXPECT_EQ(bucket("0.000005"), "4");
  EXPECT_EQ(bucket("0.00001"), "5");
  EXPECT_EQ(bucket("0.0001"), "6");
  EXPECT_EQ(bucket("1"), "6");
  EXPECT_EQ(bucket("+Inf"), "7");
  EXPECT_EQ(s["ember_command_duration_seconds_count{cmd=\"get\"}"], "7");
  EXPECT_EQ(s["ember_command_duration_seconds_sum{cmd=\"get\"}"], "3.000111");
  // Commands that never ran have no series.
  for (const auto& [series, value] : s) EXPECT_EQ(series.find("idle"), std::string::npos);

  table.ResetStats();
  EXPECT_EQ(get->latency.count(), 0u);
  EXPECT_EQ(get->latency.sum_us, 0u);
}

TEST(Metrics, HistogramBucketsAreInclusiveUpperBounds) {
  LatencyHistogram h;
  for (size_t i = 0; i + 1 < LatencyHistogram::kBuckets; ++i) {
    h.Reset();
    h.Record(LatencyHistogram::kBoundsUs[i]);
    EXPECT_EQ(h.counts[i], 1u) << i;
    h.Record(LatencyHistogram::kBoundsUs[i] + 1);
    EXPECT_EQ(h.counts[i + 1], 1u) << i;
  }
  h.Reset();
  h.Record(-5);  // a clock going backwards counts as 0
  EXPECT_EQ(h.counts[0], 1u);
  EXPECT_EQ(h.sum_us, 0u);
}

HttpParseResult ParseHead(std::string_view s, HttpRequestHead* head = nullptr) {
  HttpRequestHead h;
  return ParseHttpRequestHead(s, head ? head : &h);
}

TEST(MetricsHttp, ParsesRequestHeads) {
  HttpRequestHead h;
  ASSERT_EQ(ParseHead("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", &h),
            HttpParseResult::kOk);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/metrics");
  EXPECT_EQ(h.version, "HTTP/1.1");
  EXPECT_EQ(RouteMetricsRequest(h), 200);
  // Bare LF line ends and leading empty lines are accepted.
  ASSERT_EQ(ParseHead("\r\nGET /metrics?x=1 HTTP/1.0\n\n", &h), HttpParseResult::kOk);
  EXPECT_EQ(RouteMetricsRequest(h), 200);
  ASSERT_EQ(ParseHead("HEAD /metrics HTTP/1.1\r\n\r\n", &h), HttpParseResult::kOk);
  EXPECT_EQ(RouteMetricsRequest(h), 200);
  ASSERT_EQ(ParseHead("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", &h),
            HttpParseResult::kOk);
  EXPECT_EQ(RouteMetricsRequest(h), 405);
  ASSERT_EQ(ParseHead("GET / HTTP/1.1\r\n\r\n", &h), HttpParseResult::kOk);
  EXPECT_EQ(RouteMetricsRequest(h), 404);
  ASSERT_EQ(ParseHead("GET /metricsx HTTP/1.1\r\n\r\n", &h), HttpParseResult::kOk);
  EXPECT_EQ(RouteMetricsRequest(h), 404);

  EXPECT_EQ(ParseHead(""), HttpParseResult::kIncomplete);
  EXPECT_EQ(ParseHead("GET /metr"), HttpParseResult::kIncomplete);
  EXPECT_EQ(ParseHead("GET /metrics HTTP/1.1\r\nHost: x\r\n"), HttpParseResult::kIncomplete);
}

TEST(MetricsHttp, RefusesMalformedHeads) {
  for (std::string_view bad : {
           std::string_view("garbage\r\n\r\n"),
           std::string_view("GET /metrics\r\n\r\n"),              // HTTP/0.9
           std::string_view("GET /metrics HTTP/2.0\r\n\r\n"),     // not 1.x
           std::string_view("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),  // the HTTP/2 preface
           std::string_view("GET  /metrics HTTP/1.1\r\n\r\n"),    // two spaces
           std::string_view("GET /metrics HTTP/1.1 x\r\n\r\n"),   // four parts
           std::string_view("GET /metrics HTTP/1.1\r\nNoColon\r\n\r\n"),
           std::string_view("GET /metrics HTTP/1.1\r\n folded: x\r\n\r\n"),
           std::string_view("GET /metrics HTTP/1.1\r\nBad Name: x\r\n\r\n"),
           std::string_view("GET /me\x01trics HTTP/1.1\r\n\r\n"),
           std::string_view("G(T /metrics HTTP/1.1\r\n\r\n"),
           std::string_view("*1\r\n$4\r\nPING\r\n"),     // RESP sent to the wrong port
           std::string_view("\x16\x03\x01\x02\x00", 5),  // a TLS hello, incomplete
           std::string_view("GET /m\0 HTTP/1.1", 16),
       }) {
    EXPECT_EQ(ParseHead(bad), HttpParseResult::kBad) << bad;
  }
}

TEST(MetricsHttp, RandomInputNeverCrashes) {
  std::mt19937 rng(7);
  const std::string seed = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
  for (int i = 0; i < 20000; ++i) {
    std::string s = seed;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0:
          s.insert(at, 1, static_cast<char>(rng() % 256));
          break;
        case 1:
          if (at < s.size()) s.erase(at, 1);
          break;
        default:
          if (at < s.size()) s[at] = static_cast<char>(rng() % 256);
          break;
      }
    }
    HttpRequestHead h;
    HttpParseResult r = ParseHttpRequestHead(s, &h);
    if (r == HttpParseResult::kOk) {
      int status = RouteMetricsRequest(h);
      EXPECT_TRUE(status == 200 || status == 404 || status == 405);
    }
  }
}

TEST(MetricsHttp, Responses) {
  std::string r = HttpResponse(200, "text/plain; version=0.0.4", "abc\n", false);
  EXPECT_EQ(r,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: 4\r\n"
            "Connection: close\r\n\r\nabc\n");
  r = HttpResponse(200, "text/plain", "abc\n", true);
  EXPECT_EQ(r.substr(r.size() - 4), "\r\n\r\n");
  EXPECT_NE(r.find("Content-Length: 4\r\n"), std::string::npos);
  r = HttpResponse(405, "text/plain", "", false);
  EXPECT_NE(r.find("HTTP/1.1 405 Method Not Allowed\r\n"), std::string::npos);
  EXPECT_NE(r.find("Allow: GET, HEAD\r\n"), std::string::npos);
}

}  // namespace
}  // namespace ember
