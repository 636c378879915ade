// Replication: master-replica replication speaking Redis 7's protocol, both roles.
//
// Every server has a replication ID and offset. As a master it serializes each write's effects
// into one stream (SELECT when the database changes, MULTI/EXEC around several effects) that
// goes to a backlog and to every replica; a replica PSYNCs and either continues from the backlog
// (+CONTINUE) or receives a snapshot first (+FULLRESYNC, then the RDB as `$<len>` from the dump
// file, or `$EOF:<mark>` streamed from the forked child through a pipe). As a replica it keeps a
// link to its master (handshake: PING, AUTH, REPLCONF, PSYNC), loads the snapshot, applies the
// stream through the dispatcher, acknowledges its offset every second, and forwards the stream's
// bytes unchanged to its own replicas, so a chain shares one replication ID and offset space.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "persistence/rdb_snapshot.h"
#include "server/command_stream.h"
#include "server/event_loop.h"
#include "server/repl_backlog.h"

namespace ember {

class ReplyBuilder;

class Connection;
class Keyspace;
class RdbReader;
class MasterLink;
class ReplyBuilder;
class Server;

class Replication {
 public:
  explicit Replication(Server& server);
  ~Replication();
  Replication(const Replication&) = delete;
  Replication& operator=(const Replication&) = delete;

  // ---- identity and the stream (both roles) ------------------------------------------------
  const std::string& replid() const { return replid_; }
  const std::string& replid2() const { return replid2_; }
  int64_t second_replid_offset() const { return second_replid_offset_; }
  int64_t master_repl_offset() const { return master_repl_offset_; }
  // DEBUG CHANGE-REPL-ID, and a master that starts its backlog from scratch.
  void ChangeReplId();
  // The stream exists (and advances) only with a backlog or replicas to send to, as Redis.
  bool stream_active() const { return backlog_ || !replicas_.empty(); }
  // A write's effects (or its original argv when it has none) into the stream. Master only.
  void FeedEffects(int db_index, const std::vector<std::vector<std::string>>& effects,
                   std::span<const std::string_view> original);
  // A transaction's or a script's writes, in order, as one MULTI ... EXEC block.
  void FeedTransaction(std::span<const PropagatedCommand> commands);
  // Aux fields of a snapshot: the ID and offset it corresponds to.
  void FillSaveInfo(SnapshotSaveInfo* info) const;
  // At start-up: a snapshot with replication info lets a replica PSYNC from where it was.
  void RestoreFromSnapshot(const SnapshotLoadInfo& info);

  // ---- master side ---------------------------------------------------------------------------
  // REPLCONF <option> <value> ... Returns false after replying an error.
  void Replconf(Connection& conn, std::span<const std::string_view> args, ReplyBuilder& reply);
  // PSYNC <replid> <offset> [FAILOVER] / SYNC.
  void Psync(Connection& conn, std::string_view replid, std::string_view offset, bool sync_cmd,
             bool failover = false);
  // WAIT: how many replicas acknowledged at least `offset`.
  int CountAcked(int64_t offset) const;
  // Online replicas that acknowledged within min-replicas-max-lag seconds.
  int64_t GoodReplicas() const;
  // Asks every replica for an acknowledgement (REPLCONF GETACK *), once per loop iteration.
  void RequestAcks() { getack_pending_ = true; }
  struct ReplicaView {
    std::string ip;
    int64_t port = 0;
    const char* state = "";
    int64_t offset = 0;
    int64_t lag = 0;
    int64_t offset_lag = 0;  // bytes of our stream the replica has not acknowledged (Ember's)
  };
  std::vector<ReplicaView> Replicas() const;
  void OnClientClosed(Connection* conn);
  // In a forked child: closes the snapshot pipe's read end and the master link's socket.
  void CloseFdsInChild();
  // The master sent bytes that are not RESP: the link is dropped and its history not reused.
  void OnMasterProtocolError(std::string_view error);
  // Whether `conn` is a replica still receiving its snapshot.
  bool SendingSnapshotTo(const Connection& conn) const;
  // A background save for replication finished.
  void OnReplicationSnapshotDone(bool ok);
  // Before the event loop sleeps: GETACK requests, failover progress, write pressure.
  void BeforeSleep();
  // Writer throttling (Ember's own): how long to hold a client after a write, from how full
  // the fullest replica buffer is (0 below half of client-output-buffer-limit replica).
  int64_t throttle_delay_ms() const { return throttle_delay_ms_; }
  void CountThrottledWrite() { ++throttled_writes_; }
  uint64_t throttled_writes() const { return throttled_writes_; }

  // ---- replica side --------------------------------------------------------------------------
  bool is_replica() const;
  // REPLICAOF host port. Returns false if already following that master.
  bool SetMaster(const std::string& host, int64_t port);
  // REPLICAOF NO ONE.
  void Promote();
  bool link_up() const;
  // A command from our master was applied: advance the offset and forward its bytes.
  void OnMasterCommand(std::string_view raw);
  void OnMasterLinkClosed(Connection* conn);
  // Bytes read on the master link (slave_read_repl_offset counts them before they are applied).
  void OnMasterBytesRead(size_t n);
  int64_t read_repl_offset() const { return std::max(read_repl_offset_, master_repl_offset_); }

