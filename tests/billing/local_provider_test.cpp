// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/billing/local/local_provider.hpp>
#include <tenantkit/billing/webhook_handler.hpp>
#include <tenantkit/testing/matchers.hpp>

#include "billing/fake_stores.hpp"

namespace tenantkit::billing {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::tenantkit::testing::IsOkAndHolds;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::StartsWith;

const TenantId kOrg = TenantId::from_trusted("org_1");

class LocalProviderTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  SeededRandom random_{42};
  test::FakeSubscriptionStore subs_;
  test::FakeWebhookEventStore events_;
  CataloguePlanPolicy policy_{PlanCatalogue::builtin()};
  EntitlementCache cache_{policy_, subscription_store_loader(subs_), clock_};
  std::unique_ptr<LocalBillingProvider> provider_;
  std::unique_ptr<WebhookHandler> handler_;

  void SetUp() override {
    subs_.orgs.insert(kOrg);
    auto p = LocalBillingProvider::create(
        {.public_url = "http://127.0.0.1:8080/", .webhook_secrets = {Secret("whsec_local")}},
        clock_, random_);
    ASSERT_THAT(p, IsOk());
    provider_ = std::move(*p);
    auto v = WebhookVerifier::create({{Secret("whsec_local")}, std::chrono::seconds(300)}, clock_);
    ASSERT_THAT(v, IsOk());
    handler_ = std::make_unique<WebhookHandler>(std::move(*v), subs_, events_, EventMapping{},
                                                clock_, &cache_);
  }

  // The path a visit to the URL takes in the server: the same webhook handler.
  void deliver(const Result<std::vector<SignedEvent>>& events) {
    ASSERT_THAT(events, IsOk());
    for (const SignedEvent& e : *events) {
      auto out = handler_->handle(e.signature_header, e.body);
      ASSERT_THAT(out, IsOk()) << e.body;
      EXPECT_EQ(out->disposition, WebhookDisposition::applied) << e.type << ": " << out->note;
    }
  }

  std::string checkout(const std::string& plan) {
    auto s = provider_->create_checkout_session({.tenant = kOrg, .plan_id = plan});
    EXPECT_THAT(s, IsOk());
    if (!s) return {};
    EXPECT_EQ(s->url, "http://127.0.0.1:8080/v1/billing/local/checkout/" + s->id);
    return s->id;
  }
};

TEST_F(LocalProviderTest, CheckoutCompletesThroughTheWebhookPath) {
  const std::string session = checkout("enterprise");
  EXPECT_EQ(subs_.get(kOrg)->status, "none");
  auto events = provider_->complete_checkout(session);
  ASSERT_THAT(events, IsOk());
  EXPECT_THAT(*events, ElementsAre(Field(&SignedEvent::type, "checkout.session.completed"),
                                   Field(&SignedEvent::type, "customer.subscription.created"),
                                   Field(&SignedEvent::type, "invoice.paid")));
  deliver(events);
  auto sub = subs_.get(kOrg);
  EXPECT_EQ(sub->plan, "enterprise");
  EXPECT_EQ(sub->status, "active");
  EXPECT_THAT(sub->customer_id, StartsWith("cus_local_"));
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::scim), IsOkAndHolds(true));
  EXPECT_THAT(provider_->complete_checkout(session), HasError(Errc::gone));
  EXPECT_THAT(provider_->complete_checkout("cs_nope"), HasError(Errc::not_found));
  auto fetched = provider_->fetch_subscription(sub->subscription_id);
  ASSERT_THAT(fetched, IsOk());
  EXPECT_EQ(fetched->status, SubscriptionState::active);
  EXPECT_EQ(fetched->metadata.at("org_id"), "org_1");
}

TEST_F(LocalProviderTest, TrialPlanStartsTrialing) {
  deliver(provider_->complete_checkout(checkout("pro")));
  EXPECT_EQ(subs_.get(kOrg)->status, "trialing");
  EXPECT_EQ(subs_.get(kOrg)->plan, "pro");
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::audit_log), IsOkAndHolds(true));
}

