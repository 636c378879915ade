// Aof: the append-only file, Redis 7.0's multi-part layout. In `appenddirname` a manifest lists
// one base file (the data set at the last rewrite: an RDB with aof-use-rdb-preamble, else
// commands) and the incremental files written since; every write reaches the last incremental
// file through Server::Propagate, in the replication stream's RESP form.
//
// Writes are buffered while commands run and written before the event loop sends replies; with
// appendfsync always they are fsynced there too, with everysec a background thread fsyncs once
// a second (never the main thread), with no the kernel decides. A rewrite (BGREWRITEAOF, the
// auto-aof-rewrite-* thresholds, or turning appendonly on) first switches writes to a new
// incremental file, then forks a child that writes the new base; when it succeeds the new
// manifest is made durable and only then the files it replaced are deleted.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/background_worker.h"
#include "persistence/aof_manifest.h"
#include "server/command_stream.h"
#include "server/forked_child.h"

namespace ember {

// The size of a file, 0 when it is missing (aof_loader.cc).
int64_t FileSizeOrZero(const std::string& path);

class RdbSink;
class Server;

class Aof {
 public:
  explicit Aof(Server& server);
  ~Aof();
  Aof(const Aof&) = delete;
  Aof& operator=(const Aof&) = delete;

  // CONFIG SET appendonly and the settings read per write.
  void RegisterConfigHooks();

  // ---- start-up (aof_loader.cc) --------------------------------------------------------------
  // With appendonly yes: loads the files the manifest lists (upgrading an old single-file
  // appendonly.aof first). False after logging why: the server must not start.
  bool LoadAtStartup();
  // Then: creates a base when there is none, opens the last incremental file (or a new one) and
  // persists the manifest. False: the server must not start.
  bool OpenOnStart();
  // DEBUG LOADAOF: writes what is buffered, empties nothing itself (the caller flushed the data
  // set), loads the files the manifest on disk lists without serving other clients. False when
  // loading failed (Redis then exits).
  bool LoadForDebug();
  // While the AOF's commands replay: their writes are neither appended nor sent to replicas.
  bool replaying() const { return replaying_; }

  // ---- writing -------------------------------------------------------------------------------
  // Whether writes are appended now (appendonly on, or on and waiting for its first base).
  bool accepting_writes() const;
  void Feed(int db_index, const std::vector<std::vector<std::string>>& effects,
            std::span<const std::string_view> original);
  void FeedTransaction(std::span<const PropagatedCommand> commands);
  // Before replies are written: writes the buffer (and fsyncs it with appendfsync always).
  void FlushBeforeReplies() {
    if (!buf_.empty()) Flush(false);
  }
  // Cron: reaps the rewrite child, starts due rewrites, fsyncs every second (everysec).
  void Cron();
  // SHUTDOWN: stops a rewrite, writes and fsyncs what is buffered. False (logged) while the first
  // base of appendonly turned on at runtime is being written, unless `force`.
  bool PrepareShutdown(bool force);
  // At exit: the same, unconditionally.
  void Shutdown();

  // MISCONF: writes (and PING) are refused while the AOF cannot be written, as Redis.
  bool WritesDenied() const { return state_ != State::kOff && !last_write_ok_; }
  std::string WritesDeniedError() const;

  // ---- rewrite -------------------------------------------------------------------------------
  enum class RewriteStart { kStarted, kScheduled, kInProgress, kFailed };
  // BGREWRITEAOF. Scheduled while another child runs.
  RewriteStart RequestRewrite();
  bool child_active() const { return child_.active(); }
  void KillChild();
  // A replica loaded a full sync: its AOF restarts from a new base, as Redis.
  void RestartAfterFullSync();

  // ---- INFO persistence ----------------------------------------------------------------------
  bool enabled() const { return state_ != State::kOff; }
  bool rewrite_scheduled() const { return rewrite_scheduled_; }
  int64_t last_rewrite_time_sec() const { return last_rewrite_time_sec_; }
  int64_t current_rewrite_time_sec() const;
  bool last_bgrewrite_ok() const { return last_bgrewrite_ok_; }
  uint64_t consecutive_failures() const { return consecutive_failures_; }
  bool last_write_ok() const { return last_write_ok_; }
  uint64_t last_cow_size() const { return last_cow_size_; }
  int64_t current_size() const { return current_size_; }
  int64_t base_size() const { return rewrite_base_size_; }
  size_t buffer_length() const { return buf_.size(); }
  int pending_bio_fsync() const { return fsync_jobs_pending_.load(); }
  // See BackgroundWorker::ParkForFork.
  [[nodiscard]] std::unique_lock<std::mutex> ParkForFork() { return background_.ParkForFork(); }

 private:
  enum class State { kOff, kOn, kWaitRewrite };
  enum class LoadResult { kOk, kNotExist, kEmpty, kOpenError, kFailed, kTruncated };

  std::string DirPath(std::string_view name) const;
  const std::string& filename() const;
  const std::string& dirname() const;
  // The manifest from disk (none: empty). False on a malformed one (logged as Redis).
  bool LoadManifestFromDisk(AofManifest* out, bool quiet = false);
  LoadResult LoadFiles(bool serve_clients);
  LoadResult LoadSingleFile(const std::string& name, bool serve_clients);
  bool UpgradeOldAof();
  // Writes the data set as a base file at `path` (in the child, or at start-up).
  bool WriteBase(const std::string& path);
  bool WriteCommandsBase(RdbSink& sink);

  void Annotate();
  bool FsyncAllowedNow() const;
  bool RewriteLimited();
  void Flush(bool force);
  void PostFsync(int fd, bool close_after);
  bool OpenNewIncr();
  std::string TempIncrName() const;  // "temp-appendonly.aof.incr"
  bool StartRewrite();
  void OnChildExit(pid_t pid, int status);
  bool Start();  // CONFIG SET appendonly yes
  void Stop();   // CONFIG SET appendonly no
  void DeleteHistoryFiles();

  Server& server_;
  State state_ = State::kOff;
  AofManifest manifest_;
  int fd_ = -1;
  int selected_db_ = -1;
  std::string buf_;
  int64_t last_ts_ = 0;          // the last #TS annotation written
  int64_t current_size_ = 0;     // base + incremental files
  int64_t last_incr_size_ = 0;   // the open incremental file
  int64_t rewrite_base_size_ = 0;
  int64_t loaded_before_ = 0;  // while loading: the bytes of the files before this one
  bool replaying_ = false;      // while the AOF's own commands are applied
  int64_t fsynced_size_ = 0;     // current_size_ at the last fsync
  int64_t last_fsync_sec_ = 0;
  int64_t flush_postponed_start_ = 0;
  bool last_write_ok_ = true;
  int last_write_errno_ = 0;

  ForkedChild child_;
  int64_t rewrite_start_ = -1;
  int64_t last_rewrite_time_sec_ = -1;
  bool last_bgrewrite_ok_ = true;
  bool rewrite_scheduled_ = false;
  uint64_t consecutive_failures_ = 0;
  uint64_t last_cow_size_ = 0;
  int64_t next_limited_rewrite_ = 0;
  int limited_delay_minutes_ = 0;

  std::atomic<int> fsync_jobs_pending_{0};
  std::atomic<int> fsync_errno_{0};  // of the last background fsync (0: it succeeded)
  bool fsync_failed_ = false;         // the cron saw a failed background fsync
  // Background jobs: fsync (everysec), fsync and close (the old file after a switch), unlink
  // (history files: deleting a large file can take a while). Last: its destructor runs the jobs
  // still queued, which use the members above.
  BackgroundWorker background_;
};

}  // namespace ember
