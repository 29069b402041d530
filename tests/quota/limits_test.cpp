// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <tenantkit/quota/limits.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::quota {
namespace {

using testing::HasError;
using testing::IsOkAndHolds;

TEST(InMemoryLimitSource, OverrideWinsThenDefaultReturns) {
  InMemoryLimitSource src;
  EXPECT_THAT(src.policy("t1", "api_calls"), HasError(Errc::not_found));
  src.set_default("api_calls", Policy::counter(1000));
  EXPECT_THAT(src.policy("t1", "api_calls"), IsOkAndHolds(Policy::counter(1000)));
  src.set_override("t1", "api_calls", Policy::counter(5000));
  EXPECT_THAT(src.policy("t1", "api_calls"), IsOkAndHolds(Policy::counter(5000)));
  EXPECT_THAT(src.policy("t2", "api_calls"), IsOkAndHolds(Policy::counter(1000)));
  src.clear_override("t1", "api_calls");
  EXPECT_THAT(src.policy("t1", "api_calls"), IsOkAndHolds(Policy::counter(1000)));
}

TEST(InMemoryLimitSource, OverrideKeysDoNotCollideAcrossTenantAndMeter) {
  InMemoryLimitSource src;
  src.set_override("ab", "c", Policy::counter(1));
  EXPECT_THAT(src.policy("a", "bc"), HasError(Errc::not_found));
}

TEST(InMemoryLimitSource, EveryChangeMovesTheVersion) {
  InMemoryLimitSource src;
  auto v = src.version();
  src.set_default("m", Policy::counter(1));
  EXPECT_GT(src.version(), v);
  v = src.version();
  src.set_override("t", "m", Policy::counter(2));
  EXPECT_GT(src.version(), v);
  v = src.version();
  src.clear_override("t", "m");
  EXPECT_GT(src.version(), v);
}

}  // namespace
}  // namespace tenantkit::quota
