#include "server/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/memory.h"
#include "common/strings.h"
#include "common/version.h"
#include "db/encoding_limits.h"
#include "db/lazy_free.h"
#include "server/command_meta.h"
#include "server/listener.h"
#include "server/server_families.h"

namespace ember {

namespace {
volatile sig_atomic_t g_shutdown_signal = 0;

void HandleShutdownSignal(int sig) { g_shutdown_signal = sig; }

void SetupSignals() {
  struct sigaction act {};
  act.sa_handler = HandleShutdownSignal;
  sigemptyset(&act.sa_mask);
  sigaction(SIGTERM, &act, nullptr);
  sigaction(SIGINT, &act, nullptr);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
}
}  // namespace

void ServerStats::Metric::Track(int64_t now_ms, uint64_t value) {
  if (last_time_ms != 0 && now_ms > last_time_ms) {
    samples[idx] = static_cast<double>(value - last_value) * 1000.0 /
                   static_cast<double>(now_ms - last_time_ms);
    idx = (idx + 1) % kSamples;
  }
  last_time_ms = now_ms;
  last_value = value;
}

double ServerStats::Metric::Average() const {
  double sum = 0;
  for (double s : samples) sum += s;
  return sum / kSamples;
}

Server::Server() {
  run_id_ = RandomHex(40);
  start_time_ms_ = WallClockMs();
  AnchorClocks();
  // The data types read the encoding limits straight from the configuration.
  UseEncodingLimits(&config_.encoding);
}

void Server::AnchorClocks() {
  mono_anchor_us_ = FastMonotonicUs();
  wall_anchor_us_ = WallClockUs();
  cached_now_ms_ = wall_anchor_us_ / 1000;
}

Server::~Server() {
  for (auto& [id, conn] : clients_) delete conn;
  if (&Limits() == &config_.encoding) UseEncodingLimits(nullptr);
}


int Server::Configure(int argc, char** argv) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  executable_ = n > 0 ? std::string(exe, static_cast<size_t>(n)) : std::string(argv[0]);
  // Commands are registered first so rename-command can be checked while the file is read.
  RegisterAllCommands(CommandTable::Global());
  RegisterServerCommands(CommandTable::Global());
  config_table_.SetCommandValidator(
      [](std::string_view name) { return CommandTable::Global().Find(name) != nullptr; });
  // A scratch registry: its permission bitmap is laid out over the table before renames.
  config_table_.SetUserValidator([](const std::vector<std::string>& directive) {
    return Acl().CheckUserDirective(directive);
  });
  if (!config_table_.LoadFromCommandLine(argc, argv)) return 1;

  auto& log = GetLogSettings();
  log.file = config_.logfile;
  ApplyLogLevel();
  log.role = is_replica() ? 'S' : 'M';

  keyspace_ = std::make_unique<Keyspace>(static_cast<int>(config_.databases));
  keyspace_->set_expiry_listener([this](int db_index, std::string_view key) {
    ++keyspace_->stats().expired_keys;
    if (keyspace_events_ & notify::kExpired) {
      NotifyKeyspaceEvent(notify::kExpired, "expired", key, db_index);
    }
    SignalModifiedKey(db_index, key, false, 0);
    // An expired key is removed on the master and its replicas by one explicit DEL.
    std::vector<std::vector<std::string>> effects{{"DEL", std::string(key)}};
    Propagate(db_index, effects, {});
  });

  keyspace_->set_expire_set_listener([this](int db_index, std::string_view key) {
    // Not what a load brings in (DEBUG RELOAD): Redis's loader sets TTLs without a client.
    if (sets_own_expires_ && !snapshots_.loading()) replica_own_expires_.Remember(db_index, key);
  });
  keyspace_->set_key_added_listener(
      [this](int db_index, std::string_view key) { blocked_.SignalKeyAdded(db_index, key); });
  keyspace_->set_swap_listener([this](int a, int b) { blocked_.SignalDbsSwapped(a, b); });

  ApplyAccessTracking();
  ApplyLazyFreeSettings();
  ApplyKeyspaceEvents();
  // The ACL's permission bitmap is laid out over the command table before rename-command: ACL
  // rules name commands by their original names, as in Redis.
  acl_.Init();
  ApplyRenamedCommands();
  acl_.SetDefaultPassword(config_.requirepass);
  ApplyAclSettings();
  if (!ApplyConfiguredUsers()) return 1;
  RegisterConfigHooks();
  aof_.RegisterConfigHooks();
  return -1;
}

bool Server::ApplyConfiguredUsers() {
  // Redis's ACLLoadUsersAtStartup: `user` directives or an ACL file, never both.
  const std::string aclfile = config_table_.GetValue("aclfile").value_or("");
  if (!aclfile.empty() && !config_table_.user_directives().empty()) {
    EMBER_LOG_WARNING(
        "Configuring Redis with users defined in redis.conf and at the same setting an ACL file "
        "path is invalid. This setup is very likely to lead to configuration errors and "
        "security holes, please define either an ACL file or declare users directly in your "
        "redis.conf, but not both.");
    return false;
  }
  if (!acl_.LoadConfiguredUsers(config_table_.user_directives())) {
    EMBER_LOG_WARNING("Critical error while loading ACLs. Exiting.");
    return false;
  }
  if (!aclfile.empty()) {
    if (std::string errors = acl_.LoadFromFile(aclfile); !errors.empty()) {
      EMBER_LOG_WARNING("Aborting Redis startup because of ACL errors: {}", errors);
      return false;
    }
  }
  return true;
}

void Server::ApplyAclSettings() {
  acl_.set_max_log_len(static_cast<size_t>(config_.acllog_max_len));
  acl_.set_new_users_all_channels(config_table_.GetValue("acl-pubsub-default") == "allchannels");
}

void Server::ApplyAccessTracking() {
  AccessTracking& t = Tracking();
  t.lfu = config_.maxmemory_policy.find("lfu") != std::string::npos;
  t.lfu_log_factor = config_.lfu_log_factor;
  t.lfu_decay_time = config_.lfu_decay_time;
}

void Server::ApplyLazyFreeSettings() {
  LazyFreeSettings& s = LazyFree::Global().settings();
  s.eviction = config_.lazyfree_lazy_eviction;
  s.expire = config_.lazyfree_lazy_expire;
  s.server_del = config_.lazyfree_lazy_server_del;
  s.user_del = config_.lazyfree_lazy_user_del;
  s.user_flush = config_.lazyfree_lazy_user_flush;
}

size_t Server::MemoryNotCountedForEviction() const {
  size_t n = 0;
  for (const auto& [id, conn] : clients_) {
    if (conn->is_replica_link) n += conn->output_capacity();
  }
  return n;
}

