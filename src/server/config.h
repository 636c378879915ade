// Configuration: one table of directives (name, aliases, type, bounds, default, whether CONFIG SET
// may change it at runtime, and an apply hook), backing the config file, the command line,
// CONFIG GET/SET/REWRITE and INFO alike — as Redis's `static_configs[]` in config.c.
//
// Values live in ServerConfig as plain typed fields so the hot path reads them without lookups.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/encoding_limits.h"

namespace ember {

struct SavePoint {
  int64_t seconds;
  int64_t changes;
};

struct ClientBufferLimit {
  int64_t hard_bytes = 0;
  int64_t soft_bytes = 0;
  int64_t soft_seconds = 0;
};

// Every directive's current value. Defaults are Redis 7.0's.
struct ServerConfig {
  // Network
  std::vector<std::string> bind = {"*", "-::*"};
  int64_t port = 6379;
  int64_t tcp_backlog = 511;
  std::string unixsocket;
  int64_t unixsocketperm = 0;
  int64_t timeout = 0;
  int64_t tcp_keepalive = 300;
  bool protected_mode = true;
  int64_t maxclients = 10000;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  ClientBufferLimit obuf_normal{0, 0, 0};
  ClientBufferLimit obuf_replica{256LL * 1024 * 1024, 64LL * 1024 * 1024, 60};
  ClientBufferLimit obuf_pubsub{32LL * 1024 * 1024, 8LL * 1024 * 1024, 60};
  int64_t metrics_port = 0;  // Ember's own: the Prometheus endpoint (0: off)

  // General
  bool daemonize = false;
  std::string pidfile;
  std::string loglevel = "notice";
  std::string logfile;
  int64_t databases = 16;
  bool always_show_logo = false;
  bool set_proc_title = true;
  int64_t hz = 10;
  bool dynamic_hz = true;
  bool active_expire_enabled = true;  // DEBUG SET-ACTIVE-EXPIRE
  int64_t active_expire_effort = 1;
  std::string dir;  // absolute working directory; empty means the process's cwd
  std::string config_file;  // absolute path of the file we were started with, if any

  // Security
  std::string requirepass;
  std::string masteruser;
  std::string masterauth;

  // Persistence (RDB; the AOF fields are stored until the AOF issue makes them work)
  std::vector<SavePoint> save = {{3600, 1}, {300, 100}, {60, 10000}};
  std::string dbfilename = "dump.rdb";
  bool rdbcompression = true;
  bool rdbchecksum = true;
  bool stop_writes_on_bgsave_error = true;
  bool rdb_del_sync_files = false;
  bool rdb_save_incremental_fsync = true;
  int64_t rdb_key_save_delay = 0;  // hidden: microseconds per key, to slow saves in tests
  int64_t key_load_delay = 0;      // hidden: the same for loading
  int64_t loading_process_events_interval_bytes = 2 * 1024 * 1024;
  bool appendonly = false;
  std::string appendfilename = "appendonly.aof";
  std::string appenddirname = "appendonlydir";
  std::string appendfsync = "everysec";
  bool no_appendfsync_on_rewrite = false;
  bool aof_rewrite_incremental_fsync = true;
  bool aof_use_rdb_preamble = true;
  bool aof_timestamp_enabled = false;
  bool aof_disable_auto_gc = false;
  bool aof_load_truncated = true;
  int64_t auto_aof_rewrite_percentage = 100;
  int64_t auto_aof_rewrite_min_size = 64LL * 1024 * 1024;

  // Replication (stored now; the replication issue makes them work)
  std::string replicaof_host;  // empty: master
  int64_t replicaof_port = 0;
  bool replica_read_only = true;
  bool replica_serve_stale_data = true;
  bool replica_refuse_empty_sync = true;
  bool replica_throttle_writers = true;
  int64_t replica_throttle_max_delay = 100;  // ms added at most to one write
  int64_t repl_backlog_size = 1024 * 1024;
  int64_t repl_backlog_ttl = 3600;
  int64_t repl_timeout = 60;
  int64_t repl_ping_replica_period = 10;
  bool repl_diskless_sync = true;
  int64_t repl_diskless_sync_delay = 5;
  int64_t repl_diskless_sync_max_replicas = 0;
  std::string repl_diskless_load = "disabled";
  int64_t min_replicas_to_write = 0;
  int64_t min_replicas_max_lag = 10;
  int64_t replica_priority = 100;
  std::string replica_announce_ip;
  int64_t replica_announce_port = 0;

