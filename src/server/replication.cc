// Replication: identity, the stream, and the master side (PSYNC, full and partial sync, acks).
// The replica side (the link to our master) is in master_link.cc.
#include "server/replication.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"
#include "server/connection.h"
#include "server/master_link.h"
#include "server/server.h"

namespace ember {
namespace {

constexpr size_t kBulkChunk = 1 << 20;
constexpr size_t kPipeChunk = 64 * 1024;
// Pipe reading pauses while a diskless replica has this much snapshot not yet sent.
constexpr size_t kPipeHighWater = 4 << 20;


}  // namespace

std::string Replication::ReplicaIp(const Replica& r) {
  if (!r.announce_ip.empty()) return r.announce_ip;
  // The peer address without its port ("[::1]:5000" -> "::1").
  std::string ip = r.conn->peer_addr();
  size_t colon = ip.rfind(':');
  if (colon != std::string::npos) ip.resize(colon);
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  return ip;
}

std::string Replication::ReplicaName(const Replica& r) {
  return ReplicaIp(r) + ":" + std::to_string(r.listening_port);
}

// Forwards a diskless snapshot from the child's pipe to the replicas.
class Replication::PipeReader : public IoHandler {
 public:
  PipeReader(Replication& repl, int fd) : repl_(repl), fd_(fd) {}
  ~PipeReader() override { close(fd_); }
  int fd() const { return fd_; }
  void OnIoEvent(uint32_t) override { repl_.ReadSnapshotPipe(); }