void Server::ApplyLogLevel() {
  static const std::pair<const char*, LogLevel> kLevels[] = {
      {"debug", LogLevel::kDebug},     {"verbose", LogLevel::kVerbose},
      {"notice", LogLevel::kNotice},   {"warning", LogLevel::kWarning},
      {"nothing", LogLevel::kNothing}};
  for (auto& [name, level] : kLevels) {
    if (config_.loglevel == name) GetLogSettings().level = level;
  }
}

void Server::ApplyRenamedCommands() {
  for (const auto& [from, to] : config_table_.renamed_commands()) {
    CommandTable::Global().Rename(from, to);
  }
}

void Server::RegisterConfigHooks() {
  // requirepass is the default user's password (Redis's ACLUpdateDefaultUserPassword).
  config_table_.OnApply("requirepass", [this](std::string*) {
    acl_.SetDefaultPassword(config_.requirepass);
    return true;
  });
  // CONFIG REWRITE writes every user as a "user" line, unless they live in an ACL file (then
  // the file's "user" lines go), as Redis's rewriteConfigUserOption.
  config_table_.OnRewrite("user", [this] {
    std::vector<std::string> lines;
    if (!config_table_.GetValue("aclfile").value_or("").empty()) return lines;
    for (const auto& [name, u] : acl_.users()) lines.push_back(acl_.Describe(*u));
    return lines;
  });
  config_table_.OnApply("hz", [this](std::string*) {
    loop_.SetTimerPeriod(1000 / config_.hz);  // the config table keeps hz within 1..500
    return true;
  });
  config_table_.OnApply("loglevel", [this](std::string*) {
    ApplyLogLevel();
    return true;
  });
  // Replication settings that would make full syncs loop are reported when they change.
  for (const char* name : {"client-output-buffer-limit", "repl-backlog-size", "repl-timeout"}) {
    config_table_.OnApply(name, [this, name](std::string*) {
      replication_->CheckConfigSanity(name);
      return true;
    });
  }
  config_table_.OnApply("replica-refuse-empty-sync", [this](std::string*) {
    if (!config_.replica_refuse_empty_sync) replication_->ResetEmptySyncRefusal();
    return true;
  });
  config_table_.OnApply("port", [this](std::string* err) { return RebindTcp(err, "port"); });
  config_table_.OnApply("bind", [this](std::string* err) { return RebindTcp(err, "bind"); });
  for (const char* name : {"metrics-port", "bind"}) {
    config_table_.OnApply(name, [this](std::string* err) { return metrics_.Apply(err); });
  }
  // Settings the lower layers keep a copy of (LRU/LFU, lazy freeing, ...).
  auto copy_on_apply = [this](std::initializer_list<const char*> names, void (Server::*copy)()) {
    for (const char* name : names) {
      config_table_.OnApply(name, [this, copy](std::string*) {
        (this->*copy)();
        return true;
      });
    }
  };
  copy_on_apply({"acllog-max-len", "acl-pubsub-default"}, &Server::ApplyAclSettings);
  copy_on_apply({"maxmemory-policy", "lfu-log-factor", "lfu-decay-time"},
                &Server::ApplyAccessTracking);
  copy_on_apply({"lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del",
                 "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush"},
                &Server::ApplyLazyFreeSettings);
  copy_on_apply({"notify-keyspace-events"}, &Server::ApplyKeyspaceEvents);
  config_table_.OnApply("logfile", [this](std::string*) {
    GetLogSettings().file = config_.logfile;
    ReopenLog();
    return true;
  });
}

bool Server::ListenTcp(const std::string& addr_spec) {
  bool skipped = false;
  std::string error;
  int fd = OpenTcpListenSocket(addr_spec, config_.port, static_cast<int>(config_.tcp_backlog),
                               &skipped, &error);
  if (fd < 0) {
    if (!skipped) EMBER_LOG_WARNING("Warning: Could not create server TCP listening socket {}", error);
    return skipped;
  }
  std::string addr = !addr_spec.empty() && addr_spec[0] == '-' ? addr_spec.substr(1) : addr_spec;
  auto listener = std::make_unique<Listener>(this, fd, false, addr);
  loop_.Add(fd, EPOLLIN, listener.get());
  tcp_listeners_.push_back(std::move(listener));
  return true;
}

bool Server::ListenUnix() {
  if (config_.unixsocket.empty()) return true;
  unlink(config_.unixsocket.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    EMBER_LOG_WARNING("Failed opening Unix socket: {}", strerror(errno));
    return false;
  }
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (config_.unixsocket.size() >= sizeof(sa.sun_path)) {
    EMBER_LOG_WARNING("Failed opening Unix socket: path too long");
    close(fd);
    return false;
  }
  std::strncpy(sa.sun_path, config_.unixsocket.c_str(), sizeof(sa.sun_path) - 1);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      listen(fd, static_cast<int>(config_.tcp_backlog)) != 0) {
    EMBER_LOG_WARNING("Failed opening Unix socket: {}", strerror(errno));
    close(fd);
    return false;
  }
  if (config_.unixsocketperm) chmod(config_.unixsocket.c_str(), static_cast<mode_t>(config_.unixsocketperm));
  unix_listener_ = std::make_unique<Listener>(this, fd, true, config_.unixsocket);
  loop_.Add(fd, EPOLLIN, unix_listener_.get());
  return true;
}

bool Server::OpenTcpListeners() {
  if (config_.port != 0) {
    for (const auto& addr : config_.bind) {
      if (!ListenTcp(addr)) {
        CloseTcpListeners();
        return false;
      }
    }
  }
  bound_addrs_ = config_.bind;
  bound_port_ = config_.port;
  return true;
}

void Server::CloseTcpListeners() {
  for (auto& l : tcp_listeners_) loop_.Remove(l->fd());
  tcp_listeners_.clear();
}

bool Server::OpenListeners() {
  if (!OpenTcpListeners() || !ListenUnix()) return false;
  if (tcp_listeners_.empty() && !unix_listener_) {
    EMBER_LOG_WARNING("Configured to not listen anywhere, exiting.");
    return false;
  }
  return true;
}

bool Server::RebindTcp(std::string* err, std::string_view what) {
  if (bound_addrs_ == config_.bind && bound_port_ == config_.port) return true;
  CloseTcpListeners();
  if (OpenTcpListeners()) return true;
  EMBER_LOG_WARNING("Failed to bind, trying to restore old listening sockets.");
  std::vector<std::string> wanted_bind = config_.bind;
  int64_t wanted_port = config_.port;
  config_.bind = bound_addrs_;
  config_.port = bound_port_;
  if (!OpenTcpListeners()) EMBER_LOG_WARNING("Failed to restore old listening sockets.");
  config_.bind = std::move(wanted_bind);
  config_.port = wanted_port;
  *err = what == "port" ? "Unable to listen on this port. Check server logs."
                        : "Failed to bind to specified addresses.";
  return false;
}

