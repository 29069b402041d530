// SPDX-License-Identifier: Apache-2.0
#include "plan_limits.hpp"

namespace tenantkit::server {

Result<quota::Policy> PlanLimits::policy(std::string_view tenant, std::string_view meter) const {
  const auto m = billing::parse_meter(meter);
  if (!m) return Error{Errc::not_found, "no quota policy for meter " + std::string(meter)};
  auto id = TenantId::parse(tenant);
  if (!id) return Error{Errc::not_found, "no quota policy for this tenant"};
  auto limit = cache_.limit(*id, *m);
  if (!limit) return limit.error();
  const std::int64_t n = limit->is_unlimited() ? quota::kUnlimited : limit->value();
  switch (*m) {
    case billing::Meter::api_calls:
    case billing::Meter::ai_tokens:
      return quota::Policy::counter(n);
    case billing::Meter::seats:
      return quota::Policy::gauge(n, Errc::seat_limit_reached);
    case billing::Meter::workspaces:
      return quota::Policy::gauge(n, Errc::plan_limit_reached);
  }
  return Error{Errc::not_found, "no quota policy for meter " + std::string(meter)};
}

}  // namespace tenantkit::server
