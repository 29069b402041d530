// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include <tenantkit/billing/entitlements.hpp>
#include <tenantkit/storage/billing_store.hpp>

#include "billing/storage_mapping.hpp"

namespace tenantkit::billing {

namespace {
constexpr std::size_t kShards = 16;
}

struct EntitlementCache::Listeners {
  // Held while a listener runs, so remove_listener() returns only once no call is in flight.
  std::mutex mu;
  std::uint64_t next = 1;
  std::vector<std::pair<std::uint64_t, InvalidationListener>> list;
};

struct EntitlementCache::Shard {
  struct Entry {
    Entitlements value;
    Timestamp expires;
  };
  std::shared_mutex mu;
  std::unordered_map<TenantId, Entry> entries;
  // Bumped by every invalidation in this shard, so a load that started before it is not cached.
  std::uint64_t generation = 0;
};

EntitlementCache::EntitlementCache(const PlanPolicy& policy, TenantBillingLoader loader,
                                   const Clock& clock, EntitlementCacheOptions options)
    : policy_(policy),
      loader_(std::move(loader)),
      clock_(clock),
      options_(options),
      shards_(std::make_unique<Shard[]>(kShards)),
      listeners_(std::make_unique<Listeners>()) {
  if (options_.ttl <= std::chrono::seconds::zero()) options_.ttl = std::chrono::seconds(30);
  if (options_.max_entries_per_shard == 0) options_.max_entries_per_shard = 4096;
}

EntitlementCache::~EntitlementCache() = default;

EntitlementCache::Shard& EntitlementCache::shard_for(const TenantId& tenant) const noexcept {
  return shards_[std::hash<TenantId>{}(tenant) % kShards];
}

template <class F>
auto EntitlementCache::read(const TenantId& tenant, F&& f)
    -> Result<decltype(f(std::declval<const Entitlements&>()))> {
  Shard& shard = shard_for(tenant);
  const Timestamp now = clock_.now();
  std::uint64_t generation = 0;
  {
    std::shared_lock lock(shard.mu);
    auto it = shard.entries.find(tenant);
    if (it != shard.entries.end() && now < it->second.expires) return f(it->second.value);
    generation = shard.generation;
  }
  auto billing = loader_(tenant);
  if (!billing) return billing.error();
  auto e = policy_.entitlements(tenant, billing->subscription, billing->overrides, now);
  if (!e) return e.error();
  Timestamp expires = now + options_.ttl;
  if (e->valid_until) expires = std::min(expires, *e->valid_until);
  auto answer = f(*e);
  {
    std::unique_lock lock(shard.mu);
    if (shard.generation == generation) {
      if (shard.entries.size() >= options_.max_entries_per_shard && !shard.entries.contains(tenant))
        shard.entries.clear();
      shard.entries.insert_or_assign(tenant, Shard::Entry{std::move(*e), expires});
    }
  }
  return answer;
}

Result<bool> EntitlementCache::has_feature(const TenantId& tenant, Feature feature) {
  return read(tenant, [feature](const Entitlements& e) { return e.has_feature(feature); });
}

Result<Limit> EntitlementCache::limit(const TenantId& tenant, Meter meter) {
  return read(tenant, [meter](const Entitlements& e) { return e.limit(meter); });
}

Result<Entitlements> EntitlementCache::entitlements(const TenantId& tenant) {
  return read(tenant, [](const Entitlements& e) { return e; });
}

void EntitlementCache::invalidate(const TenantId& tenant) {
  Shard& shard = shard_for(tenant);
  {
    std::unique_lock lock(shard.mu);
    shard.entries.erase(tenant);
    ++shard.generation;
  }
  notify(&tenant);
}

void EntitlementCache::clear() {
  for (std::size_t i = 0; i < kShards; ++i) {
    std::unique_lock lock(shards_[i].mu);
    shards_[i].entries.clear();
    ++shards_[i].generation;
  }
  notify(nullptr);
}

std::uint64_t EntitlementCache::add_listener(InvalidationListener listener) {
  std::lock_guard lock(listeners_->mu);
  const std::uint64_t handle = listeners_->next++;
  listeners_->list.emplace_back(handle, std::move(listener));
  return handle;
}

void EntitlementCache::remove_listener(std::uint64_t handle) {
  std::lock_guard lock(listeners_->mu);
  std::erase_if(listeners_->list, [&](const auto& l) { return l.first == handle; });
}

void EntitlementCache::notify(const TenantId* tenant) {
  std::lock_guard lock(listeners_->mu);
  for (const auto& [handle, listener] : listeners_->list) listener(tenant);
}

TenantBillingLoader subscription_store_loader(storage::SubscriptionStore& store) {
  return [&store](const TenantId& tenant) -> Result<TenantBilling> {
    auto sub = store.get(tenant);
    if (!sub) return sub.error();
    return TenantBilling{from_storage(*sub), {}};
  };
}

std::vector<Overage> simulate_plan_change(const UsageCounts& usage, const Entitlements& target) {
  std::vector<Overage> out;
  auto count = [&](std::string_view what, std::int64_t current, Meter m, std::string_view unit) {
    const Limit l = target.limit(m);
    if (l.allows(current)) return;
    out.push_back({std::string(what), current, l.value(),
                   std::to_string(current) + " " + std::string(unit) + ", the plan allows " +
                       std::to_string(l.value())});
  };
  auto feature = [&](std::string_view what, std::int64_t current, Feature f,
                     std::string_view unit) {
    if (current <= 0 || target.has_feature(f)) return;
    out.push_back({std::string(what), current, 0,
                   std::to_string(current) + " " + std::string(unit) + ", the plan lacks " +
                       std::string(to_string(f))});
  };
  count("seats", usage.seats, Meter::seats, "seats in use");
  count("workspaces", usage.workspaces, Meter::workspaces, "workspaces exist");
  count("api_calls", usage.api_calls_this_period, Meter::api_calls, "API calls this period");
  count("ai_tokens", usage.ai_tokens_this_period, Meter::ai_tokens, "AI tokens this period");
  feature("api_key_scopes", usage.api_keys_with_scopes, Feature::api_key_scopes,
          "API keys with chosen scopes");
  feature("custom_roles", usage.custom_roles, Feature::custom_roles, "custom roles exist");
  return out;
}

}  // namespace tenantkit::billing