std::vector<int> Server::listening_ports() const {
  std::vector<int> ports;
  for (const auto& l : tcp_listeners_) {
    int p = l->port();
    if (p) ports.push_back(p);
  }
  return ports;
}

void Server::Daemonize() {
  pid_t pid = fork();
  if (pid < 0) return;
  if (pid > 0) _exit(0);
  setsid();
  int fd = open("/dev/null", O_RDWR);
  if (fd >= 0) {
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO) close(fd);
  }
}

void Server::WritePidFile() {
  std::string path = config_.pidfile;
  if (path.empty() && config_.daemonize) path = "/var/run/redis.pid";
  if (path.empty()) return;
  FILE* fp = fopen(path.c_str(), "w");
  if (!fp) {
    EMBER_LOG_WARNING("Failed to write PID file: {}", strerror(errno));
    return;
  }
  fprintf(fp, "%d\n", static_cast<int>(getpid()));
  fclose(fp);
  pidfile_written_ = true;
  config_.pidfile = path;
}

void Server::LogStartup() {
  EMBER_LOG_WARNING("oO0OoO0OoO0Oo Ember is starting oO0OoO0OoO0Oo");
  EMBER_LOG_WARNING("Ember version={} (Redis {} compatible), bits={}, pid={}, just started",
                    kEmberVersion, kRedisCompatVersion, sizeof(void*) * 8, getpid());
  if (config_.config_file.empty()) {
    EMBER_LOG_WARNING(
        "Warning: no config file specified, using the default config. In order to specify a "
        "config file use {} /path/to/ember.conf",
        executable_);
  } else {
    EMBER_LOG_WARNING("Configuration loaded");
  }
  if (config_.always_show_logo) {
    std::string banner = fmt::format(
        "\n"
        "            _._\n"
        "       _.-``   ``-._        Ember {} (Redis {} compatible) {} bit\n"
        "   .-``   (  )     ``-.\n"
        "  (      (    )       )     Running in standalone mode\n"
        "  |`-._   `--'    _.-'|     Port: {}\n"
        "  |    `-._   _.-'    |     PID: {}\n"
        "   `-._    `-'    _.-'\n"
        "       `-._   _.-'\n"
        "           `-'\n\n",
        kEmberVersion, kRedisCompatVersion, sizeof(void*) * 8, config_.port, getpid());
    LogRaw(LogLevel::kNotice, banner);
  } else {
    EMBER_LOG_NOTICE("Running mode=standalone, port={}.", config_.port);
  }
}

bool Server::Start() {
  if (config_.daemonize) Daemonize();
  SetupSignals();
  LogStartup();
  if (!OpenListeners()) return false;
  if (std::string err; !metrics_.Apply(&err)) return false;
  if (config_.daemonize || !config_.pidfile.empty()) WritePidFile();
  EMBER_LOG_WARNING("Server initialized");
  loop_.set_before_sleep([this] { BeforeSleep(); });
  // With appendonly yes the AOF is the data set, not the RDB (as Redis).
  if (config_.appendonly) snapshots_.StartWithoutLoading();
  if (!(config_.appendonly ? aof_.LoadAtStartup() : snapshots_.LoadAtStartup())) return false;
  if (!aof_.OpenOnStart()) return false;
  replication_->RestoreFromSnapshot(snapshots_.last_load_info());
  replication_->CheckConfigSanity("");
  RefreshLruClock();
  loop_.SetTimer(1000 / config_.hz, [this] { Cron(); });
  used_memory_startup_ = UsedMemory();
  UpdateMemoryPeak();
  EMBER_LOG_NOTICE("Ready to accept connections");
  return true;
}

int Server::Run() {
  loop_.Run();
  aof_.Shutdown();
  // Close every client and remove the pid file and the unix socket.
  for (auto& [id, conn] : clients_) {
    loop_.Remove(conn->fd());
    delete conn;
  }
  clients_.clear();
  CloseTcpListeners();
  unix_listener_.reset();
  if (!config_.unixsocket.empty()) unlink(config_.unixsocket.c_str());
  if (pidfile_written_) unlink(config_.pidfile.c_str());
  EMBER_LOG_WARNING("Ember is now ready to exit, bye bye...");
  return 0;
}

bool Server::protected_mode_active() const {
  const AclUser* def = acl_.FindUser("default");
  return config_.protected_mode && (!def || def->nopass);
}

void Server::OnAccept(int fd, const std::string& peer, const std::string& local, bool unix_socket) {
  ++stats_.total_connections_received;
  auto* conn = new Connection(this, fd, peer, local, unix_socket);
  conn->id = next_client_id_++;
  conn->authenticated = acl_.DefaultUserNoAuth();
  clients_[conn->id] = conn;
  loop_.Add(fd, EPOLLIN, conn);
  if (static_cast<int64_t>(clients_.size()) > config_.maxclients) {
    ++stats_.rejected_connections;
    EMBER_LOG_VERBOSE("Error registering fd event for the new client: max number of clients reached");
    conn->ReplyAndClose(errors::kMaxClients);
    return;
  }
  if (!unix_socket && protected_mode_active() && !IsLoopbackPeer(peer)) {
    ++stats_.rejected_connections;
    conn->ReplyAndClose(errors::kProtectedMode);
    return;
  }
  EMBER_LOG_VERBOSE("Accepted {}", peer);
}

size_t Server::UpdateMemoryPeak() {
  size_t used = UsedMemory();
  if (used > stats_.peak_memory) stats_.peak_memory = used;
  return used;
}

Connection* Server::FindClient(uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second;
}

void Server::ScheduleClose(Connection* conn) {
  replication_->OnClientClosed(conn);
  blocked_.Remove(conn->id);
  watched_keys_.UnwatchAll(conn->id);
  tracking_.Disable(conn->id);
  pubsub_.RemoveClient(conn->id);
  loop_.Remove(conn->fd());
  clients_.erase(conn->id);
  if (conn->monitor && monitors_ > 0) --monitors_;
  if (conn->pending_write) std::erase(pending_writes_, conn);
  // Deleted after the current batch of events, which may still name it.
  loop_.Defer([conn] { delete conn; });
}

void Server::MarkPendingWrite(Connection* conn) {
  if (conn->pending_write) return;
  conn->pending_write = true;
  pending_writes_.push_back(conn);
}

