// SPDX-License-Identifier: Apache-2.0
// PlanPolicy: limits and features of a tenant, given its subscription and per-tenant overrides.
// CataloguePlanPolicy is the default (the catalogue plan while the state grants it, else free,
// then overrides). Policies must be safe for concurrent use; the built-in one is immutable.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>

#include <tenantkit/billing/plan.hpp>
#include <tenantkit/billing/subscription.hpp>
#include <tenantkit/core/result.hpp>

namespace tenantkit::billing {

/// What a tenant may use right now.
struct Entitlements {
  std::string plan_id{};  ///< The plan whose limits apply ("free" on fallback).
  SubscriptionState state = SubscriptionState::none;
  std::array<Limit, kMeterCount> limits{};  ///< Indexed by Meter.
  FeatureSet features{};
  /// When these entitlements stop being true without any event (end of a past_due grace
  /// period); nullopt = until the subscription changes. Caches must not serve them after it.
  std::optional<Timestamp> valid_until{};

  Limit limit(Meter m) const noexcept { return limits[static_cast<std::size_t>(m)]; }
  bool has_feature(Feature f) const noexcept { return features.has(f); }
};

/// Computes entitlements. Implement it to express pricing the catalogue cannot (per-seat plans,
/// grandfathered tenants); see docs/extending-plans.md. Must be safe for concurrent use and
/// must not block (it runs on cache misses inside request handling).
class PlanPolicy {
 public:
  virtual ~PlanPolicy();
  PlanPolicy(const PlanPolicy&) = delete;
  PlanPolicy& operator=(const PlanPolicy&) = delete;

  /// The entitlements of `tenant` at `now`. Errors: not_found (the subscription names a plan the
  /// policy does not know), internal.
  virtual Result<Entitlements> entitlements(const TenantId& tenant,
                                            const Subscription& subscription,
                                            const TenantOverrides& overrides,
                                            Timestamp now) const = 0;

 protected:
  PlanPolicy() = default;
};

/// Options of CataloguePlanPolicy.
struct CataloguePolicyOptions {
  /// How long past_due keeps the paid plan after the failed payment. Default 7 days; >= 0.
  std::chrono::seconds past_due_grace{7 * 24 * 3600};
};

/// The default policy: the subscription's catalogue plan while grants_plan() holds, else the
/// free plan; then `overrides` (limits replaced, features granted, then revoked).
class CataloguePlanPolicy final : public PlanPolicy {
 public:
  /// Keeps a copy of `catalogue`.
  explicit CataloguePlanPolicy(PlanCatalogue catalogue, CataloguePolicyOptions options = {});

  /// Errors: not_found when a granting subscription names a plan missing from the catalogue
  /// (a catalogue edited under live subscriptions; the caller logs it).
  Result<Entitlements> entitlements(const TenantId& tenant, const Subscription& subscription,
                                    const TenantOverrides& overrides, Timestamp now) const override;

  const PlanCatalogue& catalogue() const noexcept { return catalogue_; }

 private:
  PlanCatalogue catalogue_;
  CataloguePolicyOptions options_;
};

/// Entitlements of `plan` with `overrides` applied (the building block of policies).
Entitlements entitlements_of(const Plan& plan, SubscriptionState state,
                             const TenantOverrides& overrides);

}  // namespace tenantkit::billing
