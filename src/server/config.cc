// The configuration table: every directive of Redis 7.0's CONFIG GET *, with its type, bounds,
// default, flags and storage, plus the config-file loader, CONFIG GET/SET/REWRITE and the
// command-line handling of redis-server. Error texts are Redis 7.0.15's, word for word.
#include "server/config.h"

#include <fcntl.h>
#include <glob.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iostream>
#include <iterator>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "common/log.h"
#include "common/notify.h"
#include "common/strings.h"
#include "common/version.h"
#include "protocol/request_parser.h"

namespace ember {

namespace {

// ---------------------------------------------------------------------------------------------
// Directive descriptions
// ---------------------------------------------------------------------------------------------

// Directive flags (Redis's *_CONFIG flags).
constexpr uint32_t kImmutable = 1u << 0;    // CONFIG SET refuses it
constexpr uint32_t kProtected = 1u << 1;    // CONFIG SET needs enable-protected-configs
constexpr uint32_t kMultiArg = 1u << 2;     // takes several arguments
constexpr uint32_t kHidden = 1u << 3;       // CONFIG GET patterns skip it (exact name only)
constexpr uint32_t kSensitive = 1u << 4;    // value redacted from logs/slowlog
constexpr uint32_t kDenyLoading = 1u << 5;  // refused while loading (not enforced here)

// Numeric flags.
constexpr uint32_t kMemory = 1u << 0;
constexpr uint32_t kPercent = 1u << 1;
constexpr uint32_t kOctal = 1u << 2;

constexpr int64_t kIntMax = INT_MAX;
constexpr int64_t kIntMin = INT_MIN;
constexpr int64_t kUintMax = UINT_MAX;
constexpr int64_t kLongMax = LONG_MAX;
constexpr int64_t kLLongMax = LLONG_MAX;
constexpr int64_t kULLongMaxBits = -1;  // ULLONG_MAX as a bit pattern (unsigned bounds)

enum class Kind { kBool, kNumeric, kEnum, kString, kSpecial };

enum class Special {
  kNone,
  kDir,
  kSave,
  kClientOutputBufferLimit,
  kOomScoreAdjValues,
  kNotifyKeyspaceEvents,
  kBind,
  kReplicaOf,
  kLatencyTrackingPercentiles,
};

enum class Validator {
  kNone,
  kActiveDefrag,
  kDbFilename,
  kAofFilename,
  kAofDirname,
  kHostname,
  kProcTitleTemplate,
  kShutdownFlags,
};

struct EnumItem {
  const char* name;
  int value;
};

struct Def {
  const char* name = nullptr;
  const char* alias = nullptr;
  Kind kind = Kind::kBool;
  uint32_t flags = 0;
  // Numeric.
  uint32_t num_flags = 0;
  bool unsigned_bounds = false;  // bounds compared as unsigned (uint, size_t, unsigned long long)
  int64_t lo = 0;
  int64_t hi = 0;
  // Defaults: bool/numeric/enum use def_int; strings use def_str (nullptr means NULL).
  int64_t def_int = 0;
  const char* def_str = nullptr;
  bool empty_is_null = false;  // strings: "" means unset (removed by CONFIG REWRITE)
  std::span<const EnumItem> enums;
  Validator validator = Validator::kNone;
  Special special = Special::kNone;
  // Where the value lives in ServerConfig, if it has a field; otherwise in the generic slots.
  bool ServerConfig::*bool_field = nullptr;
  int64_t ServerConfig::*int_field = nullptr;
  int64_t EncodingLimits::*limit_field = nullptr;  // a field of ServerConfig::encoding
  std::string ServerConfig::*str_field = nullptr;
};

Def MakeBool(const char* name, const char* alias, uint32_t flags, bool def,
             bool ServerConfig::*field = nullptr, Validator validator = Validator::kNone) {
  Def d;
  d.name = name;
  d.alias = alias;
  d.kind = Kind::kBool;
  d.flags = flags;
  d.def_int = def ? 1 : 0;
  d.bool_field = field;
  d.validator = validator;
  return d;
}

Def MakeNum(const char* name, const char* alias, uint32_t flags, int64_t lo, int64_t hi,
            int64_t def, uint32_t num_flags = 0, int64_t ServerConfig::*field = nullptr,
            bool unsigned_bounds = false) {
  Def d;
  d.name = name;
  d.alias = alias;
  d.kind = Kind::kNumeric;
  d.flags = flags;
  d.lo = lo;
  d.hi = hi;
  d.def_int = def;
  d.num_flags = num_flags;
  d.int_field = field;
  d.unsigned_bounds = unsigned_bounds;
  return d;
}

// A numeric directive whose value is one of the encoding limits (ServerConfig::encoding).
Def MakeLimit(const char* name, const char* alias, int64_t lo, int64_t hi, int64_t def,
              uint32_t num_flags, int64_t EncodingLimits::*field, bool unsigned_bounds) {
  Def d = MakeNum(name, alias, 0, lo, hi, def, num_flags, nullptr, unsigned_bounds);
  d.limit_field = field;
  return d;
}

Def MakeEnum(const char* name, const char* alias, uint32_t flags, std::span<const EnumItem> items,
             int def, std::string ServerConfig::*field = nullptr,
             Validator validator = Validator::kNone) {
  Def d;
  d.name = name;
  d.alias = alias;
  d.kind = Kind::kEnum;
  d.flags = flags;
  d.enums = items;
  d.def_int = def;
  d.str_field = field;
  d.validator = validator;
  return d;
}

Def MakeStr(const char* name, const char* alias, uint32_t flags, bool empty_is_null,
            const char* def, std::string ServerConfig::*field = nullptr,
            Validator validator = Validator::kNone) {
  Def d;
  d.name = name;
  d.alias = alias;
  d.kind = Kind::kString;
  d.flags = flags;
  d.empty_is_null = empty_is_null;
  d.def_str = def;
  d.str_field = field;
  d.validator = validator;
  return d;
}

Def MakeSpecial(const char* name, const char* alias, uint32_t flags, Special special) {
  Def d;
  d.name = name;
  d.alias = alias;
  d.kind = Kind::kSpecial;
  d.flags = flags;
  d.special = special;
  return d;
}

constexpr EnumItem kMaxmemoryPolicyEnum[] = {
    {"volatile-lru", 0}, {"volatile-lfu", 1}, {"volatile-random", 2}, {"volatile-ttl", 3},
    {"allkeys-lru", 4},  {"allkeys-lfu", 5},  {"allkeys-random", 6},  {"noeviction", 7}};
constexpr EnumItem kSyslogFacilityEnum[] = {{"user", 0},   {"local0", 1}, {"local1", 2},
                                            {"local2", 3}, {"local3", 4}, {"local4", 5},
                                            {"local5", 6}, {"local6", 7}, {"local7", 8}};
constexpr EnumItem kLoglevelEnum[] = {{"debug", 0}, {"verbose", 1}, {"notice", 2}, {"warning", 3}};
constexpr EnumItem kSupervisedEnum[] = {{"upstart", 1}, {"systemd", 2}, {"auto", 3}, {"no", 0}};
constexpr EnumItem kAofFsyncEnum[] = {{"everysec", 1}, {"always", 2}, {"no", 0}};
constexpr EnumItem kReplDisklessLoadEnum[] = {{"disabled", 0}, {"on-empty-db", 1}, {"swapdb", 2}};
constexpr EnumItem kTlsAuthClientsEnum[] = {{"no", 0}, {"yes", 1}, {"optional", 2}};
constexpr EnumItem kOomScoreAdjEnum[] = {{"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}};
constexpr EnumItem kAclPubsubDefaultEnum[] = {{"allchannels", 1}, {"resetchannels", 0}};
constexpr EnumItem kSanitizeDumpPayloadEnum[] = {{"no", 0}, {"yes", 1}, {"clients", 2}};
constexpr EnumItem kProtectedActionEnum[] = {{"no", 0}, {"yes", 1}, {"local", 2}};
constexpr EnumItem kClusterPreferredEndpointTypeEnum[] = {
    {"ip", 0}, {"hostname", 1}, {"unknown-endpoint", 2}};
constexpr EnumItem kPropagationErrorBehaviorEnum[] = {
    {"ignore", 0}, {"panic", 1}, {"panic-on-replicas", 2}};
constexpr EnumItem kShutdownOnSigEnum[] = {
    {"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}};

constexpr int kShutdownSave = 1;
constexpr int kShutdownNoSave = 2;

using SC = ServerConfig;

std::vector<Def> BuildTable() {
  std::vector<Def> t;
  // Bool configs.
  t.push_back(MakeBool("rdbchecksum", nullptr, kImmutable, true, &SC::rdbchecksum));
  t.push_back(MakeBool("daemonize", nullptr, kImmutable, false, &SC::daemonize));
  t.push_back(MakeBool("io-threads-do-reads", nullptr, kImmutable, false));
  t.push_back(MakeBool("always-show-logo", nullptr, kImmutable, false, &SC::always_show_logo));
  t.push_back(MakeBool("protected-mode", nullptr, 0, true, &SC::protected_mode));
  t.push_back(MakeBool("rdbcompression", nullptr, 0, true, &SC::rdbcompression));
  t.push_back(MakeBool("rdb-del-sync-files", nullptr, 0, false, &SC::rdb_del_sync_files));
  t.push_back(MakeBool("activerehashing", nullptr, 0, true));
  t.push_back(
      MakeBool("stop-writes-on-bgsave-error", nullptr, 0, true, &SC::stop_writes_on_bgsave_error));
  t.push_back(MakeBool("set-proc-title", nullptr, kImmutable, true, &SC::set_proc_title));
  t.push_back(MakeBool("dynamic-hz", nullptr, 0, true, &SC::dynamic_hz));
  t.push_back(MakeBool("lazyfree-lazy-eviction", nullptr, 0, false, &SC::lazyfree_lazy_eviction));
  t.push_back(MakeBool("lazyfree-lazy-expire", nullptr, 0, false, &SC::lazyfree_lazy_expire));
  t.push_back(MakeBool("lazyfree-lazy-server-del", nullptr, 0, false, &SC::lazyfree_lazy_server_del));
  t.push_back(MakeBool("lazyfree-lazy-user-del", nullptr, 0, false, &SC::lazyfree_lazy_user_del));
  t.push_back(MakeBool("lazyfree-lazy-user-flush", nullptr, 0, false, &SC::lazyfree_lazy_user_flush));
  t.push_back(MakeBool("repl-disable-tcp-nodelay", nullptr, 0, false));
  t.push_back(MakeBool("repl-diskless-sync", nullptr, 0, true, &SC::repl_diskless_sync));
  t.push_back(MakeBool("aof-rewrite-incremental-fsync", nullptr, 0, true,
                       &SC::aof_rewrite_incremental_fsync));
  t.push_back(MakeBool("no-appendfsync-on-rewrite", nullptr, 0, false,
                       &SC::no_appendfsync_on_rewrite));
  t.push_back(MakeBool("cluster-require-full-coverage", nullptr, 0, true));
  t.push_back(MakeBool("rdb-save-incremental-fsync", nullptr, 0, true,
                                                 &SC::rdb_save_incremental_fsync));
  t.push_back(MakeBool("aof-load-truncated", nullptr, 0, true, &SC::aof_load_truncated));
  t.push_back(MakeBool("aof-use-rdb-preamble", nullptr, 0, true, &SC::aof_use_rdb_preamble));
  t.push_back(MakeBool("aof-timestamp-enabled", nullptr, 0, false, &SC::aof_timestamp_enabled));
  t.push_back(MakeBool("cluster-replica-no-failover", "cluster-slave-no-failover", 0, false));
  t.push_back(MakeBool("replica-lazy-flush", "slave-lazy-flush", 0, false));
  // Ember's own (docs/replication.md): a replica holding data refuses an empty full sync from a
  // master that lost its history.
  t.push_back(MakeBool("replica-refuse-empty-sync", nullptr, 0, true,
                       &SC::replica_refuse_empty_sync));
  // Ember's own: slow down writers while a replica's buffer nears its limit, instead of
  // dropping the replica into another full sync (docs/replication.md).
  t.push_back(MakeBool("replica-throttle-writers", nullptr, 0, true,
                       &SC::replica_throttle_writers));
  t.push_back(MakeNum("replica-throttle-max-delay", nullptr, 0, 0, 10000, 100, 0,
                      &SC::replica_throttle_max_delay));
  t.push_back(MakeBool("replica-serve-stale-data", "slave-serve-stale-data", 0, true,
                       &SC::replica_serve_stale_data));
  t.push_back(MakeBool("replica-read-only", "slave-read-only", 0, true, &SC::replica_read_only));
  t.push_back(MakeBool("replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, true,
                       &SC::replica_ignore_maxmemory));
  t.push_back(MakeBool("jemalloc-bg-thread", nullptr, 0, true));
  t.push_back(MakeBool("activedefrag", nullptr, 0, false, nullptr, Validator::kActiveDefrag));
  t.push_back(MakeBool("syslog-enabled", nullptr, kImmutable, false));
  t.push_back(MakeBool("cluster-enabled", nullptr, kImmutable, false));
  t.push_back(MakeBool("appendonly", nullptr, kDenyLoading, false, &SC::appendonly));
  t.push_back(MakeBool("cluster-allow-reads-when-down", nullptr, 0, false));
  t.push_back(MakeBool("cluster-allow-pubsubshard-when-down", nullptr, 0, true));
  t.push_back(MakeBool("crash-log-enabled", nullptr, 0, true));
  t.push_back(MakeBool("crash-memcheck-enabled", nullptr, 0, true));
  t.push_back(MakeBool("use-exit-on-panic", nullptr, kHidden, false));
  t.push_back(MakeBool("disable-thp", nullptr, kImmutable, true));
  t.push_back(MakeBool("cluster-allow-replica-migration", nullptr, 0, true));
  t.push_back(MakeBool("replica-announced", nullptr, 0, true));
  t.push_back(MakeBool("latency-tracking", nullptr, 0, true));
  t.push_back(MakeBool("aof-disable-auto-gc", nullptr, 0, false, &SC::aof_disable_auto_gc));
  t.push_back(MakeBool("replica-ignore-disk-write-errors", nullptr, 0, false));

  // String configs.
  t.push_back(MakeStr("aclfile", nullptr, kImmutable, false, ""));
  t.push_back(MakeStr("unixsocket", nullptr, kImmutable, true, nullptr, &SC::unixsocket));
  t.push_back(MakeStr("pidfile", nullptr, kImmutable, true, nullptr, &SC::pidfile));
  t.push_back(MakeStr("replica-announce-ip", "slave-announce-ip", 0, true, nullptr,
                      &SC::replica_announce_ip));
  t.push_back(MakeStr("masteruser", nullptr, kSensitive, true, nullptr, &SC::masteruser));
  t.push_back(MakeStr("cluster-announce-ip", nullptr, 0, true, nullptr));
  t.push_back(MakeStr("cluster-config-file", nullptr, kImmutable, false, "nodes.conf"));
  t.push_back(MakeStr("cluster-announce-hostname", nullptr, 0, true, nullptr, nullptr,
                      Validator::kHostname));
  t.push_back(MakeStr("syslog-ident", nullptr, kImmutable, false, "redis"));
  t.push_back(MakeStr("dbfilename", nullptr, kProtected, false, "dump.rdb", &SC::dbfilename,
                      Validator::kDbFilename));
  t.push_back(MakeStr("appendfilename", nullptr, kImmutable, false, "appendonly.aof",
                      &SC::appendfilename, Validator::kAofFilename));
  t.push_back(MakeStr("appenddirname", nullptr, kImmutable, false, "appendonlydir",
                      &SC::appenddirname, Validator::kAofDirname));
  t.push_back(MakeStr("server_cpulist", nullptr, kImmutable, true, nullptr));
  t.push_back(MakeStr("bio_cpulist", nullptr, kImmutable, true, nullptr));
  t.push_back(MakeStr("aof_rewrite_cpulist", nullptr, kImmutable, true, nullptr));
  t.push_back(MakeStr("bgsave_cpulist", nullptr, kImmutable, true, nullptr));
  t.push_back(MakeStr("ignore-warnings", nullptr, 0, false, ""));
  t.push_back(MakeStr("proc-title-template", nullptr, 0, false,
                      "{title} {listen-addr} {server-mode}", nullptr,
                      Validator::kProcTitleTemplate));
  t.push_back(MakeStr("bind-source-addr", nullptr, 0, true, nullptr));
  t.push_back(MakeStr("logfile", nullptr, kImmutable, false, "", &SC::logfile));
  t.push_back(MakeStr("masterauth", nullptr, kSensitive, true, nullptr, &SC::masterauth));
  t.push_back(MakeStr("requirepass", nullptr, kSensitive, true, nullptr, &SC::requirepass));

  // Enum configs.
  t.push_back(MakeEnum("supervised", nullptr, kImmutable, kSupervisedEnum, 0));
  t.push_back(MakeEnum("syslog-facility", nullptr, kImmutable, kSyslogFacilityEnum, 1));
  t.push_back(MakeEnum("repl-diskless-load", nullptr, kDenyLoading, kReplDisklessLoadEnum, 0,
                       &SC::repl_diskless_load));
  t.push_back(MakeEnum("loglevel", nullptr, 0, kLoglevelEnum, 2, &SC::loglevel));
  t.push_back(
      MakeEnum("maxmemory-policy", nullptr, 0, kMaxmemoryPolicyEnum, 7, &SC::maxmemory_policy));
  t.push_back(MakeEnum("appendfsync", nullptr, 0, kAofFsyncEnum, 1, &SC::appendfsync));
  t.push_back(MakeEnum("oom-score-adj", nullptr, 0, kOomScoreAdjEnum, 0));
  t.push_back(MakeEnum("acl-pubsub-default", nullptr, 0, kAclPubsubDefaultEnum, 0));
  t.push_back(MakeEnum("sanitize-dump-payload", nullptr, 0, kSanitizeDumpPayloadEnum, 0));
  t.push_back(MakeEnum("enable-protected-configs", nullptr, kImmutable, kProtectedActionEnum, 0));
  t.push_back(MakeEnum("enable-debug-command", nullptr, kImmutable, kProtectedActionEnum, 0));
  t.push_back(MakeEnum("enable-module-command", nullptr, kImmutable, kProtectedActionEnum, 0));
  t.push_back(MakeEnum("cluster-preferred-endpoint-type", nullptr, 0,
                       kClusterPreferredEndpointTypeEnum, 0));
  t.push_back(MakeEnum("propagation-error-behavior", nullptr, 0, kPropagationErrorBehaviorEnum, 0));
  t.push_back(MakeEnum("shutdown-on-sigint", nullptr, kMultiArg, kShutdownOnSigEnum, 0, nullptr,
                       Validator::kShutdownFlags));
  t.push_back(MakeEnum("shutdown-on-sigterm", nullptr, kMultiArg, kShutdownOnSigEnum, 0, nullptr,
                       Validator::kShutdownFlags));

  // Integer configs (int).
  t.push_back(MakeNum("databases", nullptr, kImmutable, 1, kIntMax, 16, 0, &SC::databases));
  t.push_back(MakeNum("port", nullptr, 0, 0, 65535, 6379, 0, &SC::port));
  // Ember's own: the Prometheus endpoint's port (server/metrics_endpoint.h; 0: off).
  t.push_back(MakeNum("metrics-port", nullptr, 0, 0, 65535, 0, 0, &SC::metrics_port));
  t.push_back(MakeNum("io-threads", nullptr, kImmutable, 1, 128, 1));
  t.push_back(MakeNum("auto-aof-rewrite-percentage", nullptr, 0, 0, kIntMax, 100, 0,
                      &SC::auto_aof_rewrite_percentage));
  t.push_back(MakeNum("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, 0,
                      kIntMax, 10));
  t.push_back(MakeLimit("list-max-listpack-size", "list-max-ziplist-size", kIntMin, kIntMax, -2,
                        0, &EncodingLimits::list_max_listpack_size, false));
  t.push_back(MakeNum("tcp-keepalive", nullptr, 0, 0, kIntMax, 300, 0, &SC::tcp_keepalive));
  t.push_back(MakeNum("cluster-migration-barrier", nullptr, 0, 0, kIntMax, 1));
  t.push_back(MakeNum("active-defrag-cycle-min", nullptr, 0, 1, 99, 1));
  t.push_back(MakeNum("active-defrag-cycle-max", nullptr, 0, 1, 99, 25));
  t.push_back(MakeNum("active-defrag-threshold-lower", nullptr, 0, 0, 1000, 10));
  t.push_back(MakeNum("active-defrag-threshold-upper", nullptr, 0, 0, 1000, 100));
  t.push_back(MakeNum("lfu-log-factor", nullptr, 0, 0, kIntMax, 10, 0, &SC::lfu_log_factor));
  t.push_back(MakeNum("lfu-decay-time", nullptr, 0, 0, kIntMax, 1, 0, &SC::lfu_decay_time));
  t.push_back(
      MakeNum("replica-priority", "slave-priority", 0, 0, kIntMax, 100, 0, &SC::replica_priority));
  t.push_back(MakeNum("repl-diskless-sync-delay", nullptr, 0, 0, kIntMax, 5, 0,
                      &SC::repl_diskless_sync_delay));
  t.push_back(MakeNum("maxmemory-samples", nullptr, 0, 1, kIntMax, 5, 0, &SC::maxmemory_samples));
  t.push_back(MakeNum("maxmemory-eviction-tenacity", nullptr, 0, 0, 100, 10, 0,
                      &SC::maxmemory_eviction_tenacity));
  t.push_back(MakeNum("timeout", nullptr, 0, 0, kIntMax, 0, 0, &SC::timeout));
  t.push_back(MakeNum("replica-announce-port", "slave-announce-port", 0, 0, 65535, 0, 0,
                      &SC::replica_announce_port));
  t.push_back(MakeNum("tcp-backlog", nullptr, kImmutable, 0, kIntMax, 511, 0, &SC::tcp_backlog));
  t.push_back(MakeNum("cluster-port", nullptr, kImmutable, 0, 65535, 0));
  t.push_back(MakeNum("cluster-announce-bus-port", nullptr, 0, 0, 65535, 0));
  t.push_back(MakeNum("cluster-announce-port", nullptr, 0, 0, 65535, 0));
  t.push_back(MakeNum("cluster-announce-tls-port", nullptr, 0, 0, 65535, 0));
  t.push_back(MakeNum("repl-timeout", nullptr, 0, 1, kIntMax, 60, 0, &SC::repl_timeout));
  t.push_back(MakeNum("repl-ping-replica-period", "repl-ping-slave-period", 0, 1, kIntMax, 10, 0,
                      &SC::repl_ping_replica_period));
  t.push_back(MakeLimit("list-compress-depth", nullptr, 0, kIntMax, 0, 0,
                        &EncodingLimits::list_compress_depth, false));
  t.push_back(MakeNum("rdb-key-save-delay", nullptr, kHidden, kIntMin, kIntMax, 0, 0,
                      &SC::rdb_key_save_delay));
  t.push_back(MakeNum("key-load-delay", nullptr, kHidden, kIntMin, kIntMax, 0, 0,
                      &SC::key_load_delay));
  t.push_back(MakeNum("active-expire-effort", nullptr, 0, 1, 10, 1, 0, &SC::active_expire_effort));
  t.push_back(MakeNum("hz", nullptr, 0, 0, kIntMax, 10, 0, &SC::hz));
  t.push_back(MakeNum("min-replicas-to-write", "min-slaves-to-write", 0, 0, kIntMax, 0, 0,
                      &SC::min_replicas_to_write));
  t.push_back(MakeNum("min-replicas-max-lag", "min-slaves-max-lag", 0, 0, kIntMax, 10, 0,
                      &SC::min_replicas_max_lag));
  t.push_back(MakeNum("watchdog-period", nullptr, kHidden, 0, kIntMax, 0));
  t.push_back(MakeNum("shutdown-timeout", nullptr, 0, 0, kIntMax, 10, 0, &SC::shutdown_timeout));
  t.push_back(MakeNum("repl-diskless-sync-max-replicas", nullptr, 0, 0, kIntMax, 0, 0,
                      &SC::repl_diskless_sync_max_replicas));
  // Unsigned int configs.
  t.push_back(MakeNum("maxclients", nullptr, 0, 1, kUintMax, 10000, 0, &SC::maxclients, true));
  t.push_back(MakeNum("unixsocketperm", nullptr, kImmutable, 0, 0777, 0, kOctal,
                      &SC::unixsocketperm, true));
  t.push_back(MakeNum("socket-mark-id", nullptr, kImmutable, 0, kUintMax, 0, 0, nullptr, true));
  // Unsigned long configs (bounds checked as signed, as Redis does).
  t.push_back(MakeNum("active-defrag-max-scan-fields", nullptr, 0, 1, kLongMax, 1000));
  t.push_back(MakeNum("slowlog-max-len", nullptr, 0, 0, kLongMax, 128, 0, &SC::slowlog_max_len));
  t.push_back(MakeNum("acllog-max-len", nullptr, 0, 0, kLongMax, 128, 0, &SC::acllog_max_len));
  // Long long configs.
  t.push_back(MakeNum("busy-reply-threshold", "lua-time-limit", 0, 0, kLongMax, 5000, 0,
                      &SC::busy_reply_threshold));
  t.push_back(MakeNum("cluster-node-timeout", nullptr, 0, 0, kLLongMax, 15000));
  t.push_back(MakeNum("slowlog-log-slower-than", nullptr, 0, -1, kLLongMax, 10000, 0,
                      &SC::slowlog_log_slower_than));
  t.push_back(MakeNum("latency-monitor-threshold", nullptr, 0, 0, kLLongMax, 0, 0,
                      &SC::latency_monitor_threshold));
  t.push_back(MakeNum("proto-max-bulk-len", nullptr, 0, 1024 * 1024, kLongMax, 512LL * 1024 * 1024,
                      kMemory, &SC::proto_max_bulk_len));
  t.push_back(MakeNum("stream-node-max-entries", nullptr, 0, 0, kLLongMax, 100));
  t.push_back(MakeNum("repl-backlog-size", nullptr, 0, 1, kLLongMax, 1024 * 1024, kMemory,
                      &SC::repl_backlog_size));
  // Unsigned long long configs.
  t.push_back(
      MakeNum("maxmemory", nullptr, 0, 0, kULLongMaxBits, 0, kMemory, &SC::maxmemory, true));
  t.push_back(MakeNum("cluster-link-sendbuf-limit", nullptr, 0, 0, kULLongMaxBits, 0, kMemory,
                      nullptr, true));
  // size_t configs.
  t.push_back(MakeLimit("hash-max-listpack-entries", "hash-max-ziplist-entries", 0, kLongMax, 512,
                        0, &EncodingLimits::hash_max_listpack_entries, true));
  t.push_back(MakeLimit("set-max-intset-entries", nullptr, 0, kLongMax, 512, 0,
                        &EncodingLimits::set_max_intset_entries, true));
  t.push_back(MakeLimit("zset-max-listpack-entries", "zset-max-ziplist-entries", 0, kLongMax, 128,
                        0, &EncodingLimits::zset_max_listpack_entries, true));
  t.push_back(MakeNum("active-defrag-ignore-bytes", nullptr, 0, 1, kLLongMax, 100LL << 20, kMemory,
                      nullptr, true));
  t.push_back(MakeLimit("hash-max-listpack-value", "hash-max-ziplist-value", 0, kLongMax, 64,
                        kMemory, &EncodingLimits::hash_max_listpack_value, true));
  t.push_back(
      MakeNum("stream-node-max-bytes", nullptr, 0, 0, kLongMax, 4096, kMemory, nullptr, true));
  t.push_back(MakeLimit("zset-max-listpack-value", "zset-max-ziplist-value", 0, kLongMax, 64,
                        kMemory, &EncodingLimits::zset_max_listpack_value, true));
  t.push_back(
      MakeNum("hll-sparse-max-bytes", nullptr, 0, 0, kLongMax, 3000, kMemory, nullptr, true));
  t.push_back(
      MakeNum("tracking-table-max-keys", nullptr, 0, 0, kLongMax, 1000000, 0,
              &SC::tracking_table_max_keys, true));
  t.push_back(MakeNum("client-query-buffer-limit", nullptr, 0, 1024 * 1024, kLongMax,
                      1024LL * 1024 * 1024, kMemory, &SC::client_query_buffer_limit, true));
  // ssize_t configs.
  t.push_back(MakeNum("maxmemory-clients", nullptr, 0, -100, kLLongMax, 0, kMemory | kPercent));
  // time_t / off_t configs.
  t.push_back(MakeNum("repl-backlog-ttl", nullptr, 0, 0, kLongMax, 3600, 0, &SC::repl_backlog_ttl));
  t.push_back(MakeNum("auto-aof-rewrite-min-size", nullptr, 0, 0, kLLongMax, 64LL * 1024 * 1024,
                      kMemory, &SC::auto_aof_rewrite_min_size));
  t.push_back(MakeNum("loading-process-events-interval-bytes", nullptr, kHidden, 1024, kIntMax,
                      2 * 1024 * 1024, 0, &SC::loading_process_events_interval_bytes));

  // TLS configs (the installed redis-server is built with TLS; Ember stores them only).
  t.push_back(MakeNum("tls-port", nullptr, 0, 0, 65535, 0));
  t.push_back(MakeNum("tls-session-cache-size", nullptr, 0, 0, kIntMax, 20 * 1024));
  t.push_back(MakeNum("tls-session-cache-timeout", nullptr, 0, 0, kIntMax, 300));
  t.push_back(MakeBool("tls-cluster", nullptr, 0, false));
  t.push_back(MakeBool("tls-replication", nullptr, 0, false));
  t.push_back(MakeEnum("tls-auth-clients", nullptr, 0, kTlsAuthClientsEnum, 1));
  t.push_back(MakeBool("tls-prefer-server-ciphers", nullptr, 0, false));
  t.push_back(MakeBool("tls-session-caching", nullptr, 0, true));
  for (const char* name :
       {"tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file",
        "tls-client-key-file", "tls-client-key-file-pass", "tls-dh-params-file", "tls-ca-cert-file",
        "tls-ca-cert-dir", "tls-protocols", "tls-ciphers", "tls-ciphersuites"}) {
    t.push_back(MakeStr(name, nullptr, 0, true, nullptr));
  }

  // Special configs.
  t.push_back(MakeSpecial("dir", nullptr, kProtected | kDenyLoading, Special::kDir));
  t.push_back(MakeSpecial("save", nullptr, kMultiArg, Special::kSave));
  t.push_back(MakeSpecial("client-output-buffer-limit", nullptr, kMultiArg,
                          Special::kClientOutputBufferLimit));
  t.push_back(MakeSpecial("oom-score-adj-values", nullptr, kMultiArg, Special::kOomScoreAdjValues));
  t.push_back(MakeSpecial("notify-keyspace-events", nullptr, 0, Special::kNotifyKeyspaceEvents));
  t.push_back(MakeSpecial("bind", nullptr, kMultiArg, Special::kBind));
  t.push_back(MakeSpecial("replicaof", "slaveof", kImmutable | kMultiArg, Special::kReplicaOf));
  t.push_back(MakeSpecial("latency-tracking-info-percentiles", nullptr, kMultiArg,
                          Special::kLatencyTrackingPercentiles));
  return t;
}

const std::vector<Def>& Table() {
  static const std::vector<Def> table = BuildTable();
  return table;
}

// Directives accepted (and ignored) for backward compatibility, with their argc range.
struct Deprecated {
  const char* name;
  size_t argc_min;
  size_t argc_max;
};
constexpr Deprecated kDeprecated[] = {{"list-max-ziplist-entries", 2, 2},
                                      {"list-max-ziplist-value", 2, 2},
                                      {"lua-replicate-commands", 2, 2}};

// ---------------------------------------------------------------------------------------------
// Parsing helpers with Redis's exact rules
// ---------------------------------------------------------------------------------------------

std::vector<std::string_view> SplitLines(std::string_view text) { return SdsSplit(text, '\n'); }

// CONFIG SET splits multi-argument values on single spaces: empty tokens survive, the empty
// string gives no argument at all.
std::vector<std::string> SplitOnSpaces(std::string_view s) {
  std::vector<std::string_view> parts = SdsSplit(s, ' ');
  return std::vector<std::string>(parts.begin(), parts.end());
}

// strtoll(s, &end, base) with the "*end == '\0'" check, as Redis's parsers of save points,
// buffer limits and octal values do (leading spaces and signs are accepted, "" parses as 0).
bool StrToLL(const std::string& s, int base, long long* out, bool check_errno = false) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, base);
  if (*end != '\0') return false;
  if (check_errno && errno != 0) return false;
  *out = v;
  return true;
}

// Redis's memtoull(): digits followed by an optional unit (b, k, kb, m, mb, g, gb, any case).
// No sign, no spaces; overflow of the digits saturates and the multiplication wraps, as in C.
bool MemToULL(std::string_view s, uint64_t* out) {
  if (!s.empty() && s[0] == '-') return false;
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  std::string_view unit = s.substr(i);
  uint64_t mul;
  if (unit.empty() || EqualsIgnoreCase(unit, "b")) {
    mul = 1;
  } else if (EqualsIgnoreCase(unit, "k")) {
    mul = 1000;
  } else if (EqualsIgnoreCase(unit, "kb")) {
    mul = 1024;
  } else if (EqualsIgnoreCase(unit, "m")) {
    mul = 1000ULL * 1000;
  } else if (EqualsIgnoreCase(unit, "mb")) {
    mul = 1024ULL * 1024;
  } else if (EqualsIgnoreCase(unit, "g")) {
    mul = 1000ULL * 1000 * 1000;
  } else if (EqualsIgnoreCase(unit, "gb")) {
    mul = 1024ULL * 1024 * 1024;
  } else {
    return false;
  }
  if (i >= 128) return false;
  uint64_t v = 0;
  for (size_t k = 0; k < i; ++k) {
    uint64_t d = static_cast<uint64_t>(s[k] - '0');
    if (v > (UINT64_MAX - d) / 10) {
      v = UINT64_MAX;  // strtoull saturates with ERANGE, which memtoull doesn't check
      break;
    }
    v = v * 10 + d;
  }
  *out = v * mul;
  return true;
}


std::string FormatUnsigned(uint64_t v) { return std::to_string(v); }

std::string FormatOctal(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%llo", static_cast<unsigned long long>(v));
  return buf;
}

// rewriteConfigFormatMemory(): the largest exact unit among gb, mb, kb.
std::string FormatMemoryForRewrite(int64_t bytes) {
  constexpr int64_t gb = 1024LL * 1024 * 1024, mb = 1024 * 1024, kb = 1024;
  if (bytes && bytes % gb == 0) return std::to_string(bytes / gb) + "gb";
  if (bytes && bytes % mb == 0) return std::to_string(bytes / mb) + "mb";
  if (bytes && bytes % kb == 0) return std::to_string(bytes / kb) + "kb";
  return std::to_string(bytes);
}

// "%f" with trailing zeros (and a bare '.') removed, as trimDoubleString().
std::string FormatPercentile(double v) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%f", v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string EnumError(const Def& d) {
  std::string err = "argument(s) must be one of the following: ";
  for (size_t i = 0; i < d.enums.size(); ++i) {
    if (i) err += ", ";
    err += d.enums[i].name;
  }
  return err;
}

// configEnumGetValue(): INT_MIN when an argument matches no name.
int EnumParse(const Def& d, const std::vector<std::string>& args) {
  bool bitflags = (d.flags & kMultiArg) != 0;
  if (args.empty() || (!bitflags && args.size() != 1)) return INT_MIN;
  int values = 0;
  for (const auto& a : args) {
    bool matched = false;
    for (const auto& item : d.enums) {
      if (EqualsIgnoreCase(a, item.name)) {
        values |= item.value;
        matched = true;
      }
    }
    if (!matched) return INT_MIN;
  }
  return values;
}

// configEnumGetName(): the first exact match, else (bit flags) the matching names.
std::string EnumName(const Def& d, int values) {
  bool bitflags = (d.flags & kMultiArg) != 0;
  std::string names;
  bool any = false;
  int unmatched = values;
  for (const auto& item : d.enums) {
    if (values == item.value) return item.name;
    if (bitflags && item.value && item.value == (unmatched & item.value)) {
      if (any) names += ' ';
      names += item.name;
      any = true;
      unmatched &= ~item.value;
    }
  }
  if (!any || unmatched) return "unknown";
  return names;
}

int EnumValueOfName(const Def& d, std::string_view name, int fallback) {
  for (const auto& item : d.enums) {
    if (EqualsIgnoreCase(name, item.name)) return item.value;
  }
  return fallback;
}

// sdstemplate() over proc-title-template variables, as validateProcTitleTemplate() runs it:
// the template must parse, name only known variables and not expand to blanks.
bool ValidProcTitleTemplate(std::string_view tmpl) {
  static const std::unordered_map<std::string, std::string> kVars = {
      {"title", ""},     {"listen-addr", "*:6379"}, {"server-mode", ""}, {"port", "6379"},
      {"tls-port", "0"}, {"unixsocket", "x"},       {"config-file", "x"}};
  std::string res;
  size_t p = 0;
  while (p < tmpl.size()) {
    size_t sv = tmpl.find('{', p);
    if (sv == std::string_view::npos) {
      res.append(tmpl.substr(p));
      break;
    }
    res.append(tmpl.substr(p, sv - p));
    ++sv;
    if (sv >= tmpl.size()) return false;
    if (tmpl[sv] == '{') {
      res += '{';
      p = sv + 1;
      continue;
    }
    size_t ev = tmpl.find('}', sv);
    if (ev == std::string_view::npos) return false;
    auto it = kVars.find(std::string(tmpl.substr(sv, ev - sv)));
    if (it == kVars.end()) return false;
    res += it->second;
    p = ev + 1;
  }
  return !TrimView(res, " ").empty();
}

bool PathIsBaseName(std::string_view s) {
  return s.find('/') == std::string_view::npos && s.find('\\') == std::string_view::npos;
}

bool RunStringValidator(Validator v, const std::string& val, std::string* err) {
  switch (v) {
    case Validator::kDbFilename:
      if (!PathIsBaseName(val)) {
        *err = "dbfilename can't be a path, just a filename";
        return false;
      }
      return true;
    case Validator::kAofFilename:
      if (val.empty()) {
        *err = "appendfilename can't be empty";
        return false;
      }
      if (!PathIsBaseName(val)) {
        *err = "appendfilename can't be a path, just a filename";
        return false;
      }
      return true;
    case Validator::kAofDirname:
      if (val.empty()) {
        *err = "appenddirname can't be empty";
        return false;
      }
      if (!PathIsBaseName(val)) {
        *err = "appenddirname can't be a path, just a dirname";
        return false;
      }
      return true;
    case Validator::kHostname:
      if (val.size() >= 256) {
        *err = "Hostnames must be less than 256 characters";
        return false;
      }
      for (char c : val) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
          *err = "Hostnames may only contain alphanumeric characters, hyphens or dots";
          return false;
        }
      }
      return true;
    case Validator::kProcTitleTemplate:
      if (!ValidProcTitleTemplate(val)) {
        *err = "template format is invalid or contains unknown variables";
        return false;
      }
      return true;
    default:
      return true;
  }
}

std::string CurrentDir() {
  char buf[4096];
  if (getcwd(buf, sizeof(buf)) == nullptr) return "";
  return buf;
}

// getAbsolutePath(): cwd joined with the trimmed relative path, leading "../" folded.
std::string AbsolutePath(std::string_view filename) {
  std::string rel(TrimView(filename, " \r\n\t"));
  if (!rel.empty() && rel[0] == '/') return rel;
  std::string abs = CurrentDir();
  if (!abs.empty() && abs.back() != '/') abs += '/';
  while (rel.size() >= 3 && rel.compare(0, 3, "../") == 0) {
    rel.erase(0, 3);
    if (abs.size() > 1) {
      size_t p = abs.size() - 2;
      while (p > 0 && abs[p] != '/') --p;
      abs.erase(p + 1);
    }
  }
  return abs + rel;
}

std::string FatalReport(std::string_view err, int linenum, std::string_view line, bool has_line) {
  std::string r = "\n*** FATAL CONFIG FILE ERROR (Redis ";
  r += kRedisCompatVersion;
  r += ") ***\n";
  if (has_line) {
    r += "Reading the configuration file, at line " + std::to_string(linenum) + "\n";
    r += ">>> '" + std::string(line) + "'\n";
  }
  r += std::string(err) + "\n";
  return r;
}

constexpr const char* kRewriteSignature = "# Generated by CONFIG REWRITE";
constexpr const char* kOomScoreAdjValuesDefault = "0 200 800";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Impl
// ---------------------------------------------------------------------------------------------

struct ConfigTable::Impl {
  struct Slot {
    bool b = false;
    int64_t i = 0;
    std::string s;
  };
  struct Entry {
    size_t index;
    bool is_alias;
  };

