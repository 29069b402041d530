// SPDX-License-Identifier: Apache-2.0
// PlanLimits: quota policies from each tenant's plan (billing entitlements): api_calls and
// ai_tokens are hard monthly counters, seats and workspaces gauges; unlimited plans get
// quota::kUnlimited. Call changed() after a subscription changes so backends drop cached policies.
#pragma once

#include <tenantkit/billing/entitlements.hpp>
#include <tenantkit/quota/limits.hpp>

namespace tenantkit::server {

class PlanLimits final : public quota::LimitSource {
 public:
  explicit PlanLimits(billing::EntitlementCache& cache) : cache_(cache) {}
  Result<quota::Policy> policy(std::string_view tenant, std::string_view meter) const override;
  void changed() noexcept { bump_version(); }

 private:
  billing::EntitlementCache& cache_;
};

}  // namespace tenantkit::server