bool Server::CheckOutputBufferLimits(Connection* conn) {
  // The master link is never limited; a replica's snapshot transfer is not counted (Redis does
  // not count the RDB either), only the stream buffered behind it.
  if (conn->is_master_link || replication_->SendingSnapshotTo(*conn)) return true;
  // The class as Redis's getClientType: replica, else pubsub when subscribed, else normal.
  const ClientBufferLimit& limit = conn->is_replica_link           ? config_.obuf_replica
                                   : pubsub_.IsSubscribed(conn->id) ? config_.obuf_pubsub
                                                                    : config_.obuf_normal;
  auto bytes = static_cast<int64_t>(conn->output_bytes());
  bool over_hard = limit.hard_bytes > 0 && bytes >= limit.hard_bytes;
  bool over_soft = limit.soft_bytes > 0 && bytes >= limit.soft_bytes;
  if (!over_soft) {
    conn->obuf_soft_limit_since_ms = 0;
  } else if (conn->obuf_soft_limit_since_ms == 0) {
    conn->obuf_soft_limit_since_ms = cached_now_ms_;
  }
  bool soft_expired = over_soft && cached_now_ms_ - conn->obuf_soft_limit_since_ms >=
                                       limit.soft_seconds * 1000;
  if (!over_hard && !soft_expired) return true;
  EMBER_LOG_WARNING(
      "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
      conn->id, conn->peer_addr());
  ++stats_.client_output_buffer_limit_disconnections;
  conn->Close();
  return false;
}

void Server::BeforeSleep() {
  AnchorClocks();
  // Not in the middle of a busy script (it would save half its writes): after it ends.
  if (g_shutdown_signal && !ScriptTimedOut()) {
    EMBER_LOG_WARNING("Received {} scheduling shutdown...",
                      g_shutdown_signal == SIGINT ? "SIGINT" : "SIGTERM");
    const std::string directive = g_shutdown_signal == SIGINT ? "shutdown-on-sigint"
                                                              : "shutdown-on-sigterm";
    g_shutdown_signal = 0;
    std::string err;
    StartShutdown(ParseShutdownOptions(config_table_.GetValue(directive).value_or("")), &err);
  }
  if (shutdown_deadline_ms_) CheckShutdownProgress();
  replication_->BeforeSleep();
  // The AOF is written (and fsynced with appendfsync always) before any reply goes out.
  aof_.FlushBeforeReplies();
  ReleaseThrottledClients();
  HandleBlockedTimeouts();
  if (tracking_.total_prefixes() > 0) tracking_.BroadcastPending();
  // Flush replies in one batch: one write per client per iteration.
  // Swap with a kept scratch vector so neither list allocates on the next iteration.
  flushing_.swap(pending_writes_);
  for (Connection* conn : flushing_) {
    conn->pending_write = false;
    if (conn->closed()) continue;
    if (conn->FlushOutput()) CheckOutputBufferLimits(conn);
  }
  flushing_.clear();
  UpdateBusyPolling();
  if (shutdown_requested_) loop_.Stop();
}

void Server::UpdateBusyPolling() {
  const uint64_t reads = stats_.total_reads_processed - busy_poll_reads_;
  if (reads == 0) return;
  const uint64_t commands = stats_.total_commands_processed - busy_poll_commands_;
  busy_poll_reads_ = stats_.total_reads_processed;
  busy_poll_commands_ = stats_.total_commands_processed;
  commands_per_read_x16_ = (commands_per_read_x16_ * 7 + commands * 16 / reads) / 8;
  loop_.set_busy_poll(commands_per_read_x16_ < 2 * 16);
}

bool Server::ClientPaused(uint32_t flags) const {
  if (pause_until_ms_ == 0 || cached_now_ms_ >= pause_until_ms_) return false;
  if (!pause_writes_only_) return true;
  return (flags & (cmd_flags::kWrite | cmd_flags::kMayReplicate)) != 0;
}

void Server::PauseClients(int64_t until_ms, bool writes_only) {
  // A later pause can only extend, and an ALL pause wins over WRITE (as Redis).
  if (until_ms > pause_until_ms_) pause_until_ms_ = until_ms;
  pause_writes_only_ = writes_only && (pause_writes_only_ || pause_until_ms_ == until_ms);
}

void Server::UnpauseClients() {
  pause_until_ms_ = 0;
  for (auto& [id, conn] : clients_) {
    if (conn->paused()) {
      conn->set_paused(false);
      loop_.Defer([this, cid = id] {
        if (Connection* c = FindClient(cid)) c->ProcessInput();
      });
    }
  }
}

void Server::RecordLatency(std::string_view event, int64_t ms) {
  if (config_.latency_monitor_threshold <= 0 || ms < config_.latency_monitor_threshold) return;
  auto it = latency_events_.find(event);
  if (it == latency_events_.end()) it = latency_events_.emplace(event, LatencyEvent{}).first;
  auto& e = it->second;
  e.max_ms = std::max(e.max_ms, ms);
  // The second the event ended (Redis's time(NULL) after the slow operation).
  const int64_t now_sec = WallClockMs() / 1000;
  if (!e.samples.empty() && e.samples.back().first == now_sec) {
    e.samples.back().second = std::max(e.samples.back().second, ms);
  } else {
    e.samples.emplace_back(now_sec, ms);
    if (e.samples.size() > 160) e.samples.pop_front();
  }
}

// Secrets never reach MONITOR or the slow log: AUTH's arguments and HELLO's AUTH user and
// password are shown as "(redacted)", as Redis does.
static bool IsRedactedArgument(std::span<const std::string_view> args, size_t i) {
  if (EqualsIgnoreCase(args[0], "auth")) return i >= 1;
  if (EqualsIgnoreCase(args[0], "hello")) {
    for (size_t j = 2; j < args.size(); ++j) {
      if (EqualsIgnoreCase(args[j], "auth") && (i == j + 1 || i == j + 2)) return true;
    }
  }
  return false;
}

// --- Dispatch ---------------------------------------------------------------------------------

void Server::CountError(std::string_view code) {
  ++stats_.total_error_replies;
  ++stats_.error_counts[std::string(code)];
}

namespace {
// The flags a command is checked with: EXEC's include those of the commands it will run, so it
// is refused or paused like a write when it holds one.
// `flags`: the command's own, or a script's as declared in its shebang (Server::CommandFlags).
uint32_t FlagsAsRun(const Connection& conn, const CommandSpec& spec, uint32_t flags) {
  return conn.multi && spec.name == "exec" ? flags | conn.multi->flags : flags;
}
// Commands that run at once inside MULTI instead of being queued (Redis's processCommand list).
bool RunsInsideMulti(const CommandSpec& spec) {
  return spec.name == "exec" || spec.name == "discard" || spec.name == "multi" ||
         spec.name == "watch" || spec.name == "quit" || spec.name == "reset";
}
bool EndsTransaction(const CommandSpec& spec) {
  return spec.name == "exec" || spec.name == "discard" || spec.name == "quit" ||
         spec.name == "reset";
}
}  // namespace

