// The AOF's writing side: feeding, flushing and fsync policies, rewrites, appendonly on/off.
// Start-up loading is in aof_loader.cc.
#include "server/aof.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "persistence/dump_payload.h"
#include "persistence/rdb_io.h"
#include "protocol/reply_builder.h"
#include "server/server.h"

namespace ember {
namespace {

constexpr uint64_t kRewriteLimitThreshold = 3;  // AOF_REWRITE_LIMITE_THRESHOLD
constexpr int kRewriteLimitMaxMinutes = 60;

int64_t NowSec() { return WallClockMs() / 1000; }

std::string TempRewriteName(pid_t pid) {
  return "temp-rewriteaof-bg-" + std::to_string(pid) + ".aof";
}

}  // namespace

Aof::Aof(Server& server) : server_(server) {}

Aof::~Aof() = default;

void Aof::RegisterConfigHooks() {
  ConfigTable& t = server_.config_table();
  t.OnApply("appendonly", [this](std::string* err) {
    const bool want = server_.config().appendonly;
    if (!want && state_ != State::kOff) {
      Stop();
    } else if (want && state_ == State::kOff && !Start()) {
      *err = "ERR Unable to turn on AOF. Check server logs.";
      return false;
    }
    return true;
  });
}

const std::string& Aof::filename() const { return server_.config().appendfilename; }
const std::string& Aof::dirname() const { return server_.config().appenddirname; }
std::string Aof::DirPath(std::string_view name) const {
  return dirname() + "/" + std::string(name);
}

// ---- feeding ---------------------------------------------------------------------------------

bool Aof::accepting_writes() const {
  // While waiting for the first base, only once its child runs: the writes before the fork are
  // in the base (Redis's feedAppendOnlyFile).
  return state_ == State::kOn || (state_ == State::kWaitRewrite && child_.active());
}

void Aof::Annotate() {
  if (!server_.config().aof_timestamp_enabled) return;
  const int64_t now = NowSec();
  if (now <= last_ts_) return;
  last_ts_ = now;
  buf_.append("#TS:").append(std::to_string(now)).append("\r\n");
}

void Aof::Feed(int db_index, const std::vector<std::vector<std::string>>& effects,
               std::span<const std::string_view> original) {
  if (!accepting_writes()) return;
  Annotate();
  EncodePropagated(&buf_, &selected_db_, db_index, effects, original);
}

void Aof::FeedTransaction(std::span<const PropagatedCommand> commands) {
  if (!accepting_writes()) return;
  Annotate();
  EncodePropagatedTransaction(&buf_, &selected_db_, commands);
}

// ---- flushing and fsync ----------------------------------------------------------------------

bool Aof::FsyncAllowedNow() const {
  // no-appendfsync-on-rewrite: no fsync while a child writes to the same disk.
  return !(server_.config().no_appendfsync_on_rewrite && server_.HasActiveChild());
}

void Aof::Flush(bool force) {
  if (fd_ < 0) {
    buf_.clear();
    return;
  }
  const std::string& policy = server_.config().appendfsync;
  const bool everysec = policy == "everysec";
  if (!buf_.empty()) {
    if (everysec && !force && fsync_jobs_pending_.load() > 0) {
      // Linux blocks write(2) behind a running fsync: postpone up to two seconds (as Redis).
      const int64_t now = NowSec();
      if (flush_postponed_start_ == 0) {
        flush_postponed_start_ = now;
        return;
      }
      if (now - flush_postponed_start_ < 2) return;
      ++server_.stats().aof_delayed_fsync;
      EMBER_LOG_NOTICE(
          "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer "
          "without waiting for fsync to complete, this may slow down Redis.");
    }
    flush_postponed_start_ = 0;
    // Whether this write may wait behind a running fsync, for the latency events below.
    const bool fsync_in_progress = everysec && fsync_jobs_pending_.load() > 0;
    const int64_t start = MonotonicUs();
    if (!WriteFully(fd_, buf_)) {
      last_write_errno_ = errno;
      // A short write is cut off so the file ends at a record boundary (Redis does the same).
      if (ftruncate(fd_, last_incr_size_) != 0) {
        EMBER_LOG_WARNING("Could not remove short write from the append-only file.  Redis may "
                          "refuse to load the AOF the next time it starts.  ftruncate: {}",
                          strerror(errno));
      }
      if (last_write_ok_) {
        EMBER_LOG_WARNING("Error writing to the AOF file: {}", strerror(last_write_errno_));
      }
      last_write_ok_ = false;
      if (policy == "always") {
        EMBER_LOG_WARNING("Can't recover from AOF write error when the AOF fsync policy is "
                          "'always'. Exiting...");
        _exit(1);
      }
      return;
    }
    // Also by what the write competed with, for LATENCY DOCTOR (as Redis).
    const int64_t write_ms = (MonotonicUs() - start) / 1000;
    server_.RecordLatency("aof-write", write_ms);
    if (fsync_in_progress) {
      server_.RecordLatency("aof-write-pending-fsync", write_ms);
    } else if (server_.HasActiveChild()) {
      server_.RecordLatency("aof-write-active-child", write_ms);
    } else {
      server_.RecordLatency("aof-write-alone", write_ms);
    }
    if (!last_write_ok_ && !fsync_failed_) {
      EMBER_LOG_WARNING("AOF write error looks solved, Redis can write again.");
      last_write_ok_ = true;
    }
    current_size_ += static_cast<int64_t>(buf_.size());
    last_incr_size_ += static_cast<int64_t>(buf_.size());
    // A small buffer is reused; a big one is freed (Redis keeps up to 4k).
    if (buf_.capacity() < 4000) {
      buf_.clear();
    } else {
      std::string().swap(buf_);
    }
  }
  if (!FsyncAllowedNow()) return;
  if (policy == "always" && fsynced_size_ != current_size_) {
    const int64_t start = MonotonicUs();
    if (fdatasync(fd_) != 0) {
      EMBER_LOG_WARNING("Can't persist AOF for fsync error when the AOF fsync policy is 'always': "
                        "{}. Exiting...",
                        strerror(errno));
      _exit(1);
    }
    server_.RecordLatency("aof-fsync-always", (MonotonicUs() - start) / 1000);
    fsynced_size_ = current_size_;
    last_fsync_sec_ = NowSec();
  } else if (everysec && fsynced_size_ != current_size_ && NowSec() > last_fsync_sec_ &&
             fsync_jobs_pending_.load() == 0) {
    PostFsync(fd_, false);
    fsynced_size_ = current_size_;
    last_fsync_sec_ = NowSec();
  }
}

void Aof::PostFsync(int fd, bool close_after) {
  ++fsync_jobs_pending_;  // aof_pending_bio_fsync counts fsyncs only
  background_.Submit([this, fd, close_after] {
    const bool failed = fdatasync(fd) != 0 && errno != EBADF && errno != EINVAL;
    fsync_errno_.store(failed ? errno : 0);
    if (close_after) close(fd);
    --fsync_jobs_pending_;
  });
}

// ---- the incremental file and the manifest -----------------------------------------------------

std::string Aof::TempIncrName() const { return "temp-" + filename() + ".incr"; }

bool Aof::OpenNewIncr() {
  // Redis's openNewIncrAofForAppend: the manifest on disk names the new file before any write
  // goes to it. While waiting for the first base the writes go to a temp file instead, which
  // becomes the first incremental file when the base is done.
  AofManifest next = manifest_;
  const std::string name =
      state_ == State::kWaitRewrite ? TempIncrName() : next.NewIncr(filename());
  int fd = open(DirPath(name).c_str(), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    EMBER_LOG_WARNING("Can't open the append-only file {}: {}", name, strerror(errno));
    return false;
  }
  if (state_ == State::kOn && !WriteAofManifestFile(dirname(), filename(), next.Format())) {
    close(fd);
    unlink(DirPath(name).c_str());
    return false;
  }
  EMBER_LOG_NOTICE("Creating AOF incr file {} on background rewrite", name);
  if (fd_ >= 0) PostFsync(fd_, /*close_after=*/true);
  fd_ = fd;
  last_incr_size_ = 0;
  manifest_ = std::move(next);
  return true;
}

void Aof::DeleteHistoryFiles() {
  if (manifest_.history.empty() || server_.config().aof_disable_auto_gc) return;
  for (const AofFileInfo& f : manifest_.history) {
    EMBER_LOG_NOTICE("Removing the history file {} in the background", f.name);
    background_.Submit([path = DirPath(f.name)] { unlink(path.c_str()); });
  }
  manifest_.history.clear();
  WriteAofManifestFile(dirname(), filename(), manifest_.Format());
}

// ---- rewrite ---------------------------------------------------------------------------------

bool Aof::WriteBase(const std::string& path) {
  const ServerConfig& cfg = server_.config();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    EMBER_LOG_WARNING("Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {}",
                      strerror(errno));
    return false;
  }
  FdSink sink(fd, server_.config().aof_rewrite_incremental_fsync ? kIncrementalFsyncBytes : 0);
  bool ok;
  if (server_.config().aof_use_rdb_preamble) {
    RdbWriter writer(&sink, {.compression = cfg.rdbcompression, .checksum = cfg.rdbchecksum});
    SnapshotSaveInfo info = server_.snapshots().SaveInfo();
    info.repl_id.clear();  // a base carries no replication info (Redis passes no rsi)
    info.aof_base = true;
    ok = SaveSnapshot(writer, server_.keyspace(), info);
  } else {
    ok = WriteCommandsBase(sink);
  }
  ok = ok && fsync(fd) == 0;
  const int saved_errno = errno;
  ok = close(fd) == 0 && ok;
  if (!ok) {
    EMBER_LOG_WARNING("Write error writing append only file on disk: {}", strerror(saved_errno));
    unlink(path.c_str());
  }
  return ok;
}

