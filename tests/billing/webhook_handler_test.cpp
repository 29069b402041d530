// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/billing/webhook_handler.hpp>
#include <tenantkit/testing/matchers.hpp>

#include "billing/fake_stores.hpp"

namespace tenantkit::billing {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::int64_t kT0 = 1767225600;
const TenantId kOrg = TenantId::from_trusted("org_1");

std::string sub_event(const std::string& id, const std::string& type, std::int64_t created,
                      const std::string& status,
                      const std::string& metadata = R"({"org_id":"org_1","plan":"pro"})") {
  return R"({"id":")" + id + R"(","type":")" + type + R"(","created":)" + std::to_string(created) +
         R"(,"data":{"object":{"id":"sub_1","customer":"cus_1","status":")" + status +
         R"(","metadata":)" + metadata + R"(,"items":{"data":[{"price":{"id":"price_pro"}}]}}}})";
}

class WebhookHandlerTest : public ::testing::Test {
 protected:
  ManualClock clock_{from_unix_seconds(kT0)};
  test::FakeSubscriptionStore subs_;
  test::FakeWebhookEventStore events_;
  PlanCatalogue catalogue_ = *PlanCatalogue::builtin().with_price_id("pro", "stripe", "price_pro");
  CataloguePlanPolicy policy_{catalogue_};
  EntitlementCache cache_{policy_, subscription_store_loader(subs_), clock_};
  std::unique_ptr<WebhookHandler> handler_;

  void SetUp() override {
    subs_.orgs.insert(kOrg);
    auto v = WebhookVerifier::create({{Secret("whsec_a")}, std::chrono::seconds(300)}, clock_);
    ASSERT_THAT(v, IsOk());
    handler_ = std::make_unique<WebhookHandler>(
        std::move(*v), subs_, events_, EventMapping{&catalogue_, "stripe"}, clock_, &cache_);
  }

  Result<WebhookOutcome> deliver(const std::string& body) {
    return handler_->handle(sign_webhook({Secret("whsec_a")}, clock_.now(), body), body);
  }
};

TEST_F(WebhookHandlerTest, AppliesAndInvalidatesEntitlements) {
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::audit_log),
              ::tenantkit::testing::IsOkAndHolds(false));
  auto out = deliver(sub_event("evt_1", "customer.subscription.created", kT0, "active"));
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->disposition, WebhookDisposition::applied);
  EXPECT_EQ(out->tenant, kOrg);
  EXPECT_THAT(out->effects, ElementsAre(AuditEffect{"billing.plan_changed", "free", "pro"},
                                        AuditEffect{"billing.status_changed", "none", "active"}));
  auto stored = subs_.get(kOrg);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->plan, "pro");
  EXPECT_EQ(stored->status, "active");
  EXPECT_EQ(stored->customer_id, "cus_1");
  EXPECT_THAT(cache_.has_feature(kOrg, Feature::audit_log),
              ::tenantkit::testing::IsOkAndHolds(true));
}

TEST_F(WebhookHandlerTest, DuplicateIsAcknowledgedWithoutEffect) {
  const std::string body = sub_event("evt_1", "customer.subscription.created", kT0, "active");
  ASSERT_THAT(deliver(body), IsOk());
  auto again = deliver(body);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->disposition, WebhookDisposition::duplicate);
  EXPECT_THAT(again->effects, IsEmpty());
}

TEST_F(WebhookHandlerTest, OlderEventDoesNotOverwrite) {
  ASSERT_THAT(deliver(sub_event("evt_2", "customer.subscription.deleted", kT0 + 5, "canceled")),
              IsOk());
  auto old = deliver(sub_event("evt_1", "customer.subscription.created", kT0, "active"));
  ASSERT_THAT(old, IsOk());
  EXPECT_EQ(old->disposition, WebhookDisposition::stale);
  EXPECT_EQ(subs_.get(kOrg)->status, "canceled");
  EXPECT_EQ(subs_.get(kOrg)->plan, "free");
}

TEST_F(WebhookHandlerTest, MapsByStoredCustomerIdWhenNoMetadata) {
  ASSERT_THAT(deliver(sub_event("evt_1", "customer.subscription.created", kT0, "active")), IsOk());
  auto out =
      deliver(sub_event("evt_2", "customer.subscription.updated", kT0 + 1, "past_due", "{}"));
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->disposition, WebhookDisposition::applied);
  EXPECT_EQ(out->tenant, kOrg);
  EXPECT_EQ(subs_.get(kOrg)->status, "past_due");
}

TEST_F(WebhookHandlerTest, UnmappedAndUnknownAreAcknowledged) {
  auto foreign = deliver(
      R"({"id":"evt_9","type":"customer.subscription.created","created":)" + std::to_string(kT0) +
      R"(,"data":{"object":{"id":"sub_x","customer":"cus_x","status":"active"}}})");
  ASSERT_THAT(foreign, IsOk());
  EXPECT_EQ(foreign->disposition, WebhookDisposition::unmapped);
  auto other_org = deliver(sub_event("evt_10", "customer.subscription.created", kT0, "active",
                                     R"({"org_id":"org_unknown"})"));
  ASSERT_THAT(other_org, IsOk());
  EXPECT_EQ(other_org->disposition, WebhookDisposition::unmapped);
  auto unknown = deliver(R"({"id":"evt_11","type":"charge.refunded","created":1})");
  ASSERT_THAT(unknown, IsOk());
  EXPECT_EQ(unknown->disposition, WebhookDisposition::ignored);
}

TEST_F(WebhookHandlerTest, RejectsBadSignaturesAndBodies) {
  const std::string body = sub_event("evt_1", "customer.subscription.created", kT0, "active");
  EXPECT_THAT(handler_->handle("", body), HasError(Errc::invalid_signature));
  EXPECT_THAT(handler_->handle(sign_webhook({Secret("whsec_b")}, clock_.now(), body), body),
              HasError(Errc::invalid_signature));
  EXPECT_THAT(deliver("{\"id\":\"evt_1\"}"), HasError(Errc::bad_request));
  EXPECT_EQ(subs_.get(kOrg)->status, "none");
}

TEST_F(WebhookHandlerTest, StorageFailureIsUnavailableAndTheRetryApplies) {
  const std::string body = sub_event("evt_1", "customer.subscription.created", kT0, "active");
  events_.fail = true;
  EXPECT_THAT(deliver(body), HasError(Errc::unavailable));
  events_.fail = false;
  auto retry = deliver(body);
  ASSERT_THAT(retry, IsOk());
  EXPECT_EQ(retry->disposition, WebhookDisposition::applied);
  subs_.fail = true;
  EXPECT_THAT(deliver(sub_event("evt_2", "customer.subscription.updated", kT0 + 1, "past_due")),
              HasError(Errc::unavailable));
}

}  // namespace
}  // namespace tenantkit::billing
