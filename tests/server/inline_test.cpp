// SPDX-License-Identifier: Apache-2.0
// Try-inline routes (GET /v1/data): a request whose key, roles and entitlements are cached is
// answered on the I/O thread; one that needs storage (a verifier cache miss, an uncached tenant)
// is resumed on the worker pool from the step that needed it, with the same answer. Cached
// requests and /health keep answering while every worker is blocked; a miss waits for a worker.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <string>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/time.hpp>

#include "client.hpp"
#include "http/inline_attempt.hpp"

namespace tenantkit::server::testing {
namespace {

using namespace std::chrono_literals;

struct SeededKey {
  OrgId org;
  std::string secret;
};

// An org with its owner and one API key (default scopes, data:read among them), made through
// storage and the key manager as bench/server/seed.cpp does.
SeededKey seed_key(Services& s, int n) {
  Random& random = system_random();
  const Clock& clock = system_clock();
  const Timestamp now = clock.now();
  const std::string tag = std::to_string(n);
  storage::User user{.id = UserId::generate(random, clock),
                     .email = "inline-" + tag + "@example.com",
                     .name = "Inline " + tag,
                     .password_hash = "",
                     .active = true,
                     .created_at = now,
                     .updated_at = now};
  EXPECT_TRUE(s.db.users().create(user));
  storage::Org org{.id = OrgId::generate(random, clock),
                   .name = "Inline org " + tag,
                   .slug = "inline-org-" + tag,
                   .created_at = now,
                   .updated_at = now};
  storage::Membership owner{.org = org.id,
                            .user = user.id,
                            .roles = {"owner"},
                            .active = true,
                            .external_id = "",
                            .joined_at = now,
                            .scim_profile = {}};
  EXPECT_TRUE(s.db.orgs().create(org, owner));
  auto issued = s.keys->create(org.id, {.name = "inline key", .created_by = user.id},
                               std::vector<std::string>{"data:read", "usage:write"});
  EXPECT_TRUE(issued) << (issued ? "" : issued.error().detail);
  return {org.id, issued ? issued->secret.reveal() : std::string()};
}

HttpResponse get_data(std::uint16_t port, std::string_view secret) {
  auto req = make_request(http::verb::get, "/v1/data");
  req.set(http::field::authorization, "Bearer " + std::string(secret));
  auto [ec, res] = roundtrip(port, std::move(req));
  EXPECT_FALSE(ec) << ec.message();
  return res;
}

void expect_data_for(const HttpResponse& res, const OrgId& org) {
  EXPECT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_NE(res.body().find("\"org_id\":\"" + org.str() + "\""), std::string::npos) << res.body();
  EXPECT_FALSE(res["RateLimit"].empty());
  EXPECT_FALSE(res["RateLimit-Policy"].empty());
  EXPECT_FALSE(res["X-Request-Id"].empty());
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
}

TEST(InlineAttemptTest, BlockingIsRefusedOnlyInsideAnAttempt) {
  EXPECT_TRUE(blocking_allowed());
  {
    InlineAttempt attempt;
    EXPECT_FALSE(attempt.needs_pool());
    EXPECT_FALSE(blocking_allowed());
    EXPECT_TRUE(attempt.needs_pool());
  }
  EXPECT_TRUE(blocking_allowed());
  // Another thread is never inside this thread's attempt.
  InlineAttempt attempt;
  EXPECT_TRUE(std::async(std::launch::async, [] { return blocking_allowed(); }).get());
  EXPECT_FALSE(attempt.needs_pool());
}

TEST(InlineRouteTest, CacheMissIsResumedOnThePoolAndAHitIsAnsweredInline) {
  TestServer srv;
  const SeededKey key = seed_key(srv.services(), 1);
  Metrics& metrics = srv.app().metrics();
  const auto before = metrics.resumed_on_pool_count();

  // Nothing cached yet: the verifier must read storage, so the request moves to the pool.
  expect_data_for(get_data(srv.port(), key.secret), key.org);
  EXPECT_EQ(metrics.resumed_on_pool_count(), before + 1);

  // Key, roles and entitlements are now cached (well within their 1 s / 30 s lifetimes).
  const auto start = std::chrono::steady_clock::now();
  expect_data_for(get_data(srv.port(), key.secret), key.org);
  if (std::chrono::steady_clock::now() - start < 500ms) {
    EXPECT_EQ(metrics.resumed_on_pool_count(), before + 1);
  }

  // Refusals keep their answers on either path.
  EXPECT_EQ(get_data(srv.port(), "tk_live_notakey").result_int(), 401u);
  EXPECT_EQ(get_data(srv.port(), key.secret.substr(0, key.secret.size() - 1) + "x").result_int(),
            401u);
  auto anonymous = make_request(http::verb::get, "/v1/data");
  auto [ec, res] = roundtrip(srv.port(), std::move(anonymous));
  ASSERT_FALSE(ec);
  EXPECT_EQ(res.result_int(), 401u);
}

TEST(InlineRouteTest, DataTimestampIsTheCanonicalRfc3339OfTheAnswerTime) {
  // The handler formats "at" from a per-second cached prefix: it must be the exact bytes of
  // format_rfc3339(now), whole seconds ("...:SSZ") and fractions ("...:SS.uuuuuuZ") alike.
  TestServer srv;
  const SeededKey key = seed_key(srv.services(), 9);
  for (int i = 0; i < 20; ++i) {
    const Timestamp before = std::chrono::floor<std::chrono::microseconds>(system_clock().now());
    const HttpResponse res = get_data(srv.port(), key.secret);
    const Timestamp after = system_clock().now();
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    const std::string& body = res.body();
    const auto at = body.find("\"at\":\"");
    ASSERT_NE(at, std::string::npos) << body;
    const auto end = body.find('"', at + 6);
    ASSERT_NE(end, std::string::npos) << body;
    const std::string text = body.substr(at + 6, end - at - 6);
    const auto parsed = parse_rfc3339(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(format_rfc3339(*parsed), text);
    EXPECT_GE(*parsed, before);
    EXPECT_LE(*parsed, after);
    std::this_thread::sleep_for(std::chrono::milliseconds(i % 5 == 0 ? 300 : 1));
  }
}

TEST(InlineRouteTest, AHotKeyIsRefreshedAheadAndNeverLeavesTheIoThread) {
  TestServer srv;
  const SeededKey key = seed_key(srv.services(), 5);
  Metrics& metrics = srv.app().metrics();
  expect_data_for(get_data(srv.port(), key.secret), key.org);  // the one miss: loads key, roles
  const auto resumed = metrics.resumed_on_pool_count();
  // Requests every ~50 ms for 1.5 s, past the 1 s lifetime of the key's cache entry and of the
  // org's roles: each is reloaded in the background inside its last 200 ms, so no request
  // needs storage. Only meaningful when no gap between requests outlasts that window.
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  std::chrono::steady_clock::duration max_gap{};
  while (std::chrono::steady_clock::now() - start < 1500ms) {
    std::this_thread::sleep_for(50ms);
    expect_data_for(get_data(srv.port(), key.secret), key.org);
    // The refresh thread is FIFO: once this marker ran, any reload asked for has finished.
    std::promise<void> drained;
    srv.services().refresh_ahead([&drained] { drained.set_value(); });
    ASSERT_EQ(drained.get_future().wait_for(5s), std::future_status::ready);
    const auto now = std::chrono::steady_clock::now();
    max_gap = std::max(max_gap, now - last);
    last = now;
  }
  if (max_gap < 150ms) {
    EXPECT_EQ(metrics.resumed_on_pool_count(), resumed);
  }
}

TEST(InlineRouteTest, RevokedKeyIsRefusedAtOnceOnTheInlinePath) {
  TestServer srv;
  const SeededKey key = seed_key(srv.services(), 2);
  expect_data_for(get_data(srv.port(), key.secret), key.org);  // now cached
  auto listed = srv.services().keys->list(key.org, {});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 1u);
  ASSERT_TRUE(srv.services().keys->revoke(key.org, listed->items[0].id));
  EXPECT_EQ(get_data(srv.port(), key.secret).result_int(), 401u);
}

TEST(InlineRouteTest, CachedRequestsAnswerWhileEveryWorkerIsBlockedAndMissesWait) {
  Config config = test_config();
  config.worker_threads = 2;
  TestServer srv(config);
  const SeededKey warm = seed_key(srv.services(), 3);
  const SeededKey cold = seed_key(srv.services(), 4);
  expect_data_for(get_data(srv.port(), warm.secret), warm.org);

  // Every worker blocked, as during a burst of Argon2id logins.
  std::latch started(config.worker_threads);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  for (int i = 0; i < config.worker_threads; ++i)
    boost::asio::post(srv.app().pool(), [&started, released] {
      started.count_down();
      released.wait();
    });
  started.wait();

  const auto resumed = srv.app().metrics().resumed_on_pool_count();
  auto missed = std::async(std::launch::async, [&] { return get_data(srv.port(), cold.secret); });
  EXPECT_EQ(get(srv.port(), "/health").result_int(), 200u);
  expect_data_for(get_data(srv.port(), warm.secret), warm.org);
  // The cold key needs storage: it waits for a worker instead of reading on the I/O thread.
  EXPECT_EQ(missed.wait_for(300ms), std::future_status::timeout);
  release.set_value();
  expect_data_for(missed.get(), cold.org);
  EXPECT_EQ(srv.app().metrics().resumed_on_pool_count(), resumed + 1);
}

}  // namespace
}  // namespace tenantkit::server::testing