bool Aof::WriteCommandsBase(RdbSink& sink) {
  // Without the RDB preamble the base is commands: each key as RESTORE (with its absolute
  // expiry), which both Ember and Redis replay.
  Keyspace& ks = server_.keyspace();
  const bool compression = server_.config().rdbcompression;
  std::string out;
  bool ok = true;
  for (int i = 0; i < ks.num_dbs() && ok; ++i) {
    Database& db = ks.db(i);
    if (db.size() == 0) continue;
    ReplyBuilder resp(&out);
    const std::string idx = std::to_string(i);
    resp.Command(std::array<std::string_view, 2>{"SELECT", idx});
    db.ForEach([&](KeyEntry* e) {
      if (!ok) return;
      const int64_t when = db.GetExpire(e);
      const std::string ttl = std::to_string(when < 0 ? 0 : when);
      const std::string payload = CreateDumpPayload(e->value, compression);
      if (when >= 0) {
        resp.Command(std::array<std::string_view, 5>{"RESTORE", e->key(), ttl, payload, "ABSTTL"});
      } else {
        resp.Command(std::array<std::string_view, 4>{"RESTORE", e->key(), ttl, payload});
      }
      if (out.size() > (1 << 20)) {
        ok = sink.Write(out.data(), out.size());
        out.clear();
      }
    });
  }
  return ok && (out.empty() || sink.Write(out.data(), out.size()));
}

