// SPDX-License-Identifier: Apache-2.0
// UsageRecorder: metered usage events (POST /v1/usage/events) and the usage queries of
// GET /v1/usage and GET /v1/usage/daily. An event is validated, stored exactly once per
// (tenant, idempotency key) through storage::UsageStore (the audit trail and the daily
// rollups), and, when new, counted into the quota engine (QuotaBackend::add) so that the limit
// sees it. Safe for concurrent use; calls block on storage (and on Redis with a Redis backend).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/quota/backend.hpp>
#include <tenantkit/quota/limits.hpp>
#include <tenantkit/storage/usage_store.hpp>

namespace tenantkit::quota {

/// Options of UsageRecorder; set fields with designated initializers.
struct UsageOptions {
  /// Largest quantity of one event. Default 1,000,000,000. Valid: >= 1.
  std::int64_t max_quantity = 1'000'000'000;
  /// How far in the future occurred_at may be (clock skew of the reporter). Default 5 min.
  std::chrono::seconds max_future_skew{300};
  /// Meters listed by period_usage(tenant) (GET /v1/usage). Default api_calls, ai_tokens.
  std::vector<std::string> meters{std::string(quota::meters::api_calls),
                                  std::string(quota::meters::ai_tokens)};
};

/// What record() did.
struct RecordedUsage {
  UsageEventId id;         ///< The stored event's id; for a duplicate, the first event's id.
  bool duplicate = false;  ///< The idempotency key was seen before: nothing was counted.
  /// The quota state after counting (may show overage); nullopt for a duplicate.
  std::optional<Outcome> quota{};
};

/// One meter's usage in the current period: the fields of GET /v1/usage.
struct PeriodUsage {
  std::string meter;
  std::int64_t used = 0;                    ///< Counted in the current period.
  std::optional<std::int64_t> limit{};      ///< nullopt: unlimited.
  std::optional<std::int64_t> remaining{};  ///< max(0, limit - used); nullopt: unlimited.
  Timestamp period_start{};
  Timestamp period_end{};  ///< Exclusive: the next period starts here.
  double percent = 0;      ///< used x 100 / limit, rounded to 2 decimals; 0 when unlimited.
  bool warning = false;    ///< used >= 80 % of the limit.
  bool exceeded = false;   ///< used >= the limit.
};

/// True for a meter name of 1..64 characters of [a-z0-9_.-] starting with a letter.
bool is_valid_meter_name(std::string_view meter) noexcept;

/// Records usage events and answers usage queries. The references must outlive it.
///
/// Where "used" comes from: the quota backend's counter for the current period, because that is
/// what the limit enforces (it also holds consumption that has no usage event, such as the
/// metered GET /v1/data). The store's events are the audit trail and the source of the daily
/// rollups (by occurred_at). A new event counts in the quota period in which it is recorded,
/// whatever its occurred_at.
class UsageRecorder {
 public:
  /// `limits` is the catalogue of meters: a meter without a policy is unknown.
  UsageRecorder(storage::UsageStore& store, QuotaBackend& backend, const LimitSource& limits,
                Random& random, const Clock& clock, UsageOptions options = {});

  /// Records `quantity` units of `meter` for `tenant`, once per `idempotency_key`. A repeated
  /// key returns the first event's id with duplicate = true and counts nothing. A new event is
  /// stored, then added to the quota counter even past a hard limit (it already happened; the
  /// outcome flags overage and later decisions deny). `occurred_at` nullopt means now.
  /// Only counter meters (per-period usage) take events.
  /// Errors: validation_failed (fields: meter — bad syntax, unknown, or not a counter;
  /// quantity — < 0 or > max_quantity; idempotency_key — not 1..255 printable ASCII;
  /// occurred_at — further than max_future_skew in the future), not_found (no such tenant),
  /// unavailable (store or quota backend; when the backend fails after the event was stored,
  /// a retry with the same key answers duplicate and the event stays uncounted in the quota).
  Result<RecordedUsage> record(const TenantId& tenant, std::string_view meter,
                               std::int64_t quantity, std::string_view idempotency_key,
                               std::optional<Timestamp> occurred_at = std::nullopt);

  /// Usage of `meter` in the tenant's current period (reads; counts nothing).
  /// Errors: validation_failed (meter: bad syntax, or not a counter), not_found (unknown meter),
  /// unavailable.
  Result<PeriodUsage> period_usage(const TenantId& tenant, std::string_view meter);
  /// period_usage() of every meter of options.meters, in that order.
  Result<std::vector<PeriodUsage>> period_usage(const TenantId& tenant);

  /// Daily sums from `from` to `to` (YYYY-MM-DD, UTC, inclusive), oldest first, days without
  /// usage omitted; an empty `meter` means every meter.
  /// Errors: validation_failed (fields: meter — bad syntax; from, to — not a valid date; to —
  /// before from, or a range over 366 days), not_found (no such tenant), unavailable.
  Result<std::vector<storage::DailyUsage>> daily(const TenantId& tenant, std::string_view meter,
                                                 std::string_view from, std::string_view to);

 private:
  storage::UsageStore& store_;
  QuotaBackend& backend_;
  const LimitSource& limits_;
  Random& random_;
  const Clock& clock_;
  UsageOptions options_;
};

}  // namespace tenantkit::quota
