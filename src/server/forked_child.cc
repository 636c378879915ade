#include "server/forked_child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/clock.h"
#include "common/log.h"
#include "common/memory.h"
#include "db/lazy_free.h"
#include "ds/hash_table.h"
#include "server/server.h"

namespace ember {

bool ForkedChild::Start(Server& server, std::string_view what, const std::function<bool()>& work) {
  if (active()) {
    errno = EBUSY;  // one child at a time
    return false;
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) pipe_fds[0] = pipe_fds[1] = -1;
  const int64_t fork_start = MonotonicUs();
#if defined(__SANITIZE_ADDRESS__)
  // glibc's malloc locks its arenas around fork(), GCC 12's ASan allocator does not: had a
  // background thread been inside it, the child would wait forever for that lock. Sanitizer
  // builds fork with the background threads parked (after their queued jobs ran).
  std::unique_lock<std::mutex> parked_lazy_free = LazyFree::Global().ParkForFork();
  std::unique_lock<std::mutex> parked_aof = server.aof().ParkForFork();
#endif
  const pid_t pid = fork();
#if defined(__SANITIZE_ADDRESS__)
  parked_aof.unlock();
  parked_lazy_free.unlock();
#endif
  if (pid == 0) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    GetLogSettings().role = 'C';
    server.CloseFdsInChild();
    if (pipe_fds[0] >= 0) close(pipe_fds[0]);
    const bool ok = work();
    if (ok) {
      // Private dirty memory of this process: the pages copied on write since the fork.
      const uint64_t cow = SmapsFieldBytes("Private_Dirty:");
      if (cow > 0) EMBER_LOG_NOTICE("{}: {} MB of memory used by copy-on-write", what, cow >> 20);
      if (pipe_fds[1] >= 0) {
        [[maybe_unused]] ssize_t n = write(pipe_fds[1], &cow, sizeof(cow));
      }
    }
    _exit(ok ? 0 : 1);
  }
  if (pipe_fds[1] >= 0) close(pipe_fds[1]);
  if (pid < 0) {
    const int fork_errno = errno;
    if (pipe_fds[0] >= 0) close(pipe_fds[0]);
    errno = fork_errno;
    return false;
  }
  const int64_t fork_usec = MonotonicUs() - fork_start;
  ++server.stats().total_forks;
  server.stats().latest_fork_usec = fork_usec;
  server.RecordLatency("fork", fork_usec / 1000);
  pid_ = pid;
  info_fd_ = pipe_fds[0];
  cow_bytes_.reset();
  HashTableResizeAllowed() = false;
  return true;
}

bool ForkedChild::Poll(const std::function<void(pid_t, int)>& on_exit) {
  if (!active()) return true;
  const pid_t pid = pid_;
  int status;
  const pid_t done = waitpid(pid, &status, WNOHANG);
  if (done == pid) {
    Finish();
    on_exit(pid, status);
  } else if (done < 0 && errno == ECHILD) {
    Finish();
    return false;
  }
  return true;
}

int ForkedChild::Kill() {
  // As if killed by SIGUSR1, should waitpid fail: never a success.
  int status = SIGUSR1;
  if (!active()) return status;
  kill(pid_, SIGUSR1);
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  Finish();
  return status;
}

void ForkedChild::Finish() {
  pid_ = 0;
  HashTableResizeAllowed() = true;
  if (info_fd_ >= 0) {
    uint64_t cow = 0;
    if (read(info_fd_, &cow, sizeof(cow)) == sizeof(cow)) cow_bytes_ = cow;
    close(info_fd_);
    info_fd_ = -1;
  }
}

}  // namespace ember
