// SPDX-License-Identifier: Apache-2.0
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <tenantkit/billing/subscription.hpp>

namespace tenantkit::billing {
namespace {

using S = SubscriptionState;
using K = SubscriptionEventKind;

// The expected table, written out independently of the implementation: for each state, the
// result of checkout_completed, invoice_paid, payment_failed and deleted ("-" = rejected), and
// the statuses a subscription.* report may move it to (besides its own status).
struct Row {
  std::string checkout, paid, failed, deleted;
  std::set<std::string> reported;
};
const std::map<std::string, Row> kExpected = {
    {"none",
     {"incomplete",
      "active",
      "-",
      "canceled",
      {"incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid",
       "paused"}}},
    {"incomplete",
     {"incomplete",
      "active",
      "incomplete",
      "canceled",
      {"active", "trialing", "incomplete_expired", "canceled"}}},
    {"incomplete_expired", {"-", "-", "-", "incomplete_expired", {}}},
    {"trialing",
     {"trialing",
      "trialing",
      "past_due",
      "canceled",
      {"active", "past_due", "canceled", "unpaid", "paused"}}},
    {"active",
     {"active",
      "active",
      "past_due",
      "canceled",
      {"past_due", "canceled", "unpaid", "trialing", "paused"}}},
    {"past_due", {"past_due", "active", "past_due", "canceled", {"active", "canceled", "unpaid"}}},
    {"canceled", {"-", "canceled", "canceled", "canceled", {}}},
    {"unpaid", {"unpaid", "active", "unpaid", "canceled", {"active", "canceled", "past_due"}}},
    {"paused", {"paused", "active", "paused", "canceled", {"active", "trialing", "canceled"}}},
};

void expect_transition(S from, SubscriptionEvent ev, const std::string& expected,
                       const std::string& what) {
  const Transition t = transition(from, ev);
  if (expected == "-") {
    EXPECT_FALSE(t.allowed) << to_string(from) << " x " << what;
    EXPECT_EQ(t.to, from) << "a rejection keeps the state";
    EXPECT_FALSE(t.reason.empty()) << to_string(from) << " x " << what;
  } else {
    EXPECT_TRUE(t.allowed) << to_string(from) << " x " << what << ": " << t.reason;
    EXPECT_EQ(to_string(t.to), expected) << to_string(from) << " x " << what;
    EXPECT_TRUE(t.reason.empty());
  }
}

TEST(SubscriptionStateMachine, EveryStateTimesEveryEvent) {
  ASSERT_EQ(kExpected.size(), kSubscriptionStateCount);
  int checked = 0;
  for (S from : kAllSubscriptionStates) {
    const Row& row = kExpected.at(std::string(to_string(from)));
    expect_transition(from, {K::checkout_completed}, row.checkout, "checkout_completed");
    expect_transition(from, {K::invoice_paid}, row.paid, "invoice_paid");
    expect_transition(from, {K::payment_failed}, row.failed, "payment_failed");
    expect_transition(from, {K::deleted}, row.deleted, "deleted");
    checked += 4;
    for (S to : kAllSubscriptionStates) {
      const std::string name(to_string(to));
      std::string expected = "-";
      if (to != S::none && (to == from || row.reported.count(name))) expected = name;
      expect_transition(from, {K::status_reported, to}, expected, "reported " + name);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 9 * (4 + 9));
}

TEST(SubscriptionStateMachine, TerminalStates) {
  for (S s : kAllSubscriptionStates)
    EXPECT_EQ(is_terminal(s), s == S::canceled || s == S::incomplete_expired) << to_string(s);
}

TEST(SubscriptionStateMachine, WireSpellingsRoundTrip) {
  for (S s : kAllSubscriptionStates) EXPECT_EQ(parse_subscription_state(to_string(s)), s);
  EXPECT_EQ(parse_subscription_state("Active"), std::nullopt);
  EXPECT_EQ(parse_subscription_state(""), std::nullopt);
}

TEST(SubscriptionStateMachine, GrantsPlanPerState) {
  const auto t0 = from_unix_seconds(1767225600);
  const auto grace = std::chrono::seconds(3600);
  Subscription sub;
  for (S s : kAllSubscriptionStates) {
    sub.state = s;
    sub.past_due_since = t0;
    const bool expected = s == S::active || s == S::trialing || s == S::past_due;
    EXPECT_EQ(grants_plan(sub, t0, grace), expected) << to_string(s);
  }
  sub.state = S::past_due;
  EXPECT_TRUE(grants_plan(sub, t0 + grace - std::chrono::seconds(1), grace));
  EXPECT_FALSE(grants_plan(sub, t0 + grace, grace));
  sub.past_due_since.reset();
  EXPECT_TRUE(grants_plan(sub, t0 + grace * 10, grace));
}

}  // namespace
}  // namespace tenantkit::billing