  ConfigTable* owner;
  ServerConfig* cfg;
  std::vector<Slot> slots;
  std::unordered_map<std::string, Entry> by_name;  // lower-case name or alias
  std::vector<std::vector<ApplyHook>> hooks;
  std::vector<std::pair<std::string, RewriteProvider>> rewrite_providers;
  std::function<bool(std::string_view)> command_exists;
  std::function<std::string(const std::vector<std::string>&)> user_validator;
  std::unordered_set<std::string> renamed_away, renamed_to;

  // Loader state.
  bool save_loaded = false;
  int include_depth = 0;
  bool report_is_log = false;  // the failure is a log line (can't open a file), not a report

  Impl(ConfigTable* o, ServerConfig* c) : owner(o), cfg(c) {
    const auto& t = Table();
    slots.resize(t.size());
    hooks.resize(t.size());
    for (size_t i = 0; i < t.size(); ++i) {
      const Def& d = t[i];
      by_name[d.name] = Entry{i, false};
      if (d.alias) by_name[d.alias] = Entry{i, true};
      Slot& s = slots[i];
      s.b = d.def_int != 0;
      s.i = d.def_int;
      if (d.def_str) s.s = d.def_str;
      if (d.special == Special::kOomScoreAdjValues) s.s = kOomScoreAdjValuesDefault;
      if (d.special == Special::kLatencyTrackingPercentiles) s.s = "50 99 99.9";
    }
  }

