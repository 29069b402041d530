// SPDX-License-Identifier: Apache-2.0
// The offline checkout flow end to end on storage::open_memory(): local provider -> signed
// events -> WebhookHandler -> SubscriptionStore / WebhookEventStore -> EntitlementCache.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tenantkit/billing/local/local_provider.hpp>
#include <tenantkit/billing/webhook_handler.hpp>
#include <tenantkit/storage/storage.hpp>
#include <tenantkit/testing/conformance/fixtures.hpp>
#include <tenantkit/testing/matchers.hpp>

namespace tenantkit::billing {
namespace {

using ::tenantkit::testing::IsOk;
using ::tenantkit::testing::IsOkAndHolds;

TEST(MemoryStorageFlow, CheckoutDuplicateAndCancel) {
  ::tenantkit::testing::Samples samples;
  auto db = storage::open_memory();
  auto user = samples.user();
  ASSERT_THAT(db->users().create(user), IsOk());
  auto org = samples.org();
  ASSERT_THAT(db->orgs().create(org, samples.member(org.id, user.id, {"owner"})), IsOk());

  ManualClock clock;
  SeededRandom random(3);
  CataloguePlanPolicy policy(PlanCatalogue::builtin());
  EntitlementCache cache(policy, subscription_store_loader(db->subscriptions()), clock);
  auto provider = LocalBillingProvider::create(
      {.public_url = "http://localhost:8080", .webhook_secrets = {Secret("whsec_m")}}, clock,
      random);
  ASSERT_THAT(provider, IsOk());
  auto verifier = WebhookVerifier::create({{Secret("whsec_m")}}, clock);
  ASSERT_THAT(verifier, IsOk());
  WebhookHandler handler(std::move(*verifier), db->subscriptions(), db->webhook_events(),
                         EventMapping{}, clock, &cache);

  EXPECT_THAT(cache.limit(org.id, Meter::workspaces), IsOkAndHolds(Limit::of(3)));
  auto session = (*provider)->create_checkout_session({.tenant = org.id, .plan_id = "enterprise"});
  ASSERT_THAT(session, IsOk());
  auto events = (*provider)->complete_checkout(session->id);
  ASSERT_THAT(events, IsOk());
  for (const auto& e : *events) {
    auto out = handler.handle(e.signature_header, e.body);
    ASSERT_THAT(out, IsOk());
    EXPECT_EQ(out->disposition, WebhookDisposition::applied) << e.type << " " << out->note;
    // Redelivery: acknowledged, no effect.
    auto again = handler.handle(e.signature_header, e.body);
    ASSERT_THAT(again, IsOk());
    EXPECT_EQ(again->disposition, WebhookDisposition::duplicate);
    EXPECT_TRUE(again->effects.empty());
  }
  auto sub = db->subscriptions().get(org.id);
  ASSERT_THAT(sub, IsOk());
  EXPECT_EQ(sub->plan, "enterprise");
  EXPECT_EQ(sub->status, "active");
  EXPECT_THAT(cache.limit(org.id, Meter::workspaces), IsOkAndHolds(Limit::unlimited()));
  // The customer id maps back to the org.
  EXPECT_THAT(db->subscriptions().find_by_customer(sub->customer_id),
              IsOkAndHolds(std::optional<OrgId>(org.id)));

  auto portal = (*provider)->create_portal_session({org.id, sub->customer_id, ""});
  ASSERT_THAT(portal, IsOk());
  clock.advance(std::chrono::seconds(5));
  auto cancel = (*provider)->portal_action(portal->url.substr(portal->url.rfind('/') + 1),
                                           PortalAction::cancel);
  ASSERT_THAT(cancel, IsOk());
  for (const auto& e : *cancel) ASSERT_THAT(handler.handle(e.signature_header, e.body), IsOk());
  EXPECT_EQ(db->subscriptions().get(org.id)->status, "canceled");
  EXPECT_EQ(db->subscriptions().get(org.id)->plan, "free");
  EXPECT_THAT(cache.limit(org.id, Meter::workspaces), IsOkAndHolds(Limit::of(3)));
}

TEST(MemoryStorageFlow, PastDueGraceStartsAtTheFirstFailedPaymentThroughStorage) {
  ::tenantkit::testing::Samples samples;
  auto db = storage::open_memory();
  auto user = samples.user();
  ASSERT_THAT(db->users().create(user), IsOk());
  auto org = samples.org();
  ASSERT_THAT(db->orgs().create(org, samples.member(org.id, user.id, {"owner"})), IsOk());

  ManualClock clock;
  SeededRandom random(5);
  CataloguePlanPolicy policy(PlanCatalogue::builtin());  // 7 days of grace
  EntitlementCache cache(policy, subscription_store_loader(db->subscriptions()), clock);
  auto provider = LocalBillingProvider::create(
      {.public_url = "http://localhost:8080", .webhook_secrets = {Secret("whsec_g")}}, clock,
      random);
  ASSERT_THAT(provider, IsOk());
  auto verifier = WebhookVerifier::create({{Secret("whsec_g")}}, clock);
  ASSERT_THAT(verifier, IsOk());
  WebhookHandler handler(std::move(*verifier), db->subscriptions(), db->webhook_events(),
                         EventMapping{}, clock, &cache);
  auto feed = [&](const std::vector<SignedEvent>& events) {
    for (const auto& e : events) ASSERT_THAT(handler.handle(e.signature_header, e.body), IsOk());
  };

  auto session = (*provider)->create_checkout_session({.tenant = org.id, .plan_id = "pro"});
  ASSERT_THAT(session, IsOk());
  auto paid = (*provider)->complete_checkout(session->id);
  ASSERT_THAT(paid, IsOk());
  feed(*paid);
  auto sub = db->subscriptions().get(org.id);
  ASSERT_THAT(sub, IsOk());
  auto portal = (*provider)->create_portal_session({org.id, sub->customer_id, ""});
  ASSERT_THAT(portal, IsOk());
  const std::string portal_id = portal->url.substr(portal->url.rfind('/') + 1);

  clock.advance(std::chrono::hours(24));
  const Timestamp first_failure = clock.now();
  auto failed = (*provider)->portal_action(portal_id, PortalAction::payment_failed);
  ASSERT_THAT(failed, IsOk());
  feed(*failed);
  EXPECT_EQ(db->subscriptions().get(org.id)->past_due_since,
            std::chrono::floor<std::chrono::seconds>(first_failure));
  // Another failed retry three days later: still past_due, the grace period does not restart.
  clock.advance(std::chrono::hours(72));
  auto again = (*provider)->portal_action(portal_id, PortalAction::payment_failed);
  ASSERT_THAT(again, IsOk());
  feed(*again);
  auto stored = db->subscriptions().get(org.id);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->status, "past_due");
  EXPECT_EQ(stored->past_due_since, std::chrono::floor<std::chrono::seconds>(first_failure));
  EXPECT_THAT(cache.limit(org.id, Meter::api_calls), IsOkAndHolds(Limit::of(100'000)));
  // Seven days after the first failure (four after the last event) the plan falls back to free.
  clock.set(first_failure + std::chrono::days(7) + std::chrono::seconds(1));
  EXPECT_THAT(cache.limit(org.id, Meter::api_calls), IsOkAndHolds(Limit::of(1000)));
  // Paid again: active, past_due_since cleared.
  auto recovered = (*provider)->portal_action(portal_id, PortalAction::payment_paid);
  ASSERT_THAT(recovered, IsOk());
  feed(*recovered);
  EXPECT_EQ(db->subscriptions().get(org.id)->past_due_since, std::nullopt);
  EXPECT_THAT(cache.limit(org.id, Meter::api_calls), IsOkAndHolds(Limit::of(100'000)));
}

}  // namespace
}  // namespace tenantkit::billing
