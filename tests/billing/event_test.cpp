// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/billing/event.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::billing {
namespace {

using ::tenantkit::testing::HasError;
using ::tenantkit::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::int64_t kT0 = 1767225600;

std::string subscription_event(const std::string& id, const std::string& type, std::int64_t created,
                               const std::string& status, const std::string& price = "price_pro",
                               const std::string& sub = "sub_1",
                               const std::string& metadata = R"({"org_id":"org_1","plan":"pro"})") {
  return R"({"id":")" + id + R"(","object":"event","type":")" + type + R"(","created":)" +
         std::to_string(created) + R"(,"data":{"object":{"id":")" + sub +
         R"(","object":"subscription","customer":"cus_1","status":")" + status +
         R"(","cancel_at_period_end":false,"trial_end":null,"metadata":)" + metadata +
         R"(,"items":{"object":"list","data":[{"id":"si_1","current_period_end":)" +
         std::to_string(created + 2592000) + R"(,"price":{"id":")" + price +
         R"(","object":"price"}}]}}}})";
}

std::string invoice_event(const std::string& id, const std::string& type, std::int64_t created,
                          const std::string& sub = "sub_1") {
  return R"({"id":")" + id + R"(","type":")" + type + R"(","created":)" + std::to_string(created) +
         R"(,"data":{"object":{"id":"in_1","object":"invoice",)" +
         R"("customer":"cus_1","subscription":")" + sub +
         R"(","subscription_details":{"metadata":{"org_id":"org_1","plan":"pro"}}}}})";
}

std::string checkout_event(const std::string& id, std::int64_t created) {
  return R"({"id":")" + id + R"(","type":"checkout.session.completed","created":)" +
         std::to_string(created) +
         R"(,"data":{"object":{"id":"cs_1","object":"checkout.session","mode":"subscription",)" +
         R"("client_reference_id":"org_1","customer":"cus_1","subscription":"sub_1",)" +
         R"("metadata":{"plan":"pro"}}}})";
}

ProviderEvent parse(const std::string& body) {
  auto ev = parse_stripe_event(body);
  EXPECT_THAT(ev, IsOk()) << body;
  return ev ? *ev : ProviderEvent{};
}

PlanCatalogue catalogue() {
  return *PlanCatalogue::builtin().with_price_id("pro", "stripe", "price_pro");
}

TEST(StripeEvent, ParsesSubscriptionEvents) {
  auto ev = parse(subscription_event("evt_1", "customer.subscription.updated", kT0, "past_due"));
  EXPECT_EQ(ev.id, "evt_1");
  EXPECT_EQ(ev.kind, ProviderEventType::subscription_updated);
  EXPECT_EQ(ev.created, from_unix_seconds(kT0));
  EXPECT_EQ(ev.customer_id, "cus_1");
  EXPECT_EQ(ev.subscription_id, "sub_1");
  EXPECT_EQ(ev.status, SubscriptionState::past_due);
  EXPECT_EQ(ev.price_id, "price_pro");
  EXPECT_EQ(ev.org_id, "org_1");
  EXPECT_EQ(ev.plan, "pro");
  EXPECT_EQ(ev.current_period_end, from_unix_seconds(kT0 + 2592000));
  EXPECT_EQ(named_tenant(ev), TenantId::from_trusted("org_1"));
}

TEST(StripeEvent, ParsesInvoiceAndCheckoutEvents) {
  auto inv = parse(invoice_event("evt_2", "invoice.payment_failed", kT0));
  EXPECT_EQ(inv.kind, ProviderEventType::invoice_payment_failed);
  EXPECT_EQ(inv.subscription_id, "sub_1");
  EXPECT_EQ(inv.org_id, "org_1");
  // The 2025 API shape: parent.subscription_details.subscription.
  auto v2 = parse(
      R"({"id":"evt_3","type":"invoice.paid","created":5,"data":{"object":{"customer":{"id":"cus_9"},)"
      R"("parent":{"subscription_details":{"subscription":"sub_9","metadata":{"org_id":"org_9"}}}}}})");
  EXPECT_EQ(v2.subscription_id, "sub_9");
  EXPECT_EQ(v2.customer_id, "cus_9");
  EXPECT_EQ(v2.org_id, "org_9");
  auto co = parse(checkout_event("evt_4", kT0));
  EXPECT_EQ(co.kind, ProviderEventType::checkout_completed);
  EXPECT_EQ(co.client_reference_id, "org_1");
  EXPECT_EQ(named_tenant(co), TenantId::from_trusted("org_1"));
}

TEST(StripeEvent, UnknownTypesParseWithoutAnObject) {
  auto ev = parse(R"({"id":"evt_x","type":"charge.refunded","created":1})");
  EXPECT_EQ(ev.kind, ProviderEventType::unknown);
  auto out = apply(Subscription{}, ev);
  EXPECT_EQ(out.disposition, ApplyDisposition::ignored);
}

