// INFO, section by section as Redis 7.0's genRedisInfoString.
#include "server/info.h"

#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <set>

#include "common/clock.h"
#include "common/memory.h"
#include "common/sha1.h"
#include "common/strings.h"
#include "db/lazy_free.h"
#include "common/version.h"
#include "server/script_lua.h"
#include "server/server.h"
#include "server/server_families.h"

namespace ember {

std::string BytesToHuman(uint64_t n) {
  constexpr double kK = 1024.0;
  auto d = static_cast<double>(n);
  if (n < 1024) return fmt::format("{}B", n);
  if (n < 1024ULL * 1024) return fmt::format("{:.2f}K", d / kK);
  if (n < 1024ULL * 1024 * 1024) return fmt::format("{:.2f}M", d / (kK * kK));
  if (n < 1024ULL * 1024 * 1024 * 1024) return fmt::format("{:.2f}G", d / (kK * kK * kK));
  if (n < 1024ULL * 1024 * 1024 * 1024 * 1024) {
    return fmt::format("{:.2f}T", d / (kK * kK * kK * kK));
  }
  if (n < 1024ULL * 1024 * 1024 * 1024 * 1024 * 1024) {
    return fmt::format("{:.2f}P", d / (kK * kK * kK * kK * kK));
  }
  return fmt::format("{}B", n);
}

size_t ClientMemory(const Connection& conn, size_t argv_bytes) {
  return sizeof(Connection) + conn.query_buffer_capacity() + conn.output_capacity() + argv_bytes;
}

namespace {

// Sections in the order Redis prints them.
constexpr std::string_view kSectionOrder[] = {
    "server",  "clients",      "memory",     "persistence",  "stats",   "replication", "cpu",
    "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace",
};
constexpr std::string_view kDefaultSections[] = {
    "server", "clients", "memory",     "persistence", "stats",    "replication",
    "cpu",    "modules", "errorstats", "cluster",     "keyspace",
};

size_t ProcessRss() {
  FILE* fp = fopen("/proc/self/statm", "r");
  if (!fp) return 0;
  unsigned long size = 0, resident = 0;
  int n = fscanf(fp, "%lu %lu", &size, &resident);
  fclose(fp);
  if (n != 2) return 0;
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

uint64_t TotalSystemMemory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

std::string BuildId() {
  // Redis hashes its version, git sha and build host; ours hashes the versions.
  std::string text = fmt::format("ember-{}-redis-{}", kEmberVersion, kRedisCompatVersion);
  return Sha1::Hex(Sha1::Hash(text)).substr(0, 16);
}

std::string TimevalSeconds(const timeval& tv) {
  return fmt::format("{}.{:06}", static_cast<long>(tv.tv_sec), static_cast<long>(tv.tv_usec));
}

// Replaces characters that would break the INFO format in a name (Redis's getSafeInfoString).
std::string SafeInfoName(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == ':' || c == '\r' || c == '\n') c = '_';
  }
  return out;
}

struct InfoWriter {
  std::string out;
  int sections = 0;

