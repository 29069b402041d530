// SPDX-License-Identifier: Apache-2.0
// The entitlement hot path: EntitlementCache::has_feature / limit on a warm cache of 10,000
// tenants, 1 and 2 threads. Counts heap allocations per check (expected: 0).
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include <benchmark/benchmark.h>

#include <tenantkit/billing/entitlements.hpp>

#include "tools/alloc_counter.hpp"

namespace tenantkit::billing {
namespace {

constexpr int kTenants = 10000;

struct Fixture {
  CataloguePlanPolicy policy{PlanCatalogue::builtin()};
  std::vector<TenantId> tenants;
  EntitlementCache cache{policy,
                         [](const TenantId& t) -> Result<TenantBilling> {
                           Subscription s;
                           s.tenant = t;
                           s.plan_id = "pro";
                           s.state = SubscriptionState::active;
                           return TenantBilling{s, {}};
                         },
                         system_clock(),
                         {.ttl = std::chrono::seconds(3600)}};
  Fixture() {
    for (int i = 0; i < kTenants; ++i) {
      tenants.push_back(TenantId::from_trusted("org_" + std::to_string(i)));
      (void)cache.has_feature(tenants.back(), Feature::audit_log);
    }
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_HasFeature(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  const auto before = tenantkit::bench::allocations();
  for (auto _ : state) {
    auto r = f.cache.has_feature(f.tenants[i % kTenants], Feature::audit_log);
    benchmark::DoNotOptimize(r);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(tenantkit::bench::allocations() - before) /
                         static_cast<double>(state.iterations()));
}
BENCHMARK(BM_HasFeature)->Threads(1)->Threads(2)->UseRealTime();

void BM_Limit(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = f.cache.limit(f.tenants[i % kTenants], Meter::api_calls);
    benchmark::DoNotOptimize(r);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Limit);

}  // namespace
}  // namespace tenantkit::billing

BENCHMARK_MAIN();
