#include "common/background_worker.h"

#include <utility>

namespace ember {

BackgroundWorker::~BackgroundWorker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundWorker::Submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    jobs_.push_back(std::move(job));
  }
  work_cv_.notify_one();
}

void BackgroundWorker::Drain() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return Idle(); });
}

std::unique_lock<std::mutex> BackgroundWorker::ParkForFork() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return Idle(); });
  return lock;
}

void BackgroundWorker::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    waiting_ = true;
    idle_cv_.notify_all();
    work_cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    waiting_ = false;
    if (jobs_.empty()) return;  // stopping with nothing left
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    job = nullptr;  // what it captured is freed outside the lock too
    lock.lock();
  }
}

}  // namespace ember