bool Server::RejectCommand(Connection& conn, const CommandSpec* spec,
                           std::span<const std::string_view> args, uint32_t* flags_as_run) {
  auto reject = [&](std::string_view err) {
    conn.reply().Error(err);
    CountError(conn.reply().last_error_code());
    if (spec) ++spec->rejected_calls;
    return true;
  };
  if (!spec) {
    std::string list;
    for (size_t i = 1; i < args.size() && list.size() < 128; ++i) {
      size_t room = 128 - list.size();
      list.push_back('\'');
      list.append(args[i].substr(0, room));
      list.append("' ");
    }
    return reject(fmt::format("ERR unknown command '{}', with args beginning with: {}",
                              args[0].substr(0, 128), list));
  }
  if (!spec->AcceptsArgc(args.size())) {
    return reject(fmt::format("ERR wrong number of arguments for '{}' command", spec->name));
  }
  if (spec->is(cmd_flags::kProtected)) {
    // DEBUG (and MODULE) are refused unless enable-debug-command allows them (Redis 7.0).
    bool debug = spec->name.rfind("debug", 0) == 0;
    std::string option = debug ? "enable-debug-command" : "enable-module-command";
    std::string setting = config_table_.GetValue(option).value_or("no");
    bool local = conn.is_unix_socket() || IsLoopbackPeer(conn.peer_addr());
    if (!(setting == "yes" || (setting == "local" && local))) {
      return reject(fmt::format(
          "ERR {} command not allowed. If the {} option is set to \"local\", you can run it from "
          "a local connection, otherwise you need to set this option in the configuration file, "
          "and then restart the server.",
          debug ? "DEBUG" : "MODULE", option));
    }
  }
  if (!conn.authenticated && !spec->is(cmd_flags::kNoAuth)) return reject(errors::kNoAuth);
  if (conn.multi && spec->is(cmd_flags::kNoMulti)) {
    return reject("ERR Command not allowed inside a transaction");
  }
  const uint32_t flags = *flags_as_run = FlagsAsRun(conn, *spec, CommandFlags(*spec, args));
  auto has = [flags](uint32_t f) { return (flags & f) != 0; };
  if (!acl_.all_unrestricted()) {
    std::string err;
    auto client_info = [&] { return DescribeClient(conn, *this, args, spec->name); };
    if (acl_.Check(conn.user, *spec, args, conn.multi ? "multi" : "toplevel", client_info, &err) !=
        Acl::Verdict::kOk) {
      return reject(err);
    }
  }
  // Memory is freed before the command runs; what cannot be freed refuses deny-oom commands.
  // Inside MULTI every command but the ones ending it is refused: queueing takes memory too.
  const bool deny_oom = has(cmd_flags::kDenyOom) || (conn.multi && !EndsTransaction(*spec));
  if (config_.maxmemory > 0 && !evictor_.PerformEvictions() && deny_oom) {
    return reject(errors::kOom);
  }
  // Redis refuses PING too, so monitoring notices that writes are being refused.
  if (snapshots_.WritesDenied() && !is_replica() &&
      (has(cmd_flags::kWrite) || spec->name == "ping")) {
    return reject(errors::kMisconf);
  }
  if (aof_.WritesDenied() && (has(cmd_flags::kWrite) || spec->name == "ping")) {
    return reject(aof_.WritesDeniedError());
  }
  if (snapshots_.loading() && !spec->is(cmd_flags::kLoading)) return reject(errors::kLoading);
  if (script_run_) {
    if (std::string_view busy = ScriptBusyError(*spec, args); !busy.empty()) return reject(busy);
  }
  if (is_replica()) {
    if (config_.replica_read_only && has(cmd_flags::kWrite)) {
      return reject(errors::kReadOnly);
    }
    if (!replication_->link_up() && !config_.replica_serve_stale_data &&
        !has(cmd_flags::kStale)) {
      return reject(errors::kMasterDown);
    }
  } else if (config_.min_replicas_to_write > 0 && has(cmd_flags::kWrite) &&
             replication_->GoodReplicas() < config_.min_replicas_to_write) {
    return reject(errors::kNoReplicas);
  }
  if (auto err = PubSubContextError(conn, *spec)) return reject(*err);
  return false;
}

void Server::DispatchFromMaster(Connection& conn, std::span<const std::string_view> args) {
  // The master's stream is applied as is: no auth, ACL or read-only checks, and no replies.
  const CommandSpec* spec = CommandTable::Global().Resolve(args);
  if (!spec) {
    EMBER_LOG_WARNING("Command '{}' from MASTER is unknown: ignored", args[0].substr(0, 64));
    return;
  }
  if (!spec->AcceptsArgc(args.size())) return;
  // A MULTI block from the master is applied at its EXEC, atomically, as on the master.
  if (conn.multi && !RunsInsideMulti(*spec)) {
    conn.multi->Queue(spec, {args.begin(), args.end()}, spec->flags);
    return;
  }
  CallCommand(conn, *spec, args);
  if (blocked_.has_ready()) HandleClientsBlockedOnKeys();
}

void Server::Dispatch(Connection& conn, std::span<const std::string_view> args) {
  // One monotonic reading gives both "now" and the start of the command's timer; in a batch it
  // is the end of the previous command.
  const int64_t mono_us = batch_clock_us_ ? std::exchange(batch_clock_us_, 0) : FastMonotonicUs();
  cached_now_ms_ = WallMsAt(mono_us);
  if (conn.is_master_link) return DispatchFromMaster(conn, args);
  const CommandSpec* spec = conn.RecallCommand(args[0]);
  if (!spec) {
    spec = CommandTable::Global().Find(args[0]);
    if (spec) conn.RememberCommand(args[0], spec);
  }
  if (spec && !spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = spec->FindSubcommand(args[1]);
    if (!sub) {
      conn.reply().Error(fmt::format("ERR unknown subcommand '{}'. Try {} HELP.",
                                     args[1].substr(0, 128), ToUpper(spec->name)));
      CountError("ERR");
      if (conn.multi) conn.multi->exec_abort = true;
      return;
    }
    spec = sub;
  }
  uint32_t flags = 0;
  if (RejectCommand(conn, spec, args, &flags)) {
    if (conn.multi) conn.multi->exec_abort = true;
    return;
  }
  if (conn.multi && !RunsInsideMulti(*spec)) {
    conn.multi->Queue(spec, {args.begin(), args.end()}, flags);
    conn.reply().SimpleString("QUEUED");
    return;
  }
  if (ClientPaused(flags)) {
    // Re-run this request when the pause ends: leave it in the buffer.
    conn.set_paused(true);
    return;
  }
  tracking_.BeginCommand(conn.id);
  call_start_us_ = mono_us;
  CallCommand(conn, *spec, args);
  // CLIENT CACHING applies to the next command: it lasts through CLIENT commands and MULTI.
  const CommandSpec& top = spec->parent ? *spec->parent : *spec;
  if (tracking_.clients() > 0 && top.name != "client" && !conn.multi) {
    tracking_.ClearCaching(conn.id);
  }
  tracking_.EndCommand();
  if (blocked_.has_ready()) HandleClientsBlockedOnKeys();
}

