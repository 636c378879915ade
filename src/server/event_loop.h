// A single-threaded epoll event loop with a periodic timer, like Redis's ae. The thread that runs
// it owns the data set; every socket event and timer callback runs on it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

struct epoll_event;

namespace ember {

class IoHandler {
 public:
  virtual ~IoHandler() = default;
  // `events` is the epoll mask (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP).
  virtual void OnIoEvent(uint32_t events) = 0;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  bool Add(int fd, uint32_t events, IoHandler* handler);
  bool Modify(int fd, uint32_t events, IoHandler* handler);
  void Remove(int fd);

  // Runs until Stop(). Each iteration: wait for events (at most until the next timer), handle
  // them, run due timers, then `before_sleep` (where replies are flushed in one batch).
  void Run();
  void Stop() { stop_ = true; }
  // One non-blocking pass (flush, poll, handle, deferred) without timers: keeps clients served
  // while the loop's owner is busy, e.g. loading a snapshot.
  void PollOnce();
  bool stopping() const { return stop_; }

  void set_before_sleep(std::function<void()> fn) { before_sleep_ = std::move(fn); }
  // A periodic callback every `period_ms` (the server cron).
  void SetTimer(int64_t period_ms, std::function<void()> fn);
  void SetTimerPeriod(int64_t period_ms) { timer_period_ms_ = period_ms; }

  // The loop wakes up by this monotonic time (ms) even without events (throttled clients).
  void WakeAt(int64_t monotonic_ms) {
    if (wake_at_ms_ == 0 || monotonic_ms < wake_at_ms_) wake_at_ms_ = monotonic_ms;
  }

  // Whether a wait may poll briefly before blocking (see Wait); the owner decides by its traffic.
  void set_busy_poll(bool allowed) { busy_poll_ = allowed; }

  // Callback to run once, on the next iteration (used to close connections safely).
  void Defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }

 private:
  int epfd_;
  bool stop_ = false;
  std::function<void()> before_sleep_;
  std::function<void()> timer_fn_;
  int64_t timer_period_ms_ = 100;
  int64_t next_timer_ms_ = 0;
  int64_t wake_at_ms_ = 0;
  std::vector<std::function<void()>> deferred_;
  bool busy_poll_ = false;
  // Recent waits for events, in microseconds (a moving average): while they are short the loop
  // polls briefly before blocking (Wait).
  int64_t avg_wait_us_ = 1'000'000;

  // epoll_wait with adaptive busy polling: on a loaded server the next event is usually
  // microseconds away, and blocking means the client that sends it must wake this thread (on a
  // virtual machine, an inter-processor interrupt through the hypervisor), which slows
  // request/response clients. When allowed and recent waits averaged under kSpinUs, it polls for
  // up to kSpinUs before blocking; an idle server, whose waits are long, never spins.
  static constexpr int64_t kSpinUs = 50;
  int Wait(epoll_event* events, int max_events, int timeout_ms);

  // Waits up to `timeout_ms` (-1: forever), handles the events, then the deferred callbacks.
  bool Poll(int timeout_ms);
};

}  // namespace ember
