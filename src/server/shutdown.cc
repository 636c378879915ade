// Graceful shutdown, as Redis 7.0's prepareForShutdown/finishShutdown: a master with replicas
// that have not acknowledged the whole stream pauses writes and waits for them (up to
// shutdown-timeout seconds, GETACK asked at once) so a failover loses no acknowledged write;
// then it saves if configured and exits.
#include "common/errors.h"
#include "common/log.h"
#include "common/strings.h"
#include "server/server.h"

namespace ember {

ShutdownOptions ParseShutdownOptions(std::string_view words) {
  ShutdownOptions o;
  while (!words.empty()) {
    const size_t space = words.find(' ');
    const std::string_view w = words.substr(0, space);
    words = space == std::string_view::npos ? std::string_view() : words.substr(space + 1);
    if (EqualsIgnoreCase(w, "nosave")) o.nosave = true;
    if (EqualsIgnoreCase(w, "save")) o.save = true;
    if (EqualsIgnoreCase(w, "now")) o.now = true;
    if (EqualsIgnoreCase(w, "force")) o.force = true;
  }
  return o;
}

bool Server::ReplicasCaughtUp() {
  const int64_t offset = replication_->master_repl_offset();
  for (const auto& r : replication_->Replicas()) {
    if (r.offset != offset) return false;
  }
  return true;
}

Server::ShutdownStart Server::StartShutdown(const ShutdownOptions& options, std::string* err) {
  if (shutdown_deadline_ms_) return ShutdownStart::kWaiting;  // already waiting: join it
  EMBER_LOG_WARNING("User requested shutdown...");
  shutdown_options_ = options;
  // Nothing could be saved while a data set is half loaded.
  if (snapshots_.loading()) {
    shutdown_options_.save = false;
    shutdown_options_.nosave = true;
  }
  if (!options.now && config_.shutdown_timeout > 0 && !ReplicasCaughtUp()) {
    shutdown_deadline_ms_ = cached_now_ms_ + config_.shutdown_timeout * 1000;
    replication_->RequestAcks();
    PauseClients(INT64_MAX, /*writes_only=*/true);
    EMBER_LOG_NOTICE("Waiting for replicas before shutting down.");
    return ShutdownStart::kWaiting;
  }
  if (!FinishShutdown(err)) return ShutdownStart::kFailed;
  RequestShutdown();
  return ShutdownStart::kExit;
}

void Server::AddShutdownWaiter(Connection& conn) {
  conn.Block();
  shutdown_waiters_.push_back(conn.id);
}

void Server::CheckShutdownProgress() {
  if (cached_now_ms_ < shutdown_deadline_ms_ && !ReplicasCaughtUp()) return;
  shutdown_deadline_ms_ = 0;
  std::string err;
  if (FinishShutdown(&err)) return RequestShutdown();
  CancelShutdown(err);
}

bool Server::FinishShutdown(std::string* err) {
  const int64_t offset = replication_->master_repl_offset();
  int replicas = 0, lagging = 0;
  for (const auto& r : replication_->Replicas()) {
    ++replicas;
    if (r.offset == offset) continue;
    ++lagging;
    EMBER_LOG_WARNING("Lagging replica {}:{} reported offset {} behind master, lag={}, state={}.",
                      r.ip, r.port, offset - r.offset, r.lag, r.state);
  }
  if (replicas > 0) {
    EMBER_LOG_NOTICE("{} of {} replicas are in sync when shutting down.", replicas - lagging,
                     replicas);
  }
  if (snapshots_.child_active()) {
    EMBER_LOG_WARNING("There is a child saving an .rdb. Killing it!");
    snapshots_.KillChild();
  }
  const ShutdownOptions& o = shutdown_options_;
  if (!aof_.PrepareShutdown(o.force)) {
    EMBER_LOG_WARNING("Errors trying to shut down the server. Check the logs for more information.");
    *err = errors::kShutdownFailed;
    return false;
  }
  if (o.save || (!o.nosave && !config_.save.empty())) {
    EMBER_LOG_NOTICE("Saving the final RDB snapshot before exiting.");
    if (!snapshots_.SaveInForeground()) {
      if (!o.force) {
        EMBER_LOG_WARNING("Error trying to save the DB, can't exit.");
        EMBER_LOG_WARNING(
            "Errors trying to shut down the server. Check the logs for more information.");
        *err = errors::kShutdownFailed;
        return false;
      }
      EMBER_LOG_WARNING("Error trying to save the DB. Exit anyway.");
    }
  }
  return true;
}

void Server::CancelShutdown(std::string_view error) {
  shutdown_deadline_ms_ = 0;
  UnpauseClients();
  for (uint64_t id : shutdown_waiters_) {
    if (Connection* conn = FindClient(id)) {
      conn->reply().Error(error);
      conn->Unblock();
    }
  }
  shutdown_waiters_.clear();
}

bool Server::AbortShutdown() {
  if (!shutdown_deadline_ms_) return false;
  CancelShutdown(errors::kShutdownFailed);
  EMBER_LOG_NOTICE("Shutdown manually aborted.");
  return true;
}

}  // namespace ember
