// SPDX-License-Identifier: Apache-2.0
// The login throttle conformance suite against RedisLoginThrottle (TK_TEST_REDIS_URL; skipped
// only when it is unset), plus what only a shared throttle does: two instances see one count.
#include <atomic>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <tenantkit/auth/redis/login_throttle.hpp>
#include <tenantkit/testing/conformance/login_throttle.hpp>

namespace tenantkit::testing {

namespace {

const char* redis_url() {
  const char* url = std::getenv("TK_TEST_REDIS_URL");
  return url == nullptr || *url == '\0' ? nullptr : url;
}

std::string unique_prefix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return "tkt:login:" + std::to_string(rd()) + ":" + std::to_string(counter.fetch_add(1)) + ":";
}

std::unique_ptr<auth::redis::RedisLoginThrottle> open_throttle(const Clock& clock,
                                                               auth::LoginThrottleOptions options,
                                                               const std::string& prefix) {
  auto t =
      auth::redis::open_login_throttle({.url = redis_url(), .key_prefix = prefix}, clock, options);
  if (!t) {
    ADD_FAILURE() << "TK_TEST_REDIS_URL is set but Redis is unusable: " << t.error();
    return nullptr;
  }
  return std::move(*t);
}

}  // namespace

struct RedisThrottle {
  static std::unique_ptr<auth::LoginThrottle> make(const Clock& clock,
                                                   auth::LoginThrottleOptions options) {
    if (redis_url() == nullptr) return nullptr;
    return open_throttle(clock, options, unique_prefix());
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, LoginThrottleConformance, RedisThrottle);

namespace {

using namespace std::chrono_literals;

TEST(RedisLoginThrottle, TwoInstancesShareTheCount) {
  if (redis_url() == nullptr) GTEST_SKIP() << "TK_TEST_REDIS_URL is unset";
  ManualClock clock;
  const std::string prefix = unique_prefix();
  const auth::LoginThrottleOptions opts{.max_attempts = 4, .window = 60s, .max_keys = 1000};
  auto a = open_throttle(clock, opts, prefix);
  auto b = open_throttle(clock, opts, prefix);
  ASSERT_TRUE(a && b);
  a->record_failure("1.1.1.1", "bob@x");
  b->record_failure("1.1.1.2", "bob@x");
  a->record_failure("1.1.1.3", "bob@x");
  EXPECT_TRUE(b->check("1.1.1.4", "bob@x").allowed);
  b->record_failure("1.1.1.4", "bob@x");
  EXPECT_FALSE(a->check("1.1.1.5", "bob@x").allowed);
  EXPECT_THAT(b->admit("1.1.1.5", "bob@x"), HasError(Errc::rate_limited));
  // A success seen by one instance clears the identifier for both.
  a->record_success("1.1.1.1", "bob@x");
  EXPECT_TRUE(b->check("1.1.1.6", "bob@x").allowed);
  EXPECT_THAT(a->flush_all_for_tests(), IsOk());
}

TEST(RedisLoginThrottle, ConcurrentFailuresAreAllCounted) {
  if (redis_url() == nullptr) GTEST_SKIP() << "TK_TEST_REDIS_URL is unset";
  ManualClock clock;
  auto t = open_throttle(clock, {.max_attempts = 1000, .window = 60s, .max_keys = 1000},
                         unique_prefix());
  ASSERT_TRUE(t);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      for (int j = 0; j < 250; ++j)
        t->record_failure("9.9.9.9", "u" + std::to_string(i * 1000 + j));
    });
  for (auto& th : threads) th.join();
  EXPECT_FALSE(t->check("9.9.9.9", "someone").allowed);
  EXPECT_THAT(t->flush_all_for_tests(), IsOk());
}

TEST(RedisLoginThrottle, OpenValidatesOptionsAndReportsAnUnreachableRedis) {
  ManualClock clock;
  // Nothing listens on port 1.
  EXPECT_THAT(auth::redis::open_login_throttle({.url = "redis://127.0.0.1:1"}, clock),
              HasError(Errc::unavailable));
  EXPECT_THAT(auth::redis::open_login_throttle({.url = "http://x"}, clock),
              HasError(Errc::validation_failed));
  EXPECT_THAT(auth::redis::open_login_throttle({.url = "redis://x", .key_prefix = "{a}"}, clock),
              HasError(Errc::validation_failed));
  EXPECT_THAT(auth::redis::open_login_throttle({.url = "redis://x"}, clock, {.max_attempts = 0}),
              HasError(Errc::validation_failed));
}

}  // namespace
}  // namespace tenantkit::testing
