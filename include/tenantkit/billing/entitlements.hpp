// SPDX-License-Identifier: Apache-2.0
// EntitlementCache: has_feature(tenant, feature) and limit(tenant, meter) for the hot path,
// served from a per-tenant cache (sharded, read-locked per shard; no allocation on a hit) that
// the webhook handler invalidates when a subscription changes. simulate_plan_change() is the
// downgrade dry-run. The cache is safe for concurrent use.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <tenantkit/billing/plan_policy.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/result.hpp>

namespace tenantkit::storage {
class SubscriptionStore;
}

namespace tenantkit::billing {

/// What the cache needs to know about a tenant to compute its entitlements.
struct TenantBilling {
  Subscription subscription;  ///< `none`/free when the tenant never subscribed.
  TenantOverrides overrides;
};

/// Reads a tenant's billing record (a storage read). Errors: not_found (no such tenant),
/// unavailable. Must be safe for concurrent calls.
using TenantBillingLoader = std::function<Result<TenantBilling>(const TenantId&)>;

/// A loader over storage::SubscriptionStore, without overrides. `store` outlives the loader.
TenantBillingLoader subscription_store_loader(storage::SubscriptionStore& store);

/// Options of EntitlementCache.
struct EntitlementCacheOptions {
  /// Longest time an entry is served without a reload: the bound on staleness when another
  /// instance applied the change (invalidate() only reaches this process). Default 30 s; > 0.
  std::chrono::seconds ttl{30};
  /// Entries per shard (16 shards) before the shard is emptied. Default 4096; > 0.
  std::size_t max_entries_per_shard = 4096;
};

/// Entitlements per tenant with a cache in front of the loader and the policy.
/// `policy`, `clock` and whatever `loader` captures must outlive the cache.
class EntitlementCache {
 public:
  EntitlementCache(const PlanPolicy& policy, TenantBillingLoader loader, const Clock& clock,
                   EntitlementCacheOptions options = {});
  ~EntitlementCache();
  EntitlementCache(const EntitlementCache&) = delete;
  EntitlementCache& operator=(const EntitlementCache&) = delete;

  /// Whether `tenant` may use `feature` now. A hit takes a shard read lock and allocates
  /// nothing. Errors (on a miss only): those of the loader and the policy; fail closed.
  Result<bool> has_feature(const TenantId& tenant, Feature feature);
  /// The tenant's limit for `meter` now. Errors: as has_feature.
  Result<Limit> limit(const TenantId& tenant, Meter meter);
  /// A copy of all of the tenant's entitlements. Errors: as has_feature.
  Result<Entitlements> entitlements(const TenantId& tenant);

  /// Drops the tenant's entry; the next call reloads. Call after the subscription or the
  /// overrides changed (WebhookHandler does). A load racing with it is not cached.
  void invalidate(const TenantId& tenant);
  /// Drops every entry (a new catalogue or policy).
  void clear();

  /// Called after invalidate() (with the tenant) and clear() (with nullptr), on the thread that
  /// invalidated. Must be quick and must not call back into the cache's listener methods.
  using InvalidationListener = std::function<void(const TenantId* tenant)>;
  /// Registers `listener` (e.g. billing::PlanLimitSource, so quota backends re-read limits).
  /// Returns a handle for remove_listener(). Whatever `listener` captures must outlive the
  /// registration.
  std::uint64_t add_listener(InvalidationListener listener);
  /// Unregisters; no call of it is running or starts once this returns. Unknown handles: no-op.
  void remove_listener(std::uint64_t handle);

 private:
  struct Shard;
  Shard& shard_for(const TenantId& tenant) const noexcept;
  template <class F>
  auto read(const TenantId& tenant, F&& f)
      -> Result<decltype(f(std::declval<const Entitlements&>()))>;

  const PlanPolicy& policy_;
  TenantBillingLoader loader_;
  const Clock& clock_;
  EntitlementCacheOptions options_;
  std::unique_ptr<Shard[]> shards_;
  struct Listeners;
  std::unique_ptr<Listeners> listeners_;
  void notify(const TenantId* tenant);
};

/// Current counts of what a plan limits, for a downgrade dry-run.
struct UsageCounts {
  std::int64_t seats = 0;  ///< Members plus pending invitations.
  std::int64_t workspaces = 0;
  std::int64_t api_keys_with_scopes = 0;  ///< Keys with chosen (non-default) scopes.
  std::int64_t custom_roles = 0;
  std::int64_t api_calls_this_period = 0;
  std::int64_t ai_tokens_this_period = 0;
};

/// One thing that would be over the target plan.
struct Overage {
  std::string
      what;  ///< "seats", "workspaces", "api_calls", "ai_tokens", "api_key_scopes", "custom_roles".
  std::int64_t current = 0;  ///< How many exist.
  std::int64_t allowed = 0;  ///< How many the target allows (0 for a missing feature).
  std::string message{};     ///< "5 seats in use, the plan allows 3".
  friend bool operator==(const Overage&, const Overage&) = default;
};

/// What would exceed `target` if the tenant moved to it now; empty = the change is safe.
/// Count limits compare usage > limit; a feature the target lacks counts its users (keys with
/// scopes need api_key_scopes, custom roles need custom_roles). Order: seats, workspaces,
/// api_calls, ai_tokens, api_key_scopes, custom_roles.
std::vector<Overage> simulate_plan_change(const UsageCounts& usage, const Entitlements& target);

}  // namespace tenantkit::billing