  // From MasterLink: the replication ID and offset to PSYNC with ("?", -1 for a full sync).
  std::pair<std::string, int64_t> PsyncRequest() const;
  // From MasterLink (which is deleted afterwards): the outcome of a sync attempt.
  void OnPartialSyncAccepted(const std::string& new_replid, int fd, const std::string& host,
                             int64_t port, std::string leftover);
  void OnFullSyncReceived(const std::string& master_replid, int64_t master_offset,
                          const std::string& tmp_path, int fd, const std::string& host,
                          int64_t port, std::string leftover);
  void OnLinkFailed();
  // repl-diskless-load: whether the next snapshot is parsed straight from the socket.
  bool UseDisklessLoad() const;
  // Loads a snapshot received from the master (into a scratch keyspace when the old data must
  // survive a failure or a refusal). False with the reason in *err.
  bool LoadSnapshotFromMaster(RdbReader& reader, const std::string& master_replid,
                              std::string* err);
  void OnDisklessLoadDone(const std::string& master_replid, int64_t master_offset, int fd,
                          const std::string& host, int64_t port, std::string leftover);
  // CONFIG SET replica-refuse-empty-sync no: a refused sync is retried.
  void ResetEmptySyncRefusal();

  // ---- coordinated failover (replication_failover.cc) ----------------------------------------
  // FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]
  void Failover(std::span<const std::string_view> args, ReplyBuilder& reply);
  bool failover_in_progress() const { return failover_state_ == FailoverState::kInProgress; }
  const char* failover_state_name() const;
  // From MasterLink: the target answered our PSYNC ... FAILOVER.
  void OnFailoverPsyncDone(bool accepted);
  // PSYNC <replid> <offset> FAILOVER from our master. False after replying an error.
  bool AcceptFailoverRequest(Connection& conn, std::string_view replid);
  void AbortFailover(const std::string& why);

  // ---- both ------------------------------------------------------------------------------
  void Cron();  // once per second
  // Starts the snapshot replicas wait for when possible (every cron tick).
  void MaybeStartSnapshot();
  void ReplyRole(ReplyBuilder& r) const;
  const std::string& master_host() const;
  int64_t master_port() const;
  bool sync_in_progress() const;
  int64_t master_last_io_seconds_ago() const;
  int64_t link_down_since_seconds() const;
  const ReplBacklog* backlog() const { return backlog_.get(); }
  // Why full syncs happened (INFO stats sync_full_reason_*, Ember's own; docs/replication.md).
  enum class FullSyncReason {
    kNewReplica,        // the replica had no history (PSYNC ? -1)
    kSyncCommand,       // the old SYNC command
    kReplidMismatch,    // a history we do not know
    kBacklogFreed,      // our history, but the backlog was freed by repl-backlog-ttl
    kOffsetOutOfRange,  // our history, but the offset is outside the backlog
    kCount
  };
  static const char* FullSyncReasonName(FullSyncReason r);
  uint64_t sync_full_reason(FullSyncReason r) const {
    return sync_full_reasons_[static_cast<size_t>(r)];
  }
  // Replica side: bytes received from the master but not yet applied, and the seconds since
  // the last byte was applied (Ember's additions to INFO replication).
  int64_t master_repl_offset_lag() const { return read_repl_offset() - master_repl_offset_; }
  int64_t last_applied_seconds_ago() const;
  // Configuration sanity (docs/replication.md): logs a warning for settings that make full
  // syncs loop or partial resyncs impossible. `changed` names the directive just set, if any.
  void CheckConfigSanity(std::string_view changed);
  // Stats for INFO stats.
  uint64_t sync_full() const { return sync_full_; }
  uint64_t sync_partial_ok() const { return sync_partial_ok_; }
  uint64_t sync_partial_err() const { return sync_partial_err_; }

 private:
  friend class MasterLink;
  enum class FailoverState { kNone, kWaitForSync, kInProgress };
  enum class ReplicaState { kHandshake, kWaitBgsaveStart, kWaitBgsaveEnd, kSendBulk, kOnline };
  struct Replica {
    Connection* conn = nullptr;
    ReplicaState state = ReplicaState::kHandshake;
    bool old_sync = false;  // SYNC instead of PSYNC
    bool diskless = false;  // this sync streams the snapshot from the child's pipe
    // After a `$EOF:` transfer the stream waits for the replica's first ACK: a replica finds
    // the end mark only if it is the last thing it read.
    bool stream_on_ack = false;
    int64_t wait_since_ms = 0;
    int64_t listening_port = 0;
    std::string announce_ip;
    bool capa_eof = false;
    bool capa_psync2 = false;
    int64_t ack_offset = 0;
    int64_t ack_time_ms = 0;
    // The stream that arrives while the snapshot is produced or sent, queued behind it.
    std::string pending;
    // Disk transfer: the snapshot file being sent.
    int rdb_fd = -1;
  };

