// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <tenantkit/quota/headers.hpp>

namespace tenantkit::quota {
namespace {

Outcome counter_outcome(bool allowed, std::int64_t remaining, Timestamp reset) {
  Outcome o;
  o.is_allowed = allowed;
  o.kind = MeterKind::counter;
  o.limit = 1000;
  o.remaining = remaining;
  o.used = 1000 - remaining;
  o.window = std::chrono::seconds{2'592'000};
  o.reset = reset;
  if (!allowed) o.retry_after = std::chrono::seconds{90};
  return o;
}

TEST(RateLimitHeaders, FormatsApiMdExactly) {
  const Timestamp now{std::chrono::seconds{1'767'225'600}};
  auto h = rate_limit_headers("api_calls",
                              counter_outcome(true, 999, now + std::chrono::seconds{3600}), now);
  EXPECT_EQ(h.policy, R"("api_calls";q=1000;w=2592000)");
  EXPECT_EQ(h.rate_limit, R"("api_calls";r=999;t=3600)");
  EXPECT_EQ(h.retry_after, "");
}

TEST(RateLimitHeaders, RoundsTheResetUpAndAddsRetryAfterOnDeny) {
  const Timestamp now{std::chrono::seconds{1'767'225'600}};
  auto h = rate_limit_headers(
      "api_calls", counter_outcome(false, 0, now + std::chrono::milliseconds{89'001}), now);
  EXPECT_EQ(h.rate_limit, R"("api_calls";r=0;t=90)");
  EXPECT_EQ(h.retry_after, "90");
  auto past =
      rate_limit_headers("api_calls", counter_outcome(true, 3, now - std::chrono::seconds{5}), now);
  EXPECT_EQ(past.rate_limit, R"("api_calls";r=3;t=0)");
}

TEST(RateLimitHeaders, EscapesTheMeterName) {
  const Timestamp now{std::chrono::seconds{0}};
  auto h = rate_limit_headers(R"(a"b\c)", counter_outcome(true, 1, now), now);
  EXPECT_EQ(h.policy, R"("a\"b\\c";q=1000;w=2592000)");
}

TEST(RateLimitHeaders, NothingForGaugesAndUnlimitedMeters) {
  const Timestamp now{std::chrono::seconds{0}};
  Outcome unlimited = counter_outcome(true, 1, now);
  unlimited.limit = kUnlimited;
  EXPECT_EQ(rate_limit_headers("api_calls", unlimited, now).policy, "");
  Outcome gauge;
  gauge.kind = MeterKind::gauge;
  gauge.limit = 3;
  EXPECT_EQ(rate_limit_headers("seats", gauge, now).rate_limit, "");
}

}  // namespace
}  // namespace tenantkit::quota