  const Entry* Lookup(std::string_view name) const {
    auto it = by_name.find(ToLower(name));
    return it == by_name.end() ? nullptr : &it->second;
  }

  static const char* DisplayName(const Entry& e) {
    const Def& d = Table()[e.index];
    return e.is_alias ? d.alias : d.name;
  }

  // -- typed access --------------------------------------------------------------------------

  bool GetBool(size_t i) const {
    const Def& d = Table()[i];
    return d.bool_field ? cfg->*d.bool_field : slots[i].b;
  }
  void PutBool(size_t i, bool v) {
    const Def& d = Table()[i];
    if (d.bool_field) {
      cfg->*d.bool_field = v;
    } else {
      slots[i].b = v;
    }
  }
  // The typed field holding numeric directive `d`, or nullptr when it lives in the slots.
  int64_t* IntField(const Def& d) const {
    if (d.int_field) return &(cfg->*d.int_field);
    if (d.limit_field) return &(cfg->encoding.*d.limit_field);
    return nullptr;
  }
  int64_t GetInt(size_t i) const {
    const int64_t* field = IntField(Table()[i]);
    return field ? *field : slots[i].i;
  }
  void PutInt(size_t i, int64_t v) {
    const Def& d = Table()[i];
    if (int64_t* field = IntField(d)) {
      // An unsigned value beyond INT64_MAX (maxmemory 99999999999999999999) is capped in the
      // typed field, so that the server never sees a negative limit.
      if (d.unsigned_bounds && v < 0) v = INT64_MAX;
      *field = v;
    } else {
      slots[i].i = v;
    }
  }
  std::string GetStr(size_t i) const {
    const Def& d = Table()[i];
    return d.str_field ? cfg->*d.str_field : slots[i].s;
  }
  void PutStr(size_t i, std::string v) {
    const Def& d = Table()[i];
    if (d.str_field) {
      cfg->*d.str_field = std::move(v);
    } else {
      slots[i].s = std::move(v);
    }
  }
  int GetEnum(size_t i) const {
    const Def& d = Table()[i];
    if (d.str_field) return EnumValueOfName(d, cfg->*d.str_field, static_cast<int>(d.def_int));
    return static_cast<int>(slots[i].i);
  }
  void PutEnum(size_t i, int v) {
    const Def& d = Table()[i];
    if (d.str_field) {
      cfg->*d.str_field = EnumName(d, v);
    } else {
      slots[i].i = v;
    }
  }

