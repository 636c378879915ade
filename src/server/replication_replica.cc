// Replication, replica side: following a master (REPLICAOF), the sync outcomes, the master
// client's stream, acknowledgements, and promotion (REPLICAOF NO ONE).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <array>
#include <cstdio>

#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"
#include "server/connection.h"
#include "persistence/rdb_io.h"
#include "persistence/rdb_reader.h"
#include "server/master_link.h"
#include "server/replication.h"
#include "server/server.h"

namespace ember {

bool Replication::is_replica() const { return !server_.config().replicaof_host.empty(); }
const std::string& Replication::master_host() const { return server_.config().replicaof_host; }
int64_t Replication::master_port() const { return server_.config().replicaof_port; }
bool Replication::link_up() const { return master_conn_ != nullptr; }
bool Replication::sync_in_progress() const {
  return link_ && link_->state() == MasterLink::State::kTransfer;
}

int64_t Replication::master_last_io_seconds_ago() const {
  if (!master_conn_) return -1;
  return (WallClockMs() - master_conn_->last_interaction_ms) / 1000;
}

int64_t Replication::link_down_since_seconds() const {
  // -1 until a link to this master was up once.
  return link_down_since_ms_ == 0 ? -1 : (WallClockMs() - link_down_since_ms_) / 1000;
}

std::pair<std::string, int64_t> Replication::PsyncRequest() const {
  if (cached_replid_.empty() || cached_offset_ < 0) return {"?", -1};
  return {cached_replid_, cached_offset_ + 1};
}

bool Replication::SetMaster(const std::string& host, int64_t port) {
  ServerConfig& cfg = server_.config();
  if (is_replica() && cfg.replicaof_host == host && cfg.replicaof_port == port) return false;
  const bool was_master = !is_replica();
  refused_empty_sync_ = false;
  cfg.replicaof_host = host;
  cfg.replicaof_port = port;
  DropLink();
  if (master_conn_) master_conn_->Close();  // caches the old master's history
  if (was_master) {
    // Our own history is what we ask the new master to continue (it may be our former replica).
    cached_replid_ = replid_;
    cached_offset_ = master_repl_offset_;
    cached_stream_db_ = 0;
  }
  link_down_since_ms_ = 0;  // never connected to this master yet
  GetLogSettings().role = 'S';
  ConnectToMaster();
  return true;
}

void Replication::Promote() {
  if (!is_replica()) return;
  ServerConfig& cfg = server_.config();
  refused_empty_sync_ = false;
  cfg.replicaof_host.clear();
  cfg.replicaof_port = 0;
  DropLink();
  if (master_conn_) {
    Connection* c = master_conn_;
    master_conn_ = nullptr;  // not cached: we continue the history as a master
    c->Close();
  }
  // A new ID for the history we write from now on; the old one stays valid up to here, so
  // replicas of our former master can PSYNC with us.
  ShiftReplIdForNewHistory();
  cached_replid_.clear();
  cached_offset_ = -1;
  stream_db_ = -1;
  if (!backlog_) CreateBacklog();
  // Replicas learn the new ID by reconnecting; they continue with a partial resync.
  DisconnectReplicas();
  GetLogSettings().role = 'M';
  EMBER_LOG_NOTICE("Setting secondary replication ID to {}, valid up to offset: {}. New "
                   "replication ID is {}",
                   replid2_, second_replid_offset_, replid_);
}

void Replication::DropLink() {
  if (link_) {
    // Deleted on the next loop iteration: we may be inside one of its callbacks.
    std::shared_ptr<MasterLink> dying(std::move(link_));
    server_.loop().Defer([dying] {});
  }
}

void Replication::OnLinkFailed() { DropLink(); }

void Replication::OnMasterLinkClosed(Connection* conn) {
  if (conn != master_conn_) return;
  master_conn_ = nullptr;
  link_down_since_ms_ = WallClockMs();
  EMBER_LOG_NOTICE("Connection with master lost.");
  if (master_stream_corrupt_) {
    // What we applied may already be wrong: start over with a full sync (PSYNC ? -1).
    master_stream_corrupt_ = false;
    cached_replid_.clear();
    cached_offset_ = -1;
  } else {
    cached_replid_ = replid_;
    cached_offset_ = master_repl_offset_;
    cached_stream_db_ = conn->db_index;
    EMBER_LOG_NOTICE("Caching the disconnected master state.");
  }
  // Reconnect at once (not at the next cron): the sooner we PSYNC, the more the backlog covers.
  if (is_replica()) server_.loop().Defer([this] { ConnectToMaster(); });
}

void Replication::ConnectToMaster() {
  if (!is_replica() || link_ || master_conn_ || refused_empty_sync_) return;
  const ServerConfig& cfg = server_.config();
  auto link = std::make_unique<MasterLink>(*this, server_, cfg.replicaof_host, cfg.replicaof_port);
  if (link->Start()) link_ = std::move(link);
}

Connection* Replication::AdoptMasterSocket(int fd, const std::string& host, int64_t port,
                                           int db, std::string leftover) {
  Connection* conn = server_.AdoptMasterConnection(fd, host + ":" + std::to_string(port));
  conn->db_index = db;
  master_conn_ = conn;
  DropLink();
  if (!leftover.empty()) conn->InjectInput(leftover);
  return conn;
}

void Replication::OnPartialSyncAccepted(const std::string& new_replid, int fd,
                                        const std::string& host, int64_t port,
                                        std::string leftover) {
  if (!new_replid.empty() && new_replid != cached_replid_) {
    // The master changed history (it was promoted): our old ID stays valid up to here.
    replid2_ = cached_replid_;
    second_replid_offset_ = cached_offset_ + 1;
    replid_ = new_replid;
    EMBER_LOG_NOTICE("Master replication ID changed to {}", new_replid);
    DisconnectReplicas();
  } else {
    replid_ = cached_replid_;
  }
  master_repl_offset_ = cached_offset_;
  read_repl_offset_ = master_repl_offset_;
  if (!backlog_) CreateBacklog();
  synced_master_ = host + ":" + std::to_string(port);
  AdoptMasterSocket(fd, host, port, cached_stream_db_, std::move(leftover));
  EMBER_LOG_NOTICE("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
}

bool Replication::UseDisklessLoad() const {
  const std::string& mode = server_.config().repl_diskless_load;
  return mode == "swapdb" || (mode == "on-empty-db" && server_.keyspace().TotalKeys() == 0);
}

bool Replication::EmptySyncGuardApplies(const std::string& master_replid) const {
  // We hold data of a history that the master we were following no longer knows (it lost its
  // data set, e.g. restarted empty without persistence): an empty snapshot from it would
  // silently wipe ours. Pointing a server at a different master replaces its data, as Redis.
  return server_.config().replica_refuse_empty_sync && server_.keyspace().TotalKeys() > 0 &&
         !cached_replid_.empty() && master_replid != cached_replid_ &&
         synced_master_ == master_host() + ":" + std::to_string(master_port());
}

bool Replication::RefuseEmptySync(const std::string& master_replid) {
  if (!scratch_ || scratch_->TotalKeys() > 0) return false;
  EMBER_LOG_WARNING(
      "Refusing an EMPTY full sync from MASTER {}:{} (replication ID {}): this replica holds {} "
      "keys of replication ID {}, which the master no longer has (did it restart without its "
      "data?). Keeping the data set and not retrying. To accept the master's empty data set: "
      "CONFIG SET replica-refuse-empty-sync no",
      master_host(), master_port(), master_replid, server_.keyspace().TotalKeys(),
      cached_replid_);
  scratch_.reset();
  refused_empty_sync_ = true;
  return true;
}

bool Replication::LoadSnapshotFromMaster(RdbReader& reader, const std::string& master_replid,
                                         std::string* err) {
  Snapshots& snap = server_.snapshots();
  const bool swapdb = server_.config().repl_diskless_load == "swapdb";
  const bool guard = EmptySyncGuardApplies(master_replid);
  if (swapdb || guard) {
    // Into a scratch keyspace: the current data stays until the new one is complete.
    scratch_ = std::make_unique<Keyspace>(server_.keyspace().num_dbs());
    if (!snap.Load(reader, *scratch_, 0, /*serve_clients=*/false, /*merge=*/false, err)) {
      scratch_.reset();
      return false;
    }
    if (guard && RefuseEmptySync(master_replid)) {
      *err = "refused an empty snapshot (replica-refuse-empty-sync)";
      return false;
    }
    return true;
  }
  // replica-lazy-flush: the old data set is freed in the background.
  server_.keyspace().FlushAll(server_.config_table().GetValue("replica-lazy-flush") == "yes");
  if (!snap.Load(reader, server_.keyspace(), 0, /*serve_clients=*/false, /*merge=*/false, err)) {
    server_.keyspace().FlushAll();  // never serve a half-loaded data set
    return false;
  }
  return true;
}

void Replication::InstallLoadedSnapshot() {
  // Our replicas must follow the new history with a full sync of their own.
  DisconnectReplicas();
  server_.SignalDataSetReplaced();
  if (scratch_) {
    EMBER_LOG_NOTICE("MASTER <-> REPLICA sync: Swapping in the new data set");
    server_.keyspace().SwapContents(*scratch_);
    scratch_.reset();  // frees the old data
  }
}

void Replication::OnDisklessLoadDone(const std::string& master_replid, int64_t master_offset,
                                     int fd, const std::string& host, int64_t port,
                                     std::string leftover) {
  InstallLoadedSnapshot();
  FinishFullSync(master_replid, master_offset, fd, host, port, std::move(leftover));
}

void Replication::OnFullSyncReceived(const std::string& master_replid, int64_t master_offset,
                                     const std::string& tmp_path, int fd, const std::string& host,
                                     int64_t port, std::string leftover) {
  const ServerConfig& cfg = server_.config();
  auto fail = [&](const std::string& why) {
    EMBER_LOG_WARNING("{}", why);
    unlink(tmp_path.c_str());
    close(fd);
    DropLink();
  };
  // The snapshot is complete on disk: only now may the old data go.
  int tmp_fd = open(tmp_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (tmp_fd < 0) return fail("Can't open the received snapshot " + tmp_path);
  FdSource source(tmp_fd);
  RdbReader reader(&source);
  std::string err;
  EMBER_LOG_NOTICE("MASTER <-> REPLICA sync: Loading DB in memory");
  const bool ok = LoadSnapshotFromMaster(reader, master_replid, &err);
  close(tmp_fd);
  if (!ok) {
    return fail("Failed trying to load the MASTER synchronization DB from disk: " + err);
  }
  InstallLoadedSnapshot();
  // The received file becomes our dump (as Redis), unless rdb-del-sync-files says otherwise.
  if (cfg.rdb_del_sync_files && cfg.save.empty()) {
    unlink(tmp_path.c_str());
  } else if (rename(tmp_path.c_str(), cfg.dbfilename.c_str()) != 0) {
    EMBER_LOG_WARNING("Failed trying to rename the temp DB into {}: {}", cfg.dbfilename,
                      strerror(errno));
    unlink(tmp_path.c_str());
  }
  FinishFullSync(master_replid, master_offset, fd, host, port, std::move(leftover));
}

void Replication::FinishFullSync(const std::string& master_replid, int64_t master_offset, int fd,
                                 const std::string& host, int64_t port, std::string leftover) {
  int64_t stream_db = 0;
  if (const std::string* sdb = server_.snapshots().last_load_info().Aux("repl-stream-db")) {
    ParseInt64(*sdb, &stream_db);
  }
  replid_ = master_replid;
  master_repl_offset_ = master_offset;
  replid2_ = std::string(40, '0');
  second_replid_offset_ = -1;
  CreateBacklog();
  synced_master_ = host + ":" + std::to_string(port);
  read_repl_offset_ = master_repl_offset_;
  AdoptMasterSocket(fd, host, port, static_cast<int>(stream_db), std::move(leftover));
  // A master that sent `$EOF:` starts the stream on our first ACK.
  SendAck();
  EMBER_LOG_NOTICE("MASTER <-> REPLICA sync: Finished with success");
  server_.aof().RestartAfterFullSync();
}

void Replication::ResetEmptySyncRefusal() {
  if (!refused_empty_sync_) return;
  refused_empty_sync_ = false;
  ConnectToMaster();
}

void Replication::OnMasterCommand(std::string_view raw) {
  // The exact bytes go on to our backlog and replicas: a chain shares one offset space.
  AppendToStream(raw);
  read_repl_offset_ = std::max(read_repl_offset_, master_repl_offset_);
  last_applied_ms_ = WallClockMs();
}

void Replication::OnMasterBytesRead(size_t n) { read_repl_offset_ += static_cast<int64_t>(n); }

void Replication::OnMasterProtocolError(std::string_view error) {
  EMBER_LOG_WARNING("Protocol error ({}) from MASTER {}:{}: dropping the link; the next sync is "
                    "a full one.",
                    error, master_host(), master_port());
  master_stream_corrupt_ = true;
}

int64_t Replication::last_applied_seconds_ago() const {
  return last_applied_ms_ > 0 ? (WallClockMs() - last_applied_ms_) / 1000 : -1;
}

void Replication::SendAck() {
  if (!master_conn_) return;
  const std::string off = std::to_string(master_repl_offset_);
  master_conn_->reply().Command(std::array<std::string_view, 3>{"REPLCONF", "ACK", off});
  server_.MarkPendingWrite(master_conn_);
}

void Replication::MasterLinkCron() {
  if (!is_replica()) return;
  const ServerConfig& cfg = server_.config();
  const int64_t now = WallClockMs();
  if (!link_ && !master_conn_) {
    ConnectToMaster();
    return;
  }
  if (link_ && now - link_->last_io_ms() > cfg.repl_timeout * 1000) {
    if (link_->state() == MasterLink::State::kTransfer) {
      EMBER_LOG_WARNING("Timeout receiving bulk data from MASTER... If the problem persists try "
                        "to set the 'repl-timeout' parameter in redis.conf to a larger value.");
    } else {
      EMBER_LOG_WARNING("Timeout connecting to the MASTER...");
    }
    DropLink();
    return;
  }
  if (master_conn_) {
    if (now - master_conn_->last_interaction_ms > cfg.repl_timeout * 1000) {
      EMBER_LOG_WARNING("MASTER timeout: no data nor PING received...");
      master_conn_->Close();
      return;
    }
    SendAck();
  }
}

void Replication::ReplyRole(ReplyBuilder& r) const {
  if (!is_replica()) {
    const auto replicas = Replicas();
    r.ArrayLen(3);
    r.Bulk("master");
    r.Integer(master_repl_offset_);
    size_t online = 0;
    for (const auto& v : replicas) online += std::string_view(v.state) == "online";
    r.ArrayLen(online);
    for (const auto& v : replicas) {
      if (std::string_view(v.state) != "online") continue;
      r.ArrayLen(3);
      r.Bulk(v.ip);
      r.Bulk(std::to_string(v.port));
      r.Bulk(std::to_string(v.offset));
    }
    return;
  }
  r.ArrayLen(5);
  r.Bulk("slave");
  r.Bulk(master_host());
  r.Integer(master_port());
  const char* state = "connect";
  if (master_conn_) {
    state = "connected";
  } else if (link_) {
    switch (link_->state()) {
      case MasterLink::State::kConnecting: state = "connecting"; break;
      case MasterLink::State::kHandshake: state = "handshake"; break;
      case MasterLink::State::kTransfer: state = "sync"; break;
    }
  }
  r.Bulk(state);
  r.Integer(master_conn_ ? master_repl_offset_ : -1);
}

}  // namespace ember
