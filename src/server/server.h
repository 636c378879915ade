// Server: owns the configuration, the keyspace, the event loop, the listeners and the clients,
// and runs every command through one dispatcher (lookup -> validate -> execute -> propagate).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "db/keyspace.h"
#include "server/acl.h"
#include "server/aof.h"
#include "server/blocked_clients.h"
#include "server/config.h"
#include "server/connection.h"
#include "server/event_loop.h"
#include "server/eviction.h"
#include "server/listener.h"
#include "server/metrics_endpoint.h"
#include "server/pubsub.h"
#include "server/replica_own_expires.h"
#include "server/replication.h"
#include "server/script_lua.h"
#include "server/snapshots.h"
#include "server/tracking.h"
#include "server/transactions.h"

namespace ember {

class LuaScripting;
class ScriptHost;
struct ScriptRun;

struct ServerStats {
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_net_input_bytes = 0;
  uint64_t total_net_output_bytes = 0;
  uint64_t total_error_replies = 0;
  uint64_t unexpected_error_replies = 0;
  uint64_t total_reads_processed = 0;
  uint64_t total_writes_processed = 0;
  uint64_t client_query_buffer_limit_disconnections = 0;
  uint64_t client_output_buffer_limit_disconnections = 0;
  uint64_t total_forks = 0;
  int64_t latest_fork_usec = 0;
  uint64_t rdb_saves = 0;
  uint64_t aof_rewrites = 0;
  uint64_t aof_delayed_fsync = 0;
  std::map<std::string, uint64_t> error_counts;  // INFO errorstats, by error code
  // Instantaneous metrics: samples taken by the cron.
  static constexpr int kSamples = 16;
  struct Metric {
    int64_t last_time_ms = 0;
    uint64_t last_value = 0;
    double samples[kSamples] = {};
    int idx = 0;
    void Track(int64_t now_ms, uint64_t value);
    double Average() const;
  };
  Metric ops, net_input, net_output;
  size_t peak_memory = 0;  // INFO used_memory_peak (sampled by the cron and by INFO)
};

struct SlowlogEntry {
  uint64_t id;
  int64_t time_sec;
  int64_t duration_us;
  std::vector<std::string> args;
  std::string peer;
  std::string client_name;
};

// One latency monitor event class (Redis's latencyTimeSeries).
struct LatencyEvent {
  int64_t max_ms = 0;  // the all-time high, kept when old samples drop out
  // (unix time, latency in ms) samples, one per second (the max of that second), the latest 160
  // as Redis's LATENCY_TS_LEN. Never empty: an event exists from its first sample.
  std::deque<std::pair<int64_t, int64_t>> samples;
};

// SHUTDOWN's options, also those of shutdown-on-sigterm / shutdown-on-sigint.
struct ShutdownOptions {
  bool nosave = false;
  bool save = false;
  bool now = false;
  bool force = false;
};
// "nosave now" (the value of shutdown-on-sigterm) -> options; "default" and "" set none.
ShutdownOptions ParseShutdownOptions(std::string_view words);

class Server : public ServerServices {
 public:
  Server();
  ~Server() override;

  // Parses argv like redis-server. Returns the process exit code to use, or -1 to go on.
  int Configure(int argc, char** argv);
  // Opens listeners, daemonizes if asked, logs the start-up lines. Returns false on fatal error.
  bool Start();
  // Runs the event loop until shutdown. Returns the exit code.
  int Run();

  // ServerServices.
  int64_t max_string_len() const override { return config_.proto_max_bulk_len; }
  bool is_replica() const override { return !config_.replicaof_host.empty(); }
  bool replica_read_only() const override { return config_.replica_read_only; }
  void AfterFlushAll() override;
  void BeforeFlush(int db) override;  // key_signals.cc
  void BeforeSwapDb(int a, int b) override;
  // Keyspace notifications (keyspace_events.cc).
  void NotifyKeyspaceEvent(int type, std::string_view event, std::string_view key,
                           int db) override;

  // Executes one request for a client; the reply goes to the connection's output.
  void Dispatch(Connection& conn, std::span<const std::string_view> args);
  // Connection lifecycle.
  void OnAccept(int fd, const std::string& peer, const std::string& local, bool unix_socket);
  void ScheduleClose(Connection* conn);
  void MarkPendingWrite(Connection* conn);
  // Closes a client whose output buffer passed client-output-buffer-limit. Returns false if it
  // was closed.
  bool CheckOutputBufferLimits(Connection* conn);

