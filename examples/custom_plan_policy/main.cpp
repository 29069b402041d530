// SPDX-License-Identifier: Apache-2.0
// A custom PlanPolicy: seats follow the quantity a tenant bought (per-seat pricing), and one
// grandfathered tenant keeps the features of a plan it bought before they were repriced.
// It decorates the catalogue policy instead of replacing it, so states, grace periods and the
// free fallback stay as tenantkit defines them. Run it: it prints what each tenant gets.
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include <tenantkit/billing/entitlements.hpp>
#include <tenantkit/billing/plan_policy.hpp>

using namespace tenantkit;
using namespace tenantkit::billing;

// [snippet policy]
class PerSeatPolicy final : public PlanPolicy {
 public:
  PerSeatPolicy(const PlanPolicy& base, std::map<TenantId, std::int64_t> seats_bought,
                std::set<TenantId> grandfathered)
      : base_(base), seats_(std::move(seats_bought)), grandfathered_(std::move(grandfathered)) {}

  Result<Entitlements> entitlements(const TenantId& tenant, const Subscription& subscription,
                                    const TenantOverrides& overrides,
                                    Timestamp now) const override {
    auto e = base_.entitlements(tenant, subscription, overrides, now);
    if (!e) return e.error();
    if (e->plan_id == "free") return e;  // fallback states are not ours to change
    if (auto it = seats_.find(tenant); it != seats_.end())
      e->limits[static_cast<std::size_t>(Meter::seats)] = Limit::of(it->second);
    if (grandfathered_.contains(tenant)) e->features.add(Feature::audit_export);
    return e;
  }

 private:
  const PlanPolicy& base_;
  std::map<TenantId, std::int64_t> seats_;
  std::set<TenantId> grandfathered_;
};
// [end policy]

int main() {
  const TenantId acme = TenantId::from_trusted("org_acme");
  const TenantId globex = TenantId::from_trusted("org_globex");

  // [snippet wiring]
  CataloguePlanPolicy catalogue(PlanCatalogue::builtin());
  PerSeatPolicy policy(catalogue, {{acme, 40}}, {globex});

  // Subscriptions would come from storage::SubscriptionStore (subscription_store_loader).
  std::map<TenantId, Subscription> subscriptions;
  subscriptions[acme] =
      Subscription{.tenant = acme, .plan_id = "pro", .state = SubscriptionState::active};
  subscriptions[globex] = Subscription{.tenant = globex,
                                       .plan_id = "pro",
                                       .state = SubscriptionState::past_due,
                                       .past_due_since = system_clock().now()};
  std::mutex mu;
  EntitlementCache cache(
      policy,
      [&](const TenantId& t) -> Result<TenantBilling> {
        std::lock_guard lock(mu);
        auto it = subscriptions.find(t);
        if (it == subscriptions.end()) return TenantBilling{Subscription{.tenant = t}, {}};
        return TenantBilling{it->second, {}};
      },
      system_clock());
  // [end wiring]

  int failures = 0;
  auto expect = [&](bool ok, std::string_view what) {
    std::cout << (ok ? "ok   " : "FAIL ") << what << "\n";
    if (!ok) ++failures;
  };
  // [snippet lookup]
  auto seats = cache.limit(acme, Meter::seats);
  expect(seats && *seats == Limit::of(40), "acme (pro, 40 seats bought) has 40 seats");
  auto export_acme = cache.has_feature(acme, Feature::audit_export);
  expect(export_acme && !*export_acme, "acme has no audit_export");
  // [end lookup]
  auto export_globex = cache.has_feature(globex, Feature::audit_export);
  expect(export_globex && *export_globex, "globex (grandfathered, past_due in grace) exports");
  auto other = cache.limit(TenantId::from_trusted("org_new"), Meter::seats);
  expect(other && *other == Limit::of(3), "a tenant that never subscribed gets free seats");
  return failures == 0 ? 0 : 1;
}
