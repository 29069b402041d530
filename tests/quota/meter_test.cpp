// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <tenantkit/quota/meter.hpp>

namespace tenantkit::quota {
namespace {

TEST(Policy, FactoriesPickTheDenyCodeOfTheirKind) {
  EXPECT_EQ(Policy::counter(5).deny_code, Errc::quota_exceeded);
  EXPECT_EQ(Policy::counter(5).window, std::chrono::seconds{2'592'000});
  EXPECT_EQ(Policy::fixed_window(5, std::chrono::seconds{1}).deny_code, Errc::rate_limited);
  EXPECT_EQ(Policy::token_bucket(5, std::chrono::seconds{1}).kind, MeterKind::token_bucket);
  EXPECT_EQ(Policy::gauge(3, Errc::seat_limit_reached).deny_code, Errc::seat_limit_reached);
  EXPECT_EQ(Policy::counter(5).soft().enforcement, Enforcement::soft);
  EXPECT_EQ(Policy::counter(5).enforcement, Enforcement::hard);
}

TEST(Outcome, ToErrorUsesTheDenyCode) {
  Outcome o;
  o.deny_code = Errc::rate_limited;
  EXPECT_EQ(o.to_error().code, Errc::rate_limited);
  o.deny_code = Errc::seat_limit_reached;
  EXPECT_EQ(o.to_error().code, Errc::seat_limit_reached);
  o.deny_code = Errc::quota_exceeded;
  EXPECT_EQ(o.to_error().code, Errc::quota_exceeded);
  EXPECT_FALSE(o.to_error().detail.empty());
}

}  // namespace
}  // namespace tenantkit::quota