  // Graceful shutdown (SHUTDOWN, SIGTERM, SIGINT; shutdown.cc). Unless NOW, a master first
  // waits up to shutdown-timeout for its replicas to acknowledge the whole stream, with writes
  // paused; the SHUTDOWN client then stays blocked (AddShutdownWaiter) until the end.
  enum class ShutdownStart { kExit, kWaiting, kFailed };
  ShutdownStart StartShutdown(const ShutdownOptions& options, std::string* err);
  void AddShutdownWaiter(Connection& conn);
  // SHUTDOWN ABORT: false when no shutdown is in progress.
  bool AbortShutdown();
  void RequestShutdown() { shutdown_requested_ = true; }

  ServerConfig& config() { return config_; }
  ConfigTable& config_table() { return config_table_; }
  Keyspace& keyspace() { return *keyspace_; }
  EventLoop& loop() { return loop_; }
  ServerStats& stats() { return stats_; }
  Acl& acl() { return acl_; }
  const std::map<uint64_t, Connection*>& clients() const { return clients_; }
  Connection* FindClient(uint64_t id);

  const std::string& run_id() const { return run_id_; }
  Replication& replication() { return *replication_; }
  // The replica side's link to its master becomes a client connection after the sync.
  Connection* AdoptMasterConnection(int fd, const std::string& peer);
  // A command from our master was applied (its exact bytes, for offsets and sub-replicas).
  void OnMasterCommandApplied(std::string_view raw) { replication_->OnMasterCommand(raw); }
  // WAIT: blocks `conn` until `replicas` replicas acknowledged `offset` or `deadline_ms`.
  void BlockForReplicas(Connection& conn, int64_t offset, int64_t replicas, int64_t deadline_ms);
  // Replies to WAITing clients whose condition is met or whose time is up.
  void CheckWaitingClients();
  // The one choke point for the replication stream and the AOF: a write's effects (or its argv
  // when none were recorded), in execution order.
  // `replicas_only`: not to the AOF (PUBLISH).
  void Propagate(int db_index, const std::vector<std::vector<std::string>>& effects,
                 std::span<const std::string_view> original, bool replicas_only = false);
  // Transactions and scripts: the writes between Begin and End reach the stream as one
  // MULTI/EXEC block (a lone write goes alone, as in Redis 7.0). Pairs may nest.
  void BeginAtomicPropagation() { ++atomic_depth_; }
  void EndAtomicPropagation();
  // EXEC: runs the client's queued commands (transaction_family.cc).
  void ExecTransaction(Connection& conn);
  // Whether EXEC is running its commands (BGSAVE and BGREWRITEAOF then only schedule).
  bool in_exec() const { return executing_transaction_; }
  // WATCH: the keys clients watch, touched by every change.
  WatchedKeys& watched_keys() { return watched_keys_; }
  // CLIENT TRACKING.
  ClientTracking& tracking() { return tracking_; }
  // A key changed (key_signals.cc): WATCH and tracking hear of it. `exists`: the key is there
  // now; `origin`: the client that changed it (0: the server itself, by expiry or eviction).
  void SignalModifiedKey(int db, std::string_view key, bool exists, uint64_t origin);
  // The whole data set was replaced (a full sync, DEBUG RELOAD).
  void SignalDataSetReplaced();
  Evictor& evictor() { return evictor_; }
  // Memory eviction does not count: replica output buffers (INFO mem_not_counted_for_evict).
  size_t MemoryNotCountedForEviction() const;
  // Blocking commands (BLPOP, BZPOPMIN, ...): re-runs the commands of clients waiting on keys
  // that became ready, in the order they blocked.
  void HandleClientsBlockedOnKeys();
  // CLIENT UNBLOCK: ends a client's wait as a timeout, or with -UNBLOCKED when `error`. False if
  // it was not blocked by a blocking command or WAIT.
  bool UnblockClient(uint64_t client_id, bool error);
  // INFO clients: blocked_clients and clients_in_timeout_table.
  size_t blocked_clients() const { return blocked_.size() + waiting_.size(); }
  size_t clients_in_timeout_table() const;
  // Writer throttling (replica-throttle-writers): holds a client after a write while a
  // replica's buffer is more than half full; released from BeforeSleep.
  void ThrottleWriter(Connection& conn);
  void ReleaseThrottledClients();
  int64_t start_time_ms() const { return start_time_ms_; }
  int64_t now_ms() const { return cached_now_ms_; }
  // The wall clock (ms) at a monotonic reading, from the anchors of this event-loop iteration.
  int64_t WallMsAt(int64_t mono_us) const {
    return (wall_anchor_us_ + (mono_us - mono_anchor_us_)) / 1000;
  }
  // A batch of commands run back to back (one client's input) shares clock reads: a command
  // starts when the batch began or the previous one ended, so it costs one read, not two. One
  // that ends without running (queued by MULTI, refused) leaves the next to read the clock.
  void BeginCommandBatch(int64_t mono_us) {
    in_command_batch_ = true;
    batch_clock_us_ = mono_us;
  }
  void EndCommandBatch() {
    in_command_batch_ = false;
    batch_clock_us_ = 0;
  }
  Snapshots& snapshots() { return snapshots_; }
  // A BGSAVE (or replication snapshot) or AOF rewrite child is running: only one at a time.
  bool HasActiveChild() const { return snapshots_.child_active() || aof_.child_active(); }
  Aof& aof() { return aof_; }
  // In a forked child: closes the sockets and pipes only the parent may use.
  void CloseFdsInChild();
  // Serves clients for a moment during a long load (they get -LOADING).
  void ProcessEventsWhileLoading() { loop_.PollOnce(); }
  std::vector<int> listening_ports() const;
  std::string executable() const { return executable_; }
  // Memory accounting for INFO memory.
  size_t used_memory_startup() const { return used_memory_startup_; }
  // Samples UsedMemory() into stats().peak_memory; returns the current used memory.
  size_t UpdateMemoryPeak();

