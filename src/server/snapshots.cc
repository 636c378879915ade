#include "server/snapshots.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "common/memory.h"
#include "persistence/rdb_io.h"
#include "server/server.h"

namespace ember {
namespace {

constexpr int64_t kBgsaveRetryDelaySec = 5;       // Redis's CONFIG_BGSAVE_RETRY_DELAY

std::string TempFileName(pid_t pid) { return "temp-" + std::to_string(pid) + ".rdb"; }

}  // namespace

namespace {

std::string CurrentDirForLog() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) ? buf : "unknown";
}

// Makes a rename durable (Redis's fsyncFileDir).
void FsyncCurrentDir() {
  int fd = open(".", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

}  // namespace

SnapshotSaveInfo Snapshots::SaveInfo() const {
  const ServerConfig& cfg = server_.config();
  SnapshotSaveInfo info;
  info.used_mem = static_cast<int64_t>(UsedMemory());
  info.save_idle = cfg.maxmemory_policy.find("lru") != std::string::npos;
  info.save_freq = cfg.maxmemory_policy.find("lfu") != std::string::npos;
  info.functions = &functions_;
  info.key_save_delay_us = cfg.rdb_key_save_delay;
  server_.replication().FillSaveInfo(&info);
  return info;
}

bool Snapshots::WriteFile(const std::string& tmp_name) {
  const ServerConfig& cfg = server_.config();
  int fd = open(tmp_name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    EMBER_LOG_WARNING("Failed opening the temp RDB file {} (in server root dir {}) for saving: {}",
                      tmp_name, CurrentDirForLog(), strerror(errno));
    return false;
  }
  FdSink sink(fd, cfg.rdb_save_incremental_fsync ? kIncrementalFsyncBytes : 0);
  RdbWriter writer(&sink, {.compression = cfg.rdbcompression, .checksum = cfg.rdbchecksum});
  bool ok = SaveSnapshot(writer, server_.keyspace(), SaveInfo()) && fsync(fd) == 0;
  int saved_errno = errno;
  ok = close(fd) == 0 && ok;
  if (!ok) {
    EMBER_LOG_WARNING("Write error saving DB on disk: {}", strerror(saved_errno));
    unlink(tmp_name.c_str());
    return false;
  }
  if (rename(tmp_name.c_str(), cfg.dbfilename.c_str()) != 0) {
    EMBER_LOG_WARNING(
        "Error moving temp DB file {} on the final destination {} (in server root dir {}): {}",
        tmp_name, cfg.dbfilename, CurrentDirForLog(), strerror(errno));
    unlink(tmp_name.c_str());
    return false;
  }
  FsyncCurrentDir();
  EMBER_LOG_NOTICE("DB saved on disk");
  return true;
}

bool Snapshots::SaveInForeground() {
  if (child_active()) {
    EMBER_LOG_WARNING("Background save already in progress");
    return false;
  }
  ++server_.stats().rdb_saves;
  if (!WriteFile(TempFileName(getpid()))) return false;
  server_.keyspace().dirty = 0;
  last_save_time_ = WallClockMs() / 1000;
  last_bgsave_ok_ = true;
  return true;
}

bool Snapshots::Fork(std::string* err, Target target, int snapshot_pipe) {
  if (server_.aof().child_active()) {
    *err = "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
           "SCHEDULE in order to schedule a BGSAVE whenever possible.";
    return false;
  }
  const int64_t now = WallClockMs() / 1000;
  last_bgsave_try_ = now;
  dirty_before_bgsave_ = server_.keyspace().dirty;
  // The child writes the fork-time data set.
  const bool started = child_.Start(server_, "RDB", [&] {
    if (target != Target::kReplicationPipe) return WriteFile(TempFileName(getpid()));
    FdSink sink(snapshot_pipe);
    const ServerConfig& cfg = server_.config();
    RdbWriter writer(&sink, {.compression = cfg.rdbcompression, .checksum = cfg.rdbchecksum});
    const bool ok = SaveSnapshot(writer, server_.keyspace(), SaveInfo());
    close(snapshot_pipe);
    return ok;
  });
  if (!started) {
    last_bgsave_ok_ = false;
    EMBER_LOG_WARNING("Can't save in background: fork: {}", strerror(errno));
    *err = std::string("ERR Can't save in background: fork: ") + strerror(errno);
    return false;
  }
  if (target != Target::kReplicationPipe) ++server_.stats().rdb_saves;
  child_target_ = target;
  bgsave_start_ = now;
  EMBER_LOG_NOTICE("Background saving started by pid {}", child_.pid());
  return true;
}

void Snapshots::RemoveTempFile(pid_t pid) { unlink(TempFileName(pid).c_str()); }

void Snapshots::KillChild() {
  if (!child_active()) return;
  const pid_t pid = child_.pid();
  OnChildExit(pid, child_.Kill());
}

void Snapshots::OnChildExit(pid_t pid, int status) {
  const int64_t now = WallClockMs() / 1000;
  if (const auto cow = child_.cow_bytes()) last_cow_size_ = *cow;
  const Target target = child_target_;
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (target == Target::kReplicationPipe) {
    // A diskless sync is not a save: LASTSAVE and the change count stay as they are.
    EMBER_LOG_NOTICE("{}", ok ? "Background RDB transfer terminated with success"
                              : "Background transfer error");
    bgsave_start_ = -1;
    server_.replication().OnReplicationSnapshotDone(ok);
    return;
  }
  if (ok) {
    EMBER_LOG_NOTICE("Background saving terminated with success");
    Keyspace& ks = server_.keyspace();
    ks.dirty = ks.dirty >= dirty_before_bgsave_ ? ks.dirty - dirty_before_bgsave_ : 0;
    last_save_time_ = now;
    last_bgsave_ok_ = true;
  } else if (WIFEXITED(status)) {
    EMBER_LOG_WARNING("Background saving error");
    last_bgsave_ok_ = false;
  } else {
    const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    EMBER_LOG_WARNING("Background saving terminated by signal {}", sig);
    RemoveTempFile(pid);
    // SIGUSR1 is our own request to stop (SHUTDOWN, FLUSHALL): not an error.
    if (sig != SIGUSR1) last_bgsave_ok_ = false;
  }
  last_bgsave_time_sec_ = now - bgsave_start_;
  bgsave_start_ = -1;
  if (target == Target::kReplicationFile) server_.replication().OnReplicationSnapshotDone(ok);
}

int64_t Snapshots::current_bgsave_time_sec() const {
  return child_active() ? WallClockMs() / 1000 - bgsave_start_ : -1;
}

bool Snapshots::SavePointDue(int64_t now) const {
  const uint64_t dirty = server_.keyspace().dirty;
  const bool may_retry = last_bgsave_ok_ || now - last_bgsave_try_ > kBgsaveRetryDelaySec;
  for (const SavePoint& sp : server_.config().save) {
    if (dirty >= static_cast<uint64_t>(sp.changes) && now - last_save_time_ > sp.seconds &&
        may_retry) {
      EMBER_LOG_NOTICE("{} changes in {} seconds. Saving...", sp.changes, sp.seconds);
      return true;
    }
  }
  return false;
}

void Snapshots::Cron() {
  if (child_active()) {
    if (!child_.Poll([this](pid_t pid, int status) { OnChildExit(pid, status); })) {
      last_bgsave_ok_ = false;  // reaped elsewhere
    }
    return;
  }
  // Another child (an AOF rewrite) holds off BGSAVE SCHEDULE and the save points.
  if (server_.aof().child_active()) return;
  if (bgsave_scheduled_ || SavePointDue(WallClockMs() / 1000)) {
    bgsave_scheduled_ = false;
    std::string err;
    StartBackgroundSave(&err);
  }
}

bool Snapshots::WritesDenied() const {
  const ServerConfig& cfg = server_.config();
  return cfg.stop_writes_on_bgsave_error && !cfg.save.empty() && !last_bgsave_ok_;
}

bool Snapshots::LoadFile(const std::string& path, bool serve_clients, bool merge,
                         std::string* err) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = strerror(errno);
    return false;
  }
  struct stat st {};
  fstat(fd, &st);
  FdSource source(fd);
  RdbReader reader(&source);
  bool ok = Load(reader, server_.keyspace(), static_cast<uint64_t>(st.st_size), serve_clients,
                 merge, err);
  close(fd);
  return ok;
}

