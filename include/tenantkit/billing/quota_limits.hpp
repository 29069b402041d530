// SPDX-License-Identifier: Apache-2.0
// PlanLimitSource: the quota::LimitSource fed by billing. A tenant's meter gets the limit of its
// effective plan (subscription state -> plan -> limits, through the EntitlementCache): api_calls
// and ai_tokens are per-period counters (quota_exceeded), seats and workspaces are gauges
// (seat_limit_reached, plan_limit_reached). A subscription change that invalidates the cache
// (webhook, offline checkout) moves version(), so every quota backend re-reads on its next
// decision. Safe for concurrent use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <tenantkit/billing/entitlements.hpp>
#include <tenantkit/core/time.hpp>
#include <tenantkit/quota/limits.hpp>

namespace tenantkit::billing {

/// A plan meter enforced softly: past the limit usage is allowed and flagged as overage.
struct SoftLimit {
  std::string plan;  ///< Plan id, e.g. "enterprise".
  Meter meter = Meter::ai_tokens;
};

/// Options of PlanLimitSource; set fields with designated initializers.
struct PlanLimitOptions {
  /// Length of the usage period of api_calls and ai_tokens. Default 30 days (API.md's
  /// `w=2592000`). Valid: >= 1 s (smaller values are raised to 1 s).
  std::chrono::seconds period{2'592'000};
  /// Where periods start: anchor + k x period, the same instants for every tenant, every
  /// instance and every restart. Default the Unix epoch. Calendar months are not followed: quota
  /// windows have a fixed length.
  Timestamp anchor{};
  /// Start each tenant's periods at its creation instant (the time in its UUIDv7 id; `anchor`
  /// for ids of another form) instead. Default false: with one anchor, tenants on one plan share
  /// one policy, which the in-process engine compiles once; per-tenant anchors cost one compiled
  /// policy per tenant and meter.
  bool anchor_at_tenant_creation = false;
  /// Plan meters enforced softly. Default none: every plan limit is hard (429 quota_exceeded,
  /// 402 seat_limit_reached / plan_limit_reached).
  std::vector<SoftLimit> soft_limits{};
  /// How often version() moves by itself, so backends re-read every policy: the bound on
  /// staleness when another instance applied a subscription change (invalidate() reaches only
  /// this process) and when a past_due grace period ends. Default 30 s (the cache's default
  /// ttl). 0: never (call refresh() yourself).
  std::chrono::milliseconds refresh_interval{30'000};
};

/// Plan limits as quota policies. `cache` must outlive this object; destroy this object before
/// the cache. Runs one background thread when options.refresh_interval > 0.
class PlanLimitSource final : public quota::LimitSource {
 public:
  explicit PlanLimitSource(EntitlementCache& cache, PlanLimitOptions options = {});
  ~PlanLimitSource() override;

  /// The policy of `meter` ("api_calls", "ai_tokens", "seats", "workspaces") under `tenant`'s
  /// plan now; an unlimited plan limit is quota::kUnlimited. `tenant` is the TenantId's text.
  /// Errors: not_found (another meter, a malformed tenant id, or no such tenant; from the cache:
  /// a plan missing from the catalogue), unavailable (the billing store failed).
  Result<quota::Policy> policy(std::string_view tenant, std::string_view meter) const override;

  /// Moves version(): every backend re-reads its policies on its next decision.
  void refresh() noexcept { bump_version(); }

  /// The anchor of `tenant`'s periods (see PlanLimitOptions::anchor_at_tenant_creation).
  Timestamp anchor_for(std::string_view tenant) const noexcept;

 private:
  EntitlementCache& cache_;
  PlanLimitOptions options_;
  std::uint64_t listener_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread refresher_;
};

/// The creation instant of a UUIDv7 (RFC 9562: 48-bit Unix milliseconds), or nullopt when
/// `id` is not a UUIDv7 in its 36-character text form.
std::optional<Timestamp> uuid_v7_time(std::string_view id) noexcept;

}  // namespace tenantkit::billing