  // Slow log and latency monitor.
  std::deque<SlowlogEntry>& slowlog() { return slowlog_; }
  uint64_t next_slowlog_id() { return slowlog_id_++; }
  std::map<std::string, LatencyEvent, std::less<>>& latency_events() { return latency_events_; }
  void RecordLatency(std::string_view event, int64_t ms);

  // CLIENT PAUSE.
  void PauseClients(int64_t until_ms, bool writes_only);
  void UnpauseClients();
  bool ClientPaused(uint32_t command_flags) const;

  // Pub/Sub (pubsub_family.cc). Publish delivers to channel and pattern subscribers and returns
  // how many received it; PublishShard (SPUBLISH) to shard channel subscribers only.
  int64_t Publish(std::string_view channel, std::string_view message);
  int64_t PublishShard(std::string_view channel, std::string_view message);
  PubSub& pubsub() { return pubsub_; }
  const PubSub& pubsub() const { return pubsub_; }
  // The error a RESP2 subscriber gets for a command it may not run while subscribed.
  std::optional<std::string> PubSubContextError(const Connection& conn,
                                                const CommandSpec& spec) const;

  // Feeds MONITOR clients.
  void FeedMonitors(const Connection& conn, std::span<const std::string_view> args);
  size_t monitor_count() const { return monitors_; }
  void set_monitor_count(size_t n) { monitors_ = n; }

  // For tests: runs the cron once.
  void Cron();

  std::mt19937_64& rng() { return keyspace_->rng(); }
  bool active_expire_enabled() const { return config_.active_expire_enabled; }
  bool protected_mode_active() const;

  // Scripting (script_calls.cc): the Lua engine, a script run for a client (its reply goes to
  // the caller), each redis.call's checks and execution, and the busy-script state.
  LuaScripting& scripting();
  // The FUNCTION libraries' engine, reloaded from the snapshot's libraries after a load.
  LuaScripting& functions();
  // After FUNCTION LOAD/DELETE/FLUSH/RESTORE: the libraries snapshots write.
  void SaveFunctionsToSnapshot();
  // Runs a script (EVAL) or a function (FCALL, `is_eval` false) for `caller`, after Redis's
  // pre-run checks for its flags; `run` executes it on the engine.
  void RunScript(CommandContext& ctx, bool is_eval, uint32_t flags, bool ro,
                 const std::function<void(ScriptHost&, ReplyBuilder&)>& run);
  // FUNCTION STATS: the running script's name, its command and for how long (ms); whether it
  // is an EVAL (FUNCTION STATS then answers -BUSY).
  bool RunningScript(std::string* name, std::vector<std::string>* command, int64_t* ms,
                     bool* is_eval) const;
  void ScriptCall(ScriptRun& run, std::vector<std::string>& argv, int resp, int repl_flags,
                  std::string* reply, std::string* err);
  bool ScriptInterrupt(ScriptRun& run);
  // A script passed busy-reply-threshold: other clients get -BUSY, except for allow-busy
  // commands (SHUTDOWN only with NOSAVE).
  bool ScriptTimedOut() const;
  // The -BUSY error for a command during a busy script, or empty when it may run.
  std::string_view ScriptBusyError(const CommandSpec& spec,
                                   std::span<const std::string_view> args) const;
  // The flags a command is checked with: its own, except for EVAL/EVALSHA/FCALL (and _RO) of a
  // script that declares flags, whose write/deny-oom/stale come from them (Redis's
  // getCommandFlags).
  uint32_t CommandFlags(const CommandSpec& spec, std::span<const std::string_view> args) {
    // Only the script commands have both (a cheap test, inline: it runs for every command).
    if (!spec.is(cmd_flags::kSkipMonitor) || !spec.is(cmd_flags::kNoMandatoryKeys) ||
        args.size() < 2) {
      return spec.flags;
    }
    return ScriptCommandFlags(spec, args);
  }
  uint32_t ScriptCommandFlags(const CommandSpec& spec, std::span<const std::string_view> args);
  // SCRIPT KILL / FUNCTION KILL: empty on success, else the error to reply.
  std::string KillScript(bool is_eval);

