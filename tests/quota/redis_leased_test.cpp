// SPDX-License-Identifier: Apache-2.0
// Several LeasedBackends (one per simulated process, each with its own connection pool) on one
// Redis: never more than the limit in total, and once every engine has been denied nothing is
// stranded, so the total is exactly the limit and Redis's count equals what was allowed.
#include <atomic>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/quota/redis/leased.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::quota::redis {
namespace {

using testing::IsOk;

TEST(LeasedBackend, EnginesSharingATenantNeverOvershootAndStrandNothing) {
  const char* url = std::getenv("TK_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') GTEST_SKIP() << "TK_TEST_REDIS_URL is not set";
  InMemoryLimitSource limits;
  limits.set_default("api_calls", Policy::counter(5000));
  const std::string prefix = "tkl:" + std::to_string(std::random_device{}()) + ":";
  constexpr int kEngines = 4;
  std::vector<std::unique_ptr<RedisBackend>> redis;
  std::vector<std::unique_ptr<LeasedBackend>> engines;
  for (int i = 0; i < kEngines; ++i) {
    auto r = open_backend({.url = url, .pool_size = 1, .key_prefix = prefix}, limits);
    ASSERT_THAT(r, IsOk());
    redis.push_back(std::move(*r));
    engines.push_back(std::make_unique<LeasedBackend>(*redis.back(), limits, coarse_clock(),
                                                      LeaseOptions{.max_lease = 500}));
  }
  std::atomic<int> allowed{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kEngines; ++i) {
    threads.emplace_back([&, i] {
      int denied_in_a_row = 0;
      for (int n = 0; n < 20'000 && denied_in_a_row < 20; ++n) {
        auto o = engines[i]->decide("shared", "api_calls", 1);
        if (!o) {
          errors.fetch_add(1);
          return;
        }
        if (o->allowed()) {
          allowed.fetch_add(1);
          denied_in_a_row = 0;
        } else {
          ++denied_in_a_row;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(allowed.load(), 5000);
  for (auto& e : engines) ASSERT_THAT(e->return_leases(), IsOk());
  auto peek = redis[0]->decide("shared", "api_calls", 0);
  ASSERT_THAT(peek, IsOk());
  EXPECT_EQ(peek->used, 5000);
}

TEST(LeasedBackend, UnusedUnitsGoBackToRedis) {
  const char* url = std::getenv("TK_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') GTEST_SKIP() << "TK_TEST_REDIS_URL is not set";
  InMemoryLimitSource limits;
  limits.set_default("api_calls", Policy::counter(10'000));
  const std::string prefix = "tkl:" + std::to_string(std::random_device{}()) + ":";
  auto r = open_backend({.url = url, .key_prefix = prefix}, limits);
  ASSERT_THAT(r, IsOk());
  LeasedBackend leased(**r, limits);
  auto first = leased.decide("t1", "api_calls", 1);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->used, 1);
  auto counted = (*r)->decide("t1", "api_calls", 0);
  ASSERT_THAT(counted, IsOk());
  EXPECT_GT(counted->used, 1);  // a lease is counted in Redis at once
  ASSERT_THAT(leased.return_leases(), IsOk());
  auto after = (*r)->decide("t1", "api_calls", 0);
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->used, 1);
}

// Deletes every key under `prefix` on the Redis at `url` (redis://host:port/db): what Redis does
// by itself to a tenant's anchor and window keys after an idle spell longer than the window.
void forget_keys(const std::string& url, const std::string& prefix) {
  const std::string rest = url.substr(url.find("//") + 2);
  const std::string host = rest.substr(0, rest.find(':'));
  const int port = std::stoi(rest.substr(rest.find(':') + 1));
  redisContext* c = redisConnect(host.c_str(), port);
  ASSERT_TRUE(c != nullptr && c->err == 0);
  auto* keys = static_cast<redisReply*>(redisCommand(c, "KEYS %s*", prefix.c_str()));
  ASSERT_TRUE(keys != nullptr && keys->type == REDIS_REPLY_ARRAY);
  EXPECT_GT(keys->elements, 0U);
  for (std::size_t i = 0; i < keys->elements; ++i)
    freeReplyObject(redisCommand(c, "DEL %b", keys->element[i]->str, keys->element[i]->len));
  freeReplyObject(keys);
  redisFree(c);
}

// Decides one unit at a time until 20 denials in a row (at most 5,000 decisions); returns how
// many were allowed, or -1 on an error.
int allowed_until_denied(LeasedBackend& leased, std::string_view tenant, std::string_view meter) {
  int allowed = 0;
  for (int n = 0, denied_in_a_row = 0; n < 5000 && denied_in_a_row < 20; ++n) {
    auto o = leased.decide(tenant, meter, 1);
    if (!o) return -1;
    allowed += o->allowed() ? 1 : 0;
    denied_in_a_row = o->allowed() ? 0 : denied_in_a_row + 1;
  }
  return allowed;
}

// After an idle spell Redis forgets the anchor and counts the tenant from window 0 again, with
// another end. Units leased in the old window 0 must not join the new one: the new window
// allows exactly its limit.
TEST(LeasedBackend, UnitsOfAForgottenWindowDoNotCarryOver) {
  const char* url = std::getenv("TK_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') GTEST_SKIP() << "TK_TEST_REDIS_URL is not set";
  InMemoryLimitSource limits;
  limits.set_default("api_calls", Policy::fixed_window(100, std::chrono::seconds{60}));
  const std::string prefix = "tkl:" + std::to_string(std::random_device{}()) + ":";
  ManualClock clock;
  auto r = open_backend({.url = url, .pool_size = 1, .key_prefix = prefix}, limits, clock);
  ASSERT_THAT(r, IsOk());
  LeasedBackend leased(**r, limits, clock, LeaseOptions{.max_lease = 12});
  auto first = leased.decide("t1", "api_calls", 1);
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->allowed());
  clock.advance(std::chrono::seconds{200});
  forget_keys(url, prefix);
  EXPECT_EQ(allowed_until_denied(leased, "t1", "api_calls"), 100);
}

// A lower limit applies to units already leased: they go back to Redis when the policy moves,
// so the process allows no more than the new limit in all.
TEST(LeasedBackend, ALoweredLimitEmptiesThePool) {
  const char* url = std::getenv("TK_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') GTEST_SKIP() << "TK_TEST_REDIS_URL is not set";
  InMemoryLimitSource limits;
  limits.set_default("api_calls", Policy::counter(10'000));
  const std::string prefix = "tkl:" + std::to_string(std::random_device{}()) + ":";
  auto r = open_backend({.url = url, .pool_size = 1, .key_prefix = prefix}, limits);
  ASSERT_THAT(r, IsOk());
  LeasedBackend leased(**r, limits, coarse_clock(), LeaseOptions{.max_lease = 500});
  auto first = leased.decide("t1", "api_calls", 1);
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->allowed());
  limits.set_default("api_calls", Policy::counter(100));
  EXPECT_EQ(1 + allowed_until_denied(leased, "t1", "api_calls"), 100);
}

// A pool drained below half of its lease is refilled in the background; return_leases() waits for
// a refill in flight, returns every unit, and no refill leases again after it, so Redis counts
// exactly the allowed decisions.
TEST(LeasedBackend, BackgroundRefillsAreReturnedToo) {
  const char* url = std::getenv("TK_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') GTEST_SKIP() << "TK_TEST_REDIS_URL is not set";
  InMemoryLimitSource limits;
  limits.set_default("api_calls", Policy::counter(100'000));
  const std::string prefix = "tkl:" + std::to_string(std::random_device{}()) + ":";
  auto r = open_backend({.url = url, .key_prefix = prefix}, limits);
  ASSERT_THAT(r, IsOk());
  LeasedBackend leased(**r, limits, coarse_clock(), LeaseOptions{.max_lease = 1000});
  for (int round = 0; round < 3; ++round) {
    for (int n = 0; n < 700; ++n) {
      auto o = leased.decide("t1", "api_calls", 1);
      ASSERT_THAT(o, IsOk());
      ASSERT_TRUE(o->allowed());
    }
    auto counted = (*r)->decide("t1", "api_calls", 0);
    ASSERT_THAT(counted, IsOk());
    EXPECT_GE(counted->used, 700 * (round + 1));  // leased units are counted at once
    ASSERT_THAT(leased.return_leases(), IsOk());
    auto after = (*r)->decide("t1", "api_calls", 0);
    ASSERT_THAT(after, IsOk());
    EXPECT_EQ(after->used, 700 * (round + 1));
  }
}

// A cost larger than the units at hand: Redis already counts the pool's units as used, so only
// the rest is leased, and a decision that fits the limit is allowed (one process, limit 10: the
// first decision leases several units and spends one; a cost of 8 still fits, a further 2 not).
TEST(LeasedBackend, ACostAboveThePoolSpendsThePoolAndLeasesTheRest) {
  const char* url = std::getenv("TK_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') GTEST_SKIP() << "TK_TEST_REDIS_URL is not set";
  InMemoryLimitSource limits;
  limits.set_default("api_calls", Policy::counter(10));
  const std::string prefix = "tkl:" + std::to_string(std::random_device{}()) + ":";
  auto r = open_backend({.url = url, .key_prefix = prefix}, limits);
  ASSERT_THAT(r, IsOk());
  LeasedBackend leased(**r, limits, coarse_clock(), {.processes = 1});
  auto one = leased.decide("t1", "api_calls", 1);
  ASSERT_THAT(one, IsOk());
  ASSERT_TRUE(one->allowed());
  auto eight = leased.decide("t1", "api_calls", 8);
  ASSERT_THAT(eight, IsOk());
  EXPECT_TRUE(eight->allowed());
  EXPECT_EQ(eight->used, 9);
  auto two = leased.decide("t1", "api_calls", 2);
  ASSERT_THAT(two, IsOk());
  EXPECT_FALSE(two->allowed());
  ASSERT_THAT(leased.return_leases(), IsOk());
  auto counted = (*r)->decide("t1", "api_calls", 0);
  ASSERT_THAT(counted, IsOk());
  EXPECT_EQ(counted->used, 9);
}

}  // namespace
}  // namespace tenantkit::quota::redis
