#include "common/background_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace ember {
namespace {

TEST(BackgroundWorkerTest, RunsJobsInOrderAndDrains) {
  BackgroundWorker worker;
  worker.Drain();  // no thread yet: nothing to wait for
  std::vector<int> ran;
  for (int i = 0; i < 100; ++i) worker.Submit([&ran, i] { ran.push_back(i); });
  worker.Drain();
  ASSERT_EQ(ran.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ran[static_cast<size_t>(i)], i);
}

TEST(BackgroundWorkerTest, ParkedWorkerRunsNothingUntilReleased) {
  BackgroundWorker worker;
  std::atomic<int> ran{0};
  worker.Submit([&] { ran = 1; });
  {
    std::unique_lock<std::mutex> parked = worker.ParkForFork();
    EXPECT_EQ(ran.load(), 1);  // parking waited for the queued job
    std::thread submitter([&] { worker.Submit([&] { ran = 2; }); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(ran.load(), 1);  // the queue is locked: not even submitted yet
    parked.unlock();
    submitter.join();
  }
  worker.Drain();
  EXPECT_EQ(ran.load(), 2);
}

TEST(BackgroundWorkerTest, DestructorRunsWhatIsQueued) {
  std::atomic<int> ran{0};
  {
    BackgroundWorker worker;
    for (int i = 0; i < 10; ++i) worker.Submit([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 10);
}

}  // namespace
}  // namespace ember