 private:
  bool OpenListeners();
  // Opens TCP listeners for config_.bind x config_.port into tcp_listeners_.
  bool OpenTcpListeners();
  void CloseTcpListeners();
  // CONFIG SET port/bind: listen on the new addresses, or restore the old ones and fail.
  bool RebindTcp(std::string* err, std::string_view what);
  bool ListenTcp(const std::string& addr);
  bool ListenUnix();
  void BeforeSleep();
  // Lets the event loop poll before sleeping while clients send about one command per read
  // (request/response traffic: each command would otherwise cost its client a wakeup of this
  // thread); pipelined clients spread that cost over their batch, and polling would only burn
  // CPU (EventLoop::set_busy_poll).
  void UpdateBusyPolling();
  void AnchorClocks();
  void ActiveExpireCycle();
  void CloseTimedOutClients();
  void ApplyRenamedCommands();
  void ApplyLogLevel();
  // Copies acllog-max-len and acl-pubsub-default into the ACL.
  void ApplyAclSettings();
  // Creates the users of `user` directives; false (logged) when one is invalid.
  bool ApplyConfiguredUsers();
  // Copies maxmemory-policy (LRU or LFU) and the lfu-* settings into Tracking().
  void ApplyAccessTracking();
  // Copies the lazyfree-lazy-* directives into LazyFree's settings.
  void ApplyLazyFreeSettings();
  // Copies notify-keyspace-events into the mask commands test (keyspace_events.cc).
  void ApplyKeyspaceEvents();
  void RegisterConfigHooks();
  void LogStartup();
  void Daemonize();
  void WritePidFile();
  void CountError(std::string_view code);  // INFO stats/errorstats
  void DispatchFromMaster(Connection& conn, std::span<const std::string_view> args);
  // Saves (as the options ask) and reports whether the process may exit now.
  bool FinishShutdown(std::string* err);
  // While waiting for replicas: finishes at the deadline or once they all caught up.
  void CheckShutdownProgress();
  bool ReplicasCaughtUp();
  // Replies `error` to the blocked SHUTDOWN clients and lets writes go on.
  void CancelShutdown(std::string_view error);
  // Replies the error and returns true when the command may not run now; otherwise
  // *flags_as_run holds the flags it runs with (a script's declared ones, EXEC's queued ones).
  bool RejectCommand(Connection& conn, const CommandSpec* spec,
                     std::span<const std::string_view> args, uint32_t* flags_as_run);
  void CallCommand(Connection& conn, const CommandSpec& spec,
                   std::span<const std::string_view> args);
  // WATCH and client tracking hear of the keys a write command changed, as Redis's
  // signalModifiedKey calls: before it runs, WrittenKeysPresent notes which of the keys it may
  // write (its key specs that are not read-only) exist; after it, SignalWrittenKeys signals
  // those that existed before or exist now, or, for a command propagated as other commands
  // (LMPOP as the LPOP of the key it popped), the keys those write.
  std::vector<bool> WrittenKeysPresent(const CommandSpec& spec,
                                       std::span<const std::string_view> args, int db);
  void SignalWrittenKeys(const Connection& conn, const CommandSpec& spec,
                         std::span<const std::string_view> args, int db,
                         const std::vector<std::vector<std::string>>& effects,
                         const std::vector<bool>& present_before);