  // The address a replica is known by: its announced IP, else its peer IP; with the port.
  static std::string ReplicaIp(const Replica& r);
  static std::string ReplicaName(const Replica& r);
  void AppendToStream(std::string_view bytes);
  // Emits SELECT when the stream is not on `db_index` yet.
  void CreateBacklog();
  Replica* FindReplica(Connection* conn);
  // Continues the replica from the backlog, or returns why it needs a full sync.
  bool TryPartialResync(Replica& r, std::string_view replid, int64_t offset,
                        FullSyncReason* why);
  void StartSnapshotForReplicas();
  void SendSnapshotFile(Replica& r, const std::string& path);
  void PutOnline(Replica& r);
  void DropReplica(Replica& r, const char* why);
  template <typename F>
  void ForEachReplicaSafely(F&& fn);
  void DisconnectReplicas();
  void ReadSnapshotPipe();
  bool PauseSnapshotPipeIfBacklogged();
  void ResumeSnapshotPipe();
  void FinishDisklessTransfer(bool ok);
  size_t CountReplicas() const;
  void SendAck();
  void ReplicaCron();
  void MasterLinkCron();
  void ShiftReplIdForNewHistory();
  void DropLink();
  Replica* FindReplicaByAddress(const std::string& host, int64_t port);
  void UpdateFailover();
  void UpdateWritePressure();
  void StartFailoverSwitch();
  void ClearFailoverState();
  bool EmptySyncGuardApplies(const std::string& master_replid) const;
  bool RefuseEmptySync(const std::string& master_replid);
  void InstallLoadedSnapshot();
  void FinishFullSync(const std::string& master_replid, int64_t master_offset, int fd,
                      const std::string& host, int64_t port, std::string leftover);
  void ConnectToMaster();
  Connection* AdoptMasterSocket(int fd, const std::string& host, int64_t port, int db,
                                std::string leftover);

  Server& server_;
  std::string replid_;
  std::string replid2_ = std::string(40, '0');
  int64_t second_replid_offset_ = -1;
  int64_t master_repl_offset_ = 0;
  std::unique_ptr<ReplBacklog> backlog_;
  int64_t no_replicas_since_ms_ = 0;
  int stream_db_ = -1;  // database of the last SELECT in the stream (-1: emit one next time)
  std::map<uint64_t, Replica> replicas_;  // by client id
  uint64_t sync_full_ = 0, sync_partial_ok_ = 0, sync_partial_err_ = 0;
  uint64_t sync_full_reasons_[static_cast<size_t>(FullSyncReason::kCount)] = {};
  std::string freed_backlog_replid_;  // the ID whose backlog repl-backlog-ttl freed
  int64_t last_applied_ms_ = 0;
  // Stream write rate (bytes/s), sampled by the cron for the sanity checks.
  int64_t rate_sample_offset_ = 0;
  int64_t rate_sample_ms_ = 0;
  double stream_bytes_per_sec_ = 0;
  int64_t last_sanity_warning_ms_ = 0;
  int64_t last_full_sync_ms_ = 0;  // how long the last full sync took (request to online)
  int64_t throttle_delay_ms_ = 0;
  uint64_t throttled_writes_ = 0;
  bool getack_pending_ = false;
  bool link_ack_requested_ = false;
  int64_t last_ping_ms_ = 0;

  // Diskless full sync in progress: the child writes the snapshot into this pipe.
  class PipeReader;
  std::unique_ptr<PipeReader> pipe_reader_;
  std::string eof_mark_;
  bool pipe_paused_ = false;  // out of the epoll set until a backlogged replica drains
  bool diskless_child_done_ = false;  // the child exited before the pipe was read to its end
  bool diskless_child_ok_ = false;

  // Replica side.
  std::string master_host_;
  int64_t master_port_ = 0;
  std::unique_ptr<MasterLink> link_;   // handshake and snapshot transfer
  Connection* master_conn_ = nullptr;  // the established link, after the sync
  // What we PSYNC with: the ID and offset of the history we hold.
  std::string cached_replid_;
  int64_t cached_offset_ = -1;
  int cached_stream_db_ = 0;
  int64_t link_down_since_ms_ = 0;
  // An empty full sync was refused (replica-refuse-empty-sync): no retry until an operator
  // acts (REPLICAOF again, or the directive turned off).
  bool refused_empty_sync_ = false;
  bool master_stream_corrupt_ = false;  // the master link died of a protocol error
  std::unique_ptr<Keyspace> scratch_;
  std::string synced_master_;  // host:port of the master whose history we hold

  FailoverState failover_state_ = FailoverState::kNone;
  std::string failover_host_;
  int64_t failover_port_ = 0;
  int64_t failover_deadline_ms_ = 0;
  bool failover_force_ = false;  // a snapshot loaded beside the current data set
  int64_t read_repl_offset_ = 0;
};

}  // namespace ember