Aof::RewriteStart Aof::RequestRewrite() {
  if (child_.active()) return RewriteStart::kInProgress;
  if (server_.snapshots().child_active() || server_.in_exec()) {
    rewrite_scheduled_ = true;
    consecutive_failures_ = 0;
    return RewriteStart::kScheduled;
  }
  return StartRewrite() ? RewriteStart::kStarted : RewriteStart::kFailed;
}

bool Aof::StartRewrite() {
  if (server_.HasActiveChild()) return false;
  if (mkdir(dirname().c_str(), 0755) != 0 && errno != EEXIST) {
    EMBER_LOG_WARNING("Can't open or create append-only dir {}: {}", dirname(), strerror(errno));
    last_bgrewrite_ok_ = false;
    return false;
  }
  // Without appendonly at start-up the manifest was not read: numbering continues after the
  // files an earlier run left, which the new manifest then replaces.
  if (manifest_.empty()) {
    AofManifest disk;
    if (LoadManifestFromDisk(&disk, /*quiet=*/true)) manifest_ = std::move(disk);
  }
  // SELECT is re-issued in the new incremental file; what is buffered goes to the old one.
  selected_db_ = -1;
  Flush(true);
  if (state_ != State::kOff && !OpenNewIncr()) {
    last_bgrewrite_ok_ = false;
    return false;
  }
  ++server_.stats().aof_rewrites;
  const bool started = child_.Start(server_, "AOF rewrite", [this] {
    if (fd_ >= 0) close(fd_);
    const bool ok = WriteBase(TempRewriteName(getpid()));
    if (ok) {
      EMBER_LOG_NOTICE("Successfully created the temporary AOF base file {}",
                       TempRewriteName(getpid()));
    }
    return ok;
  });
  if (!started) {
    last_bgrewrite_ok_ = false;
    EMBER_LOG_WARNING("Can't rewrite append only file in background: fork: {}", strerror(errno));
    return false;
  }
  EMBER_LOG_NOTICE("Background append only file rewriting started by pid {}", child_.pid());
  rewrite_scheduled_ = false;
  rewrite_start_ = NowSec();
  return true;
}

