// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/auth/login_throttle.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::auth {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using namespace std::chrono_literals;

class LoginThrottleTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  std::unique_ptr<InProcessLoginThrottle> throttle_ =
      InProcessLoginThrottle::create(clock_, {.max_attempts = 3, .window = 60s, .max_keys = 1000})
          .value();
};

TEST_F(LoginThrottleTest, OptionsAreValidated) {
  EXPECT_THAT(LoginThrottle::create(clock_, {.max_attempts = 0, .window = 60s, .max_keys = 1000}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(LoginThrottle::create(clock_, {.max_attempts = 3, .window = 0s, .max_keys = 1000}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(LoginThrottle::create(clock_), IsOk());
  auto both = validate({.max_attempts = 1001, .window = 0s, .max_keys = 15});
  ASSERT_THAT(both, HasError(Errc::validation_failed));
  EXPECT_EQ(both.error().fields.size(), 3u);
}

TEST_F(LoginThrottleTest, AfterMaxFailuresTheNextAttemptIsRefusedWithRetryAfter) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(throttle_->admit("1.1.1.1", "bob@example.com"), IsOk());
    throttle_->record_failure("1.1.1.1", "bob@example.com");
    clock_.advance(10s);
  }
  // Failures at t=0, 10, 20; now t=30: the oldest leaves the window at t=60.
  const ThrottleDecision d = throttle_->check("1.1.1.1", "bob@example.com");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 30s);
  auto r = throttle_->admit("1.1.1.1", "bob@example.com");
  ASSERT_THAT(r, HasError(Errc::rate_limited));
  EXPECT_EQ(r.error().detail, "retry after 30 s");
}

TEST_F(LoginThrottleTest, WindowSlides) {
  for (int i = 0; i < 3; ++i) {
    throttle_->record_failure("ip", "u");
    clock_.advance(10s);
  }
  clock_.advance(29s);  // t=59
  EXPECT_FALSE(throttle_->check("ip", "u").allowed);
  EXPECT_EQ(throttle_->check("ip", "u").retry_after, 1s);
  clock_.advance(1s);  // t=60: the failure at t=0 left the window
  EXPECT_TRUE(throttle_->check("ip", "u").allowed);
  throttle_->record_failure("ip", "u");  // failures at 10, 20, 60
  EXPECT_FALSE(throttle_->check("ip", "u").allowed);
  EXPECT_EQ(throttle_->check("ip", "u").retry_after, 10s);
}

TEST_F(LoginThrottleTest, RefusedAttemptsDoNotExtendTheLock) {
  for (int i = 0; i < 3; ++i) throttle_->record_failure("ip", "u");
  for (int i = 0; i < 50; ++i) {
    clock_.advance(1s);
    EXPECT_FALSE(throttle_->check("ip", "u").allowed);
  }
  clock_.advance(10s);
  EXPECT_TRUE(throttle_->check("ip", "u").allowed);
}

TEST_F(LoginThrottleTest, PerIpAcrossIdentifiers) {
  // Password spraying: one address, many accounts.
  throttle_->record_failure("6.6.6.6", "a@x");
  throttle_->record_failure("6.6.6.6", "b@x");
  throttle_->record_failure("6.6.6.6", "c@x");
  EXPECT_FALSE(throttle_->check("6.6.6.6", "d@x").allowed);
  EXPECT_TRUE(throttle_->check("7.7.7.7", "d@x").allowed);
}

TEST_F(LoginThrottleTest, PerIdentifierAcrossIps) {
  // A distributed guess at one account; the identifier is case-insensitive.
  throttle_->record_failure("1.0.0.1", "Bob@Example.com");
  throttle_->record_failure("1.0.0.2", "bob@example.com");
  throttle_->record_failure("1.0.0.3", "BOB@example.com");
  EXPECT_FALSE(throttle_->check("1.0.0.4", "bob@example.com").allowed);
  EXPECT_TRUE(throttle_->check("1.0.0.4", "alice@example.com").allowed);
}

TEST_F(LoginThrottleTest, SuccessDoesNotResetTheOtherKey) {
  // Two failures from this IP against other accounts, two against bob from elsewhere.
  throttle_->record_failure("9.9.9.9", "x@x");
  throttle_->record_failure("9.9.9.9", "y@x");
  throttle_->record_failure("1.2.3.4", "bob@x");
  throttle_->record_failure("1.2.3.5", "bob@x");
  // Bob logs in from 9.9.9.9: his own counter is cleared, the IP's is not.
  throttle_->record_success("9.9.9.9", "bob@x");
  throttle_->record_failure("9.9.9.9", "z@x");
  EXPECT_FALSE(throttle_->check("9.9.9.9", "w@x").allowed);  // IP: 3 failures
  throttle_->record_failure("5.5.5.5", "bob@x");
  EXPECT_TRUE(throttle_->check("5.5.5.5", "bob@x").allowed);  // bob: 1 failure since success
}

TEST_F(LoginThrottleTest, MemoryIsBounded) {
  for (int i = 0; i < 5000; ++i)
    throttle_->record_failure("10.0.0." + std::to_string(i), "u" + std::to_string(i));
  EXPECT_LE(throttle_->tracked(), 1000u);
  // Entries whose failures left the window are dropped first.
  clock_.advance(61s);
  throttle_->record_failure("fresh", "fresh");
  EXPECT_TRUE(throttle_->check("10.0.0.4999", "u4999").allowed);
}

}  // namespace
}  // namespace tenantkit::auth
