// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/billing/plan_policy.hpp>

namespace tenantkit::billing {

PlanPolicy::~PlanPolicy() = default;

Entitlements entitlements_of(const Plan& plan, SubscriptionState state,
                             const TenantOverrides& overrides) {
  Entitlements e;
  e.plan_id = plan.id;
  e.state = state;
  e.limits = plan.limits;
  e.features = plan.features;
  for (std::size_t i = 0; i < kMeterCount; ++i)
    if (overrides.limits[i]) e.limits[i] = *overrides.limits[i];
  for (Feature f : kAllFeatures) {
    if (overrides.granted.has(f)) e.features.add(f);
    if (overrides.revoked.has(f)) e.features.remove(f);
  }
  return e;
}

CataloguePlanPolicy::CataloguePlanPolicy(PlanCatalogue catalogue, CataloguePolicyOptions options)
    : catalogue_(std::move(catalogue)), options_(options) {}

Result<Entitlements> CataloguePlanPolicy::entitlements(const TenantId& /*tenant*/,
                                                       const Subscription& subscription,
                                                       const TenantOverrides& overrides,
                                                       Timestamp now) const {
  if (!grants_plan(subscription, now, options_.past_due_grace))
    return entitlements_of(catalogue_.free(), subscription.state, overrides);
  const Plan* plan = catalogue_.find(subscription.plan_id);
  if (!plan) return Error{Errc::not_found, "unknown plan " + subscription.plan_id};
  Entitlements e = entitlements_of(*plan, subscription.state, overrides);
  if (subscription.state == SubscriptionState::past_due)
    e.valid_until = subscription.past_due_since.value_or(now) + options_.past_due_grace;
  return e;
}

}  // namespace tenantkit::billing
