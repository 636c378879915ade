// Replication, coordinated failover (FAILOVER, as Redis 6.2+): the master pauses writes, waits
// until a replica acknowledged its whole stream, then becomes that replica's replica with
// `PSYNC <replid> <offset> FAILOVER`, which makes the target promote itself first; both continue
// the same history, so no acknowledged write is lost.
#include <string>

#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"
#include "protocol/reply_builder.h"
#include "server/connection.h"
#include "server/replication.h"
#include "server/server.h"

namespace ember {

const char* Replication::failover_state_name() const {
  switch (failover_state_) {
    case FailoverState::kNone: return "no-failover";
    case FailoverState::kWaitForSync: return "waiting-for-sync";
    case FailoverState::kInProgress: return "failover-in-progress";
  }
  return "no-failover";
}

Replication::Replica* Replication::FindReplicaByAddress(const std::string& host, int64_t port) {
  for (auto& [id, r] : replicas_) {
    if (r.state == ReplicaState::kHandshake || r.listening_port != port) continue;
    if (ReplicaIp(r) == host) return &r;
  }
  return nullptr;
}

void Replication::Failover(std::span<const std::string_view> args, ReplyBuilder& reply) {
  if (args.size() == 2 && EqualsIgnoreCase(args[1], "abort")) {
    if (failover_state_ == FailoverState::kNone) return reply.Error("ERR No failover in progress.");
    AbortFailover("Failover manually aborted");
    return reply.Ok();
  }
  int64_t timeout_ms = 0, port = 0;
  bool force = false, has_target = false;
  std::string host;
  for (size_t j = 1; j < args.size(); j++) {
    if (EqualsIgnoreCase(args[j], "timeout") && j + 1 < args.size() && timeout_ms == 0) {
      if (!ParseInt64(args[j + 1], &timeout_ms)) {
        return reply.Error("ERR value is not an integer or out of range");
      }
      if (timeout_ms <= 0) return reply.Error("ERR FAILOVER timeout must be greater than 0");
      j++;
    } else if (EqualsIgnoreCase(args[j], "to") && j + 2 < args.size() && !has_target) {
      if (!ParseInt64(args[j + 2], &port)) {
        return reply.Error("ERR value is not an integer or out of range");
      }
      host = std::string(args[j + 1]);
      has_target = true;
      j += 2;
    } else if (EqualsIgnoreCase(args[j], "force") && !force) {
      force = true;
    } else {
      return reply.Error("ERR syntax error");
    }
  }
  if (failover_state_ != FailoverState::kNone) return reply.Error("ERR FAILOVER already in progress.");
  if (is_replica()) return reply.Error("ERR FAILOVER is not valid when server is a replica.");
  if (CountReplicas() == 0) return reply.Error("ERR FAILOVER requires connected replicas.");
  if (force && (timeout_ms == 0 || !has_target)) {
    return reply.Error(
        "ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
  }
  failover_host_.clear();
  failover_port_ = 0;
  if (has_target) {
    Replica* target = FindReplicaByAddress(host, port);
    if (!target) return reply.Error("ERR FAILOVER target HOST and PORT is not a replica.");
    if (target->state != ReplicaState::kOnline) {
      return reply.Error("ERR FAILOVER target replica is not online.");
    }
    failover_host_ = host;
    failover_port_ = port;
    EMBER_LOG_NOTICE("FAILOVER requested to {}:{}.", host, port);
  } else {
    EMBER_LOG_NOTICE("FAILOVER requested to any replica.");
  }
  failover_deadline_ms_ = timeout_ms > 0 ? WallClockMs() + timeout_ms : 0;
  failover_force_ = force;
  failover_state_ = FailoverState::kWaitForSync;
  // No write may slip in between the replica catching up and the switch.
  server_.PauseClients(INT64_MAX, /*writes_only=*/true);
  reply.Ok();
}

void Replication::UpdateFailover() {
  if (failover_state_ != FailoverState::kWaitForSync) return;
  if (failover_deadline_ms_ > 0 && WallClockMs() >= failover_deadline_ms_) {
    if (failover_force_) {
      EMBER_LOG_NOTICE("FAILOVER to {}:{} time out exceeded, failing over.", failover_host_,
                       failover_port_);
      StartFailoverSwitch();
    } else {
      AbortFailover("Replica never caught up before timeout");
    }
    return;
  }
  // The paused master's offset no longer moves: wait for an ACK that reached it.
  Replica* target = nullptr;
  if (!failover_host_.empty()) {
    target = FindReplicaByAddress(failover_host_, failover_port_);
  } else {
    for (auto& [id, r] : replicas_) {
      if (r.state == ReplicaState::kOnline && r.ack_offset == master_repl_offset_) {
        target = &r;
        failover_host_ = ReplicaIp(r);
        failover_port_ = r.listening_port;
        break;
      }
    }
  }
  if (target && target->ack_offset == master_repl_offset_) {
    EMBER_LOG_NOTICE("Failover target {}:{} is synced, failing over.", failover_host_,
                     failover_port_);
    StartFailoverSwitch();
  }
}

void Replication::StartFailoverSwitch() {
  failover_state_ = FailoverState::kInProgress;
  // Our link to the target sends PSYNC ... FAILOVER (MasterLink asks failover_in_progress()).
  SetMaster(failover_host_, failover_port_);
}

void Replication::OnFailoverPsyncDone(bool accepted) {
  if (failover_state_ != FailoverState::kInProgress) return;
  if (!accepted) return AbortFailover("Failover target rejected psync request");
  EMBER_LOG_NOTICE("Failover successful, now a replica of {}:{}.", failover_host_, failover_port_);
  ClearFailoverState();
}

void Replication::AbortFailover(const std::string& why) {
  if (failover_state_ == FailoverState::kNone) return;
  if (!failover_host_.empty()) {
    EMBER_LOG_NOTICE("FAILOVER to {}:{} aborted: {}", failover_host_, failover_port_, why);
  } else {
    EMBER_LOG_NOTICE("FAILOVER to any replica aborted: {}", why);
  }
  if (failover_state_ == FailoverState::kInProgress) Promote();
  ClearFailoverState();
}

void Replication::ClearFailoverState() {
  failover_state_ = FailoverState::kNone;
  failover_host_.clear();
  failover_port_ = 0;
  failover_deadline_ms_ = 0;
  failover_force_ = false;
  server_.UnpauseClients();
}

bool Replication::AcceptFailoverRequest(Connection& conn, std::string_view replid) {
  // Our master hands over: it continues our shared history as our replica.
  if (replid != replid_) {
    conn.reply().Error("ERR PSYNC FAILOVER replid must match my replid.");
    return false;
  }
  EMBER_LOG_NOTICE("Failover request received for replid {}.", replid);
  Promote();
  return true;
}

}  // namespace ember