void Server::CallCommand(Connection& conn, const CommandSpec& spec,
                         std::span<const std::string_view> args) {
  ReplyBuilder& reply = conn.reply();
  using Mode = ClientState::ReplyMode;
  reply.set_muted(conn.reply_mode == Mode::kOff || conn.reply_mode == Mode::kSkip);
  reply.set_resp3(conn.resp == 3);
  const uint64_t errors_before = reply.errors_sent();
  const uint64_t nested_errors_before = nested_errors_;
  int db_before = conn.db_index;

  CommandContext ctx(args, &spec, reply, *keyspace_, conn, *this, cached_now_ms_);
  // A master's stream never blocks (it carries the served effects, not blocking commands), nor
  // does a command run by EXEC or by a script (it answers as if it timed out).
  ctx.set_may_block(!conn.is_master_link && !executing_transaction_ && !conn.script_client);
  const bool signals_keys =
      (tracking_.clients() > 0 || !watched_keys_.empty()) && spec.is(cmd_flags::kWrite);
  const std::vector<bool> present_before =
      signals_keys ? WrittenKeysPresent(spec, args, db_before) : std::vector<bool>();
  const int64_t start = call_start_us_ ? std::exchange(call_start_us_, 0) : FastMonotonicUs();
  // TTLs a writable replica's own clients set are its to expire (ReplicaOwnExpires). Scripts and
  // EXEC call back in here: the flag is the innermost command's.
  const bool outer_sets_own_expires = std::exchange(
      sets_own_expires_, !conn.is_master_link && is_replica() && !config_.replica_read_only);
  spec.handler(ctx);
  sets_own_expires_ = outer_sets_own_expires;
  const int64_t end = FastMonotonicUs();
  // Never negative, should the TSC read on another core be a hair behind.
  const int64_t duration = std::max<int64_t>(end - start, 0);
  if (in_command_batch_) batch_clock_us_ = end;

  if (const auto& block = ctx.block_request()) {
    // Nothing to serve yet: park the client (or, re-run for a ready key, leave it in its place).
    // Its stats are counted once, when it is served or times out.
    if (!blocked_.Find(conn.id)) {
      conn.Block();
      blocked_.Add(conn.id, {conn.db_index, {args.begin(), args.end()}, block->keys,
                             block->deadline_ms, block->wanted});
      ScheduleBlockedTimeoutWake();
    }
    reply.set_muted(false);
    return;
  }
  if (!blocked_.empty() && blocked_.Remove(conn.id)) {
    conn.Unblock();
    MarkPendingWrite(&conn);
  }

  if (conn.reply_mode == Mode::kSkip) conn.reply_mode = Mode::kOn;
  if (conn.reply_mode == Mode::kSkipNext) conn.reply_mode = Mode::kSkip;
  reply.set_muted(false);

  ++spec.calls;
  spec.usec += static_cast<uint64_t>(duration);
  spec.latency.Record(duration);
  ++stats_.total_commands_processed;
  conn.set_last_command(&spec);
  // Errors of the commands EXEC ran were counted by their own calls.
  const uint64_t own_errors =
      reply.errors_sent() - errors_before - (nested_errors_ - nested_errors_before);
  nested_errors_ += own_errors;
  if (own_errors > 0) {
    ++spec.failed_calls;
    CountError(reply.last_error_code());
  }

  if (!spec.is(cmd_flags::kSkipSlowlog) && config_.slowlog_log_slower_than >= 0 &&
      duration >= config_.slowlog_log_slower_than) {
    SlowlogEntry entry;
    entry.id = slowlog_id_++;
    entry.time_sec = cached_now_ms_ / 1000;
    entry.duration_us = duration;
    // Redis keeps at most 32 arguments, each at most 128 bytes.
    size_t n = std::min<size_t>(args.size(), 32);
    for (size_t i = 0; i < n; ++i) {
      if (i == 31 && args.size() > 32) {
        entry.args.push_back(fmt::format("... ({} more arguments)", args.size() - 31));
        break;
      }
      if (IsRedactedArgument(args, i)) {
        entry.args.emplace_back("(redacted)");
      } else if (args[i].size() > 128) {
        entry.args.push_back(fmt::format("{}... ({} more bytes)", args[i].substr(0, 128),
                                         args[i].size() - 128));
      } else {
        entry.args.emplace_back(args[i]);
      }
    }
    entry.peer = conn.peer_addr();
    entry.client_name = conn.name;
    slowlog_.push_front(std::move(entry));
    while (slowlog_.size() > static_cast<size_t>(std::max<int64_t>(config_.slowlog_max_len, 0))) {
      slowlog_.pop_back();
    }
  }
  if (config_.latency_monitor_threshold > 0) {
    RecordLatency(spec.is(cmd_flags::kFast) ? "fast-command" : "command", duration / 1000);
  }

  if (monitors_ > 0 && !spec.is(cmd_flags::kSkipMonitor) && !spec.is(cmd_flags::kAdmin)) {
    FeedMonitors(conn, args);
  }
  // A command that recorded effects is propagated even if it changed nothing (FLUSHDB on an
  // empty database, as Redis).
  if (tracking_.clients() > 0) {
    if (ctx.dirty() > 0) {
      SignalWrittenKeys(conn, spec, args, db_before, ctx.effects(), present_before);
    }
    if (spec.is(cmd_flags::kReadOnly) && tracking_.enabled(conn.id)) {
      std::vector<std::string_view> keys;
      for (const KeyRef& k : ExtractKeys(spec, args)) keys.push_back(args[k.index]);
      tracking_.RememberKeys(conn.id, keys);
    }
  } else if (ctx.dirty() > 0 && !watched_keys_.empty()) {
    SignalWrittenKeys(conn, spec, args, db_before, ctx.effects(), present_before);
  }
  if ((ctx.dirty() > 0 || !ctx.effects().empty()) && !ctx.propagation_prevented()) {
    Propagate(db_before, ctx.effects(), args, ctx.replicas_only());
    ThrottleWriter(conn);
  }
}

