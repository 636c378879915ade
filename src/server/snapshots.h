// Snapshots: RDB persistence for the server. SAVE writes in the foreground; BGSAVE forks a child
// that writes the fork-time copy of the data set while the parent keeps serving (copy-on-write
// pages are the only cost). Both write a temp file, fsync it and rename it over `dbfilename`, so
// a crash never leaves a half-written snapshot in place. Also: save points, start-up loading,
// and the state INFO persistence reports.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/rdb_snapshot.h"
#include "server/forked_child.h"

namespace ember {

class Server;

class Snapshots {
 public:
  explicit Snapshots(Server& server) : server_(server) {}
  Snapshots(const Snapshots&) = delete;
  Snapshots& operator=(const Snapshots&) = delete;

  // SAVE (and SHUTDOWN, FLUSHALL, DEBUG RELOAD). Logs and returns false on failure.
  bool SaveInForeground();
  // BGSAVE. Returns false (with Redis's error text in *err) when no child could be started.
  bool StartBackgroundSave(std::string* err) { return Fork(err, Target::kFile, -1); }
  // A snapshot for replicas: into `dbfilename` (pipe_fd < 0) or streamed into `pipe_fd`
  // (diskless). Replication is told when it ends.
  bool StartReplicationSave(std::string* err, int pipe_fd) {
    return Fork(err, pipe_fd < 0 ? Target::kReplicationFile : Target::kReplicationPipe, pipe_fd);
  }
  bool child_active() const { return child_.active(); }
  // Stops a running BGSAVE child and removes its temp file (SHUTDOWN, FLUSHALL).
  void KillChild();

  // From the server cron: reaps a finished child, then starts a save when a save point is due.
  void Cron();

  // Loads `dbfilename` at start-up. A missing file is an empty data set; any other failure is
  // logged (file, offset, reason) and returns false: the server must not start.
  bool LoadAtStartup();
  // Start-up from the AOF instead: the save points count from now.
  void StartWithoutLoading();
  // A load made of several files (the AOF): INFO's loading fields and -LOADING cover all of it.
  void BeginLoading(uint64_t total_bytes);
  void set_loaded_bytes(uint64_t n) { loading_loaded_bytes_ = n; }
  void EndLoading() { loading_ = false; }
  // Loads the snapshot at `path` into the keyspace. With `serve_clients`, other clients are
  // answered (-LOADING) during a long load; only safe when no command is executing.
  bool LoadFile(const std::string& path, bool serve_clients, bool merge, std::string* err);
  // Loads a snapshot from `reader` into `ks` (a replica's diskless load, or a scratch keyspace).
  // `total_bytes` is for INFO's progress (0: unknown).
  bool Load(RdbReader& reader, Keyspace& ks, uint64_t total_bytes, bool serve_clients, bool merge,
            std::string* err);

  // What a snapshot records besides the data (also an AOF base's).
  SnapshotSaveInfo SaveInfo() const;
  // BGSAVE SCHEDULE while an AOF rewrite runs: started by the cron once it ends.
  void ScheduleBackgroundSave() { bgsave_scheduled_ = true; }

  // MISCONF: a failed background save stops writes while stop-writes-on-bgsave-error is set.
  bool WritesDenied() const;

  // INFO persistence.
  bool loading() const { return loading_; }
  // FUNCTION libraries (as code) saved with every snapshot; the generation counts loads.
  std::vector<std::string>& functions() { return functions_; }
  uint64_t functions_generation() const { return functions_generation_; }
  int64_t last_save_time() const { return last_save_time_; }
  bool last_bgsave_ok() const { return last_bgsave_ok_; }
  int64_t last_bgsave_time_sec() const { return last_bgsave_time_sec_; }
  int64_t current_bgsave_time_sec() const;
  uint64_t last_cow_size() const { return last_cow_size_; }
  const SnapshotLoadInfo& last_load_info() const { return last_load_; }
  uint64_t last_load_keys_loaded() const { return last_load_.keys_loaded; }
  uint64_t last_load_keys_expired() const { return last_load_.keys_expired; }
  uint64_t loading_total_bytes() const { return loading_total_bytes_; }
  uint64_t loading_loaded_bytes() const { return loading_loaded_bytes_; }
  int64_t loading_start_time() const { return loading_start_time_; }

 private:
  enum class Target { kFile, kReplicationFile, kReplicationPipe };
  bool Fork(std::string* err, Target target, int pipe_fd);
  // Writes the snapshot to a temp file and renames it over the target. Runs in the parent (SAVE)
  // or in the child (BGSAVE).
  bool WriteFile(const std::string& tmp_name);
  void OnChildExit(pid_t pid, int status);
  void RemoveTempFile(pid_t pid);
  bool SavePointDue(int64_t now) const;

  Server& server_;
  ForkedChild child_;
  Target child_target_ = Target::kFile;
  int64_t bgsave_start_ = -1;
  uint64_t dirty_before_bgsave_ = 0;
  int64_t last_bgsave_try_ = 0;
  int64_t last_save_time_ = 0;
  bool last_bgsave_ok_ = true;
  int64_t last_bgsave_time_sec_ = -1;
  uint64_t last_cow_size_ = 0;
  bool bgsave_scheduled_ = false;

  bool loading_ = false;
  int64_t loading_start_time_ = 0;
  uint64_t loading_total_bytes_ = 0;
  uint64_t loading_loaded_bytes_ = 0;
  SnapshotLoadInfo last_load_;
  // FUNCTION libraries as code, written to every snapshot; a load replaces them (and bumps the
  // generation so the function engine reloads them).
  std::vector<std::string> functions_;
  uint64_t functions_generation_ = 0;

};

}  // namespace ember
