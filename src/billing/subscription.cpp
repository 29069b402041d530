// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/billing/subscription.hpp>

namespace tenantkit::billing {

using S = SubscriptionState;

std::string_view to_string(SubscriptionState s) noexcept {
  switch (s) {
    case S::none:
      return "none";
    case S::incomplete:
      return "incomplete";
    case S::incomplete_expired:
      return "incomplete_expired";
    case S::trialing:
      return "trialing";
    case S::active:
      return "active";
    case S::past_due:
      return "past_due";
    case S::canceled:
      return "canceled";
    case S::unpaid:
      return "unpaid";
    case S::paused:
      return "paused";
    default:
      return "unknown";
  }
}

std::ostream& operator<<(std::ostream& os, SubscriptionState s) {
  return os << to_string(s);
}

std::optional<SubscriptionState> parse_subscription_state(std::string_view text) noexcept {
  for (S s : kAllSubscriptionStates)
    if (to_string(s) == text) return s;
  return std::nullopt;
}

bool is_terminal(SubscriptionState s) noexcept {
  return s == S::canceled || s == S::incomplete_expired;
}

namespace {

constexpr Transition allow(S to) noexcept {
  return Transition{true, to, {}};
}
constexpr Transition reject(S from, std::string_view why) noexcept {
  return Transition{false, from, why};
}

// Status changes Stripe's subscription lifecycle can produce
// (https://docs.stripe.com/billing/subscriptions/overview#subscription-statuses).
bool status_change_possible(S from, S to) noexcept {
  if (from == to) return true;
  switch (from) {
    case S::none:
      return to != S::none;
    case S::incomplete:
      return to == S::active || to == S::trialing || to == S::incomplete_expired ||
             to == S::canceled;
    case S::trialing:
      return to == S::active || to == S::past_due || to == S::canceled || to == S::unpaid ||
             to == S::paused;
    case S::active:
      // Back to trialing when a trial is added to a running subscription.
      return to == S::past_due || to == S::canceled || to == S::unpaid || to == S::trialing ||
             to == S::paused;
    case S::past_due:
      return to == S::active || to == S::canceled || to == S::unpaid;
    case S::unpaid:
      return to == S::active || to == S::canceled || to == S::past_due;
    case S::paused:
      return to == S::active || to == S::trialing || to == S::canceled;
    case S::incomplete_expired:
    case S::canceled:
    default:
      return false;
  }
}

}  // namespace

Transition transition(SubscriptionState from, SubscriptionEvent event) noexcept {
  switch (event.kind) {
    case SubscriptionEventKind::checkout_completed:
      // The checkout says a subscription exists; its status arrives with subscription.*.
      if (from == S::none) return allow(S::incomplete);
      if (is_terminal(from)) return reject(from, "checkout completed for an ended subscription");
      return allow(from);

    case SubscriptionEventKind::status_reported:
      if (event.status == S::none) return reject(from, "\"none\" is not a provider status");
      if (status_change_possible(from, event.status)) return allow(event.status);
      return reject(from, "status change not possible in the subscription lifecycle");

    case SubscriptionEventKind::invoice_paid:
      switch (from) {
        case S::none:  // delivered before the subscription's events: it proves a live one
          return allow(S::active);
        case S::incomplete_expired:
          return reject(from, "invoice paid for an expired subscription");
        case S::incomplete:
        case S::past_due:
        case S::unpaid:
        case S::paused:
        case S::active:
          return allow(S::active);
        case S::trialing:
          return allow(S::trialing);  // the 0.00 trial invoice
        case S::canceled:
          return allow(S::canceled);  // a final invoice settled after the end
        default:
          return reject(from, "unknown state");
      }

    case SubscriptionEventKind::payment_failed:
      switch (from) {
        case S::none:
          return reject(from, "payment failed without a subscription");
        case S::incomplete_expired:
          return reject(from, "payment failed for an expired subscription");
        case S::active:
        case S::trialing:
        case S::past_due:
          return allow(S::past_due);
        case S::incomplete:
        case S::unpaid:
        case S::paused:
        case S::canceled:
          return allow(from);  // nothing more to lose
        default:
          return reject(from, "unknown state");
      }

    case SubscriptionEventKind::deleted:
      // From none too: a delete delivered before the rest of the history still ends it.
      if (from == S::incomplete_expired) return allow(from);
      return allow(S::canceled);

    default:
      return reject(from, "unknown event");
  }
}

bool grants_plan(const Subscription& sub, Timestamp now, std::chrono::seconds grace) noexcept {
  switch (sub.state) {
    case S::trialing:
    case S::active:
      return true;
    case S::past_due:
      return now < sub.past_due_since.value_or(now) + grace;
    default:
      return false;
  }
}

}  // namespace tenantkit::billing