void Server::Propagate(int db_index, const std::vector<std::vector<std::string>>& effects,
                       std::span<const std::string_view> original, bool replicas_only) {
  // The single choke point for the replication stream and the AOF, in execution order. A
  // replica's AOF gets what it applies (its master's stream and its own writes), but only its
  // master's bytes go on to its replicas (OnMasterCommandApplied), as in Redis. Commands replayed
  // from the AOF itself go nowhere.
  if (aof_.replaying()) return;
  const bool to_aof =
      !replicas_only && (script_repl_targets_ & script_repl::kAof) && aof_.accepting_writes();
  const bool to_replicas = !is_replica() && (script_repl_targets_ & script_repl::kReplica) &&
                           replication_->stream_active();
  // Nothing listens (no AOF, no backlog nor replica): nothing to encode, nor to keep for EXEC.
  if (!to_aof && !to_replicas) return;
  if (atomic_depth_ == 0) {
    if (to_aof) aof_.Feed(db_index, effects, original);
    if (to_replicas) replication_->FeedEffects(db_index, effects, original);
    return;
  }
  if (effects.empty()) {
    atomic_commands_.push_back({db_index, {original.begin(), original.end()}, to_aof, to_replicas});
  }
  for (const auto& e : effects) atomic_commands_.push_back({db_index, e, to_aof, to_replicas});
}

namespace {

// The commands of a block meant for one destination: all of them (no copy), or those picked
// into *some.
std::span<const PropagatedCommand> CommandsFor(const std::vector<PropagatedCommand>& all,
                                               bool PropagatedCommand::*dest,
                                               std::vector<PropagatedCommand>* some) {
  if (std::all_of(all.begin(), all.end(), [&](const PropagatedCommand& c) { return c.*dest; })) {
    return all;
  }
  for (const PropagatedCommand& c : all) {
    if (c.*dest) some->push_back(c);
  }
  return *some;
}

std::vector<std::string_view> ArgvOf(const PropagatedCommand& c) {
  return {c.argv.begin(), c.argv.end()};
}

}  // namespace

void Server::EndAtomicPropagation() {
  if (--atomic_depth_ > 0 || atomic_commands_.empty()) return;
  std::vector<PropagatedCommand> commands;
  commands.swap(atomic_commands_);
  // Each destination gets the commands meant for it: one alone, several as MULTI/EXEC.
  std::vector<PropagatedCommand> some;
  const auto to_aof = CommandsFor(commands, &PropagatedCommand::to_aof, &some);
  if (to_aof.size() == 1) aof_.Feed(to_aof[0].db_index, {}, ArgvOf(to_aof[0]));
  if (to_aof.size() > 1) aof_.FeedTransaction(to_aof);
  std::vector<PropagatedCommand> others;
  const auto to_replicas = CommandsFor(commands, &PropagatedCommand::to_replicas, &others);
  if (to_replicas.size() == 1) {
    replication_->FeedEffects(to_replicas[0].db_index, {}, ArgvOf(to_replicas[0]));
  }
  if (to_replicas.size() > 1) replication_->FeedTransaction(to_replicas);
  // The next block reuses the memory.
  commands.clear();
  atomic_commands_.swap(commands);
}

Connection* Server::AdoptMasterConnection(int fd, const std::string& peer) {
  auto* conn = new Connection(this, fd, peer, "", false);
  conn->id = next_client_id_++;
  conn->authenticated = true;
  conn->is_master_link = true;
  conn->reply_mode = ClientState::ReplyMode::kOff;
  clients_[conn->id] = conn;
  loop_.Add(fd, EPOLLIN, conn);
  return conn;
}

void Server::ThrottleWriter(Connection& conn) {
  // A replica's buffer nears its limit: this client waits a little before its next command, so
  // writers slow down to what the replica takes instead of the replica being dropped.
  const int64_t delay = replication_->throttle_delay_ms();
  if (delay <= 0 || conn.is_master_link || conn.is_replica_link || conn.blocked()) return;
  replication_->CountThrottledWrite();
  conn.Block();
  const int64_t until = MonotonicMs() + delay;
  throttled_.push_back({conn.id, until});
  loop_.WakeAt(until);
}

void Server::ReleaseThrottledClients() {
  if (throttled_.empty()) return;
  const int64_t now = MonotonicMs();
  std::erase_if(throttled_, [&](const ThrottledClient& t) {
    Connection* conn = FindClient(t.client_id);
    if (!conn) return true;
    if (now < t.until_ms) {
      loop_.WakeAt(t.until_ms);
      return false;
    }
    conn->Unblock();
    return true;
  });
}

void Server::HandleClientsBlockedOnKeys() {
  // Serving one client can make other keys ready (BLMOVE pushes to its destination).
  while (blocked_.has_ready()) {
    for (const auto& [db_index, key] : blocked_.TakeReady()) {
      for (uint64_t id : blocked_.WaitingOn(db_index, key)) {
        const BlockedClients::Entry* entry = blocked_.Find(id);
        Connection* conn = FindClient(id);
        if (!entry || !conn) continue;
        cached_now_ms_ = WallClockMs();
        KeyEntry* e = keyspace_->db(db_index).Find(key, cached_now_ms_, !is_replica());
        if (!e || e->value.type() != entry->wanted) break;
        // The stored argv outlives the run: the entry is removed when the client is served.
        const std::vector<std::string> argv = entry->argv;
        std::vector<std::string_view> args(argv.begin(), argv.end());
        const CommandSpec* spec = CommandTable::Global().Resolve(args);
        if (!spec) {
          blocked_.Remove(id);
          conn->Unblock();
          continue;
        }
        CallCommand(*conn, *spec, args);
      }
    }
  }
}

void Server::HandleBlockedTimeouts() {
  if (blocked_.empty()) return;
  for (uint64_t id : blocked_.TimedOut(WallClockMs())) UnblockClient(id, false);
  ScheduleBlockedTimeoutWake();
}

void Server::ScheduleBlockedTimeoutWake() {
  if (int64_t deadline = blocked_.NextDeadline(); deadline > 0) {
    loop_.WakeAt(MonotonicMs() + std::max<int64_t>(deadline - WallClockMs(), 0));
  }
}

bool Server::UnblockClient(uint64_t client_id, bool error) {
  Connection* conn = FindClient(client_id);
  if (!conn) return false;
  if (const BlockedClients::Entry* entry = blocked_.Find(client_id)) {
    // Counted as one call of the blocking command, as Redis counts it when it unblocks.
    std::vector<std::string_view> args(entry->argv.begin(), entry->argv.end());
    if (const CommandSpec* spec = CommandTable::Global().Resolve(args)) ++spec->calls;
    blocked_.Remove(client_id);
  } else {
    auto it = std::find_if(waiting_.begin(), waiting_.end(),
                           [&](const WaitingClient& w) { return w.client_id == client_id; });
    if (it == waiting_.end()) return false;
    if (!error) conn->reply().Integer(replication_->CountAcked(it->offset));
    waiting_.erase(it);
    if (error) conn->reply().Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    conn->Unblock();
    return true;
  }
  if (error) {
    conn->reply().Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
  } else {
    conn->reply().NullArray();
  }
  conn->Unblock();
  return true;
}

