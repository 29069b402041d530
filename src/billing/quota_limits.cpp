// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tenantkit/billing/quota_limits.hpp>

namespace tenantkit::billing {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::int64_t to_quota_limit(Limit l) noexcept {
  if (l.is_unlimited()) return quota::kUnlimited;
  return std::clamp<std::int64_t>(l.value(), 0, quota::kUnlimited);
}

}  // namespace

std::optional<Timestamp> uuid_v7_time(std::string_view id) noexcept {
  // xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx; the first 12 hex digits are the milliseconds.
  if (id.size() != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-')
    return std::nullopt;
  if (id[14] != '7') return std::nullopt;
  std::int64_t ms = 0;
  for (std::size_t i = 0; i < 13; ++i) {
    if (i == 8) continue;
    const int v = hex_value(id[i]);
    if (v < 0) return std::nullopt;
    ms = ms * 16 + v;
  }
  return Timestamp{std::chrono::milliseconds{ms}};
}

PlanLimitSource::PlanLimitSource(EntitlementCache& cache, PlanLimitOptions options)
    : cache_(cache), options_(std::move(options)) {
  if (options_.period < std::chrono::seconds{1}) options_.period = std::chrono::seconds{1};
  // A subscription change invalidates the tenant's cache entry; the backends cache policies by
  // version, so the same invalidation must move it or they would keep the old plan's limits.
  listener_ = cache_.add_listener([this](const TenantId*) { bump_version(); });
  if (options_.refresh_interval > std::chrono::milliseconds::zero()) {
    refresher_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!cv_.wait_for(lock, options_.refresh_interval, [this] { return stop_; }))
        bump_version();
    });
  }
}

PlanLimitSource::~PlanLimitSource() {
  cache_.remove_listener(listener_);
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

Timestamp PlanLimitSource::anchor_for(std::string_view tenant) const noexcept {
  if (!options_.anchor_at_tenant_creation) return options_.anchor;
  return uuid_v7_time(tenant).value_or(options_.anchor);
}

Result<quota::Policy> PlanLimitSource::policy(std::string_view tenant,
                                              std::string_view meter) const {
  const auto m = parse_meter(meter);
  if (!m) return Error{Errc::not_found, "no plan limit for meter " + std::string(meter)};
  auto id = TenantId::parse(tenant);
  if (!id) return Error{Errc::not_found, "no such tenant"};
  // limit() copies nothing on a cache hit; the plan id (a copy of the entitlements) is only
  // needed to match soft limits.
  std::string plan_id;
  Limit plan_limit;
  if (options_.soft_limits.empty()) {
    auto l = cache_.limit(*id, *m);
    if (!l) return l.error();
    plan_limit = *l;
  } else {
    auto e = cache_.entitlements(*id);
    if (!e) return e.error();
    plan_limit = e->limit(*m);
    plan_id = std::move(e->plan_id);
  }
  const std::int64_t limit = to_quota_limit(plan_limit);
  quota::Policy p;
  switch (*m) {
    case Meter::seats:
      p = quota::Policy::gauge(limit, Errc::seat_limit_reached);
      break;
    case Meter::workspaces:
      p = quota::Policy::gauge(limit, Errc::plan_limit_reached);
      break;
    case Meter::api_calls:
    case Meter::ai_tokens:
    default:
      p = quota::Policy::counter(limit, options_.period);
      p.anchor = anchor_for(tenant);
      break;
  }
  for (const SoftLimit& s : options_.soft_limits)
    if (s.meter == *m && s.plan == plan_id) p.enforcement = quota::Enforcement::soft;
  return p;
}

}  // namespace tenantkit::billing