  // -- CONFIG GET value ------------------------------------------------------------------------

  std::string ValueOf(size_t i) const {
    const Def& d = Table()[i];
    switch (d.kind) {
      case Kind::kBool:
        return GetBool(i) ? "yes" : "no";
      case Kind::kNumeric: {
        int64_t v = GetInt(i);
        if ((d.num_flags & kPercent) && v < 0) return std::to_string(-v) + "%";
        if (d.num_flags & kMemory) return FormatUnsigned(static_cast<uint64_t>(v));
        if (d.num_flags & kOctal) return FormatOctal(v);
        return std::to_string(v);
      }
      case Kind::kEnum:
        if (d.str_field) return cfg->*d.str_field;
        return EnumName(d, static_cast<int>(slots[i].i));
      case Kind::kString:
        return GetStr(i);
      case Kind::kSpecial:
        return SpecialValue(i);
    }
    return "";
  }

  std::string SpecialValue(size_t i) const {
    const Def& d = Table()[i];
    switch (d.special) {
      case Special::kDir:
        return CurrentDir();
      case Special::kSave: {
        std::vector<std::string> parts;
        for (const auto& sp : cfg->save) {
          parts.push_back(std::to_string(sp.seconds) + " " + std::to_string(sp.changes));
        }
        return Join(parts, " ");
      }
      case Special::kClientOutputBufferLimit: {
        auto one = [](const char* name, const ClientBufferLimit& l) {
          return std::string(name) + " " + FormatUnsigned(static_cast<uint64_t>(l.hard_bytes)) +
                 " " + FormatUnsigned(static_cast<uint64_t>(l.soft_bytes)) + " " +
                 std::to_string(l.soft_seconds);
        };
        return one("normal", cfg->obuf_normal) + " " + one("slave", cfg->obuf_replica) + " " +
               one("pubsub", cfg->obuf_pubsub);
      }
      case Special::kOomScoreAdjValues:
      case Special::kLatencyTrackingPercentiles:
        return slots[i].s;
      case Special::kNotifyKeyspaceEvents:
        return KeyspaceEventsFlagsToString(cfg->notify_keyspace_events_flags);
      case Special::kBind:
        return Join(cfg->bind, " ");
      case Special::kReplicaOf:
        if (cfg->replicaof_host.empty()) return "";
        return cfg->replicaof_host + " " + std::to_string(cfg->replicaof_port);
      case Special::kNone:
        break;
    }
    return "";
  }