size_t Server::clients_in_timeout_table() const {
  size_t n = blocked_.with_timeout();
  for (const WaitingClient& w : waiting_) n += w.deadline_ms > 0;
  return n;
}

void Server::BlockForReplicas(Connection& conn, int64_t offset, int64_t replicas,
                              int64_t deadline_ms) {
  conn.Block();
  waiting_.push_back({conn.id, offset, replicas, deadline_ms});
  replication_->RequestAcks();
}

void Server::CheckWaitingClients() {
  if (waiting_.empty()) return;
  const int64_t now = WallClockMs();
  std::erase_if(waiting_, [&](const WaitingClient& w) {
    Connection* conn = FindClient(w.client_id);
    if (!conn) return true;
    const int acked = replication_->CountAcked(w.offset);
    if (acked < w.replicas && (w.deadline_ms == 0 || now < w.deadline_ms)) return false;
    conn->reply().Integer(acked);
    conn->Unblock();
    return true;
  });
}

void Server::FeedMonitors(const Connection& conn, std::span<const std::string_view> args) {
  int64_t us = WallClockUs();
  std::string line = fmt::format("+{}.{:06} [{} {}]", us / 1000000, us % 1000000, conn.db_index,
                                 conn.is_unix_socket() ? "unix:" + config_.unixsocket : conn.peer_addr());
  for (size_t i = 0; i < args.size(); ++i) {
    line.push_back(' ');
    AppendQuotedRepr(&line, IsRedactedArgument(args, i) ? "(redacted)" : args[i]);
  }
  line += "\r\n";
  for (auto& [id, client] : clients_) {
    if (client->monitor && !client->closed()) {
      client->reply().Raw(line);
      MarkPendingWrite(client);
    }
  }
}

// --- Cron ----------------------------------------------------------------------------------------

void Server::ActiveExpireCycle() {
  // As Redis's slow cycle: sample 20 keys with a TTL per database; go on while more than 10% of
  // the sample was expired, within 25% of the cron period.
  constexpr size_t kSamples = 20;
  int64_t start = MonotonicUs();
  int64_t budget_us = 250000 / config_.hz;
  int dbs = keyspace_->num_dbs();
  for (int n = 0; n < dbs; ++n) {
    Database& db = keyspace_->db(expire_db_cursor_);
    expire_db_cursor_ = (expire_db_cursor_ + 1) % dbs;
    while (db.expires_count() > 0) {
      auto [sampled, expired] = db.ActiveExpireStep(kSamples, cached_now_ms_, rng());
      if (MonotonicUs() - start > budget_us) {
        ++keyspace_->stats().expired_time_cap_reached_count;
        break;
      }
      if (sampled == 0 || expired * 10 <= sampled) break;
    }
    if (MonotonicUs() - start > budget_us) break;
  }
  const int64_t elapsed_ms = (MonotonicUs() - start) / 1000;
  keyspace_->stats().expire_cycle_cpu_milliseconds += static_cast<uint64_t>(elapsed_ms);
  RecordLatency("expire-cycle", elapsed_ms);
}

void Server::CloseTimedOutClients() {
  if (config_.timeout <= 0) return;
  std::vector<Connection*> idle;
  for (auto& [id, conn] : clients_) {
    // Subscribers wait for messages, not idle (Redis exempts CLIENT_PUBSUB too).
    if (conn->is_master_link || conn->monitor || pubsub_.IsSubscribed(conn->id)) continue;
    if (cached_now_ms_ - conn->last_interaction_ms > config_.timeout * 1000) idle.push_back(conn);
  }
  for (Connection* conn : idle) {
    EMBER_LOG_VERBOSE("Closing idle client");
    conn->Close();
  }
}

void Server::Cron() {
  cached_now_ms_ = WallClockMs();
  if (!CheckFastClock()) {
    EMBER_LOG_WARNING("The TSC no longer keeps pace with the system clock: timing commands with "
                      "clock_gettime from now on.");
    AnchorClocks();  // the anchors were taken on the TSC's scale
  }
  RefreshLruClock();
  if (config_.active_expire_enabled) {
    if (!is_replica()) {
      ActiveExpireCycle();
    } else if (replica_own_expires_.size() > 0) {
      replica_own_expires_.ExpireStep(*keyspace_, cached_now_ms_, rng());
    }
  }
  // A master expires every key itself.
  if (!is_replica() && replica_own_expires_.size() > 0) replica_own_expires_.Clear();
  if (config_.maxmemory > 0) evictor_.PerformEvictions();
  // Incremental rehashing: about 1 ms of work per database per cron tick; none while a forked
  // child shares our pages (moving entries would copy them).
  for (int i = 0; i < keyspace_->num_dbs() && !HasActiveChild(); ++i) {
    Database& db = keyspace_->db(i);
    db.ShrinkIfNeeded();
    int64_t start = MonotonicUs();
    while (db.RehashStep(100) && MonotonicUs() - start < 1000) {
    }
  }
  CloseTimedOutClients();
  if (tracking_.total_keys() > 0) {
    tracking_.EnforceMaxKeys(static_cast<size_t>(config_.tracking_table_max_keys));
  }
  metrics_.Cron();
  UpdateMemoryPeak();
  stats_.ops.Track(cached_now_ms_, stats_.total_commands_processed);
  stats_.net_input.Track(cached_now_ms_, stats_.total_net_input_bytes);
  stats_.net_output.Track(cached_now_ms_, stats_.total_net_output_bytes);
  if (pause_until_ms_ && cached_now_ms_ >= pause_until_ms_) UnpauseClients();
  snapshots_.Cron();
  aof_.Cron();
  replication_->MaybeStartSnapshot();
  CheckWaitingClients();
  if (cached_now_ms_ - last_repl_cron_ms_ >= 1000) {
    last_repl_cron_ms_ = cached_now_ms_;
    replication_->Cron();
  }
}

void Server::AfterFlushAll() {
  replica_own_expires_.Clear();  // as Redis's emptyData
  snapshots_.KillChild();
  if (!config_.save.empty()) snapshots_.SaveInForeground();
}

void Server::CloseFdsInChild() {
  // Plain close(): the epoll set is shared with the parent and must not be touched. Without
  // these, a child whose parent died would keep the port, the clients' and replicas' sockets
  // (they would never see the master go away) and the read end of its own snapshot pipe (its
  // writes would block forever instead of failing).
  for (auto& l : tcp_listeners_) close(l->fd());
  if (unix_listener_) close(unix_listener_->fd());
  metrics_.CloseInChild();
  for (auto& [id, conn] : clients_) close(conn->fd());
  replication_->CloseFdsInChild();
}

}  // namespace ember
