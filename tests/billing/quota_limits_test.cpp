// SPDX-License-Identifier: Apache-2.0
// PlanLimitSource on storage::open_memory(): plan limits reach the quota engine, and a
// subscription change (stored + cache invalidation, or the offline checkout through the webhook
// handler) applies on the next decision.
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/billing/local/local_provider.hpp>
#include <tenantkit/billing/quota_limits.hpp>
#include <tenantkit/billing/webhook_handler.hpp>
#include <tenantkit/quota/in_process.hpp>
#include <tenantkit/storage/storage.hpp>
#include <tenantkit/testing/conformance/fixtures.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::billing {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using namespace std::chrono_literals;

class PlanLimitSourceTest : public ::testing::Test {
 protected:
  PlanLimitSourceTest() {
    auto user = samples_.user();
    EXPECT_THAT(db_->users().create(user), IsOk());
    org_ = samples_.org();
    EXPECT_THAT(db_->orgs().create(org_, samples_.member(org_.id, user.id, {"owner"})), IsOk());
    clock_.set(samples_.now());
  }

  // Stores a subscription as the webhook handler would, then invalidates like it does.
  void subscribe(std::string plan, std::string status, bool invalidate = true,
                 std::optional<Timestamp> past_due_since = std::nullopt) {
    storage::Subscription s;
    s.org = org_.id;
    s.plan = std::move(plan);
    s.status = std::move(status);
    s.last_event_at = clock_.now() + std::chrono::seconds(++events_);
    s.past_due_since = past_due_since;
    s.updated_at = clock_.now();
    ASSERT_THAT(db_->subscriptions().put_if_newer(org_.id, s), IsOk());
    if (invalidate) cache_.invalidate(org_.id);
  }

  std::int64_t limit_now(std::string_view meter) {
    auto o = quota_.decide(org_.id.str(), meter, 0);
    EXPECT_THAT(o, IsOk());
    return o ? o->limit : -1;
  }

  ::tenantkit::testing::Samples samples_;
  std::unique_ptr<storage::Storage> db_ = storage::open_memory();
  storage::Org org_;
  ManualClock clock_;
  int events_ = 0;
  CataloguePlanPolicy policy_{PlanCatalogue::builtin()};
  EntitlementCache cache_{policy_, subscription_store_loader(db_->subscriptions()), clock_};
  PlanLimitSource limits_{cache_, {.refresh_interval = 0ms}};
  // One stripe: no leased units, so a downgrade denies at once (leases taken under the old limit
  // could otherwise still be spent).
  quota::InProcessBackend quota_{limits_, clock_, {.stripes = 1}};
};

TEST_F(PlanLimitSourceTest, FreePlanAllowsOneThousandApiCallsPerPeriod) {
  auto p = limits_.policy(org_.id.str(), "api_calls");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->kind, quota::MeterKind::counter);
  EXPECT_EQ(p->limit, 1000);
  EXPECT_EQ(p->enforcement, quota::Enforcement::hard);
  EXPECT_EQ(p->deny_code, Errc::quota_exceeded);
  EXPECT_EQ(p->window, std::chrono::seconds{2'592'000});
  auto spent = quota_.decide(org_.id.str(), "api_calls", 1000);
  ASSERT_THAT(spent, IsOk());
  EXPECT_TRUE(spent->allowed());
  auto denied = quota_.decide(org_.id.str(), "api_calls", 1);
  ASSERT_THAT(denied, IsOk());
  EXPECT_FALSE(denied->allowed());
  EXPECT_EQ(denied->to_error().code, Errc::quota_exceeded);
  EXPECT_EQ(limit_now("ai_tokens"), 10'000);
}