TEST_F(LocalProviderTest, PortalActions) {
  deliver(provider_->complete_checkout(checkout("enterprise")));
  auto portal = provider_->create_portal_session({kOrg, subs_.get(kOrg)->customer_id, ""});
  ASSERT_THAT(portal, IsOk());
  const std::string id = portal->url.substr(portal->url.rfind('/') + 1);
  EXPECT_EQ(portal->url, "http://127.0.0.1:8080/v1/billing/local/portal/" + id);

  clock_.advance(std::chrono::seconds(1));
  deliver(provider_->portal_action(id, PortalAction::change_plan, "pro"));
  EXPECT_EQ(subs_.get(kOrg)->plan, "pro");
  clock_.advance(std::chrono::seconds(1));
  deliver(provider_->portal_action(id, PortalAction::payment_failed));
  EXPECT_EQ(subs_.get(kOrg)->status, "past_due");
  clock_.advance(std::chrono::seconds(1));
  deliver(provider_->portal_action(id, PortalAction::payment_paid));
  EXPECT_EQ(subs_.get(kOrg)->status, "active");
  clock_.advance(std::chrono::seconds(1));
  deliver(provider_->portal_action(id, PortalAction::cancel));
  EXPECT_EQ(subs_.get(kOrg)->status, "canceled");
  EXPECT_EQ(subs_.get(kOrg)->plan, "free");
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::audit_log), IsOkAndHolds(false));
  EXPECT_THAT(provider_->portal_action(id, PortalAction::cancel), HasError(Errc::not_found));
}

TEST_F(LocalProviderTest, SessionInfoForThePages) {
  const std::string session = checkout("enterprise");
  auto info = provider_->checkout_info(session);
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->tenant, kOrg);
  EXPECT_EQ(info->plan_id, "enterprise");
  EXPECT_FALSE(info->completed);
  deliver(provider_->complete_checkout(session));
  EXPECT_TRUE(provider_->checkout_info(session)->completed);
  EXPECT_THAT(provider_->checkout_info("cs_nope"), HasError(Errc::not_found));

  auto portal = provider_->create_portal_session({kOrg, subs_.get(kOrg)->customer_id, ""});
  ASSERT_THAT(portal, IsOk());
  const std::string id = portal->url.substr(portal->url.rfind('/') + 1);
  auto p = provider_->portal_info(id);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->tenant, kOrg);
  EXPECT_EQ(p->customer_id, subs_.get(kOrg)->customer_id);
  ASSERT_TRUE(p->live.has_value());
  EXPECT_EQ(p->live->status, SubscriptionState::active);
  EXPECT_EQ(p->live->metadata.at("plan"), "enterprise");
  clock_.advance(std::chrono::seconds(1));
  deliver(provider_->portal_action(id, PortalAction::cancel));
  auto after = provider_->portal_info(id);
  ASSERT_THAT(after, IsOk());
  EXPECT_FALSE(after->live.has_value());
  EXPECT_THAT(provider_->portal_info("bps_nope"), HasError(Errc::not_found));
}

TEST_F(LocalProviderTest, Errors) {
  EXPECT_THAT(provider_->create_checkout_session({.tenant = kOrg, .plan_id = "gold"}),
              HasError(Errc::not_found));
  EXPECT_THAT(provider_->create_checkout_session({.tenant = kOrg, .plan_id = "free"}),
              HasError(Errc::validation_failed));
  EXPECT_THAT(provider_->create_portal_session({kOrg, "", ""}), HasError(Errc::validation_failed));
  EXPECT_THAT(provider_->portal_action("bps_nope", PortalAction::cancel),
              HasError(Errc::not_found));
  EXPECT_THAT(provider_->fetch_subscription("sub_nope"), HasError(Errc::not_found));
  EXPECT_THAT(LocalBillingProvider::create({.public_url = "", .webhook_secrets = {Secret("x")}},
                                           clock_, random_),
              HasError(Errc::validation_failed));
  EXPECT_THAT(LocalBillingProvider::create({.public_url = "http://x", .webhook_secrets = {}},
                                           clock_, random_),
              HasError(Errc::validation_failed));
}

}  // namespace
}  // namespace tenantkit::billing
