// SPDX-License-Identifier: Apache-2.0
// LoginThrottleConformance: the typed GoogleTest suite every auth::LoginThrottle passes unchanged
// (in-process, Redis). Instantiate it in namespace tenantkit::testing with a Backend type:
//   struct Mine {
//     // A fresh throttle with no recorded failures, or nullptr to skip (e.g. no Redis URL).
//     static std::unique_ptr<auth::LoginThrottle> make(const Clock&, auth::LoginThrottleOptions);
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(Mine, LoginThrottleConformance, Mine);
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/auth/login_throttle.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::testing {

template <class Backend>
class LoginThrottleConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    throttle_ = Backend::make(
        clock_, {.max_attempts = 3, .window = std::chrono::seconds{60}, .max_keys = 1000});
    if (!throttle_) GTEST_SKIP() << "throttle not available here";
  }

  auth::LoginThrottle& t() { return *throttle_; }
  bool allowed(std::string_view ip, std::string_view id) { return t().check(ip, id).allowed; }

  ManualClock clock_;
  std::unique_ptr<auth::LoginThrottle> throttle_;
};

TYPED_TEST_SUITE_P(LoginThrottleConformance);

TYPED_TEST_P(LoginThrottleConformance, AfterMaxFailuresTheNextAttemptIsRefused) {
  using std::chrono::seconds;
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(this->t().admit("1.1.1.1", "bob@example.com"), IsOk()) << i;
    this->t().record_failure("1.1.1.1", "bob@example.com");
    this->clock_.advance(seconds{10});
  }
  // Failures at t=0, 10, 20; now t=30: the oldest leaves the window at t=60.
  const auth::ThrottleDecision d = this->t().check("1.1.1.1", "bob@example.com");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, seconds{30});
  auto r = this->t().admit("1.1.1.1", "bob@example.com");
  ASSERT_THAT(r, HasError(Errc::rate_limited));
  EXPECT_EQ(r.error().detail, "retry after 30 s");
}

TYPED_TEST_P(LoginThrottleConformance, RetryAfterRoundsUp) {
  for (int i = 0; i < 3; ++i) this->t().record_failure("ip", "u");
  this->clock_.advance(std::chrono::milliseconds{59'001});
  EXPECT_EQ(this->t().check("ip", "u").retry_after, std::chrono::seconds{1});
  this->clock_.advance(std::chrono::milliseconds{999});
  EXPECT_TRUE(this->allowed("ip", "u"));
}

TYPED_TEST_P(LoginThrottleConformance, WindowSlides) {
  using std::chrono::seconds;
  for (int i = 0; i < 3; ++i) {
    this->t().record_failure("ip", "u");
    this->clock_.advance(seconds{10});
  }
  this->clock_.advance(seconds{29});  // t=59
  EXPECT_FALSE(this->allowed("ip", "u"));
  EXPECT_EQ(this->t().check("ip", "u").retry_after, seconds{1});
  this->clock_.advance(seconds{1});  // t=60: the failure at t=0 left the window
  EXPECT_TRUE(this->allowed("ip", "u"));
  this->t().record_failure("ip", "u");  // failures at 10, 20, 60
  EXPECT_FALSE(this->allowed("ip", "u"));
  EXPECT_EQ(this->t().check("ip", "u").retry_after, seconds{10});
}

TYPED_TEST_P(LoginThrottleConformance, RefusedAttemptsDoNotExtendTheLock) {
  for (int i = 0; i < 3; ++i) this->t().record_failure("ip", "u");
  for (int i = 0; i < 50; ++i) {
    this->clock_.advance(std::chrono::seconds{1});
    EXPECT_FALSE(this->allowed("ip", "u"));
  }
  this->clock_.advance(std::chrono::seconds{10});
  EXPECT_TRUE(this->allowed("ip", "u"));
}

TYPED_TEST_P(LoginThrottleConformance, PerIpAcrossIdentifiers) {
  // Password spraying: one address, many accounts.
  this->t().record_failure("6.6.6.6", "a@x");
  this->t().record_failure("6.6.6.6", "b@x");
  this->t().record_failure("6.6.6.6", "c@x");
  EXPECT_FALSE(this->allowed("6.6.6.6", "d@x"));
  EXPECT_TRUE(this->allowed("7.7.7.7", "d@x"));
}

TYPED_TEST_P(LoginThrottleConformance, PerIdentifierAcrossIpsCaseInsensitive) {
  // A distributed guess at one account.
  this->t().record_failure("1.0.0.1", "Bob@Example.com");
  this->t().record_failure("1.0.0.2", "bob@example.com");
  this->t().record_failure("1.0.0.3", "BOB@example.com");
  EXPECT_FALSE(this->allowed("1.0.0.4", "bob@example.com"));
  EXPECT_TRUE(this->allowed("1.0.0.4", "alice@example.com"));
}

TYPED_TEST_P(LoginThrottleConformance, SuccessClearsTheIdentifierOnly) {
  this->t().record_failure("9.9.9.9", "x@x");
  this->t().record_failure("9.9.9.9", "y@x");
  this->t().record_failure("1.2.3.4", "bob@x");
  this->t().record_failure("1.2.3.5", "bob@x");
  // Bob logs in from 9.9.9.9: his own counter is cleared, the IP's is not.
  this->t().record_success("9.9.9.9", "bob@x");
  this->t().record_failure("9.9.9.9", "z@x");
  EXPECT_FALSE(this->allowed("9.9.9.9", "w@x"));  // IP: 3 failures
  this->t().record_failure("5.5.5.5", "bob@x");
  EXPECT_TRUE(this->allowed("5.5.5.5", "bob@x"));  // bob: 1 failure since the success
}

TYPED_TEST_P(LoginThrottleConformance, FailuresAtTheSameInstantAllCount) {
  // The same microsecond twice must not collapse into one failure.
  this->t().record_failure("ip", "u1");
  this->t().record_failure("ip", "u2");
  EXPECT_TRUE(this->allowed("ip", "u3"));
  this->t().record_failure("ip", "u3");
  EXPECT_FALSE(this->allowed("ip", "u4"));
}

TYPED_TEST_P(LoginThrottleConformance, LongIdentifiersAreThrottledToo) {
  const std::string long_id(5000, 'a');
  for (int i = 0; i < 3; ++i)
    this->t().record_failure("10.0.0." + std::to_string(i), long_id + "@x");
  EXPECT_FALSE(this->allowed("10.0.0.9", long_id + "@X"));
  EXPECT_TRUE(this->allowed("10.0.0.9", long_id + "b@x"));
}

REGISTER_TYPED_TEST_SUITE_P(LoginThrottleConformance, AfterMaxFailuresTheNextAttemptIsRefused,
                            RetryAfterRoundsUp, WindowSlides, RefusedAttemptsDoNotExtendTheLock,
                            PerIpAcrossIdentifiers, PerIdentifierAcrossIpsCaseInsensitive,
                            SuccessClearsTheIdentifierOnly, FailuresAtTheSameInstantAllCount,
                            LongIdentifiersAreThrottledToo);

}  // namespace tenantkit::testing