  // Encodings of aggregate values: list-max-listpack-size, ..., zset-max-listpack-value. The
  // server puts this set in force for the data types (UseEncodingLimits, db/encoding_limits.h).
  EncodingLimits encoding;

  // Memory
  int64_t maxmemory = 0;
  std::string maxmemory_policy = "noeviction";
  int64_t maxmemory_samples = 5;
  int64_t maxmemory_eviction_tenacity = 10;
  int64_t lfu_log_factor = 10;
  int64_t lfu_decay_time = 1;
  bool replica_ignore_maxmemory = true;
  bool lazyfree_lazy_eviction = false;
  bool lazyfree_lazy_expire = false;
  bool lazyfree_lazy_server_del = false;
  bool lazyfree_lazy_user_del = false;
  bool lazyfree_lazy_user_flush = false;

  // Introspection
  int64_t slowlog_log_slower_than = 10000;
  int64_t busy_reply_threshold = 5000;  // ms before a running script answers -BUSY to others
  int64_t slowlog_max_len = 128;
  int64_t acllog_max_len = 128;
  int64_t tracking_table_max_keys = 1000000;
  int64_t shutdown_timeout = 10;  // seconds SHUTDOWN waits for lagging replicas
  int64_t latency_monitor_threshold = 0;
  // common/notify.h classes; CONFIG GET shows KeyspaceEventsFlagsToString of them.
  int notify_keyspace_events_flags = 0;
};

class ConfigTable {
 public:
  explicit ConfigTable(ServerConfig* config);
  ~ConfigTable();

  // Called after a directive changes at runtime (CONFIG SET). Returning false with *err set
  // rolls the change back and CONFIG SET replies with the error.
  using ApplyHook = std::function<bool(std::string* err)>;
  void OnApply(std::string_view name, ApplyHook hook);

  // Start-up: reads the optional config file (following `include`) and then the command-line
  // "--directive value" options, exactly as redis-server. On error prints Redis's
  // "*** FATAL CONFIG FILE ERROR ***" report to stderr and returns false (exit code 1).
  bool LoadFromCommandLine(int argc, char** argv);
  // Parses config text (the file contents plus the command-line options as lines).
  // On error fills Redis's report text.
  bool LoadText(std::string_view text, std::string_view source_name, std::string* report);

  // CONFIG SET with several name/value pairs, applied atomically (all or none).
  // `local_client` matters for protected configs (dir, dbfilename) when
  // enable-protected-configs is "local". Errors are full replies ("ERR ...").
  bool Set(const std::vector<std::pair<std::string, std::string>>& pairs, std::string* err,
           bool local_client = false);
  // CONFIG GET: name/value pairs for every directive (or alias) matching any pattern.
  std::vector<std::pair<std::string, std::string>> Get(
      const std::vector<std::string_view>& patterns) const;
  // CONFIG REWRITE: rewrites the config file keeping comments and order.
  bool Rewrite(std::string* err);

  // The CONFIG GET value of one directive (exact name or alias, any case), if it exists.
  std::optional<std::string> GetValue(std::string_view name) const;
  // Whether CONFIG SET of this directive must be redacted (requirepass, masterauth, masteruser).
  static bool IsSensitive(std::string_view name);

  // CONFIG REWRITE writes the lines returned by `provider` for `option` (e.g. "user" lines from
  // the ACL), replacing that option's lines in the file, as Redis's rewriteConfigUserOption().
  using RewriteProvider = std::function<std::vector<std::string>()>;
  void OnRewrite(std::string_view option, RewriteProvider provider);
  // When set before loading, rename-command is checked as Redis does ("No such command in
  // rename-command", "Target command name already exists").
  void SetCommandValidator(std::function<bool(std::string_view)> exists);
  // When set before loading, each `user` directive (name, rules...) is checked as it is read:
  // the validator returns "" or the error to report at its line (Redis's
  // ACLAppendUserForLoading). A user defined twice is refused here.
  void SetUserValidator(std::function<std::string(const std::vector<std::string>&)> check);

  // rename-command directives seen while loading, applied by the server to the command table.
  const std::vector<std::pair<std::string, std::string>>& renamed_commands() const {
    return renamed_commands_;
  }
  // `user` directives seen while loading (arguments after the keyword), for the ACL.
  const std::vector<std::vector<std::string>>& user_directives() const { return user_directives_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::pair<std::string, std::string>> renamed_commands_;
  std::vector<std::vector<std::string>> user_directives_;
};

}  // namespace ember