TEST(StripeEvent, MalformedBodiesAreBadRequests) {
  for (
      const char* bad :
      {"", "not json", "[]", R"({"type":"invoice.paid","created":1})", R"({"id":"e","created":1})",
       R"({"id":"e","type":"invoice.paid"})", R"({"id":"e","type":"invoice.paid","created":"1"})",
       R"({"id":"e","type":"invoice.paid","created":1})",
       R"({"id":"e","type":"customer.subscription.updated","created":1,"data":{"object":{"status":"weird"}}})",
       R"({"id":"e","type":"customer.subscription.updated","created":1,"data":{"object":{"status":"none"}}})"})
    EXPECT_THAT(parse_stripe_event(bad), HasError(Errc::bad_request)) << bad;
}

TEST(StripeEvent, OutOfRangeTimesAreRejectedOrDropped) {
  EXPECT_THAT(parse_stripe_event(R"({"id":"e","type":"x","created":9223372036854775807})"),
              HasError(Errc::bad_request));
  EXPECT_THAT(parse_stripe_event(R"({"id":"e","type":"x","created":-1})"),
              HasError(Errc::bad_request));
  auto ev =
      parse(R"({"id":"e","type":"customer.subscription.updated","created":1,"data":{"object":)"
            R"({"id":"sub_1","status":"active","trial_end":9223372036854775807}}})");
  EXPECT_EQ(ev.trial_end, std::nullopt);
}

TEST(StripeEvent, MalformedOrgIdNamesNoTenant) {
  ProviderEvent ev;
  ev.org_id = "bad id with spaces";
  ev.client_reference_id = "org_2";
  EXPECT_EQ(named_tenant(ev), std::nullopt);
  ev.org_id.clear();
  EXPECT_EQ(named_tenant(ev), TenantId::from_trusted("org_2"));
}

class ApplyTest : public ::testing::Test {
 protected:
  PlanCatalogue catalogue_ = catalogue();
  EventMapping mapping_{&catalogue_, "stripe"};
  Subscription sub_;

  ApplyOutcome step(const std::string& body) {
    auto out = apply(sub_, parse(body), mapping_);
    if (out.disposition == ApplyDisposition::applied) sub_ = out.next;
    return out;
  }
};

TEST_F(ApplyTest, CheckoutThenCreatedThenPaid) {
  auto a = step(checkout_event("evt_1", kT0));
  EXPECT_EQ(a.disposition, ApplyDisposition::applied);
  EXPECT_EQ(sub_.state, SubscriptionState::incomplete);
  EXPECT_EQ(sub_.customer_id, "cus_1");
  EXPECT_EQ(sub_.plan_id, "pro");
  EXPECT_THAT(a.effects, ElementsAre(AuditEffect{"billing.plan_changed", "free", "pro"},
                                     AuditEffect{"billing.status_changed", "none", "incomplete"}));
  auto b = step(subscription_event("evt_2", "customer.subscription.created", kT0 + 1, "active"));
  EXPECT_EQ(sub_.state, SubscriptionState::active);
  EXPECT_THAT(b.effects,
              ElementsAre(AuditEffect{"billing.status_changed", "incomplete", "active"}));
  auto c = step(invoice_event("evt_3", "invoice.paid", kT0 + 2));
  EXPECT_EQ(c.disposition, ApplyDisposition::applied);
  EXPECT_THAT(c.effects, IsEmpty());
  EXPECT_EQ(sub_.state, SubscriptionState::active);
  EXPECT_EQ(sub_.last_event_at, from_unix_seconds(kT0 + 2));
  EXPECT_EQ(sub_.current_period_end, from_unix_seconds(kT0 + 1 + 2592000));
}

TEST_F(ApplyTest, PlanByConfiguredPriceIdBeforeMetadata) {
  step(subscription_event("evt_1", "customer.subscription.created", kT0, "active", "price_pro",
                          "sub_1", R"({"org_id":"org_1","plan":"enterprise"})"));
  EXPECT_EQ(sub_.plan_id, "pro");
  step(subscription_event("evt_2", "customer.subscription.updated", kT0 + 1, "active",
                          "price_unknown", "sub_1", R"({"org_id":"org_1","plan":"enterprise"})"));
  EXPECT_EQ(sub_.plan_id, "enterprise");
  // Neither a known price nor a known metadata.plan: the plan stays.
  step(subscription_event("evt_3", "customer.subscription.updated", kT0 + 2, "active",
                          "price_unknown", "sub_1", R"({"org_id":"org_1","plan":"gold"})"));
  EXPECT_EQ(sub_.plan_id, "enterprise");
}

TEST_F(ApplyTest, UpdatedBeforeCreatedEndsRight) {
  step(subscription_event("evt_2", "customer.subscription.updated", kT0 + 10, "past_due"));
  EXPECT_EQ(sub_.state, SubscriptionState::past_due);
  EXPECT_EQ(sub_.past_due_since, from_unix_seconds(kT0 + 10));
  auto late = step(subscription_event("evt_1", "customer.subscription.created", kT0, "active"));
  EXPECT_EQ(late.disposition, ApplyDisposition::stale);
  EXPECT_EQ(sub_.state, SubscriptionState::past_due);
  EXPECT_EQ(late.next, sub_);
}

