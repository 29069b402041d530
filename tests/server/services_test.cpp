// SPDX-License-Identifier: Apache-2.0
// Services::defer: work after the response (the password-reset mail) runs off the caller's
// thread, in order, is bounded (past kMaxDeferred it runs inline), and is finished before the
// Services it uses are destroyed.
#include "services.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "client.hpp"

namespace tenantkit::server::testing {
namespace {

using namespace std::chrono_literals;

TEST(ServicesDeferTest, RunsOffTheCallingThreadInOrder) {
  // Declared before the server: tasks may touch them until ~Services has joined.
  std::vector<int> order;
  std::promise<std::thread::id> ran_on;
  auto done = ran_on.get_future();
  TestServer srv;
  for (int i = 0; i < 5; ++i) srv.services().defer([&order, i] { order.push_back(i); });
  srv.services().defer([&ran_on] { ran_on.set_value(std::this_thread::get_id()); });
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
  EXPECT_NE(done.get(), std::this_thread::get_id());
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));  // one thread: FIFO, no data race
}

TEST(ServicesDeferTest, QueuedTasksFinishBeforeServicesGo) {
  std::atomic<int> ran{0};
  {
    TestServer srv;
    for (int i = 0; i < 20; ++i)
      srv.services().defer([&ran] {
        std::this_thread::sleep_for(2ms);
        ran.fetch_add(1);
      });
  }
  EXPECT_EQ(ran.load(), 20);
}

TEST(ServicesDeferTest, PastTheBoundTasksRunInline) {
  std::latch release(1);
  std::atomic<int> queued_ran{0};
  TestServer srv;
  // The first task holds the background thread; the queue fills up to the bound behind it.
  srv.services().defer([&release] { release.wait(); });
  for (int i = 1; i < Services::kMaxDeferred; ++i)
    srv.services().defer([&queued_ran] { queued_ran.fetch_add(1); });
  std::thread::id inline_on;
  srv.services().defer([&inline_on] { inline_on = std::this_thread::get_id(); });
  EXPECT_EQ(inline_on, std::this_thread::get_id());
  EXPECT_EQ(queued_ran.load(), 0);
  release.count_down();
}

}  // namespace
}  // namespace tenantkit::server::testing
