// The metrics endpoint: an optional HTTP/1.1 listener (`metrics-port`, 0 = off, the default) that
// answers `GET /metrics` with the server's figures in Prometheus's text format (version 0.0.4):
// every numeric INFO field, the INFO strings as info-style gauges, per-replica offsets and lag,
// full syncs by reason, per-command calls and errors, and per-command latency histograms.
//
// It listens on the `bind` addresses, shares the event loop with the clients and does the least
// a scraper needs: one request per connection (answered with `Connection: close`), the request
// line and headers read up to 8 KB within 10 seconds, no bodies, no keep-alive, no compression.
// Scrapers are not clients: they need no AUTH, are not counted in INFO, and are refused (403)
// from non-loopback addresses while protected mode is active, as clients are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

class CommandTable;
class Server;

// --- The exposition (pure; tests/unit/server/metrics_endpoint_test.cc) ------------------------

// The Prometheus text for `info` (GenerateInfo's text, any sections) followed by the latency
// histograms of the commands in `commands` that ran. Every metric is named ember_<...>: numeric
// fields keep their INFO name with Prometheus's units and suffixes (used_memory ->
// ember_used_memory_bytes, total_commands_processed -> ember_commands_processed_total), and the
// structured lines become labelled series (slaveN -> ember_replica_offset{ip,port,state}, dbN ->
// ember_db_keys{db}, cmdstat_X -> ember_command_calls_total{cmd}, errorstat_X ->
// ember_errors_total{error}, sync_full_reason_X -> ember_sync_full_reason_total{reason}).
std::string RenderMetrics(std::string_view info, const CommandTable& commands);

// --- HTTP -------------------------------------------------------------------------------------

struct HttpRequestHead {
  std::string_view method;
  std::string_view target;
  std::string_view version;
};

enum class HttpParseResult {
  kIncomplete,  // no end of headers yet
  kOk,
  kBad,  // not an HTTP/1.x request head
};

// Parses the request line and checks the header lines of `buf` (up to the blank line that ends
// them). The views point into `buf`.
HttpParseResult ParseHttpRequestHead(std::string_view buf, HttpRequestHead* head);

// The status for a request: 200 for GET or HEAD of /metrics (a query string is ignored), 405 for
// another method on it, 404 for anything else.
int RouteMetricsRequest(const HttpRequestHead& head);

// A complete response with Content-Length and Connection: close; HEAD gets no body.
std::string HttpResponse(int status, std::string_view content_type, std::string_view body,
                         bool head_only);

// --- The listener -----------------------------------------------------------------------------

class MetricsEndpoint {
 public:
  explicit MetricsEndpoint(Server& server);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // Makes the listeners match `bind` x `metrics-port`: nothing to do if they already do,
  // otherwise closes them and (port != 0) opens the new ones. At start-up and on CONFIG SET
  // metrics-port or bind; idempotent, so a failed CONFIG SET's roll-back re-opens the old ones.
  // On failure nothing is open and *err holds CONFIG SET's message.
  bool Apply(std::string* err);
  // Closes requests past their deadline (the server cron).
  void Cron();
  // In a forked child: closes its sockets without touching the shared epoll set.
  void CloseInChild();

  std::vector<int> ports() const;
  size_t open_requests() const { return requests_.size(); }

 private:
  class Acceptor;
  class Request;

  bool Listen(const std::string& addr_spec, int64_t port);
  void CloseListeners();
  void Accept(int listen_fd);
  void Finish(Request* request);
  // The response to a complete request head (renders the metrics for a 200).
  std::string Answer(const HttpRequestHead& head, bool forbidden);

  Server& server_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  std::vector<std::unique_ptr<Request>> requests_;
  std::vector<std::string> bound_addrs_;
  int64_t bound_port_ = 0;  // 0: not listening
};

}  // namespace ember
