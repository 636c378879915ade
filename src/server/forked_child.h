// A background child process (BGSAVE, a snapshot for replicas, an AOF rewrite): forked with a
// pipe on which it reports its copy-on-write size, the hash tables kept from resizing while it
// runs (their pages stay shared), and reaped from the cron or killed. Snapshots and Aof each own
// one; at most one of them runs at a time (Server::HasActiveChild).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace ember {

class Server;

class ForkedChild {
 public:
  ForkedChild() = default;
  ForkedChild(const ForkedChild&) = delete;
  ForkedChild& operator=(const ForkedChild&) = delete;

  // Forks. The child takes default signal handling, the 'C' log role and only the file
  // descriptors it may use, runs `work`, logs its copy-on-write size ("<what>: N MB ...") on
  // success and exits 0 or 1. The parent counts the fork (INFO total_forks, latest_fork_usec,
  // the "fork" latency event) and returns true, or false with errno set when fork failed.
  bool Start(Server& server, std::string_view what, const std::function<bool()>& work);

  bool active() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // From the cron, without blocking: a child that exited is reaped and on_exit(its pid, its
  // wait status) runs. Returns false when the child was lost (reaped elsewhere).
  bool Poll(const std::function<void(pid_t, int)>& on_exit);
  // Stops it with SIGUSR1 (ours, not a failure) and waits; returns its wait status.
  int Kill();

  // The copy-on-write size the last child reported (it does when it succeeds).
  std::optional<uint64_t> cow_bytes() const { return cow_bytes_; }

 private:
  void Finish();

  pid_t pid_ = 0;
  int info_fd_ = -1;  // read end of the pipe the child reports its copy-on-write size on
  std::optional<uint64_t> cow_bytes_;
};

}  // namespace ember