  // -- setting a value (config file and CONFIG SET) ---------------------------------------------

  bool SetArgs(size_t i, const std::vector<std::string>& args, bool loading, std::string* err) {
    const Def& d = Table()[i];
    switch (d.kind) {
      case Kind::kBool: {
        const std::string& a = args.empty() ? std::string() : args[0];
        bool v;
        if (EqualsIgnoreCase(a, "yes")) {
          v = true;
        } else if (EqualsIgnoreCase(a, "no")) {
          v = false;
        } else {
          *err = "argument must be 'yes' or 'no'";
          return false;
        }
        if (d.validator == Validator::kActiveDefrag && v) {
          *err =
              "Active defragmentation cannot be enabled: it requires a Redis server compiled "
              "with a modified Jemalloc like the one shipped by default with the Redis source "
              "distribution";
          return false;
        }
        PutBool(i, v);
        return true;
      }
      case Kind::kNumeric: {
        int64_t v;
        if (!ParseNumeric(d, args.empty() ? std::string() : args[0], &v, err)) return false;
        if (!CheckBounds(d, v, err)) return false;
        if (d.int_field == &ServerConfig::hz) v = std::clamp<int64_t>(v, 1, 500);
        // CONFIG SET raises a tiny backlog to the 16kb minimum (resizeReplicationBacklog()).
        if (!loading && d.int_field == &ServerConfig::repl_backlog_size) {
          v = std::max<int64_t>(v, 16 * 1024);
        }
        PutInt(i, v);
        return true;
      }
      case Kind::kEnum: {
        int v = EnumParse(d, args);
        if (v == INT_MIN) {
          *err = EnumError(d);
          return false;
        }
        if (d.validator == Validator::kShutdownFlags && (v & kShutdownSave) &&
            (v & kShutdownNoSave)) {
          *err = "shutdown options SAVE and NOSAVE can't be used simultaneously";
          return false;
        }
        PutEnum(i, v);
        return true;
      }
      case Kind::kString: {
        const std::string& a = args.empty() ? std::string() : args[0];
        if (!RunStringValidator(d.validator, a, err)) return false;
        PutStr(i, a);
        return true;
      }
      case Kind::kSpecial:
        return SetSpecial(i, args, loading, err);
    }
    return false;
  }

  static bool ParseNumeric(const Def& d, const std::string& value, int64_t* out, std::string* err) {
    if (d.num_flags & kMemory) {
      uint64_t u;
      if (MemToULL(value, &u)) {
        *out = static_cast<int64_t>(u);
        return true;
      }
    }
    if ((d.num_flags & kPercent) && value.size() > 1 && value.back() == '%') {
      int64_t p;
      if (ParseInt64(std::string_view(value).substr(0, value.size() - 1), &p) && p >= 0) {
        *out = -p;  // percentages are stored negated, as Redis does
        return true;
      }
    }
    if (d.num_flags & kOctal) {
      long long v;
      if (StrToLL(value, 8, &v, true)) {
        *out = v;
        return true;
      }
    }
    if (d.num_flags == 0 && ParseInt64(value, out)) return true;
    if ((d.num_flags & kMemory) && (d.num_flags & kPercent)) {
      *err = "argument must be a memory or percent value";
    } else if (d.num_flags & kMemory) {
      *err = "argument must be a memory value";
    } else if (d.num_flags & kOctal) {
      *err = "argument couldn't be parsed as an octal number";
    } else {
      *err = "argument couldn't be parsed into an integer";
    }
    return false;
  }