void Aof::KillChild() {
  if (!child_.active()) return;
  const pid_t pid = child_.pid();
  EMBER_LOG_NOTICE("Killing running AOF rewrite child: {}", pid);
  child_.Kill();
  unlink(TempRewriteName(pid).c_str());
  rewrite_start_ = -1;
}

void Aof::OnChildExit(pid_t pid, int status) {
  if (const auto cow = child_.cow_bytes()) last_cow_size_ = *cow;
  const int64_t now = NowSec();
  last_rewrite_time_sec_ = now - rewrite_start_;
  rewrite_start_ = -1;
  const std::string tmp = TempRewriteName(pid);
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok) {
    if (WIFSIGNALED(status)) {
      EMBER_LOG_WARNING("Background AOF rewrite terminated by signal {}", WTERMSIG(status));
      // SIGUSR1 is our own kill (a rewrite we stopped): not a failure, as Redis.
      if (WTERMSIG(status) != SIGUSR1) last_bgrewrite_ok_ = false;
    } else {
      EMBER_LOG_WARNING("Background AOF rewrite terminated with error");
      last_bgrewrite_ok_ = false;
    }
  } else {
    // The new base takes its place, then the manifest that names it becomes durable; only then
    // are the files it replaces deleted.
    AofManifest next = manifest_;
    const std::string base = next.NewBase(filename(), server_.config().aof_use_rdb_preamble);
    if (rename(tmp.c_str(), DirPath(base).c_str()) != 0) {
      EMBER_LOG_WARNING("Error trying to rename the temporary AOF file {} into {}: {}", tmp, base,
                        strerror(errno));
      ok = false;
    } else {
      std::string incr;
      if (state_ == State::kWaitRewrite) {
        // Every incremental file is now history; the temp file becomes the first new one.
        next.MarkRewrittenIncrsAsHistory(/*keep_last=*/false);
        incr = next.NewIncr(filename());
        if (rename(DirPath(TempIncrName()).c_str(), DirPath(incr).c_str()) != 0) {
          EMBER_LOG_WARNING("Error trying to rename the temporary AOF incr file {} into {}: {}",
                            TempIncrName(), incr, strerror(errno));
          ok = false;
        }
      } else {
        next.MarkRewrittenIncrsAsHistory(/*keep_last=*/fd_ >= 0);
      }
      if (ok && !WriteAofManifestFile(dirname(), filename(), next.Format())) {
        if (!incr.empty()) rename(DirPath(incr).c_str(), DirPath(TempIncrName()).c_str());
        ok = false;
      }
      if (!ok) unlink(DirPath(base).c_str());
    }
    if (ok) {
      manifest_ = std::move(next);
      if (state_ == State::kWaitRewrite) {
        // The file written since the fork is the first incremental file of the new base.
        state_ = State::kOn;
      }
      current_size_ = FileSizeOrZero(DirPath(base)) + last_incr_size_;
      rewrite_base_size_ = current_size_;
      fsynced_size_ = current_size_;
      EMBER_LOG_NOTICE("Background AOF rewrite terminated with success");
      EMBER_LOG_NOTICE("Background AOF rewrite finished successfully");
      DeleteHistoryFiles();
      last_bgrewrite_ok_ = true;
      consecutive_failures_ = 0;
    } else {
      last_bgrewrite_ok_ = false;
    }
  }
  unlink(tmp.c_str());
  if (!ok) {
    if (state_ == State::kWaitRewrite) {
      EMBER_LOG_NOTICE("Removing the temp incr aof file {} in the background", TempIncrName());
      unlink(DirPath(TempIncrName()).c_str());
    }
    ++consecutive_failures_;
    // Turning appendonly on keeps retrying until it has its base.
    if (state_ == State::kWaitRewrite) rewrite_scheduled_ = true;
  }
}