  ServerConfig config_;
  ConfigTable config_table_{&config_};
  Acl acl_;
  std::unique_ptr<Keyspace> keyspace_;
  EventLoop loop_;
  std::vector<std::unique_ptr<Listener>> tcp_listeners_;
  std::unique_ptr<Listener> unix_listener_;
  // The addresses the TCP listeners were opened with (to restore them if a rebind fails).
  std::vector<std::string> bound_addrs_;
  int64_t bound_port_ = 0;
  std::map<uint64_t, Connection*> clients_;
  std::vector<Connection*> pending_writes_;
  std::vector<Connection*> flushing_;
  // UpdateBusyPolling's view: counters at the last iteration, commands per read (x16, averaged).
  uint64_t busy_poll_reads_ = 0;
  uint64_t busy_poll_commands_ = 0;
  uint64_t commands_per_read_x16_ = 16;
  uint64_t next_client_id_ = 1;
  ServerStats stats_;
  std::deque<SlowlogEntry> slowlog_;
  uint64_t slowlog_id_ = 0;
  std::map<std::string, LatencyEvent, std::less<>> latency_events_;
  size_t monitors_ = 0;
  PubSub pubsub_;

  std::string run_id_;
  std::string executable_;
  int64_t start_time_ms_ = 0;
  int64_t cached_now_ms_ = 0;
  // The wall clock and FastMonotonicUs read together once per event-loop iteration
  // (AnchorClocks): Dispatch derives "now" from one FastMonotonicUs reading, which also starts
  // the command's timer.
  int64_t wall_anchor_us_ = 0;
  int64_t mono_anchor_us_ = 0;
  int64_t call_start_us_ = 0;  // set by Dispatch for the CallCommand that follows
  bool in_command_batch_ = false;
  int64_t batch_clock_us_ = 0;  // when the batch's next command starts (0: read the clock)
  size_t used_memory_startup_ = 0;
  bool shutdown_requested_ = false;
  ShutdownOptions shutdown_options_;
  int64_t shutdown_deadline_ms_ = 0;        // waiting for replicas until then (0: not)
  std::vector<uint64_t> shutdown_waiters_;  // SHUTDOWN clients blocked meanwhile
  bool pidfile_written_ = false;

  int64_t pause_until_ms_ = 0;
  bool pause_writes_only_ = false;
  int expire_db_cursor_ = 0;
  ReplicaOwnExpires replica_own_expires_;  // TTLs set by a writable replica's clients
  bool sets_own_expires_ = false;          // the running command is one of theirs
  Snapshots snapshots_{*this};
  Aof aof_{*this};
  MetricsEndpoint metrics_{*this};  // the Prometheus endpoint (metrics-port)
  std::unique_ptr<Replication> replication_ = std::make_unique<Replication>(*this);
  struct WaitingClient {
    uint64_t client_id;
    int64_t offset;
    int64_t replicas;
    int64_t deadline_ms;  // 0: no timeout
  };
  std::vector<WaitingClient> waiting_;
  BlockedClients blocked_;
  Evictor evictor_{*this};
  void HandleBlockedTimeouts();
  // Arms the event loop to wake for the earliest blocked client's deadline.
  void ScheduleBlockedTimeoutWake();
  struct ThrottledClient {
    uint64_t client_id;
    int64_t until_ms;  // monotonic
  };
  std::vector<ThrottledClient> throttled_;
  int64_t last_repl_cron_ms_ = 0;
  int atomic_depth_ = 0;
  WatchedKeys watched_keys_;
  ClientTracking tracking_{*this};
  bool executing_transaction_ = false;  // commands run by EXEC never block
  // Error replies sent by commands nested in EXEC, so EXEC does not count them as its own.
  uint64_t nested_errors_ = 0;
  std::vector<PropagatedCommand> atomic_commands_;  // held until EndAtomicPropagation
  std::unique_ptr<LuaScripting, void (*)(LuaScripting*)> scripting_{nullptr, nullptr};
  std::unique_ptr<LuaScripting, void (*)(LuaScripting*)> functions_{nullptr, nullptr};
  uint64_t functions_generation_ = 0;  // the snapshot load the libraries came from
  ScriptRun* script_run_ = nullptr;
  // redis.set_repl in the running script: which of the AOF and the replicas get its writes.
  int script_repl_targets_ = script_repl::kAll;
};

// Registers the server-level command families (server/ *_family.cc).
void RegisterServerCommands(CommandTable& table);

}  // namespace ember
