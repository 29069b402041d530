// SPDX-License-Identifier: Apache-2.0
// Conformance suites for storage::SubscriptionStore (defaults free/none, put_if_newer ordering,
// find_by_customer, isolation) and storage::WebhookEventStore (insert_if_new once, also
// concurrently). Instantiate both in namespace tenantkit::testing (see all.hpp).
#pragma once

#include <tenantkit/testing/conformance/fixtures.hpp>

namespace tenantkit::testing {

template <class Backend>
class SubscriptionStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::SubscriptionStore& subs() { return this->db().subscriptions(); }

  storage::Subscription sub(const OrgId& org, std::string status, Timestamp event_at) {
    storage::Subscription s;
    s.org = org;
    s.plan = "pro";
    s.status = std::move(status);
    s.customer_id = "cus_" + org.str();
    s.subscription_id = "sub_" + org.str();
    s.current_period_end = odd_micros(event_at + std::chrono::hours(24 * 30));
    s.trial_end = std::nullopt;
    s.cancel_at_period_end = false;
    s.last_event_at = event_at;
    s.updated_at = odd_micros(event_at);
    return s;
  }
};
TYPED_TEST_SUITE_P(SubscriptionStoreConformance);

TYPED_TEST_P(SubscriptionStoreConformance, NeverSubscribedIsFreeAndNone) {
  auto a = this->make_tenant();
  auto s = this->subs().get(a.org.id);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->org, a.org.id);
  EXPECT_EQ(s->plan, "free");
  EXPECT_EQ(s->status, "none");
  EXPECT_EQ(s->customer_id, "");
  EXPECT_EQ(s->last_event_at, std::nullopt);
  EXPECT_FALSE(s->cancel_at_period_end);
}

TYPED_TEST_P(SubscriptionStoreConformance, AbsentOrgIsNotFound) {
  auto ghost = this->s_.template id<OrgId>();
  EXPECT_THAT(this->subs().get(ghost), HasError(Errc::not_found));
  EXPECT_THAT(this->subs().put_if_newer(ghost, this->sub(ghost, "active", this->s_.now())),
              HasError(Errc::not_found));
}

TYPED_TEST_P(SubscriptionStoreConformance, PutRoundTripsEveryField) {
  auto a = this->make_tenant();
  auto s = this->sub(a.org.id, "trialing", odd_micros(this->s_.now()));
  s.trial_end = odd_micros(this->s_.now() + std::chrono::hours(24 * 14));
  s.cancel_at_period_end = true;
  EXPECT_THAT(this->subs().put_if_newer(a.org.id, s), IsOkAndHolds(true));
  EXPECT_THAT(this->subs().get(a.org.id), IsOkAndHolds(s));
}

TYPED_TEST_P(SubscriptionStoreConformance, PastDueSinceIsStoredAndCleared) {
  auto a = this->make_tenant();
  const auto t = odd_micros(this->s_.now());
  EXPECT_EQ(this->subs().get(a.org.id)->past_due_since, std::nullopt);
  auto due = this->sub(a.org.id, "past_due", t);
  due.past_due_since = odd_micros(t - std::chrono::hours(30));
  EXPECT_THAT(this->subs().put_if_newer(a.org.id, due), IsOkAndHolds(true));
  EXPECT_THAT(this->subs().get(a.org.id), IsOkAndHolds(due));
  // Paid again: the grace start is cleared, not kept from the earlier row.
  auto paid = this->sub(a.org.id, "active", t + std::chrono::seconds(1));
  EXPECT_THAT(this->subs().put_if_newer(a.org.id, paid), IsOkAndHolds(true));
  auto got = this->subs().get(a.org.id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->past_due_since, std::nullopt);
  EXPECT_EQ(*got, paid);
}

TYPED_TEST_P(SubscriptionStoreConformance, AnOlderEventNeverOverwritesNewerState) {
  auto a = this->make_tenant();
  const auto t = this->s_.now();
  auto newer = this->sub(a.org.id, "past_due", t + std::chrono::seconds(10));
  auto older = this->sub(a.org.id, "active", t);
  older.plan = "team";
  EXPECT_THAT(this->subs().put_if_newer(a.org.id, newer), IsOkAndHolds(true));
  EXPECT_THAT(this->subs().put_if_newer(a.org.id, older), IsOkAndHolds(false));
  EXPECT_THAT(this->subs().get(a.org.id), IsOkAndHolds(newer));
  // One microsecond older still loses.
  auto barely =
      this->sub(a.org.id, "canceled", *newer.last_event_at - std::chrono::microseconds(1));
  EXPECT_THAT(this->subs().put_if_newer(a.org.id, barely), IsOkAndHolds(false));
  // An event of the same time is not older: it is written.
  auto same = this->sub(a.org.id, "active", *newer.last_event_at);
  EXPECT_THAT(this->subs().put_if_newer(a.org.id, same), IsOkAndHolds(true));
  EXPECT_THAT(this->subs().get(a.org.id), IsOkAndHolds(same));
  auto latest = this->sub(a.org.id, "canceled", t + std::chrono::seconds(20));
  EXPECT_THAT(this->subs().put_if_newer(a.org.id, latest), IsOkAndHolds(true));
  EXPECT_THAT(this->subs().get(a.org.id), IsOkAndHolds(latest));
}

