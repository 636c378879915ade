// BackgroundWorker: one thread running submitted jobs in order, as Redis's bio threads (lazy
// freeing, AOF fsyncs and file removals). Jobs run outside the queue's lock; the thread starts
// with the first job.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace ember {

class BackgroundWorker {
 public:
  BackgroundWorker() = default;
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;
  // Runs what is still queued, then joins the thread.
  ~BackgroundWorker();

  void Submit(std::function<void()> job);
  // Blocks until every queued job ran.
  void Drain();
  // Drain, then keep the queue locked: until the returned lock is released the thread stays
  // parked waiting for work, outside any allocator call, so a fork() meanwhile cannot leave the
  // child with an allocator lock that nobody will release (see ForkedChild::Start).
  [[nodiscard]] std::unique_lock<std::mutex> ParkForFork();

 private:
  void Run();
  bool Idle() const { return jobs_.empty() && (waiting_ || !thread_.joinable()); }

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> jobs_;
  bool waiting_ = false;  // the thread waits for work
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ember