  static bool CheckBounds(const Def& d, int64_t v, std::string* err) {
    char buf[256];
    if (d.unsigned_bounds) {
      uint64_t u = static_cast<uint64_t>(v);
      uint64_t lo = static_cast<uint64_t>(d.lo), hi = static_cast<uint64_t>(d.hi);
      if (u > hi || u < lo) {
        if (d.num_flags & kOctal) {
          std::snprintf(buf, sizeof(buf), "argument must be between %llo and %llo inclusive",
                        static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi));
        } else {
          std::snprintf(buf, sizeof(buf), "argument must be between %llu and %llu inclusive",
                        static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi));
        }
        *err = buf;
        return false;
      }
      return true;
    }
    if ((d.num_flags & kPercent) && v < 0) {
      if (v < d.lo) {
        std::snprintf(buf, sizeof(buf), "percentage argument must be less or equal to %lld",
                      static_cast<long long>(-d.lo));
        *err = buf;
        return false;
      }
      return true;
    }
    if (v > d.hi || v < d.lo) {
      std::snprintf(buf, sizeof(buf), "argument must be between %lld and %lld inclusive",
                    static_cast<long long>(d.lo), static_cast<long long>(d.hi));
      *err = buf;
      return false;
    }
    return true;
  }

  bool SetSpecial(size_t i, std::vector<std::string> args, bool loading, std::string* err) {
    const Def& d = Table()[i];
    switch (d.special) {
      case Special::kDir: {
        if (args.size() != 1) {
          *err = "wrong number of arguments";
          return false;
        }
        if (chdir(args[0].c_str()) == -1) {
          *err = std::strerror(errno);
          return false;
        }
        cfg->dir = CurrentDir();
        return true;
      }
      case Special::kSave: {
        // A single "" means no save points at all, even after earlier `save` lines.
        if (args.size() == 1 && args[0].empty()) {
          cfg->save.clear();
          args.clear();
        }
        if (args.size() & 1) {
          *err = "Invalid save parameters";
          return false;
        }
        std::vector<SavePoint> points;
        for (size_t j = 0; j < args.size(); ++j) {
          long long v;
          if (!StrToLL(args[j], 10, &v) || ((j & 1) == 0 && v < 1) || ((j & 1) == 1 && v < 0)) {
            *err = "Invalid save parameters";
            return false;
          }
          if (j & 1) {
            points.back().changes = v;
          } else {
            points.push_back(SavePoint{v, 0});
          }
        }
        // While loading, the first `save` line replaces the defaults and later ones append.
        if (!loading) {
          cfg->save.clear();
        } else if (!save_loaded) {
          save_loaded = true;
          cfg->save.clear();
        }
        cfg->save.insert(cfg->save.end(), points.begin(), points.end());
        return true;
      }
      case Special::kClientOutputBufferLimit: {
        if (args.size() % 4) {
          *err = "Wrong number of arguments in buffer limit configuration.";
          return false;
        }
        ClientBufferLimit values[3];
        bool classes[3] = {false, false, false};
        for (size_t j = 0; j < args.size(); j += 4) {
          int cls;
          if (EqualsIgnoreCase(args[j], "normal")) {
            cls = 0;
          } else if (EqualsIgnoreCase(args[j], "slave") || EqualsIgnoreCase(args[j], "replica")) {
            cls = 1;
          } else if (EqualsIgnoreCase(args[j], "pubsub")) {
            cls = 2;
          } else {
            *err = "Invalid client class specified in buffer limit configuration.";
            return false;
          }
          uint64_t hard, soft;
          long long secs;
          bool ok_hard = MemToULL(args[j + 1], &hard);
          bool ok_soft = MemToULL(args[j + 2], &soft);
          bool ok_secs = StrToLL(args[j + 3], 10, &secs);
          if (!ok_hard || !ok_soft || !ok_secs || secs < 0) {
            *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            return false;
          }
          auto cap = [](uint64_t v) {
            return v > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v);
          };
          values[cls] = ClientBufferLimit{cap(hard), cap(soft), secs};
          classes[cls] = true;
        }
        if (classes[0]) cfg->obuf_normal = values[0];
        if (classes[1]) cfg->obuf_replica = values[1];
        if (classes[2]) cfg->obuf_pubsub = values[2];
        return true;
      }
      case Special::kOomScoreAdjValues: {
        if (args.size() != 3) {
          *err = "wrong number of arguments";
          return false;
        }
        std::vector<std::string> parts;
        for (const auto& a : args) {
          long long v;
          if (!StrToLL(a, 10, &v) || v < -2000 || v > 2000) {
            *err = "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
            return false;
          }
          parts.push_back(std::to_string(v));
        }
        slots[i].s = Join(parts, " ");
        return true;
      }
      case Special::kNotifyKeyspaceEvents: {
        if (args.size() != 1) {
          *err = "wrong number of arguments";
          return false;
        }
        int flags = KeyspaceEventsStringToFlags(args[0]);
        if (flags == -1) {
          *err = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
          return false;
        }
        cfg->notify_keyspace_events_flags = flags;
        return true;
      }
      case Special::kBind: {
        if (args.size() > 16) {
          *err = "Too many bind addresses specified.";
          return false;
        }
        if (args.size() == 1 && args[0].empty()) args.clear();
        cfg->bind = args;
        return true;
      }
      case Special::kReplicaOf: {
        if (args.size() != 2) {
          *err = "wrong number of arguments";
          return false;
        }
        cfg->replicaof_host.clear();
        if (EqualsIgnoreCase(args[0], "no") && EqualsIgnoreCase(args[1], "one")) return true;
        char* end = nullptr;
        long port = std::strtol(args[1].c_str(), &end, 10);
        if (port < 0 || port > 65535 || *end != '\0') {
          *err = "Invalid master port";
          return false;
        }
        cfg->replicaof_host = args[0];
        cfg->replicaof_port = port;
        return true;
      }
      case Special::kLatencyTrackingPercentiles: {
        if (args.size() == 1 && args[0].empty()) args.clear();
        std::vector<std::string> parts;
        for (const auto& a : args) {
          double v;
          if (!ParseDouble(a, &v)) {
            *err = "Invalid latency-tracking-info-percentiles parameters";
            return false;
          }
          if (v > 100.0 || v < 0.0) {
            *err = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
            return false;
          }
          parts.push_back(FormatPercentile(v));
        }
        slots[i].s = Join(parts, " ");
        return true;
      }
      case Special::kNone:
        break;
    }
    return false;
  }

  // -- loading ---------------------------------------------------------------------------------

  bool LoadFile(const std::string& filename, std::string* report) {
    std::string content;
    if (filename.find_first_of("*?[") != std::string::npos) {
      glob_t g;
      if (glob(filename.c_str(), 0, nullptr, &g) == 0) {
        for (size_t k = 0; k < g.gl_pathc; ++k) {
          if (!ReadWholeFile(g.gl_pathv[k], &content)) {
            *report = std::string("Fatal error, can't open config file '") + g.gl_pathv[k] +
                      "': " + std::strerror(errno);
            report_is_log = true;
            globfree(&g);
            return false;
          }
        }
        globfree(&g);
      }
    } else if (!ReadWholeFile(filename, &content)) {
      *report = "Fatal error, can't open config file '" + filename + "': " + std::strerror(errno);
      report_is_log = true;
      return false;
    }
    return LoadString(content, report);
  }

  bool CommandExists(const std::string& name) const {
    std::string lower = ToLower(name);
    if (renamed_to.count(lower)) return true;
    return command_exists(name) && !renamed_away.count(lower);
  }

  bool LoadString(std::string_view text, std::string* report) {
    // Not in Redis 7.0 (it recurses until the stack runs out): a bound on nested includes.
    if (include_depth > 32) {
      *report = FatalReport("Too many nested includes", 0, "", false);
      return false;
    }
    std::vector<std::string_view> lines = SplitLines(text);
    for (size_t li = 0; li < lines.size(); ++li) {
      int linenum = static_cast<int>(li) + 1;
      std::string_view line = TrimView(lines[li], " \t\r\n");
      if (line.empty() || line[0] == '#') continue;
      auto fail = [&](std::string_view err) {
        *report = FatalReport(err, linenum, line, true);
        return false;
      };
      std::vector<std::string> argv;
      if (!SplitArgs(line, &argv)) return fail("Unbalanced quotes in configuration line");
      if (argv.empty()) continue;
      std::string name = ToLower(argv[0]);

      if (const Entry* e = Lookup(name)) {
        const Def& d = Table()[e->index];
        if (!(d.flags & kMultiArg) && argv.size() != 2) return fail("wrong number of arguments");
        std::vector<std::string> values(argv.begin() + 1, argv.end());
        if ((d.flags & kMultiArg) && argv.size() == 2 && !argv[1].empty()) {
          // A single argument of a multi-argument directive is split again, so that
          // `--save "3600 1 300 100"` works.
          std::vector<std::string> split;
          if (!SplitArgs(argv[1], &split)) split.clear();
          values = std::move(split);
        }
        std::string err;
        if (!SetArgs(e->index, values, /*loading=*/true, &err)) return fail(err);
        continue;
      }

      bool deprecated = false;
      for (const auto& dep : kDeprecated) {
        if (name == dep.name && argv.size() >= dep.argc_min && argv.size() <= dep.argc_max) {
          deprecated = true;
        }
      }
      if (deprecated) continue;

      if (name == "include" && argv.size() == 2) {
        ++include_depth;
        bool ok = LoadFile(argv[1], report);
        --include_depth;
        if (!ok) return false;
      } else if (name == "rename-command" && argv.size() == 3) {
        if (command_exists) {
          if (!CommandExists(argv[1])) return fail("No such command in rename-command");
          renamed_away.insert(ToLower(argv[1]));
          renamed_to.erase(ToLower(argv[1]));
          if (!argv[2].empty()) {
            if (CommandExists(argv[2])) return fail("Target command name already exists");
            renamed_to.insert(ToLower(argv[2]));
          }
        }
        owner->renamed_commands_.emplace_back(argv[1], argv[2]);
      } else if (name == "user" && argv.size() >= 2) {
        std::vector<std::string> directive(argv.begin() + 1, argv.end());
        for (const auto& d : owner->user_directives_) {
          if (d[0] == directive[0]) {
            return fail("Error in user declaration '" + directive[0] +
                        "': Duplicate user found. A user can only be defined once in config "
                        "files");
          }
        }
        if (user_validator) {
          if (std::string err = user_validator(directive); !err.empty()) return fail(err);
        }
        owner->user_directives_.push_back(std::move(directive));
      } else if (name == "loadmodule" && argv.size() >= 2) {
        EMBER_LOG_WARNING("Ember does not support modules: ignoring 'loadmodule {}'", argv[1]);
      } else if (name.find('.') != std::string::npos) {
        if (argv.size() != 2) return fail("Module config specified without value");
        EMBER_LOG_WARNING("Ember does not support modules: ignoring module config '{}'", argv[0]);
      } else if (name == "sentinel") {
        if (argv.size() != 1) return fail("sentinel directive while not in sentinel mode");
      } else {
        return fail("Bad directive or wrong number of arguments");
      }
    }

    // Checks on the whole configuration, reported without a line.
    if (!cfg->logfile.empty()) {
      FILE* fp = std::fopen(cfg->logfile.c_str(), "a");
      if (!fp) {
        *report = FatalReport(std::string("Can't open the log file: ") + std::strerror(errno), 0,
                              "", false);
        return false;
      }
      std::fclose(fp);
    }
    if (GetBoolByName("cluster-enabled") && !cfg->replicaof_host.empty()) {
      *report = FatalReport("replicaof directive not allowed in cluster mode", 0, "", false);
      return false;
    }
    cfg->hz = std::clamp<int64_t>(cfg->hz, 1, 500);
    return true;
  }

  bool GetBoolByName(std::string_view name) const {
    const Entry* e = Lookup(name);
    return e && GetBool(e->index);
  }

  // -- CONFIG REWRITE --------------------------------------------------------------------------

  struct RewriteState {
    std::vector<std::string> lines;
    std::unordered_map<std::string, std::deque<size_t>> option_to_line;
    std::unordered_set<std::string> rewritten;
    bool needs_signature = true;

    void MarkProcessed(const std::string& option) { rewritten.insert(option); }

    void RewriteLine(const std::string& option, std::string line, bool force) {
      MarkProcessed(option);
      auto it = option_to_line.find(option);
      if (it == option_to_line.end() && !force) return;
      if (it != option_to_line.end()) {
        size_t ln = it->second.front();
        it->second.pop_front();
        if (it->second.empty()) option_to_line.erase(it);
        lines[ln] = std::move(line);
      } else {
        if (needs_signature) {
          lines.push_back(kRewriteSignature);
          needs_signature = false;
        }
        lines.push_back(std::move(line));
      }
    }
  };

  static bool IsRewriteKeyword(const std::string& name) {
    return name == "include" || name == "rename-command" || name == "user" ||
           name == "loadmodule" || name == "sentinel";
  }

  bool ReadOldFile(const std::string& path, RewriteState* state, int* err_no) const {
    std::string content;
    FILE* fp = std::fopen(path.c_str(), "r");
    if (!fp) {
      if (errno == ENOENT) return true;
      *err_no = errno;
      return false;
    }
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), fp)) > 0) content.append(buf, n);
    bool read_error = std::ferror(fp) != 0;
    std::fclose(fp);
    if (read_error) {
      *err_no = EIO;
      return false;
    }
    std::vector<std::string_view> raw = SplitLines(content);
    for (size_t k = 0; k < raw.size(); ++k) {
      std::string line(TrimView(raw[k], "\r\n\t "));
      if (line.empty() || line[0] == '#') {
        if (state->needs_signature && line == kRewriteSignature) state->needs_signature = false;
        state->lines.push_back(std::move(line));
        continue;
      }
      std::vector<std::string> argv;
      bool parsed = SplitArgs(line, &argv) && !argv.empty();
      std::string name = parsed ? ToLower(argv[0]) : std::string();
      const Entry* e = parsed ? Lookup(name) : nullptr;
      if (!parsed || (!e && !IsRewriteKeyword(name))) {
        // Unparsable or unknown lines are kept as comments.
        state->lines.push_back("# ??? " + line);
        continue;
      }
      if (e) name = Table()[e->index].name;  // aliases map to the option's primary name
      state->lines.push_back(std::move(line));
      state->option_to_line[name].push_back(state->lines.size() - 1);
    }
    return true;
  }

  void RewriteOption(size_t i, RewriteState* st) const {
    const Def& d = Table()[i];
    const std::string name = d.name;
    switch (d.kind) {
      case Kind::kBool: {
        bool v = GetBool(i);
        st->RewriteLine(name, name + (v ? " yes" : " no"), v != (d.def_int != 0));
        return;
      }
      case Kind::kNumeric: {
        int64_t v = GetInt(i);
        bool force = v != d.def_int;
        if ((d.num_flags & kPercent) && v < 0) {
          st->RewriteLine(name, name + " " + std::to_string(-v) + "%", force);
        } else if (d.num_flags & kMemory) {
          st->RewriteLine(name, name + " " + FormatMemoryForRewrite(v), force);
        } else if (d.num_flags & kOctal) {
          st->RewriteLine(name, name + " " + FormatOctal(v), force);
        } else {
          st->RewriteLine(name, name + " " + std::to_string(v), force);
        }
        return;
      }
      case Kind::kEnum: {
        int v = GetEnum(i);
        st->RewriteLine(name, name + " " + EnumName(d, v), v != d.def_int);
        return;
      }
      case Kind::kString: {
        std::string v = GetStr(i);
        if (d.empty_is_null && v.empty()) {
          st->MarkProcessed(name);  // unset strings must not be in the file at all
          return;
        }
        bool force = !(d.def_str && v == d.def_str);
        st->RewriteLine(name, name + " " + QuotedRepr(v), force);
        return;
      }
      case Kind::kSpecial:
        RewriteSpecial(i, st);
        return;
    }
  }

  void RewriteSpecial(size_t i, RewriteState* st) const {
    const Def& d = Table()[i];
    const std::string name = d.name;
    switch (d.special) {
      case Special::kDir: {
        std::string cwd = CurrentDir();
        if (cwd.empty()) {
          st->MarkProcessed(name);
          return;
        }
        st->RewriteLine(name, name + " " + QuotedRepr(cwd), true);
        return;
      }
      case Special::kSave:
        if (cfg->save.empty()) {
          st->RewriteLine(name, "save \"\"", true);
        } else {
          for (const auto& sp : cfg->save) {
            st->RewriteLine(name,
                            "save " + std::to_string(sp.seconds) + " " + std::to_string(sp.changes),
                            true);
          }
        }
        st->MarkProcessed(name);
        return;
      case Special::kClientOutputBufferLimit: {
        const ServerConfig defaults;
        const std::pair<const char*, std::pair<const ClientBufferLimit*, const ClientBufferLimit*>>
            classes[] = {{"normal", {&cfg->obuf_normal, &defaults.obuf_normal}},
                         {"replica", {&cfg->obuf_replica, &defaults.obuf_replica}},
                         {"pubsub", {&cfg->obuf_pubsub, &defaults.obuf_pubsub}}};
        for (const auto& [cls, pair] : classes) {
          const ClientBufferLimit& v = *pair.first;
          const ClientBufferLimit& def = *pair.second;
          bool force = v.hard_bytes != def.hard_bytes || v.soft_bytes != def.soft_bytes ||
                       v.soft_seconds != def.soft_seconds;
          st->RewriteLine(name,
                          name + " " + cls + " " + FormatMemoryForRewrite(v.hard_bytes) + " " +
                              FormatMemoryForRewrite(v.soft_bytes) + " " +
                              std::to_string(v.soft_seconds),
                          force);
        }
        return;
      }
      case Special::kOomScoreAdjValues:
        st->RewriteLine(name, name + " " + slots[i].s, slots[i].s != kOomScoreAdjValuesDefault);
        return;
      case Special::kNotifyKeyspaceEvents: {
        const std::string v = KeyspaceEventsFlagsToString(cfg->notify_keyspace_events_flags);
        st->RewriteLine(name, name + " " + QuotedRepr(v), !v.empty());
        return;
      }
      case Special::kBind: {
        if (cfg->bind == ServerConfig().bind) {
          st->MarkProcessed(name);
          return;
        }
        std::string addrs = cfg->bind.empty() ? "\"\"" : Join(cfg->bind, " ");
        st->RewriteLine(name, name + " " + addrs, true);
        return;
      }
      case Special::kReplicaOf:
        if (GetBoolByName("cluster-enabled") || cfg->replicaof_host.empty()) {
          st->MarkProcessed(name);
          return;
        }
        st->RewriteLine(
            name, name + " " + cfg->replicaof_host + " " + std::to_string(cfg->replicaof_port),
            true);
        return;
      case Special::kLatencyTrackingPercentiles: {
        std::string v = slots[i].s;
        st->RewriteLine(name, name + " " + (v.empty() ? std::string("\"\"") : v), true);
        return;
      }
      case Special::kNone:
        return;
    }
  }

  static std::string Content(const RewriteState& st) {
    std::string content;
    bool was_empty = false;
    for (const auto& line : st.lines) {
      if (line.empty()) {
        if (was_empty) continue;
        was_empty = true;
      } else {
        was_empty = false;
      }
      content += line;
      content += '\n';
    }
    return content;
  }

  static bool OverwriteFile(const std::string& path, const std::string& content, int* err_no) {
    std::string tmp = path + ".XXXXXX";
    std::vector<char> tmpl(tmp.begin(), tmp.end());
    tmpl.push_back('\0');
    int fd = mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd == -1) {
      *err_no = errno;
      EMBER_LOG_WARNING("Could not create tmp config file ({})", std::strerror(errno));
      return false;
    }
    size_t off = 0;
    bool ok = true;
    while (off < content.size()) {
      ssize_t w = write(fd, content.data() + off, content.size() - off);
      if (w <= 0) {
        if (w < 0 && errno == EINTR) continue;
        *err_no = errno;
        EMBER_LOG_WARNING("Failed after writing ({}) bytes to tmp config file ({})", off,
                          std::strerror(errno));
        ok = false;
        break;
      }
      off += static_cast<size_t>(w);
    }
    if (ok) {
      mode_t mask = umask(0);
      umask(mask);
      if (fsync(fd) != 0) {
        *err_no = errno;
        EMBER_LOG_WARNING("Could not sync tmp config file to disk ({})", std::strerror(errno));
        ok = false;
      } else if (fchmod(fd, 0644 & ~mask) == -1) {
        *err_no = errno;
        EMBER_LOG_WARNING("Could not chmod config file ({})", std::strerror(errno));
        ok = false;
      } else if (rename(tmpl.data(), path.c_str()) == -1) {
        *err_no = errno;
        EMBER_LOG_WARNING("Could not rename tmp config file ({})", std::strerror(errno));
        ok = false;
      }
    }
    close(fd);
    if (!ok) unlink(tmpl.data());
    return ok;
  }
};