TEST_F(PlanLimitSourceTest, ProAllowsOneHundredThousand) {
  subscribe("pro", "active");
  EXPECT_EQ(limit_now("api_calls"), 100'000);
  EXPECT_EQ(limit_now("ai_tokens"), 2'000'000);
}

TEST_F(PlanLimitSourceTest, EnterpriseIsUnlimited) {
  subscribe("enterprise", "active");
  EXPECT_EQ(limit_now("api_calls"), quota::kUnlimited);
  auto big = quota_.decide(org_.id.str(), "api_calls", 5'000'000);
  ASSERT_THAT(big, IsOk());
  EXPECT_TRUE(big->allowed());
  EXPECT_FALSE(big->warning);
  EXPECT_EQ(limit_now("seats"), quota::kUnlimited);
}

TEST_F(PlanLimitSourceTest, PlanChangeAppliesOnTheNextDecision) {
  auto first = quota_.decide(org_.id.str(), "api_calls", 1000);
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(first->allowed());
  EXPECT_FALSE(quota_.decide(org_.id.str(), "api_calls", 1)->allowed());
  subscribe("pro", "active");  // invalidation moves the version: no TTL wait
  auto after = quota_.decide(org_.id.str(), "api_calls", 1);
  ASSERT_THAT(after, IsOk());
  EXPECT_TRUE(after->allowed());
  EXPECT_EQ(after->limit, 100'000);
  EXPECT_EQ(after->used, 1001);  // the period's usage carries over to the new plan
  subscribe("free", "canceled");
  EXPECT_FALSE(quota_.decide(org_.id.str(), "api_calls", 1)->allowed());
}

TEST_F(PlanLimitSourceTest, WithoutInvalidationTheChangeWaitsForTheTtlAndARefresh) {
  EXPECT_EQ(limit_now("api_calls"), 1000);
  subscribe("pro", "active", /*invalidate=*/false);  // e.g. applied by another instance
  EXPECT_EQ(limit_now("api_calls"), 1000);
  clock_.advance(31s);                      // past the cache's ttl
  EXPECT_EQ(limit_now("api_calls"), 1000);  // the backend still holds the old policy
  limits_.refresh();
  EXPECT_EQ(limit_now("api_calls"), 100'000);
}

TEST_F(PlanLimitSourceTest, BackgroundRefreshMovesTheVersion) {
  PlanLimitSource fast(cache_, {.refresh_interval = 5ms});
  const auto v = fast.version();
  for (int i = 0; i < 400 && fast.version() == v; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_GT(fast.version(), v);
}

TEST_F(PlanLimitSourceTest, OfflineCheckoutThroughTheWebhookHandlerApplies) {
  SeededRandom random(7);
  auto provider = LocalBillingProvider::create(
      {.public_url = "http://localhost:8080", .webhook_secrets = {Secret("whsec_q")}}, clock_,
      random);
  ASSERT_THAT(provider, IsOk());
  auto verifier = WebhookVerifier::create({{Secret("whsec_q")}}, clock_);
  ASSERT_THAT(verifier, IsOk());
  WebhookHandler handler(std::move(*verifier), db_->subscriptions(), db_->webhook_events(),
                         EventMapping{}, clock_, &cache_);
  EXPECT_EQ(limit_now("api_calls"), 1000);
  auto session = (*provider)->create_checkout_session({.tenant = org_.id, .plan_id = "pro"});
  ASSERT_THAT(session, IsOk());
  auto events = (*provider)->complete_checkout(session->id);
  ASSERT_THAT(events, IsOk());
  for (const auto& e : *events) ASSERT_THAT(handler.handle(e.signature_header, e.body), IsOk());
  EXPECT_EQ(limit_now("api_calls"), 100'000);
}

TEST_F(PlanLimitSourceTest, SeatsAndWorkspacesAreGaugesWithTheirCodes) {
  auto seats = limits_.policy(org_.id.str(), "seats");
  ASSERT_THAT(seats, IsOk());
  EXPECT_EQ(seats->kind, quota::MeterKind::gauge);
  EXPECT_EQ(seats->limit, 3);
  EXPECT_EQ(seats->deny_code, Errc::seat_limit_reached);
  ASSERT_THAT(quota_.set_gauge(org_.id.str(), "seats", 3), IsOk());
  auto full = quota_.decide(org_.id.str(), "seats", 1);
  ASSERT_THAT(full, IsOk());
  EXPECT_FALSE(full->allowed());
  EXPECT_EQ(full->to_error().code, Errc::seat_limit_reached);
  auto ws = limits_.policy(org_.id.str(), "workspaces");
  ASSERT_THAT(ws, IsOk());
  EXPECT_EQ(ws->deny_code, Errc::plan_limit_reached);
}

TEST_F(PlanLimitSourceTest, SoftLimitsAsConfigured) {
  PlanLimitSource soft(cache_,
                       {.soft_limits = {{"pro", Meter::ai_tokens}}, .refresh_interval = 0ms});
  EXPECT_EQ(soft.policy(org_.id.str(), "ai_tokens")->enforcement, quota::Enforcement::hard);
  subscribe("pro", "active");
  EXPECT_EQ(soft.policy(org_.id.str(), "ai_tokens")->enforcement, quota::Enforcement::soft);
  EXPECT_EQ(soft.policy(org_.id.str(), "api_calls")->enforcement, quota::Enforcement::hard);
}

TEST_F(PlanLimitSourceTest, PastDueKeepsThePlanForTheGracePeriodOnly) {
  subscribe("pro", "past_due", true, clock_.now() - std::chrono::hours(24));
  EXPECT_EQ(limit_now("api_calls"), 100'000);
  subscribe("pro", "past_due", true, clock_.now() - std::chrono::hours(24 * 8));
  EXPECT_EQ(limit_now("api_calls"), 1000);
}

TEST_F(PlanLimitSourceTest, UnknownMetersAndTenantsAreNotFound) {
  EXPECT_THAT(limits_.policy(org_.id.str(), "documents"), HasError(Errc::not_found));
  EXPECT_THAT(limits_.policy("not a valid id!", "api_calls"), HasError(Errc::not_found));
  EXPECT_THAT(limits_.policy(samples_.org().id.str(), "api_calls"), HasError(Errc::not_found));
  EXPECT_THAT(quota_.decide(org_.id.str(), "documents", 1), HasError(Errc::not_found));
}

TEST_F(PlanLimitSourceTest, PeriodsAreThirtyDaysFromOneAnchor) {
  EXPECT_EQ(limits_.anchor_for(org_.id.str()), Timestamp{});
  EXPECT_EQ(*limits_.policy(org_.id.str(), "api_calls")->anchor, Timestamp{});
  auto o = quota_.decide(org_.id.str(), "api_calls", 0);
  ASSERT_THAT(o, IsOk());
  const auto since_epoch = o->reset.time_since_epoch();
  EXPECT_EQ(since_epoch % std::chrono::days(30), std::chrono::microseconds::zero());
  EXPECT_GT(o->reset, clock_.now());
  EXPECT_LE(o->reset - clock_.now(), std::chrono::days(30));
  // Another tenant on the same plan gets the same policy (one compiled policy per plan).
  auto other = samples_.org();
  auto user = samples_.user();
  ASSERT_THAT(db_->users().create(user), IsOk());
  ASSERT_THAT(db_->orgs().create(other, samples_.member(other.id, user.id, {"owner"})), IsOk());
  EXPECT_EQ(*limits_.policy(other.id.str(), "api_calls"),
            *limits_.policy(org_.id.str(), "api_calls"));
}

TEST_F(PlanLimitSourceTest, PeriodsCanStartAtTheTenantsCreation) {
  PlanLimitSource per_tenant(cache_, {.anchor_at_tenant_creation = true, .refresh_interval = 0ms});
  quota::InProcessBackend engine(per_tenant, clock_, {.stripes = 1});
  const Timestamp created = *uuid_v7_time(org_.id.str());
  EXPECT_EQ(per_tenant.anchor_for(org_.id.str()), created);
  EXPECT_EQ(*per_tenant.policy(org_.id.str(), "api_calls")->anchor, created);
  clock_.set(created + std::chrono::days(45));
  auto o = engine.decide(org_.id.str(), "api_calls", 0);
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->reset, created + std::chrono::days(60));
  // Ids that are not UUIDv7 fall back to `anchor`.
  PlanLimitSource fallback(
      cache_, {.anchor = created + 1h, .anchor_at_tenant_creation = true, .refresh_interval = 0ms});
  EXPECT_EQ(fallback.anchor_for("org-1"), created + 1h);
  EXPECT_EQ(fallback.anchor_for(org_.id.str()), created);
}

TEST(UuidV7Time, ReadsTheMilliseconds) {
  ManualClock clock;
  SeededRandom random(1);
  clock.advance(std::chrono::microseconds(1'234'567));
  const auto id = TenantId::generate(random, clock);
  EXPECT_EQ(uuid_v7_time(id.str()), std::chrono::floor<std::chrono::milliseconds>(clock.now()));
  EXPECT_EQ(uuid_v7_time("0190a1b2-c3d4-4abc-8def-0123456789ab"), std::nullopt);  // v4
  EXPECT_EQ(uuid_v7_time("0190a1b2-c3d4-7abc-8def-0123456789a"), std::nullopt);   // short
  EXPECT_EQ(uuid_v7_time("0190a1g2-c3d4-7abc-8def-0123456789ab"), std::nullopt);  // not hex
}

}  // namespace
}  // namespace tenantkit::billing