 private:
  Replication& repl_;
  int fd_;
};

Replication::Replication(Server& server) : server_(server), replid_(RandomHex(40)) {}

Replication::~Replication() = default;

void Replication::ChangeReplId() { replid_ = RandomHex(40); }

void Replication::ShiftReplIdForNewHistory() {
  // The history so far stays reachable under the old ID (PSYNC2): a replica of our old master
  // can continue with us up to the point where the histories diverge.
  replid2_ = replid_;
  second_replid_offset_ = master_repl_offset_ + 1;
  ChangeReplId();
}

void Replication::CreateBacklog() {
  backlog_ = std::make_unique<ReplBacklog>(static_cast<size_t>(server_.config().repl_backlog_size),
                                           master_repl_offset_ + 1);
}

void Replication::AppendToStream(std::string_view bytes) {
  master_repl_offset_ += static_cast<int64_t>(bytes.size());
  if (backlog_) backlog_->Append(bytes);
  const int64_t hard_limit = server_.config().obuf_replica.hard_bytes;
  std::vector<Connection*> over_limit;
  for (auto& [id, r] : replicas_) {
    const bool queue = r.state == ReplicaState::kWaitBgsaveEnd ||
                       r.state == ReplicaState::kSendBulk ||
                       (r.state == ReplicaState::kOnline && r.stream_on_ack);
    if (queue) {
      // The stream waiting behind a snapshot counts against client-output-buffer-limit replica.
      r.pending.append(bytes);
      if (hard_limit > 0 && static_cast<int64_t>(r.pending.size()) >= hard_limit) {
        over_limit.push_back(r.conn);
      }
    } else if (r.state == ReplicaState::kOnline) {
      r.conn->reply().Raw(bytes);
      server_.MarkPendingWrite(r.conn);
    }
  }
  for (Connection* c : over_limit) {
    EMBER_LOG_WARNING(
        "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits "
        "(the stream buffered during its full sync).",
        c->id, c->peer_addr());
    c->Close();
  }
}

void Replication::FeedEffects(int db_index, const std::vector<std::vector<std::string>>& effects,
                              std::span<const std::string_view> original) {
  if (!stream_active()) return;
  std::string out;
  EncodePropagated(&out, &stream_db_, db_index, effects, original);
  AppendToStream(out);
}

void Replication::FeedTransaction(std::span<const PropagatedCommand> commands) {
  if (!stream_active() || commands.empty()) return;
  std::string out;
  EncodePropagatedTransaction(&out, &stream_db_, commands);
  AppendToStream(out);
}

void Replication::FillSaveInfo(SnapshotSaveInfo* info) const {
  if (!backlog_ && !is_replica()) return;
  info->repl_id = replid_;
  info->repl_offset = master_repl_offset_;
  if (master_conn_) {
    info->repl_stream_db = master_conn_->db_index;
  } else if (is_replica()) {
    info->repl_stream_db = cached_stream_db_;
  } else {
    info->repl_stream_db = stream_db_ < 0 ? 0 : stream_db_;
  }
}

void Replication::RestoreFromSnapshot(const SnapshotLoadInfo& info) {
  const std::string* id = info.Aux("repl-id");
  const std::string* offset = info.Aux("repl-offset");
  if (!id || !offset || id->size() != 40) return;
  int64_t off;
  if (!ParseInt64(*offset, &off)) return;
  if (!is_replica()) {
    // As Redis 7.0: a restarted master keeps its history reachable as the secondary ID, with a
    // backlog starting there, so its replicas continue with a partial resync.
    replid_ = *id;
    master_repl_offset_ = off;
    ShiftReplIdForNewHistory();
    CreateBacklog();
    return;
  }
  // As Redis: a replica that restarts from its own snapshot resumes that history by PSYNC.
  replid_ = *id;
  master_repl_offset_ = off;
  cached_replid_ = *id;
  cached_offset_ = off;
  int64_t db = 0;
  if (const std::string* sdb = info.Aux("repl-stream-db")) ParseInt64(*sdb, &db);
  cached_stream_db_ = static_cast<int>(db);
  synced_master_ = master_host() + ":" + std::to_string(master_port());
  EMBER_LOG_NOTICE("Using the replication ID {} and offset {} from the RDB file to PSYNC", *id, off);
}

Replication::Replica* Replication::FindReplica(Connection* conn) {
  auto it = replicas_.find(conn->id);
  return it == replicas_.end() ? nullptr : &it->second;
}

// ---- REPLCONF, PSYNC ---------------------------------------------------------------------------

void Replication::Replconf(Connection& conn, std::span<const std::string_view> args,
                           ReplyBuilder& reply) {
  if (args.size() % 2 == 0) return reply.Error("ERR syntax error");
  // Replication info is kept from the first REPLCONF on; the connection becomes a replica at
  // PSYNC.
  Replica& r = replicas_.try_emplace(conn.id).first->second;
  if (!r.conn) {
    r.conn = &conn;
    r.state = ReplicaState::kHandshake;
  }
  for (size_t i = 1; i < args.size(); i += 2) {
    std::string_view opt = args[i], val = args[i + 1];
    if (EqualsIgnoreCase(opt, "listening-port")) {
      int64_t port;
      if (!ParseInt64(val, &port)) return reply.Error("ERR value is not an integer or out of range");
      r.listening_port = port;
    } else if (EqualsIgnoreCase(opt, "ip-address")) {
      r.announce_ip = std::string(val);
    } else if (EqualsIgnoreCase(opt, "capa")) {
      if (EqualsIgnoreCase(val, "eof")) r.capa_eof = true;
      if (EqualsIgnoreCase(val, "psync2")) r.capa_psync2 = true;
    } else if (EqualsIgnoreCase(opt, "ack")) {
      // Acknowledgements are not replied to.
      int64_t off;
      if (r.state == ReplicaState::kHandshake || !ParseInt64(val, &off)) return;
      if (off > r.ack_offset) r.ack_offset = off;
      r.ack_time_ms = WallClockMs();
      if (r.stream_on_ack) {
        r.stream_on_ack = false;
        r.conn->reply().Raw(r.pending);
        std::string().swap(r.pending);
        server_.MarkPendingWrite(r.conn);
      }
      server_.CheckWaitingClients();
      return;
    } else if (EqualsIgnoreCase(opt, "getack")) {
      if (master_conn_ == &conn) link_ack_requested_ = true;
      return;
    } else if (EqualsIgnoreCase(opt, "rdb-only") || EqualsIgnoreCase(opt, "rdb-filter-only")) {
      // Accepted for compatibility (redis-cli --rdb); every sync sends the full snapshot.
    } else {
      return reply.Error("ERR Unrecognized REPLCONF option: " + std::string(opt));
    }
  }
  reply.Ok();
}

const char* Replication::FullSyncReasonName(FullSyncReason r) {
  switch (r) {
    case FullSyncReason::kNewReplica: return "new_replica";
    case FullSyncReason::kSyncCommand: return "sync_command";
    case FullSyncReason::kReplidMismatch: return "replid_mismatch";
    case FullSyncReason::kBacklogFreed: return "backlog_freed";
    case FullSyncReason::kOffsetOutOfRange: return "offset_out_of_backlog";
    case FullSyncReason::kCount: break;
  }
  return "unknown";
}

bool Replication::TryPartialResync(Replica& r, std::string_view replid, int64_t offset,
                                   FullSyncReason* why) {
  const std::string name = ReplicaName(r);
  const bool same_history =
      replid == replid_ || (replid == replid2_ && offset <= second_replid_offset_);
  if (!same_history) {
    // Every full sync says why, in the log and in INFO stats (sync_full_reason_*).
    // A server that never replicated offers its own empty history (offset 1), as Redis does:
    // that is a new replica too.
    if (replid == "?" || (offset <= 1 && replid != freed_backlog_replid_)) {
      *why = FullSyncReason::kNewReplica;
      EMBER_LOG_NOTICE("Full resync requested by replica {} (reason: the replica has no "
                       "replication history)", name);
    } else if (replid == freed_backlog_replid_) {
      *why = FullSyncReason::kBacklogFreed;
      EMBER_LOG_NOTICE("Partial resynchronization not accepted (reason: the backlog of "
                       "replication ID {} was freed after repl-backlog-ttl {} seconds without "
                       "replicas)", replid, server_.config().repl_backlog_ttl);
    } else if (replid != replid_ && replid != replid2_) {
      *why = FullSyncReason::kReplidMismatch;
      EMBER_LOG_NOTICE(
          "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for "
          "'{}', my replication IDs are '{}' and '{}')",
          replid, replid_, replid2_);
    } else {
      *why = FullSyncReason::kOffsetOutOfRange;
      EMBER_LOG_NOTICE(
          "Partial resynchronization not accepted: Requested offset for second ID was {}, but "
          "I can reply up to {}",
          offset, second_replid_offset_);
    }
    return false;
  }
  if (!backlog_ || !backlog_->CanServeFrom(offset)) {
    *why = FullSyncReason::kOffsetOutOfRange;
    EMBER_LOG_NOTICE(
        "Unable to partial resync with replica {} for lack of backlog (Replica request was: {}; "
        "the backlog holds offsets {} to {}).",
        name, offset, backlog_ ? backlog_->first_offset() : 0,
        backlog_ ? backlog_->next_offset() - 1 : 0);
    return false;
  }
  r.state = ReplicaState::kOnline;
  r.ack_time_ms = WallClockMs();
  std::string out = r.capa_psync2 ? "+CONTINUE " + replid_ + "\r\n" : "+CONTINUE\r\n";
  const std::string tail = backlog_->CopyFrom(offset);
  out += tail;
  r.conn->reply().Raw(out);
  server_.MarkPendingWrite(r.conn);
  EMBER_LOG_NOTICE(
      "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting "
      "from offset {}.",
      ReplicaName(r), tail.size(), offset);
  return true;
}

void Replication::Psync(Connection& conn, std::string_view replid, std::string_view offset_arg,
                        bool sync_cmd, bool failover) {
  Replica* existing = FindReplica(&conn);
  if (existing && existing->state != ReplicaState::kHandshake) return;  // already a replica
  if (failover && !AcceptFailoverRequest(conn, replid)) return;
  if (is_replica() && !master_conn_) {
    conn.reply().Error("NOMASTERLINK Can't SYNC while not connected with my master");
    return;
  }
  if (conn.has_pending_output()) {
    conn.reply().Error("ERR SYNC and PSYNC are invalid with pending output");
    return;
  }
  Replica& r = replicas_.try_emplace(conn.id).first->second;
  r.conn = &conn;
  conn.is_replica_link = true;
  FullSyncReason why = FullSyncReason::kSyncCommand;
  if (!sync_cmd) {
    int64_t offset;
    if (!ParseInt64(offset_arg, &offset)) {
      conn.reply().Error("ERR value is not an integer or out of range");
      r.state = ReplicaState::kHandshake;
      return;
    }
    if (TryPartialResync(r, replid, offset, &why)) {
      ++sync_partial_ok_;
      return;
    }
    if (replid != "?") ++sync_partial_err_;
  } else {
    r.capa_eof = false;  // SYNC: the old protocol, no +FULLRESYNC line and a sized bulk
    r.old_sync = true;
  }
  ++sync_full_;
  ++sync_full_reasons_[static_cast<size_t>(why)];
  EMBER_LOG_NOTICE("Replica {} asks for synchronization", ReplicaName(r));
  r.state = ReplicaState::kWaitBgsaveStart;
  r.wait_since_ms = WallClockMs();
  if (!backlog_ && CountReplicas() == 1) {
    // A backlog created from scratch starts a new history.
    ChangeReplId();
    replid2_ = std::string(40, '0');
    second_replid_offset_ = -1;
    CreateBacklog();
    EMBER_LOG_NOTICE("Replication backlog created, my new replication IDs are '{}' and '{}'",
                     replid_, replid2_);
  }
  MaybeStartSnapshot();  // now, or from the cron after repl-diskless-sync-delay
}

size_t Replication::CountReplicas() const {
  size_t n = 0;
  for (const auto& [id, r] : replicas_) n += r.state != ReplicaState::kHandshake;
  return n;
}

// ---- Full sync ---------------------------------------------------------------------------------

void Replication::StartSnapshotForReplicas() {
  bool diskless = server_.config().repl_diskless_sync;
  for (auto& [id, r] : replicas_) {
    if (r.state == ReplicaState::kWaitBgsaveStart && !r.capa_eof) diskless = false;
  }
  int pipe_fds[2] = {-1, -1};
  if (diskless && pipe2(pipe_fds, O_CLOEXEC) != 0) diskless = false;
  // The reader exists before the fork, so the child closes its copy of the read end (with the
  // parent gone, its writes then fail instead of blocking forever).
  if (diskless) pipe_reader_ = std::make_unique<PipeReader>(*this, pipe_fds[0]);
  // The replicas' stream starts at the fork: force a SELECT before the next command.
  stream_db_ = -1;
  std::string err;
  const bool started = diskless ? server_.snapshots().StartReplicationSave(&err, pipe_fds[1])
                                : server_.snapshots().StartReplicationSave(&err, -1);
  if (diskless) close(pipe_fds[1]);
  if (!started) {
    pipe_reader_.reset();
    ForEachReplicaSafely([&](Replica& r) {
      if (r.state == ReplicaState::kWaitBgsaveStart) DropReplica(r, "BGSAVE failed");
    });
    return;
  }
  if (diskless) {
    fcntl(pipe_fds[0], F_SETFL, fcntl(pipe_fds[0], F_GETFL) | O_NONBLOCK);
    server_.loop().Add(pipe_fds[0], EPOLLIN, pipe_reader_.get());
    eof_mark_ = RandomHex(40);
  }
  for (auto& [id, r] : replicas_) {
    if (r.state != ReplicaState::kWaitBgsaveStart) continue;
    std::string out;
    if (!r.old_sync) {
      out = "+FULLRESYNC " + replid_ + " " + std::to_string(master_repl_offset_) + "\r\n";
    }
    if (diskless) {
      out += "$EOF:" + eof_mark_ + "\r\n";
      r.state = ReplicaState::kSendBulk;
      r.diskless = true;
    } else {
      r.state = ReplicaState::kWaitBgsaveEnd;
      r.diskless = false;
    }
    r.pending.clear();
    r.conn->reply().Raw(out);
    server_.MarkPendingWrite(r.conn);
  }
  EMBER_LOG_NOTICE("Starting BGSAVE for SYNC with target: {}", diskless ? "replicas sockets" : "disk");
}

bool Replication::PauseSnapshotPipeIfBacklogged() {
  // A slow replica must not make us hold the whole snapshot in memory: stop reading the pipe
  // (the child then waits) until that replica's output has drained.
  for (auto& [id, r] : replicas_) {
    if (r.state != ReplicaState::kSendBulk || !r.diskless ||
        r.conn->output_bytes() < kPipeHighWater) {
      continue;
    }
    // Out of the epoll set (not just without EPOLLIN: a closed write end reports HUP anyway).
    if (!pipe_paused_) server_.loop().Remove(pipe_reader_->fd());
    pipe_paused_ = true;
    r.conn->set_output_refill([this, cid = id]() {
      if (auto it = replicas_.find(cid); it != replicas_.end()) {
        it->second.conn->set_output_refill(nullptr);
      }
      ResumeSnapshotPipe();
      return false;
    });
    return true;
  }
  return false;
}

void Replication::ResumeSnapshotPipe() {
  if (!pipe_reader_ || !pipe_paused_) return;
  pipe_paused_ = false;
  server_.loop().Add(pipe_reader_->fd(), EPOLLIN, pipe_reader_.get());
}

void Replication::ReadSnapshotPipe() {
  if (!pipe_reader_) return;
  char buf[kPipeChunk];
  for (;;) {
    if (PauseSnapshotPipeIfBacklogged()) return;
    ssize_t n = read(pipe_reader_->fd(), buf, sizeof(buf));
    if (n > 0) {
      std::string_view chunk(buf, static_cast<size_t>(n));
      for (auto& [id, r] : replicas_) {
        if (r.state == ReplicaState::kSendBulk && r.diskless) {
          r.conn->reply().Raw(chunk);
          server_.MarkPendingWrite(r.conn);
        }
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    break;  // end of the snapshot (or a read error, which the child's exit status reports)
  }
  if (!pipe_paused_) server_.loop().Remove(pipe_reader_->fd());
  pipe_paused_ = false;
  // Freed after this batch of events, which may still name it (as connections are).
  std::shared_ptr<PipeReader> done(std::move(pipe_reader_));
  server_.loop().Defer([done] {});
  // Completion needs both the end of the pipe and the child's exit status (a child that died
  // mid-way closes the pipe too), in either order.
  if (diskless_child_done_) FinishDisklessTransfer(diskless_child_ok_);
}

void Replication::FinishDisklessTransfer(bool ok) {
  diskless_child_done_ = false;
  ForEachReplicaSafely([&](Replica& r) {
    if (!r.diskless || r.state != ReplicaState::kSendBulk) return;
    if (!ok) return DropReplica(r, "Diskless BGSAVE failed");
    r.conn->set_output_refill(nullptr);
    r.conn->reply().Raw(eof_mark_);
    PutOnline(r);
  });
}

void Replication::OnReplicationSnapshotDone(bool ok) {
  if (pipe_reader_) {
    // The child is gone; what it wrote is still in the pipe (read as replicas drain).
    diskless_child_done_ = true;
    diskless_child_ok_ = ok;
    ReadSnapshotPipe();
  } else {
    FinishDisklessTransfer(ok);
  }
  ForEachReplicaSafely([&](Replica& r) {
    if (r.state == ReplicaState::kWaitBgsaveEnd) {
      if (!ok) return DropReplica(r, "BGSAVE failed");
      SendSnapshotFile(r, server_.config().dbfilename);
    }
  });
}

void Replication::SendSnapshotFile(Replica& r, const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0) close(fd);
    DropReplica(r, "can't open the RDB file");
    return;
  }
  r.rdb_fd = fd;
  r.state = ReplicaState::kSendBulk;
  r.conn->reply().Raw("$" + std::to_string(st.st_size) + "\r\n");
  const uint64_t id = r.conn->id;
  // The file goes out in chunks as the socket drains, so a large snapshot is never held in
  // memory at once.
  r.conn->set_output_refill([this, id]() {
    auto it = replicas_.find(id);
    if (it == replicas_.end() || it->second.rdb_fd < 0) return false;
    Replica& rep = it->second;
    std::string chunk(kBulkChunk, '\0');
    ssize_t n;
    do {
      n = read(rep.rdb_fd, chunk.data(), chunk.size());
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      chunk.resize(static_cast<size_t>(n));
      rep.conn->reply().Raw(chunk);
      return true;
    }
    if (n < 0) {
      DropReplica(rep, "error reading the RDB file");
      return false;
    }
    PutOnline(rep);
    return true;
  });
  server_.MarkPendingWrite(r.conn);
}

void Replication::PutOnline(Replica& r) {
  if (r.rdb_fd >= 0) {
    close(r.rdb_fd);
    r.rdb_fd = -1;
  }
  r.conn->set_output_refill(nullptr);
  r.state = ReplicaState::kOnline;
  r.ack_time_ms = WallClockMs();
  if (r.diskless) {
    r.stream_on_ack = true;
  } else {
    r.conn->reply().Raw(r.pending);
    std::string().swap(r.pending);
  }
  server_.MarkPendingWrite(r.conn);
  if (r.wait_since_ms > 0) last_full_sync_ms_ = WallClockMs() - r.wait_since_ms;
  EMBER_LOG_NOTICE("Synchronization with replica {} succeeded",
                   ReplicaName(r));
}

template <typename F>
void Replication::ForEachReplicaSafely(F&& fn) {
  // Closing a replica erases its record (OnClientClosed): iterate over a copy of the ids.
  std::vector<uint64_t> ids;
  for (const auto& [id, r] : replicas_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = replicas_.find(id);
    if (it != replicas_.end()) fn(it->second);
  }
}

void Replication::DropReplica(Replica& r, const char* why) {
  EMBER_LOG_WARNING("Closing replica {}: {}", ReplicaName(r), why);
  r.conn->Close();  // OnClientClosed removes the entry
}

void Replication::OnClientClosed(Connection* conn) {
  if (conn == master_conn_) {
    OnMasterLinkClosed(conn);
    return;
  }
  auto it = replicas_.find(conn->id);
  if (it == replicas_.end()) return;
  Replica& r = it->second;
  if (r.rdb_fd >= 0) close(r.rdb_fd);
  if (r.state != ReplicaState::kHandshake) {
    EMBER_LOG_NOTICE("Connection with replica {} lost.", ReplicaName(r));
  }
  replicas_.erase(it);
  if (CountReplicas() == 0) no_replicas_since_ms_ = WallClockMs();
  // A diskless snapshot nobody receives any more is stopped (as Redis); otherwise the pipe
  // resumes if it waited for the replica that left.
  if (pipe_reader_) {
    ResumeSnapshotPipe();
    bool receiving = false;
    for (const auto& [rid, rep] : replicas_) {
      receiving |= rep.diskless && rep.state == ReplicaState::kSendBulk;
    }
    if (!receiving) {
      EMBER_LOG_WARNING("Diskless rdb transfer, last replica dropped, killing fork child.");
      server_.snapshots().KillChild();
    }
  }
}

void Replication::CloseFdsInChild() {
  if (pipe_reader_) close(pipe_reader_->fd());
  if (link_) link_->CloseFdInChild();
}

bool Replication::SendingSnapshotTo(const Connection& conn) const {
  if (!conn.is_replica_link) return false;
  auto it = replicas_.find(conn.id);
  return it != replicas_.end() && (it->second.state == ReplicaState::kSendBulk ||
                                   it->second.state == ReplicaState::kWaitBgsaveEnd);
}

void Replication::DisconnectReplicas() {
  std::vector<Connection*> conns;
  for (auto& [id, r] : replicas_) {
    if (r.state != ReplicaState::kHandshake) conns.push_back(r.conn);
  }
  for (Connection* c : conns) c->Close();
}

// ---- Acks and WAIT -----------------------------------------------------------------------------

int Replication::CountAcked(int64_t offset) const {
  int n = 0;
  for (const auto& [id, r] : replicas_) {
    if (r.state == ReplicaState::kOnline && r.ack_offset >= offset) n++;
  }
  return n;
}

int64_t Replication::GoodReplicas() const {
  const int64_t now = WallClockMs();
  const int64_t max_lag_ms = server_.config().min_replicas_max_lag * 1000;
  int64_t n = 0;
  for (const auto& [id, r] : replicas_) {
    if (r.state == ReplicaState::kOnline && now - r.ack_time_ms <= max_lag_ms) n++;
  }
  return n;
}

void Replication::UpdateWritePressure() {
  throttle_delay_ms_ = 0;
  const ServerConfig& cfg = server_.config();
  if (!cfg.replica_throttle_writers || cfg.replica_throttle_max_delay <= 0) return;
  const int64_t hard = cfg.obuf_replica.hard_bytes;
  const int64_t soft = cfg.obuf_replica.soft_bytes;
  const int64_t limit = hard > 0 && soft > 0 ? std::min(hard, soft) : std::max(hard, soft);
  if (limit <= 0) return;
  double fullest = 0;
  for (const auto& [id, r] : replicas_) {
    if (r.state == ReplicaState::kHandshake || r.state == ReplicaState::kWaitBgsaveStart) continue;
    const size_t queued = r.pending.size() + (SendingSnapshotTo(*r.conn) ? 0 : r.conn->output_bytes());
    fullest = std::max(fullest, static_cast<double>(queued) / static_cast<double>(limit));
  }
  // Past half the limit, the added delay grows linearly to the maximum at the limit.
  if (fullest > 0.5) {
    const double share = std::min(1.0, (fullest - 0.5) / 0.5);
    throttle_delay_ms_ = std::max<int64_t>(
        1, static_cast<int64_t>(share * static_cast<double>(cfg.replica_throttle_max_delay)));
  }
}

void Replication::BeforeSleep() {
  UpdateFailover();
  UpdateWritePressure();
  if (getack_pending_ && failover_state_ == FailoverState::kNone) {
    getack_pending_ = false;
    static const std::string kGetack = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";
    if (CountReplicas() > 0) AppendToStream(kGetack);
  }
  if (link_ack_requested_) {
    link_ack_requested_ = false;
    SendAck();
  }
}

// ---- Cron --------------------------------------------------------------------------------------

void Replication::ReplicaCron() {
  const ServerConfig& cfg = server_.config();
  const int64_t now = WallClockMs();
  // Keep replicas informed that we are alive (and their offsets moving), as Redis's PING.
  // No PING while a failover waits for a replica to reach our (paused) offset.
  if (!is_replica() && CountReplicas() > 0 && failover_state_ == FailoverState::kNone &&
      now - last_ping_ms_ >= cfg.repl_ping_replica_period * 1000) {
    last_ping_ms_ = now;
    AppendToStream("*1\r\n$4\r\nPING\r\n");
  }
  std::vector<Replica*> timed_out;
  for (auto& [id, r] : replicas_) {
    if (r.state == ReplicaState::kWaitBgsaveEnd && !r.diskless) {
      r.conn->reply().Raw("\n");  // keeps the link alive while the snapshot is written
      server_.MarkPendingWrite(r.conn);
    }
    if (r.state == ReplicaState::kOnline && !r.old_sync && r.ack_time_ms > 0 &&
        now - r.ack_time_ms > cfg.repl_timeout * 1000) {
      timed_out.push_back(&r);
    }
  }
  for (Replica* r : timed_out) DropReplica(*r, "timeout (no ACK within repl-timeout)");
  // A backlog nobody used for repl-backlog-ttl seconds is freed (masters only).
  if (backlog_ && !is_replica() && CountReplicas() == 0 && cfg.repl_backlog_ttl > 0 &&
      no_replicas_since_ms_ > 0 && now - no_replicas_since_ms_ > cfg.repl_backlog_ttl * 1000) {
    freed_backlog_replid_ = replid_;
    ChangeReplId();
    replid2_ = std::string(40, '0');
    second_replid_offset_ = -1;
    backlog_.reset();
    EMBER_LOG_NOTICE("Replication backlog freed after {} seconds without connected replicas.",
                     cfg.repl_backlog_ttl);
  }
  if (backlog_ && static_cast<int64_t>(backlog_->capacity()) != cfg.repl_backlog_size) {
    backlog_->Resize(static_cast<size_t>(cfg.repl_backlog_size));
  }
}

void Replication::Cron() {
  MasterLinkCron();
  ReplicaCron();
  // The stream's write rate, for the backlog sanity check.
  const int64_t now = WallClockMs();
  if (rate_sample_ms_ > 0 && now > rate_sample_ms_) {
    const double rate = static_cast<double>(master_repl_offset_ - rate_sample_offset_) * 1000.0 /
                        static_cast<double>(now - rate_sample_ms_);
    stream_bytes_per_sec_ = stream_bytes_per_sec_ * 0.8 + rate * 0.2;
  }
  rate_sample_ms_ = now;
  rate_sample_offset_ = master_repl_offset_;
  if (now - last_sanity_warning_ms_ > 600 * 1000) CheckConfigSanity("");
}

void Replication::CheckConfigSanity(std::string_view changed) {
  const ServerConfig& cfg = server_.config();
  const int64_t hard = cfg.obuf_replica.hard_bytes;
  const int64_t soft = cfg.obuf_replica.soft_bytes;
  const int64_t limit = hard > 0 && soft > 0 ? std::min(hard, soft) : std::max(hard, soft);
  bool warned = false;
  if (limit > 0 && limit < cfg.repl_backlog_size) {
    EMBER_LOG_WARNING(
        "Replication sanity: client-output-buffer-limit replica ({} bytes) is smaller than "
        "repl-backlog-size ({} bytes): a replica that falls behind by what the backlog could "
        "resend is dropped first, and its reconnection needs a full sync{}.",
        limit, cfg.repl_backlog_size, changed.empty() ? "" : fmt::format(" (after CONFIG SET {})", changed));
    warned = true;
  }
  const double covered_s = stream_bytes_per_sec_ > 0
                               ? static_cast<double>(cfg.repl_backlog_size) / stream_bytes_per_sec_
                               : 1e18;
  if (covered_s < static_cast<double>(cfg.repl_timeout)) {
    EMBER_LOG_WARNING(
        "Replication sanity: repl-backlog-size ({} bytes) holds only {:.1f} s of the current "
        "write rate ({:.0f} bytes/s), less than repl-timeout ({} s): a replica that reconnects "
        "after a short outage will need a full sync. Consider repl-backlog-size >= {} bytes.",
        cfg.repl_backlog_size, covered_s, stream_bytes_per_sec_, cfg.repl_timeout,
        static_cast<int64_t>(stream_bytes_per_sec_ * static_cast<double>(cfg.repl_timeout)));
    warned = true;
  }
  if (limit > 0 && stream_bytes_per_sec_ > 0 && last_full_sync_ms_ > 0 &&
      stream_bytes_per_sec_ * static_cast<double>(last_full_sync_ms_) / 1000.0 >
          static_cast<double>(limit)) {
    EMBER_LOG_WARNING(
        "Replication sanity: a full sync takes about {} ms here; at {:.0f} bytes/s of writes "
        "the stream buffered meanwhile exceeds client-output-buffer-limit replica ({} bytes), "
        "so full syncs can loop.",
        last_full_sync_ms_, stream_bytes_per_sec_, limit);
    warned = true;
  }
  if (warned) last_sanity_warning_ms_ = WallClockMs();
}

void Replication::MaybeStartSnapshot() {
  if (server_.HasActiveChild()) return;
  const ServerConfig& cfg = server_.config();
  size_t waiting = 0;
  int64_t oldest_wait = WallClockMs();
  for (const auto& [id, r] : replicas_) {
    if (r.state != ReplicaState::kWaitBgsaveStart) continue;
    ++waiting;
    oldest_wait = std::min(oldest_wait, r.wait_since_ms);
  }
  if (waiting == 0) return;
  // Diskless: wait a little for more replicas to share one snapshot, unless enough are here.
  const int64_t delay_ms = cfg.repl_diskless_sync ? cfg.repl_diskless_sync_delay * 1000 : 0;
  const bool enough = cfg.repl_diskless_sync_max_replicas > 0 &&
                      static_cast<int64_t>(waiting) >= cfg.repl_diskless_sync_max_replicas;
  if (enough || WallClockMs() - oldest_wait >= delay_ms) StartSnapshotForReplicas();
}

std::vector<Replication::ReplicaView> Replication::Replicas() const {
  std::vector<ReplicaView> out;
  const int64_t now = WallClockMs();
  for (const auto& [id, r] : replicas_) {
    if (r.state == ReplicaState::kHandshake) continue;
    ReplicaView v;
    v.ip = ReplicaIp(r);
    v.port = r.listening_port;
    v.state = r.state == ReplicaState::kOnline     ? "online"
              : r.state == ReplicaState::kSendBulk ? "send_bulk"
                                                   : "wait_bgsave";
    v.offset = r.ack_offset;
    v.lag = r.ack_time_ms > 0 ? (now - r.ack_time_ms) / 1000 : 0;
    v.offset_lag = r.state == ReplicaState::kOnline
                       ? std::max<int64_t>(0, master_repl_offset_ - r.ack_offset)
                       : 0;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace ember