bool Snapshots::Load(RdbReader& reader, Keyspace& ks, uint64_t total_bytes, bool serve_clients,
                     bool merge, std::string* err) {
  // Inside a longer load (an AOF's base), the outer one keeps its totals and its state.
  const bool outer = !loading_;
  if (outer) BeginLoading(total_bytes);
  const uint64_t loaded_before = loading_loaded_bytes_;
  const int64_t start_us = MonotonicUs();

  SnapshotLoadOptions opts;
  opts.now_ms = WallClockMs();
  opts.drop_expired = !server_.is_replica();
  opts.verify_checksum = server_.config().rdbchecksum;
  opts.allow_duplicates = merge;
  opts.key_delay_us = server_.config().key_load_delay;
  opts.progress_interval =
      static_cast<uint64_t>(server_.config().loading_process_events_interval_bytes);
  opts.progress = [this, serve_clients, loaded_before](uint64_t offset) {
    loading_loaded_bytes_ = loaded_before + offset;
    if (serve_clients) server_.ProcessEventsWhileLoading();
  };
  SnapshotLoadInfo info;
  bool ok = LoadSnapshot(reader, ks, opts, &info);
  if (outer) EndLoading();
  if (!ok) {
    *err = reader.error() + " (at offset " + std::to_string(reader.error_offset()) + ")";
    return false;
  }
  if (const std::string* v = info.Aux("redis-ver")) {
    EMBER_LOG_NOTICE("Loading RDB produced by version {}", *v);
  }
  if (const std::string* ctime = info.Aux("ctime")) {
    EMBER_LOG_NOTICE("RDB age {} seconds", WallClockMs() / 1000 - std::atoll(ctime->c_str()));
  }
  if (const std::string* mem = info.Aux("used-mem")) {
    EMBER_LOG_NOTICE("RDB memory usage when created {:.2f} Mb",
                     static_cast<double>(std::atoll(mem->c_str())) / (1024 * 1024));
  }
  EMBER_LOG_NOTICE("Done loading RDB, keys loaded: {}, keys expired: {}.", info.keys_loaded,
                   info.keys_expired);
  EMBER_LOG_NOTICE("DB loaded from disk: {:.3f} seconds",
                   static_cast<double>(MonotonicUs() - start_us) / 1e6);
  functions_ = std::move(info.functions);
  ++functions_generation_;
  last_load_ = std::move(info);
  return true;
}

void Snapshots::BeginLoading(uint64_t total_bytes) {
  loading_ = true;
  loading_start_time_ = WallClockMs() / 1000;
  loading_total_bytes_ = total_bytes;
  loading_loaded_bytes_ = 0;
}

void Snapshots::StartWithoutLoading() { last_save_time_ = WallClockMs() / 1000; }

bool Snapshots::LoadAtStartup() {
  StartWithoutLoading();
  const std::string& path = server_.config().dbfilename;
  if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) return true;
  std::string err;
  if (LoadFile(path, /*serve_clients=*/true, /*merge=*/false, &err)) return true;
  EMBER_LOG_WARNING("Fatal error loading the DB file {} (in server root dir {}): {}", path,
                    CurrentDirForLog(), err);
  EMBER_LOG_WARNING("Unrecoverable error loading the DB, aborting now.");
  return false;
}

}  // namespace ember
