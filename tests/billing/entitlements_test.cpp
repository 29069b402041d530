// SPDX-License-Identifier: Apache-2.0
#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/billing/entitlements.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::billing {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOkAndHolds;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

const TenantId kOrg = TenantId::from_trusted("org_1");

class EntitlementCacheTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  CataloguePlanPolicy policy_{PlanCatalogue::builtin(), {.past_due_grace = std::chrono::hours(1)}};
  Subscription sub_;
  std::atomic<int> loads_{0};
  bool fail_ = false;
  EntitlementCache cache_{policy_,
                          [this](const TenantId& t) -> Result<TenantBilling> {
                            ++loads_;
                            if (fail_) return Error{Errc::unavailable, "injected"};
                            Subscription s = sub_;
                            s.tenant = t;
                            return TenantBilling{s, {}};
                          },
                          clock_,
                          {.ttl = std::chrono::seconds(30)}};
};

TEST_F(EntitlementCacheTest, HitsDoNotReload) {
  sub_.plan_id = "pro";
  sub_.state = SubscriptionState::active;
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::audit_log), IsOkAndHolds(true));
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::scim), IsOkAndHolds(false));
  EXPECT_THAT(cache_.limit(kOrg, Meter::seats), IsOkAndHolds(Limit::of(25)));
  EXPECT_EQ(loads_, 1);
}

TEST_F(EntitlementCacheTest, InvalidateReloads) {
  EXPECT_THAT(cache_.limit(kOrg, Meter::seats), IsOkAndHolds(Limit::of(3)));
  sub_.plan_id = "enterprise";
  sub_.state = SubscriptionState::active;
  EXPECT_THAT(cache_.limit(kOrg, Meter::seats), IsOkAndHolds(Limit::of(3)));  // cached
  cache_.invalidate(kOrg);
  EXPECT_THAT(cache_.limit(kOrg, Meter::seats), IsOkAndHolds(Limit::unlimited()));
  EXPECT_EQ(loads_, 2);
  sub_.plan_id = "pro";
  cache_.clear();
  EXPECT_THAT(cache_.limit(kOrg, Meter::seats), IsOkAndHolds(Limit::of(25)));
}

TEST_F(EntitlementCacheTest, TtlBoundsStaleness) {
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::audit_log), IsOkAndHolds(false));
  sub_.plan_id = "pro";
  sub_.state = SubscriptionState::active;
  clock_.advance(std::chrono::seconds(29));
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::audit_log), IsOkAndHolds(false));
  clock_.advance(std::chrono::seconds(1));
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::audit_log), IsOkAndHolds(true));
}

TEST_F(EntitlementCacheTest, GracePeriodEndsWithoutAnEvent) {
  sub_.plan_id = "pro";
  sub_.state = SubscriptionState::past_due;
  sub_.past_due_since = clock_.now() - std::chrono::minutes(59) - std::chrono::seconds(50);
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::audit_log), IsOkAndHolds(true));
  clock_.advance(std::chrono::seconds(10));  // grace over, well within the TTL
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::audit_log), IsOkAndHolds(false));
}

TEST_F(EntitlementCacheTest, LoaderFailureFailsClosedAndIsNotCached) {
  fail_ = true;
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::audit_log), HasError(Errc::unavailable));
  EXPECT_THAT(cache_.limit(kOrg, Meter::seats), HasError(Errc::unavailable));
  fail_ = false;
  EXPECT_THAT(cache_.limit(kOrg, Meter::seats), IsOkAndHolds(Limit::of(3)));
}

TEST_F(EntitlementCacheTest, TenantsAreSeparate) {
  const TenantId other = TenantId::from_trusted("org_2");
  EXPECT_THAT(cache_.limit(kOrg, Meter::seats), IsOkAndHolds(Limit::of(3)));
  sub_.plan_id = "pro";
  sub_.state = SubscriptionState::active;
  EXPECT_THAT(cache_.limit(other, Meter::seats), IsOkAndHolds(Limit::of(25)));
  EXPECT_THAT(cache_.limit(kOrg, Meter::seats), IsOkAndHolds(Limit::of(3)));
}

TEST_F(EntitlementCacheTest, ConcurrentReadersAndInvalidations) {
  sub_.plan_id = "pro";
  sub_.state = SubscriptionState::active;
  std::atomic<bool> wrong{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const TenantId id = TenantId::from_trusted("org_" + std::to_string(t));
      for (int i = 0; i < 2000; ++i) {
        auto r = cache_.limit(id, Meter::seats);
        if (!r || *r != Limit::of(25)) wrong = true;
        if (i % 100 == 0) cache_.invalidate(id);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_FALSE(wrong);
}

TEST(SimulatePlanChange, ListsWhatWouldExceedTheTarget) {
  const auto& c = PlanCatalogue::builtin();
  const Entitlements free = entitlements_of(c.free(), SubscriptionState::active, {});
  UsageCounts usage{.seats = 5,
                    .workspaces = 3,
                    .api_keys_with_scopes = 2,
                    .custom_roles = 1,
                    .api_calls_this_period = 1000,
                    .ai_tokens_this_period = 20000};
  auto over = simulate_plan_change(usage, free);
  ASSERT_EQ(over.size(), 4u);
  EXPECT_EQ(over[0], (Overage{"seats", 5, 3, "5 seats in use, the plan allows 3"}));
  EXPECT_EQ(over[1].what, "ai_tokens");
  EXPECT_EQ(over[2], (Overage{"api_key_scopes", 2, 0,
                              "2 API keys with chosen scopes, the plan lacks api_key_scopes"}));
  EXPECT_EQ(over[3].what, "custom_roles");

  const Entitlements pro = entitlements_of(*c.find("pro"), SubscriptionState::active, {});
  EXPECT_THAT(simulate_plan_change(usage, pro), ElementsAre(Field(&Overage::what, "custom_roles")));
  const Entitlements ent = entitlements_of(*c.find("enterprise"), SubscriptionState::active, {});
  usage.seats = 1000000;
  EXPECT_THAT(simulate_plan_change(usage, ent), IsEmpty());
}

}  // namespace
}  // namespace tenantkit::billing