// ---------------------------------------------------------------------------------------------
// ConfigTable
// ---------------------------------------------------------------------------------------------

ConfigTable::ConfigTable(ServerConfig* config) : impl_(std::make_unique<Impl>(this, config)) {}

ConfigTable::~ConfigTable() = default;

void ConfigTable::OnApply(std::string_view name, ApplyHook hook) {
  const Impl::Entry* e = impl_->Lookup(name);
  if (!e) {
    EMBER_LOG_WARNING("OnApply for unknown config '{}'", name);
    return;
  }
  impl_->hooks[e->index].push_back(std::move(hook));
}

void ConfigTable::OnRewrite(std::string_view option, RewriteProvider provider) {
  impl_->rewrite_providers.emplace_back(ToLower(option), std::move(provider));
}

void ConfigTable::SetCommandValidator(std::function<bool(std::string_view)> exists) {
  impl_->command_exists = std::move(exists);
}

void ConfigTable::SetUserValidator(
    std::function<std::string(const std::vector<std::string>&)> check) {
  impl_->user_validator = std::move(check);
}

bool ConfigTable::LoadText(std::string_view text, std::string_view source_name,
                           std::string* report) {
  (void)source_name;
  impl_->save_loaded = false;
  impl_->report_is_log = false;
  impl_->include_depth = 0;
  bool ok = impl_->LoadString(text, report);
  impl_->cfg->dir = CurrentDir();
  return ok;
}