TYPED_TEST_P(SubscriptionStoreConformance, FindByCustomerMapsBackToTheOrg) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  must(this->subs().put_if_newer(a.org.id, this->sub(a.org.id, "active", this->s_.now())));
  must(this->subs().put_if_newer(b.org.id, this->sub(b.org.id, "active", this->s_.now())));
  EXPECT_THAT(this->subs().find_by_customer("cus_" + a.org.id.str()),
              IsOkAndHolds(std::optional(a.org.id)));
  EXPECT_THAT(this->subs().find_by_customer("cus_" + b.org.id.str()),
              IsOkAndHolds(std::optional(b.org.id)));
  EXPECT_THAT(this->subs().find_by_customer("cus_unknown"), IsOkAndHolds(std::optional<OrgId>()));
}

TYPED_TEST_P(SubscriptionStoreConformance, OneOrgsSubscriptionLeavesOthersAtTheDefault) {
  auto a = this->make_tenant();
  auto b = this->make_tenant();
  must(this->subs().put_if_newer(a.org.id, this->sub(a.org.id, "active", this->s_.now())));
  auto other = this->subs().get(b.org.id);
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->plan, "free");
  EXPECT_EQ(other->status, "none");
}

TYPED_TEST_P(SubscriptionStoreConformance, ConcurrentPutsKeepTheNewestEvent) {
  auto a = this->make_tenant();
  constexpr int kThreads = 8;
  std::vector<storage::Subscription> subs;
  const auto t = this->s_.now();
  const char* statuses[kThreads] = {"incomplete", "trialing", "active",   "past_due",
                                    "unpaid",     "paused",   "canceled", "active"};
  for (int i = 0; i < kThreads; ++i)
    subs.push_back(this->sub(a.org.id, statuses[i], t + std::chrono::seconds(i)));
  run_concurrently(kThreads, [&](int i) {
    EXPECT_THAT(this->subs().put_if_newer(a.org.id, subs[static_cast<std::size_t>(i)]), IsOk());
  });
  EXPECT_THAT(this->subs().get(a.org.id), IsOkAndHolds(subs.back()));
}

REGISTER_TYPED_TEST_SUITE_P(SubscriptionStoreConformance, NeverSubscribedIsFreeAndNone,
                            PastDueSinceIsStoredAndCleared, AbsentOrgIsNotFound,
                            PutRoundTripsEveryField, AnOlderEventNeverOverwritesNewerState,
                            FindByCustomerMapsBackToTheOrg,
                            OneOrgsSubscriptionLeavesOthersAtTheDefault,
                            ConcurrentPutsKeepTheNewestEvent);

template <class Backend>
class WebhookEventStoreConformance : public StorageConformanceTest<Backend> {
 protected:
  storage::WebhookEventStore& events() { return this->db().webhook_events(); }

  storage::WebhookEvent event(std::string id, std::optional<OrgId> org = std::nullopt) {
    storage::WebhookEvent e;
    e.event_id = std::move(id);
    e.type = "customer.subscription.updated";
    e.received_at = odd_micros(this->s_.now());
    e.org = std::move(org);
    return e;
  }
};
TYPED_TEST_SUITE_P(WebhookEventStoreConformance);

TYPED_TEST_P(WebhookEventStoreConformance, InsertIfNewStoresEachIdOnce) {
  auto a = this->make_tenant();
  EXPECT_THAT(this->events().insert_if_new(this->event("evt_1", a.org.id)), IsOkAndHolds(true));
  EXPECT_THAT(this->events().insert_if_new(this->event("evt_1", a.org.id)), IsOkAndHolds(false));
  EXPECT_THAT(this->events().insert_if_new(this->event("evt_1")), IsOkAndHolds(false));
  EXPECT_THAT(this->events().insert_if_new(this->event("evt_2")), IsOkAndHolds(true));
}

TYPED_TEST_P(WebhookEventStoreConformance, ConcurrentRedeliveriesInsertExactlyOnce) {
  constexpr int kThreads = 8;
  std::atomic<int> inserted{0}, duplicates{0};
  auto e = this->event("evt_race");
  run_concurrently(kThreads, [&](int) {
    auto r = this->events().insert_if_new(e);
    if (!r) return;
    if (*r)
      ++inserted;
    else
      ++duplicates;
  });
  EXPECT_EQ(inserted.load(), 1);
  EXPECT_EQ(duplicates.load(), kThreads - 1);
}

REGISTER_TYPED_TEST_SUITE_P(WebhookEventStoreConformance, InsertIfNewStoresEachIdOnce,
                            ConcurrentRedeliveriesInsertExactlyOnce);

}  // namespace tenantkit::testing