std::string Aof::WritesDeniedError() const {
  return std::string("MISCONF Errors writing to the AOF file: ") + strerror(last_write_errno_);
}

int64_t Aof::current_rewrite_time_sec() const {
  return child_.active() ? NowSec() - rewrite_start_ : -1;
}

bool Aof::RewriteLimited() {
  // Redis's aofRewriteLimited: after 3 failures in a row, automatic rewrites wait 1, 2, 4 ... 60
  // minutes.
  if (consecutive_failures_ < kRewriteLimitThreshold) {
    limited_delay_minutes_ = 0;
    next_limited_rewrite_ = 0;
    return false;
  }
  const int64_t now = NowSec();
  if (next_limited_rewrite_ != 0) {
    if (now < next_limited_rewrite_) return true;
    next_limited_rewrite_ = 0;
    return false;
  }
  limited_delay_minutes_ = limited_delay_minutes_ == 0 ? 1 : limited_delay_minutes_ * 2;
  if (limited_delay_minutes_ > kRewriteLimitMaxMinutes) {
    limited_delay_minutes_ = kRewriteLimitMaxMinutes;
  }
  next_limited_rewrite_ = now + limited_delay_minutes_ * 60;
  EMBER_LOG_WARNING("Background AOF rewrite has repeatedly failed and triggered the limit, will "
                    "retry in {} minutes",
                    limited_delay_minutes_);
  return true;
}

void Aof::Cron() {
  if (!child_.Poll([this](pid_t pid, int status) { OnChildExit(pid, status); })) {
    last_bgrewrite_ok_ = false;  // reaped elsewhere
  }
  if (!server_.HasActiveChild() && rewrite_scheduled_ && !RewriteLimited()) StartRewrite();
  if (state_ == State::kOn && !server_.HasActiveChild()) {
    const int64_t perc = server_.config().auto_aof_rewrite_percentage;
    const int64_t min_size = server_.config().auto_aof_rewrite_min_size;
    if (perc > 0 && current_size_ > min_size) {
      const int64_t base = rewrite_base_size_ > 0 ? rewrite_base_size_ : 1;
      const int64_t growth = current_size_ * 100 / base - 100;
      if (growth >= perc && !RewriteLimited()) {
        EMBER_LOG_NOTICE("Starting automatic rewriting of AOF on {}% growth", growth);
        StartRewrite();
      }
    }
  }
  // everysec: a write that came just before a quiet second still gets its fsync.
  if (fd_ >= 0) Flush(false);
  // A failed background fsync refuses writes (MISCONF) like a failed write, until a later
  // background fsync (retried every second) succeeds.
  const int fsync_errno = fsync_errno_.load();
  if (fsync_errno != 0 && !fsync_failed_) {
    EMBER_LOG_WARNING("Fail to fsync the AOF file: {}", strerror(fsync_errno));
    fsync_failed_ = true;
    last_write_errno_ = fsync_errno;
    last_write_ok_ = false;
  } else if (fsync_errno == 0 && fsync_failed_) {
    EMBER_LOG_WARNING("AOF write error looks solved, Redis can write again.");
    fsync_failed_ = false;
    last_write_ok_ = true;
  }
  if (fsync_failed_) fsynced_size_ = -1;  // fsync again
}