  void Header(std::string_view title) {
    if (sections++) out.append("\r\n");
    out.append("# ");
    out.append(title);
    out.append("\r\n");
  }
  template <typename T>
  void Field(std::string_view name, const T& value) {
    out.append(name);
    out.push_back(':');
    fmt::format_to(std::back_inserter(out), "{}", value);
    out.append("\r\n");
  }
  void Fixed2(std::string_view name, double value) {
    out.append(name);
    fmt::format_to(std::back_inserter(out), ":{:.2f}\r\n", value);
  }
  void Line(std::string_view line) {
    out.append(line);
    out.append("\r\n");
  }
};

void ServerSection(Server& server, InfoWriter& w) {
  const ServerConfig& cfg = server.config();
  utsname name{};
  uname(&name);
  int64_t now_us = WallClockUs();
  int64_t uptime = (now_us / 1000 - server.start_time_ms()) / 1000;
  w.Header("Server");
  w.Field("redis_version", kRedisCompatVersion);
  w.Field("redis_git_sha1", "00000000");
  w.Field("redis_git_dirty", 0);
  w.Field("redis_build_id", BuildId());
  w.Field("redis_mode", "standalone");
  w.Field("os", fmt::format("{} {} {}", name.sysname, name.release, name.machine));
  w.Field("arch_bits", sizeof(void*) * 8);
  w.Field("monotonic_clock", "POSIX clock_gettime");
  w.Field("multiplexing_api", "epoll");
  w.Field("atomicvar_api", "c11-builtin");
#if defined(__GNUC__)
  w.Field("gcc_version", fmt::format("{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__));
#else
  w.Field("gcc_version", "0.0.0");
#endif
  w.Field("process_id", getpid());
  w.Field("process_supervised", "no");
  w.Field("run_id", server.run_id());
  w.Field("tcp_port", cfg.port);
  w.Field("server_time_usec", now_us);
  w.Field("uptime_in_seconds", uptime);
  w.Field("uptime_in_days", uptime / 86400);
  w.Field("hz", std::clamp<int64_t>(cfg.hz, 1, 500));
  w.Field("configured_hz", cfg.hz);
  w.Field("lru_clock", LruClock());
  w.Field("executable", server.executable());
  w.Field("config_file", cfg.config_file);
  w.Field("io_threads_active", 0);
  w.Field("ember_version", kEmberVersion);
}

void ClientsSection(Server& server, InfoWriter& w) {
  size_t max_in = 0, max_out = 0;
  for (const auto& [id, conn] : server.clients()) {
    max_in = std::max(max_in, conn->query_buffer_capacity());
    max_out = std::max(max_out, conn->output_bytes());
  }
  w.Header("Clients");
  w.Field("connected_clients", server.clients().size());
  w.Field("cluster_connections", 0);
  w.Field("maxclients", server.config().maxclients);
  w.Field("client_recent_max_input_buffer", max_in);
  w.Field("client_recent_max_output_buffer", max_out);
  w.Field("blocked_clients", server.blocked_clients());
  w.Field("tracking_clients", server.tracking().clients());
  w.Field("clients_in_timeout_table", server.clients_in_timeout_table());
}

void MemorySection(Server& server, InfoWriter& w) {
  const ServerConfig& cfg = server.config();
  MemoryOverview m = ComputeMemoryOverview(server);
  size_t used = m.used, rss = m.rss;
  size_t allocated = m.allocator_allocated, active = m.allocator_active;
  size_t resident = m.allocator_resident;
  auto ratio = [](size_t a, size_t b) {
    return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  auto diff = [](size_t a, size_t b) { return static_cast<int64_t>(a) - static_cast<int64_t>(b); };
  uint64_t total_mem = TotalSystemMemory();

  w.Header("Memory");
  w.Field("used_memory", used);
  w.Field("used_memory_human", BytesToHuman(used));
  w.Field("used_memory_rss", rss);
  w.Field("used_memory_rss_human", BytesToHuman(rss));
  w.Field("used_memory_peak", m.peak);
  w.Field("used_memory_peak_human", BytesToHuman(m.peak));
  w.Line(fmt::format("used_memory_peak_perc:{:.2f}%", m.peak_perc));
  w.Field("used_memory_overhead", m.overhead);
  w.Field("used_memory_startup", m.startup);
  w.Field("used_memory_dataset", m.dataset);
  w.Line(fmt::format("used_memory_dataset_perc:{:.2f}%", m.dataset_perc));
  w.Field("allocator_allocated", allocated);
  w.Field("allocator_active", active);
  w.Field("allocator_resident", resident);
  w.Field("total_system_memory", total_mem);
  w.Field("total_system_memory_human", BytesToHuman(total_mem));
  // The Lua VMs of EVAL and of FUNCTION, the script cache and the libraries.
  LuaScripting& lua = server.scripting();
  LuaScripting& fn = server.functions();
  const size_t lua_vm = lua.lua_memory(), scripts = lua.scripts_memory();
  const size_t fn_vm = fn.lua_memory(), fn_mem = fn.scripts_memory();
  w.Field("used_memory_lua", lua_vm);
  w.Field("used_memory_vm_eval", lua_vm);
  w.Field("used_memory_lua_human", BytesToHuman(lua_vm));
  w.Field("used_memory_scripts_eval", scripts);
  w.Field("number_of_cached_scripts", lua.script_count());
  w.Field("number_of_functions", fn.function_count());
  w.Field("number_of_libraries", fn.libraries().size());
  w.Field("used_memory_vm_functions", fn_vm);
  w.Field("used_memory_vm_total", lua_vm + fn_vm);
  w.Field("used_memory_vm_total_human", BytesToHuman(lua_vm + fn_vm));
  w.Field("used_memory_functions", fn_mem);
  w.Field("used_memory_scripts", scripts + fn_mem);
  w.Field("used_memory_scripts_human", BytesToHuman(scripts + fn_mem));
  w.Field("maxmemory", cfg.maxmemory);
  w.Field("maxmemory_human", BytesToHuman(static_cast<uint64_t>(cfg.maxmemory)));
  w.Field("maxmemory_policy", cfg.maxmemory_policy);
  w.Fixed2("allocator_frag_ratio", ratio(active, allocated));
  w.Field("allocator_frag_bytes", diff(active, allocated));
  w.Fixed2("allocator_rss_ratio", ratio(resident, active));
  w.Field("allocator_rss_bytes", diff(resident, active));
  w.Fixed2("rss_overhead_ratio", ratio(rss, resident));
  w.Field("rss_overhead_bytes", diff(rss, resident));
  w.Fixed2("mem_fragmentation_ratio", ratio(rss, used));
  w.Field("mem_fragmentation_bytes", diff(rss, used));
  w.Field("mem_not_counted_for_evict", server.MemoryNotCountedForEviction());
  w.Field("mem_replication_backlog", 0);
  w.Field("mem_total_replication_buffers", 0);
  w.Field("mem_clients_slaves", 0);
  w.Field("mem_clients_normal", m.clients_normal);
  w.Field("mem_cluster_links", 0);
  w.Field("mem_aof_buffer", 0);
  w.Field("mem_allocator", "libc");
  w.Field("active_defrag_running", 0);
  w.Field("lazyfree_pending_objects", LazyFree::Global().pending_objects());
  w.Field("lazyfreed_objects", LazyFree::Global().freed_objects());
}

void PersistenceSection(Server& server, InfoWriter& w) {
  const Snapshots& snap = server.snapshots();
  w.Header("Persistence");
  w.Field("loading", snap.loading() ? 1 : 0);
  w.Field("async_loading", 0);
  w.Field("current_cow_peak", 0);
  w.Field("current_cow_size", 0);
  w.Field("current_cow_size_age", 0);
  w.Fixed2("current_fork_perc", 0.0);
  w.Field("current_save_keys_processed", 0);
  w.Field("current_save_keys_total", 0);
  w.Field("rdb_changes_since_last_save", server.keyspace().dirty);
  w.Field("rdb_bgsave_in_progress", snap.child_active() ? 1 : 0);
  w.Field("rdb_last_save_time", snap.last_save_time());
  w.Field("rdb_last_bgsave_status", snap.last_bgsave_ok() ? "ok" : "err");
  w.Field("rdb_last_bgsave_time_sec", snap.last_bgsave_time_sec());
  w.Field("rdb_current_bgsave_time_sec", snap.current_bgsave_time_sec());
  w.Field("rdb_saves", server.stats().rdb_saves);
  w.Field("rdb_last_cow_size", snap.last_cow_size());
  w.Field("rdb_last_load_keys_expired", snap.last_load_keys_expired());
  w.Field("rdb_last_load_keys_loaded", snap.last_load_keys_loaded());
  Aof& aof = server.aof();
  w.Field("aof_enabled", aof.enabled() ? 1 : 0);
  w.Field("aof_rewrite_in_progress", aof.child_active() ? 1 : 0);
  w.Field("aof_rewrite_scheduled", aof.rewrite_scheduled() ? 1 : 0);
  w.Field("aof_last_rewrite_time_sec", aof.last_rewrite_time_sec());
  w.Field("aof_current_rewrite_time_sec", aof.current_rewrite_time_sec());
  w.Field("aof_last_bgrewrite_status", aof.last_bgrewrite_ok() ? "ok" : "err");
  w.Field("aof_rewrites", server.stats().aof_rewrites);
  w.Field("aof_rewrites_consecutive_failures", aof.consecutive_failures());
  w.Field("aof_last_write_status", aof.last_write_ok() ? "ok" : "err");
  w.Field("aof_last_cow_size", aof.last_cow_size());
  w.Field("module_fork_in_progress", 0);
  w.Field("module_fork_last_cow_size", 0);
  if (aof.enabled()) {
    w.Field("aof_current_size", aof.current_size());
    w.Field("aof_base_size", aof.base_size());
    w.Field("aof_pending_rewrite", aof.rewrite_scheduled() ? 1 : 0);
    w.Field("aof_buffer_length", aof.buffer_length());
    w.Field("aof_pending_bio_fsync", aof.pending_bio_fsync());
    w.Field("aof_delayed_fsync", server.stats().aof_delayed_fsync);
  }
  if (snap.loading()) {
    const int64_t elapsed = WallClockMs() / 1000 - snap.loading_start_time();
    const double total = static_cast<double>(snap.loading_total_bytes());
    const double loaded = static_cast<double>(snap.loading_loaded_bytes());
    w.Field("loading_start_time", snap.loading_start_time());
    w.Field("loading_total_bytes", snap.loading_total_bytes());
    w.Field("loading_rdb_used_mem", 0);
    w.Field("loading_loaded_bytes", snap.loading_loaded_bytes());
    w.Fixed2("loading_loaded_perc", total > 0 ? loaded * 100 / total : 0.0);
    w.Field("loading_eta_seconds",
            loaded > 0 ? static_cast<int64_t>((total - loaded) / (loaded / std::max<int64_t>(elapsed, 1)))
                       : 1);
  }
}

void StatsSection(Server& server, InfoWriter& w) {
  const ServerStats& st = server.stats();
  const KeyspaceStats& ks = server.keyspace().stats();
  w.Header("Stats");
  w.Field("total_connections_received", st.total_connections_received);
  w.Field("total_commands_processed", st.total_commands_processed);
  w.Field("instantaneous_ops_per_sec", static_cast<int64_t>(st.ops.Average()));
  w.Field("total_net_input_bytes", st.total_net_input_bytes);
  w.Field("total_net_output_bytes", st.total_net_output_bytes);
  w.Field("total_net_repl_input_bytes", 0);
  w.Field("total_net_repl_output_bytes", 0);
  w.Fixed2("instantaneous_input_kbps", st.net_input.Average() / 1024);
  w.Fixed2("instantaneous_output_kbps", st.net_output.Average() / 1024);
  w.Fixed2("instantaneous_input_repl_kbps", 0.0);
  w.Fixed2("instantaneous_output_repl_kbps", 0.0);
  w.Field("rejected_connections", st.rejected_connections);
  w.Field("sync_full", server.replication().sync_full());
  w.Field("sync_partial_ok", server.replication().sync_partial_ok());
  w.Field("sync_partial_err", server.replication().sync_partial_err());
  // Ember's own: why each full sync happened (docs/replication.md).
  for (size_t i = 0; i < static_cast<size_t>(Replication::FullSyncReason::kCount); ++i) {
    const auto reason = static_cast<Replication::FullSyncReason>(i);
    w.Field(std::string("sync_full_reason_") + Replication::FullSyncReasonName(reason),
            server.replication().sync_full_reason(reason));
  }
  w.Field("expired_keys", ks.expired_keys);
  w.Fixed2("expired_stale_perc", static_cast<double>(ks.expired_stale_perc_x100) / 100.0);
  w.Field("expired_time_cap_reached_count", ks.expired_time_cap_reached_count);
  w.Field("expire_cycle_cpu_milliseconds", ks.expire_cycle_cpu_milliseconds);
  w.Field("evicted_keys", server.evictor().evicted_keys());
  w.Field("evicted_clients", 0);
  w.Field("total_eviction_exceeded_time", server.evictor().total_exceeded_ms());
  w.Field("current_eviction_exceeded_time", server.evictor().current_exceeded_ms());
  w.Field("keyspace_hits", ks.hits);
  w.Field("keyspace_misses", ks.misses);
  w.Field("pubsub_channels", server.pubsub().NumNames(PubSub::kChannel));
  w.Field("pubsub_patterns", server.pubsub().NumNames(PubSub::kPattern));
  w.Field("pubsubshard_channels", server.pubsub().NumNames(PubSub::kShard));
  w.Field("latest_fork_usec", server.stats().latest_fork_usec);
  w.Field("total_forks", server.stats().total_forks);
  w.Field("migrate_cached_sockets", 0);
  w.Field("slave_expires_tracked_keys", 0);
  w.Field("active_defrag_hits", 0);
  w.Field("active_defrag_misses", 0);
  w.Field("active_defrag_key_hits", 0);
  w.Field("active_defrag_key_misses", 0);
  w.Field("total_active_defrag_time", 0);
  w.Field("current_active_defrag_time", 0);
  w.Field("tracking_total_keys", server.tracking().total_keys());
  w.Field("tracking_total_items", server.tracking().total_items());
  w.Field("tracking_total_prefixes", server.tracking().total_prefixes());
  w.Field("unexpected_error_replies", st.unexpected_error_replies);
  w.Field("total_error_replies", st.total_error_replies);
  w.Field("dump_payload_sanitizations", 0);
  w.Field("total_reads_processed", st.total_reads_processed);
  w.Field("total_writes_processed", st.total_writes_processed);
  w.Field("io_threaded_reads_processed", 0);
  w.Field("io_threaded_writes_processed", 0);
  w.Field("reply_buffer_shrinks", 0);
  w.Field("reply_buffer_expands", 0);
}

void ReplicationSection(Server& server, InfoWriter& w) {
  const ServerConfig& cfg = server.config();
  const Replication& repl = server.replication();
  w.Header("Replication");
  if (server.is_replica()) {
    w.Field("role", "slave");
    w.Field("master_host", cfg.replicaof_host);
    w.Field("master_port", cfg.replicaof_port);
    w.Field("master_link_status", repl.link_up() ? "up" : "down");
    w.Field("master_last_io_seconds_ago", repl.master_last_io_seconds_ago());
    w.Field("master_sync_in_progress", repl.sync_in_progress() ? 1 : 0);
    w.Field("slave_read_repl_offset", repl.read_repl_offset());
    w.Field("slave_repl_offset", repl.master_repl_offset());
    if (!repl.link_up()) w.Field("master_link_down_since_seconds", repl.link_down_since_seconds());
    w.Field("slave_priority", cfg.replica_priority);
    w.Field("slave_read_only", cfg.replica_read_only ? 1 : 0);
    w.Field("replica_announced", 1);
  } else {
    w.Field("role", "master");
  }
  const auto replicas = repl.Replicas();
  w.Field("connected_slaves", static_cast<int64_t>(replicas.size()));
  if (cfg.min_replicas_to_write > 0 && cfg.min_replicas_max_lag > 0) {
    w.Field("min_slaves_good_slaves", repl.GoodReplicas());
  }
  for (size_t i = 0; i < replicas.size(); ++i) {
    const auto& r = replicas[i];
    w.Field("slave" + std::to_string(i),
            fmt::format("ip={},port={},state={},offset={},lag={},offset_lag={}", r.ip, r.port,
                        r.state, r.offset, r.lag, r.offset_lag));
  }
  w.Field("master_failover_state", repl.failover_state_name());
  w.Field("master_replid", repl.replid());
  w.Field("master_replid2", repl.replid2());
  w.Field("master_repl_offset", repl.master_repl_offset());
  w.Field("second_repl_offset", repl.second_replid_offset());
  const ReplBacklog* backlog = repl.backlog();
  w.Field("repl_backlog_active", backlog ? 1 : 0);
  w.Field("repl_backlog_size", cfg.repl_backlog_size);
  w.Field("repl_backlog_first_byte_offset", backlog ? backlog->first_offset() : 0);
  w.Field("repl_backlog_histlen", backlog ? static_cast<int64_t>(backlog->histlen()) : 0);
  if (server.is_replica()) {
    // Ember's own, after all of Redis's fields: bytes received but not applied yet, and the
    // seconds since the last byte from the master was applied.
    w.Field("master_repl_offset_lag", repl.master_repl_offset_lag());
    w.Field("master_last_applied_seconds_ago", repl.last_applied_seconds_ago());
  }
  // Ember's own: writer throttling (replica-throttle-writers).
  w.Field("repl_throttle_active", repl.throttle_delay_ms() > 0 ? 1 : 0);
  w.Field("repl_throttle_delay_ms", repl.throttle_delay_ms());
  w.Field("repl_throttled_writes", repl.throttled_writes());
}

void CpuSection(InfoWriter& w) {
  rusage self{}, children{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  w.Header("CPU");
  w.Field("used_cpu_sys", TimevalSeconds(self.ru_stime));
  w.Field("used_cpu_user", TimevalSeconds(self.ru_utime));
  w.Field("used_cpu_sys_children", TimevalSeconds(children.ru_stime));
  w.Field("used_cpu_user_children", TimevalSeconds(children.ru_utime));
  w.Field("used_cpu_sys_main_thread", TimevalSeconds(thread.ru_stime));
  w.Field("used_cpu_user_main_thread", TimevalSeconds(thread.ru_utime));
}

void CommandStatsLine(const CommandSpec& spec, InfoWriter& w) {
  if (spec.calls == 0 && spec.failed_calls == 0 && spec.rejected_calls == 0) return;
  double per_call =
      spec.calls ? static_cast<double>(spec.usec) / static_cast<double>(spec.calls) : 0.0;
  w.out.append("cmdstat_");
  w.out.append(SafeInfoName(spec.name));
  fmt::format_to(std::back_inserter(w.out),
                 ":calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}\r\n",
                 spec.calls, spec.usec, per_call, spec.rejected_calls, spec.failed_calls);
}

void CommandStatsSection(InfoWriter& w) {
  w.Header("Commandstats");
  CommandTable::Global().ForEach([&](const CommandSpec& spec) {
    CommandStatsLine(spec, w);
    for (const auto& sub : spec.subcommands) CommandStatsLine(*sub, w);
  });
}

void ErrorStatsSection(Server& server, InfoWriter& w) {
  w.Header("Errorstats");
  for (const auto& [code, count] : server.stats().error_counts) {
    if (count == 0) continue;
    w.out.append("errorstat_");
    w.out.append(SafeInfoName(code));
    fmt::format_to(std::back_inserter(w.out), ":count={}\r\n", count);
  }
}

// avg_ttl: Redis keeps a running estimate fed by the active expiry cycle's samples; we estimate
// it at INFO time from the first keys with a TTL that a bounded SCAN meets.
int64_t EstimateAvgTtl(Database& db, int64_t now_ms) {
  if (db.expires_count() == 0) return 0;
  int64_t sum = 0, sampled = 0, visited = 0;
  uint64_t cursor = 0;
  do {
    cursor = db.Scan(cursor, [&](KeyEntry* e) {
      ++visited;
      if (!e->has_expire || sampled >= 64) return;
      int64_t when = db.GetExpire(e);
      if (when > now_ms) {
        sum += when - now_ms;
        ++sampled;
      }
    });
  } while (cursor != 0 && sampled < 64 && visited < 4096);
  return sampled ? sum / sampled : 0;
}

void KeyspaceSection(Server& server, InfoWriter& w) {
  w.Header("Keyspace");
  Keyspace& ks = server.keyspace();
  int64_t now = WallClockMs();
  for (int i = 0; i < ks.num_dbs(); ++i) {
    Database& db = ks.db(i);
    if (db.size() == 0) continue;
    fmt::format_to(std::back_inserter(w.out), "db{}:keys={},expires={},avg_ttl={}\r\n", i,
                   db.size(), db.expires_count(), EstimateAvgTtl(db, now));
  }
}

}  // namespace

MemoryOverview ComputeMemoryOverview(Server& server) {
  MemoryOverview m;
  m.used = server.UpdateMemoryPeak();
  m.peak = std::max(server.stats().peak_memory, m.used);
  m.rss = ProcessRss();
  m.startup = server.used_memory_startup();
  for (const auto& [id, conn] : server.clients()) m.clients_normal += ClientMemory(*conn);
  size_t db_overhead = 0;
  Keyspace& ks = server.keyspace();
  for (int i = 0; i < ks.num_dbs(); ++i) {
    Database& db = ks.db(i);
    if (db.size() == 0) continue;
    // Our layout: the tables' bucket arrays plus each entry's fixed header (the key bytes and
    // the value are data).
    size_t main = db.OverheadBytes() + db.size() * offsetof(KeyEntry, key_data);
    size_t expires = db.expires_count() * sizeof(ExpireEntry);
    m.dbs.push_back({i, main, expires});
    db_overhead += main + expires;
    m.keys += db.size();
  }
  m.overhead = m.startup + m.clients_normal + db_overhead;
  m.dataset = m.used > m.overhead ? m.used - m.overhead : 0;
  size_t net = m.used > m.startup ? m.used - m.startup : 0;
  m.dataset_perc = net ? static_cast<double>(m.dataset) * 100.0 / static_cast<double>(net) : 0;
  m.peak_perc = m.peak ? static_cast<double>(m.used) * 100.0 / static_cast<double>(m.peak) : 0;
  struct mallinfo2 mi = mallinfo2();
  m.allocator_allocated = mi.uordblks + mi.hblkhd;
  m.allocator_active = mi.arena + mi.hblkhd;
  m.allocator_resident = m.rss;
  return m;
}

std::string GenerateInfo(Server& server, std::span<const std::string_view> args) {
  std::set<std::string, std::less<>> wanted;
  if (args.empty()) {
    wanted.insert(std::begin(kDefaultSections), std::end(kDefaultSections));
  }
  for (std::string_view a : args) {
    std::string s = ToLower(a);
    if (s == "all" || s == "everything") {
      wanted.insert(std::begin(kSectionOrder), std::end(kSectionOrder));
    } else if (s == "default") {
      wanted.insert(std::begin(kDefaultSections), std::end(kDefaultSections));
    } else if (s == "module_list") {
      wanted.insert("modules");
    } else {
      wanted.insert(std::move(s));
    }
  }
  InfoWriter w;
  for (std::string_view section : kSectionOrder) {
    if (!wanted.count(section)) continue;
    if (section == "server") {
      ServerSection(server, w);
    } else if (section == "clients") {
      ClientsSection(server, w);
    } else if (section == "memory") {
      MemorySection(server, w);
    } else if (section == "persistence") {
      PersistenceSection(server, w);
    } else if (section == "stats") {
      StatsSection(server, w);
    } else if (section == "replication") {
      ReplicationSection(server, w);
    } else if (section == "cpu") {
      CpuSection(w);
    } else if (section == "modules") {
      w.Header("Modules");
    } else if (section == "commandstats") {
      CommandStatsSection(w);
    } else if (section == "errorstats") {
      ErrorStatsSection(server, w);
    } else if (section == "latencystats") {
      // Per-command latency percentiles are not tracked yet: the section is empty.
      w.Header("Latencystats");
    } else if (section == "cluster") {
      w.Header("Cluster");
      w.Field("cluster_enabled", 0);
    } else if (section == "keyspace") {
      KeyspaceSection(server, w);
    }
  }
  return std::move(w.out);
}

namespace {

void CmdInfo(CommandContext& ctx) {
  Server& server = static_cast<Server&>(ctx.services());
  std::string text = GenerateInfo(server, ctx.args().subspan(1));
  ctx.reply().Verbatim(text);
}

}  // namespace

void RegisterInfoFamily(CommandTable& table) {
  using namespace cmd_flags;
  table.Add(MakeCommand("info", -1, kLoading | kStale | kSentinel, kNoKeys, CmdInfo, "server",
                        acl_cat::kDangerous, "Get information and statistics about the server",
                        "1.0.0"));
}

}  // namespace ember
