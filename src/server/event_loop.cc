#include "server/event_loop.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "common/clock.h"

namespace ember {

EventLoop::EventLoop() : epfd_(epoll_create1(EPOLL_CLOEXEC)) {}

EventLoop::~EventLoop() {
  if (epfd_ >= 0) close(epfd_);
}

bool EventLoop::Add(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::Modify(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::Remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::SetTimer(int64_t period_ms, std::function<void()> fn) {
  timer_period_ms_ = period_ms;
  timer_fn_ = std::move(fn);
  next_timer_ms_ = MonotonicMs() + period_ms;
}

int EventLoop::Wait(epoll_event* events, int max_events, int timeout_ms) {
  if (timeout_ms == 0) return epoll_wait(epfd_, events, max_events, 0);
  const int64_t start = MonotonicUs();
  int n = 0;
  if (busy_poll_ && avg_wait_us_ < kSpinUs) {
    while ((n = epoll_wait(epfd_, events, max_events, 0)) == 0 && MonotonicUs() - start < kSpinUs) {
    }
  }
  if (n == 0) n = epoll_wait(epfd_, events, max_events, timeout_ms);
  avg_wait_us_ = (avg_wait_us_ * 7 + (MonotonicUs() - start)) / 8;
  return n;
}

bool EventLoop::Poll(int timeout_ms) {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  int n = Wait(events, kMaxEvents, timeout_ms);
  if (n < 0 && errno != EINTR) return false;
  for (int i = 0; i < n; ++i) {
    static_cast<IoHandler*>(events[i].data.ptr)->OnIoEvent(events[i].events);
  }
  if (!deferred_.empty()) {
    auto pending = std::move(deferred_);
    deferred_.clear();
    for (auto& fn : pending) fn();
  }
  return true;
}

void EventLoop::PollOnce() {
  Poll(0);
  if (before_sleep_) before_sleep_();
}

void EventLoop::Run() {
  while (!stop_) {
    if (before_sleep_) before_sleep_();
    if (stop_) break;
    int timeout = -1;
    if (!deferred_.empty()) {
      timeout = 0;
    } else if (timer_fn_) {
      int64_t now = MonotonicMs();
      int64_t until = next_timer_ms_;
      if (wake_at_ms_ != 0 && wake_at_ms_ < until) until = wake_at_ms_;
      timeout = until > now ? static_cast<int>(until - now) : 0;
    }
    wake_at_ms_ = 0;
    if (!Poll(timeout)) break;
    if (timer_fn_) {
      int64_t now = MonotonicMs();
      if (now >= next_timer_ms_) {
        timer_fn_();
        next_timer_ms_ = now + timer_period_ms_;
      }
    }
  }
}

}  // namespace ember