TEST_F(ApplyTest, ReplayOfTheWholeSequenceChangesNothing) {
  const std::vector<std::string> events = {
      checkout_event("evt_1", kT0),
      subscription_event("evt_2", "customer.subscription.created", kT0 + 1, "active"),
      invoice_event("evt_3", "invoice.payment_failed", kT0 + 5),
      subscription_event("evt_4", "customer.subscription.updated", kT0 + 6, "past_due"),
      invoice_event("evt_5", "invoice.paid", kT0 + 9),
  };
  for (const auto& e : events) step(e);
  EXPECT_EQ(sub_.state, SubscriptionState::active);
  EXPECT_FALSE(sub_.past_due_since.has_value());
  const Subscription final_state = sub_;
  for (const auto& e : events) {
    auto out = step(e);
    EXPECT_NE(out.disposition, ApplyDisposition::rejected);
    EXPECT_THAT(out.effects, IsEmpty());
  }
  EXPECT_EQ(sub_, final_state);
}

TEST_F(ApplyTest, ShuffledDeliveryEndsInTheNewestState) {
  // Delivered newest first: only the first one applies, the rest are stale.
  step(subscription_event("evt_3", "customer.subscription.deleted", kT0 + 20, "canceled"));
  step(invoice_event("evt_2", "invoice.paid", kT0 + 10));
  step(subscription_event("evt_1", "customer.subscription.created", kT0, "active"));
  EXPECT_EQ(sub_.state, SubscriptionState::canceled);
  EXPECT_EQ(sub_.plan_id, "free");
}

TEST_F(ApplyTest, InvoicePaidBeforeTheSubscriptionEventsActivates) {
  auto out = step(invoice_event("evt_2", "invoice.paid", kT0 + 2));
  EXPECT_EQ(sub_.state, SubscriptionState::active);
  EXPECT_EQ(sub_.plan_id, "pro");  // from the invoice's subscription metadata
  EXPECT_EQ(sub_.subscription_id, "sub_1");
  EXPECT_EQ(step(subscription_event("evt_1", "customer.subscription.created", kT0 + 1, "active"))
                .disposition,
            ApplyDisposition::stale);
}

TEST_F(ApplyTest, DeletedFallsBackToFreeCanceled) {
  step(subscription_event("evt_1", "customer.subscription.created", kT0, "active"));
  auto out =
      step(subscription_event("evt_2", "customer.subscription.deleted", kT0 + 1, "canceled"));
  EXPECT_EQ(sub_.state, SubscriptionState::canceled);
  EXPECT_EQ(sub_.plan_id, "free");
  EXPECT_THAT(out.effects,
              ElementsAre(AuditEffect{"billing.plan_changed", "pro", "free"},
                          AuditEffect{"billing.status_changed", "active", "canceled"}));
}

TEST_F(ApplyTest, ImpossibleTransitionIsRejectedWithoutChange) {
  step(subscription_event("evt_1", "customer.subscription.deleted", kT0, "canceled"));
  const Subscription before = sub_;
  auto out =
      step(subscription_event("evt_2", "customer.subscription.updated", kT0 + 1, "past_due"));
  EXPECT_EQ(out.disposition, ApplyDisposition::rejected);
  EXPECT_FALSE(out.reason.empty());
  EXPECT_EQ(sub_, before);
  auto failed =
      apply(Subscription{}, parse(invoice_event("evt_3", "invoice.payment_failed", kT0)), mapping_);
  EXPECT_EQ(failed.disposition, ApplyDisposition::rejected);
}

TEST_F(ApplyTest, ANewSubscriptionAfterCancelStartsOver) {
  step(subscription_event("evt_1", "customer.subscription.created", kT0, "active"));
  step(subscription_event("evt_2", "customer.subscription.deleted", kT0 + 1, "canceled"));
  auto out =
      step(subscription_event("evt_3", "customer.subscription.created", kT0 + 2, "trialing",
                              "price_x", "sub_2", R"({"org_id":"org_1","plan":"enterprise"})"));
  EXPECT_EQ(out.disposition, ApplyDisposition::applied);
  EXPECT_EQ(sub_.subscription_id, "sub_2");
  EXPECT_EQ(sub_.state, SubscriptionState::trialing);
  EXPECT_EQ(sub_.plan_id, "enterprise");
  // A late event of the replaced subscription no longer touches the tenant.
  auto old = step(invoice_event("evt_4", "invoice.payment_failed", kT0 + 3, "sub_1"));
  EXPECT_EQ(old.disposition, ApplyDisposition::ignored);
  EXPECT_EQ(sub_.state, SubscriptionState::trialing);
}

}  // namespace
}  // namespace tenantkit::billing
