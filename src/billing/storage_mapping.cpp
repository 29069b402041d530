// SPDX-License-Identifier: Apache-2.0
#include "billing/storage_mapping.hpp"

namespace tenantkit::billing {

Subscription from_storage(const storage::Subscription& s) {
  Subscription out;
  out.tenant = s.org;
  out.plan_id = s.plan;
  // An unknown status written by a newer version reads as `none`: it grants only the free plan.
  out.state = parse_subscription_state(s.status).value_or(SubscriptionState::none);
  out.customer_id = s.customer_id;
  out.subscription_id = s.subscription_id;
  out.current_period_end = s.current_period_end;
  out.cancel_at_period_end = s.cancel_at_period_end;
  out.trial_end = s.trial_end;
  out.last_event_at = s.last_event_at;
  out.past_due_since = s.past_due_since;
  // Rows written before past_due_since was stored: the event that last changed a past_due
  // subscription is the closest stored bound on when the grace period started.
  if (out.state == SubscriptionState::past_due && !out.past_due_since)
    out.past_due_since = s.last_event_at;
  if (out.state != SubscriptionState::past_due) out.past_due_since.reset();
  return out;
}

storage::Subscription to_storage(const Subscription& s, Timestamp updated_at) {
  storage::Subscription out;
  out.org = s.tenant;
  out.plan = s.plan_id;
  out.status = std::string(to_string(s.state));
  out.customer_id = s.customer_id;
  out.subscription_id = s.subscription_id;
  out.current_period_end = s.current_period_end;
  out.trial_end = s.trial_end;
  out.cancel_at_period_end = s.cancel_at_period_end;
  out.last_event_at = s.last_event_at;
  out.past_due_since = s.past_due_since;
  out.updated_at = updated_at;
  return out;
}

}  // namespace tenantkit::billing