// ---- appendonly on/off -----------------------------------------------------------------------

bool Aof::Start() {
  // Redis's startAppendOnly: writes go to the AOF only once a rewrite has produced its base.
  if (mkdir(dirname().c_str(), 0755) != 0 && errno != EEXIST) {
    EMBER_LOG_WARNING("Can't open or create append-only dir {}: {}", dirname(), strerror(errno));
    return false;
  }
  state_ = State::kWaitRewrite;
  if (server_.snapshots().child_active()) {
    rewrite_scheduled_ = true;
    EMBER_LOG_WARNING("AOF was enabled but there is already another background operation. An "
                      "AOF background was scheduled to start when possible.");
  } else if (server_.in_exec()) {
    rewrite_scheduled_ = true;
    EMBER_LOG_WARNING("AOF was enabled during a transaction. An AOF background was scheduled to "
                      "start when possible.");
  } else {
    if (child_.active()) {
      EMBER_LOG_WARNING("AOF was enabled but there is already an AOF rewriting in background. "
                        "Stopping background AOF and starting a rewrite now.");
      KillChild();
    }
    if (!StartRewrite()) {
      state_ = State::kOff;
      EMBER_LOG_WARNING("Redis needs to enable the AOF but can't trigger a background AOF "
                        "rewrite operation. Check the above logs for more info about the error.");
      return false;
    }
  }
  last_fsync_sec_ = NowSec();
  if (!last_write_ok_) {
    EMBER_LOG_WARNING("AOF reopen, just ignore the last error.");
    last_write_ok_ = true;
  }
  return true;
}

void Aof::Stop() {
  // Still waiting for the first base: what the temp file holds has no base to follow.
  if (state_ == State::kWaitRewrite) unlink(DirPath(TempIncrName()).c_str());
  Flush(true);
  if (fd_ >= 0) {
    if (fsync(fd_) != 0) EMBER_LOG_WARNING("Fail to fsync the AOF file: {}", strerror(errno));
    close(fd_);
    fd_ = -1;
  }
  selected_db_ = -1;
  state_ = State::kOff;
  rewrite_scheduled_ = false;
  last_incr_size_ = 0;
  KillChild();
  buf_.clear();
}

bool Aof::PrepareShutdown(bool force) {
  if (state_ == State::kOff) return true;
  if (child_.active()) {
    if (state_ == State::kWaitRewrite) {
      if (!force) {
        EMBER_LOG_WARNING("Writing initial AOF, can't exit.");
        return false;
      }
      EMBER_LOG_WARNING("Writing initial AOF. Exit anyway.");
    }
    EMBER_LOG_WARNING("There is a child rewriting the AOF. Killing it!");
    KillChild();
  }
  EMBER_LOG_NOTICE("Calling fsync() on the AOF file.");
  Shutdown();
  return true;
}

void Aof::Shutdown() {
  KillChild();
  if (fd_ < 0) return;
  Flush(true);
  if (fsync(fd_) != 0) EMBER_LOG_WARNING("Fail to fsync the AOF file: {}.", strerror(errno));
  fsynced_size_ = current_size_;
}

void Aof::RestartAfterFullSync() {
  // The old files describe a data set the full sync replaced (Redis's restartAOFAfterSYNC).
  if (state_ == State::kOff) return;
  Stop();
  Start();
}

}  // namespace ember