bool ConfigTable::LoadFromCommandLine(int argc, char** argv) {
  ServerConfig* cfg = impl_->cfg;
  if (argc < 2) {
    cfg->dir = CurrentDir();
    return true;
  }
  LogSettings& log = GetLogSettings();
  char saved_role = log.role;
  log.role = 'C';  // as redis-server before the server is initialised

  int j = 1;
  std::string options;
  bool from_stdin = false;
  if (argv[1][0] != '-') {
    cfg->config_file = AbsolutePath(argv[1]);
    j = 2;
  }
  bool handled_last_config_arg = true;
  for (; j < argc; ++j) {
    const char* a = argv[j];
    if (a[0] == '-' && a[1] == '\0' && (j == 1 || j == argc - 1)) {
      from_stdin = true;
    } else if (handled_last_config_arg && a[0] == '-' && a[1] == '-') {
      if (!options.empty()) options += "\n";
      options += a + 2;
      options += " ";
      std::vector<std::string> parts;
      SplitArgs(a, &parts);
      if (parts.size() == 1) {
        // Only the option name, like --port: its arguments follow.
        handled_last_config_arg = false;
        bool next_is_option = j != argc - 1 && argv[j + 1][0] == '-' && argv[j + 1][1] == '-';
        if (next_is_option && !strcasecmp(a, "--save")) {
          options += "\"\"";  // `--save --port 1` means `--save "" --port 1`
          handled_last_config_arg = true;
        } else if (j == argc - 1 && !strcasecmp(a, "--save")) {
          options += "\"\"";
        } else if (next_is_option && !strcasecmp(a, "--sentinel")) {
          handled_last_config_arg = true;
        }
      } else {
        handled_last_config_arg = true;  // "--port 6380" as one argument
      }
    } else {
      options += QuotedRepr(a);
      options += " ";
      handled_last_config_arg = true;
    }
  }

  std::string config;
  if (!cfg->config_file.empty() && !ReadWholeFile(cfg->config_file, &config)) {
    EMBER_LOG_WARNING("Fatal error, can't open config file '{}': {}", cfg->config_file,
                      std::strerror(errno));
    log.role = saved_role;
    return false;
  }
  if (from_stdin) {
    EMBER_LOG_WARNING("Reading config from stdin");
    std::istreambuf_iterator<char> begin(std::cin), end;
    config.append(begin, end);
  }
  config += "\n";
  config += options;

  std::string report;
  bool ok = LoadText(config, cfg->config_file, &report);
  if (!ok) {
    if (impl_->report_is_log) {
      EMBER_LOG_WARNING("{}", report);
    } else {
      std::fputs(report.c_str(), stderr);
      std::fflush(stderr);
    }
  }
  log.role = saved_role;
  return ok;
}

bool ConfigTable::Set(const std::vector<std::pair<std::string, std::string>>& pairs,
                      std::string* err, bool local_client) {
  Impl& im = *impl_;
  const auto& table = Table();
  std::vector<Impl::Entry> entries;
  entries.reserve(pairs.size());
  std::string invalid_arg_name;
  bool unknown_option = false;
  std::string err_arg_name;
  std::string errstr;
  bool invalid = false;

  // enable-protected-configs: no, yes or local.
  int protected_mode = 0;
  if (const Impl::Entry* pe = im.Lookup("enable-protected-configs")) {
    protected_mode = im.GetEnum(pe->index);
  }
  bool protected_allowed = protected_mode == 1 || (protected_mode == 2 && local_client);

  for (const auto& [name, value] : pairs) {
    const Impl::Entry* e = im.Lookup(name);
    if (!e) {
      if (!invalid) {
        invalid_arg_name = name;
        unknown_option = true;
        invalid = true;
      }
      entries.push_back(Impl::Entry{SIZE_MAX, false});
      continue;
    }
    if (invalid) {
      entries.push_back(*e);
      continue;
    }
    const Def& d = table[e->index];
    if ((d.flags & kImmutable) || ((d.flags & kProtected) && !protected_allowed)) {
      errstr = (d.flags & kImmutable) ? "can't set immutable config" : "can't set protected config";
      err_arg_name = name;
      invalid = true;
      entries.push_back(*e);
      continue;
    }
    for (const auto& prev : entries) {
      if (prev.index == e->index && prev.is_alias == e->is_alias) {
        errstr = "duplicate parameter";
        err_arg_name = name;
        invalid = true;
        break;
      }
    }
    entries.push_back(*e);
  }

  auto format_error = [&]() {
    if (unknown_option) {
      *err =
          "ERR Unknown option or number of arguments for CONFIG SET - '" + invalid_arg_name + "'";
    } else if (!errstr.empty()) {
      *err =
          "ERR CONFIG SET failed (possibly related to argument '" + err_arg_name + "') - " + errstr;
    } else {
      *err = "ERR CONFIG SET failed (possibly related to argument '" + err_arg_name + "')";
    }
    return false;
  };
  if (invalid) return format_error();

  // Back up everything, set all values, then apply.
  ServerConfig backup_config = *im.cfg;
  std::vector<Impl::Slot> backup_slots = im.slots;
  std::string backup_cwd = CurrentDir();
  auto restore = [&]() {
    *im.cfg = backup_config;
    im.slots = backup_slots;
    if (CurrentDir() != backup_cwd && chdir(backup_cwd.c_str()) != 0) {
      EMBER_LOG_WARNING("Failed restoring the working directory '{}'", backup_cwd);
    }
  };

  std::vector<size_t> to_apply;
  for (size_t k = 0; k < pairs.size(); ++k) {
    size_t idx = entries[k].index;
    const Def& d = table[idx];
    std::vector<std::string> args;
    if (d.flags & kMultiArg) {
      args = SplitOnSpaces(pairs[k].second);
    } else {
      args.push_back(pairs[k].second);
    }
    std::string before = im.ValueOf(idx);
    std::string set_err;
    if (!im.SetArgs(idx, args, /*loading=*/false, &set_err)) {
      restore();
      err_arg_name = Impl::DisplayName(entries[k]);
      errstr = set_err;
      return format_error();
    }
    // Special configs always re-apply, except oom-score-adj-values (only when it changed).
    bool changed = (d.kind == Kind::kSpecial && d.special != Special::kOomScoreAdjValues) ||
                   im.ValueOf(idx) != before;
    if (changed && std::find(to_apply.begin(), to_apply.end(), idx) == to_apply.end()) {
      to_apply.push_back(idx);
    }
  }

  for (size_t idx : to_apply) {
    for (auto& hook : im.hooks[idx]) {
      std::string hook_err;
      if (!hook(&hook_err)) {
        EMBER_LOG_WARNING(
            "Failed applying new configuration. Possibly related to new {} setting. Restoring "
            "previous settings.",
            table[idx].name);
        restore();
        for (size_t again : to_apply) {
          for (auto& h : im.hooks[again]) {
            std::string e2;
            if (!h(&e2)) {
              EMBER_LOG_WARNING("Failed applying restored failed CONFIG SET command: {}", e2);
            }
          }
        }
        // Name the config as the client wrote it (name or alias), as Redis does.
        err_arg_name = table[idx].name;
        for (size_t k = 0; k < entries.size(); ++k) {
          if (entries[k].index == idx) {
            err_arg_name = Impl::DisplayName(entries[k]);
            break;
          }
        }
        errstr = hook_err;
        return format_error();
      }
    }
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> ConfigTable::Get(
    const std::vector<std::string_view>& patterns) const {
  const Impl& im = *impl_;
  const auto& table = Table();
  std::vector<std::pair<std::string, std::string>> out;
  // Matched entries: (index, alias?) pairs, so that a name and its alias are distinct results.
  std::unordered_set<size_t> seen;
  auto key = [](size_t index, bool alias) { return index * 2 + (alias ? 1 : 0); };
  for (std::string_view pattern : patterns) {
    if (pattern.find_first_of("[*?") == std::string_view::npos) {
      const Impl::Entry* e = im.Lookup(pattern);
      if (e && seen.insert(key(e->index, e->is_alias)).second) {
        out.emplace_back(std::string(pattern), im.ValueOf(e->index));
      }
      continue;
    }
    for (size_t i = 0; i < table.size(); ++i) {
      const Def& d = table[i];
      if (d.flags & kHidden) continue;
      if (GlobMatch(pattern, d.name, true) && seen.insert(key(i, false)).second) {
        out.emplace_back(d.name, im.ValueOf(i));
      }
      if (d.alias && GlobMatch(pattern, d.alias, true) && seen.insert(key(i, true)).second) {
        out.emplace_back(d.alias, im.ValueOf(i));
      }
    }
  }
  return out;
}

std::optional<std::string> ConfigTable::GetValue(std::string_view name) const {
  const Impl::Entry* e = impl_->Lookup(name);
  if (!e) return std::nullopt;
  return impl_->ValueOf(e->index);
}

bool ConfigTable::IsSensitive(std::string_view name) {
  std::string lower = ToLower(name);
  for (const Def& d : Table()) {
    if ((lower == d.name || (d.alias && lower == d.alias)) && (d.flags & kSensitive)) return true;
  }
  return false;
}

bool ConfigTable::Rewrite(std::string* err) {
  Impl& im = *impl_;
  const std::string& path = im.cfg->config_file;
  if (path.empty()) {
    *err = "ERR The server is running without a config file";
    return false;
  }
  Impl::RewriteState st;
  int err_no = 0;
  if (!im.ReadOldFile(path, &st, &err_no)) {
    *err = std::string("ERR Rewriting config file: ") + std::strerror(err_no);
    return false;
  }
  const auto& table = Table();
  for (size_t i = 0; i < table.size(); ++i) im.RewriteOption(i, &st);
  for (auto& [option, provider] : im.rewrite_providers) {
    for (auto& line : provider()) st.RewriteLine(option, std::move(line), true);
    st.MarkProcessed(option);
  }
  st.MarkProcessed("loadmodule");  // Ember loads no modules: their lines go, as in Redis

  // Blank the lines of processed options that were not reused.
  for (auto& [option, lines] : st.option_to_line) {
    if (!st.rewritten.count(option)) continue;
    for (size_t ln : lines) st.lines[ln].clear();
  }
  std::string content = Impl::Content(st);
  if (!Impl::OverwriteFile(path, content, &err_no)) {
    *err = std::string("ERR Rewriting config file: ") + std::strerror(err_no);
    return false;
  }
  return true;
}

}  // namespace ember
