// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>

#include <tenantkit/core/time.hpp>
#include <tenantkit/quota/usage.hpp>

namespace tenantkit::quota {

namespace {

constexpr std::size_t kMaxKeyBytes = 255;
constexpr std::int64_t kMaxDailyRangeDays = 366;

bool printable_ascii(std::string_view s) noexcept {
  for (char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

Error invalid(std::vector<FieldError> fields) {
  return Error{Errc::validation_failed, "invalid usage request", std::move(fields)};
}

// The meter's policy, as a field error when the meter cannot take usage events.
Result<Policy> counter_policy(const LimitSource& limits, const TenantId& tenant,
                              std::string_view meter) {
  auto p = limits.policy(tenant.str(), meter);
  if (!p) {
    if (p.error().code == Errc::not_found)
      return invalid({{"meter", "unknown meter " + std::string(meter)}});
    return p.error();
  }
  if (p->kind != MeterKind::counter)
    return invalid({{"meter", std::string(meter) + " is not a usage meter (not a counter)"}});
  return p;
}

}  // namespace

bool is_valid_meter_name(std::string_view meter) noexcept {
  if (meter.empty() || meter.size() > 64) return false;
  if (meter[0] < 'a' || meter[0] > 'z') return false;
  for (char c : meter) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

UsageRecorder::UsageRecorder(storage::UsageStore& store, QuotaBackend& backend,
                             const LimitSource& limits, Random& random, const Clock& clock,
                             UsageOptions options)
    : store_(store),
      backend_(backend),
      limits_(limits),
      random_(random),
      clock_(clock),
      options_(std::move(options)) {
  if (options_.max_quantity < 1) options_.max_quantity = 1;
}

Result<RecordedUsage> UsageRecorder::record(const TenantId& tenant, std::string_view meter,
                                            std::int64_t quantity, std::string_view idempotency_key,
                                            std::optional<Timestamp> occurred_at) {
  const Timestamp now = clock_.now();
  std::vector<FieldError> bad;
  const bool meter_ok = is_valid_meter_name(meter);
  if (!meter_ok)
    bad.push_back({"meter", "must be 1..64 characters of [a-z0-9_.-], a letter first"});
  if (quantity < 0) bad.push_back({"quantity", "must not be negative"});
  if (quantity > options_.max_quantity)
    bad.push_back({"quantity", "must be at most " + std::to_string(options_.max_quantity)});
  if (idempotency_key.empty() || idempotency_key.size() > kMaxKeyBytes ||
      !printable_ascii(idempotency_key))
    bad.push_back({"idempotency_key", "must be 1..255 printable ASCII characters"});
  const Timestamp when = occurred_at.value_or(now);
  if (when > now + options_.max_future_skew)
    bad.push_back({"occurred_at", "must not be in the future"});
  if (!bad.empty()) return invalid(std::move(bad));
  if (tenant.empty()) return Error{Errc::not_found, "no such tenant"};

  auto policy = counter_policy(limits_, tenant, meter);
  if (!policy) return policy.error();

  storage::UsageEvent ev;
  ev.id = UsageEventId::generate(random_, clock_);
  ev.org = tenant;
  ev.meter.assign(meter);
  ev.quantity = quantity;
  ev.idempotency_key.assign(idempotency_key);
  ev.occurred_at = when;
  ev.recorded_at = now;
  // Store first: the store decides exactly-once. Counting first would count a retry twice when
  // the store failed after the quota had moved; this order can at worst leave an event that is
  // stored but uncounted (reported as unavailable), never a double count.
  auto stored = store_.record(tenant, ev);
  if (!stored) return stored.error();
  if (stored->duplicate) return RecordedUsage{stored->id, true, std::nullopt};

  auto counted = backend_.add(tenant.str(), meter, quantity);
  if (!counted) {
    Error e = counted.error();
    e.detail = "usage event " + stored->id.str() + " was stored but not counted: " + e.detail;
    return e;
  }
  return RecordedUsage{stored->id, false, *counted};
}

Result<PeriodUsage> UsageRecorder::period_usage(const TenantId& tenant, std::string_view meter) {
  if (!is_valid_meter_name(meter))
    return invalid({{"meter", "must be 1..64 characters of [a-z0-9_.-], a letter first"}});
  auto policy = limits_.policy(tenant.str(), meter);
  if (!policy) return policy.error();
  if (policy->kind != MeterKind::counter)
    return invalid({{"meter", std::string(meter) + " is not a usage meter (not a counter)"}});
  auto o = backend_.decide(tenant.str(), meter, 0);
  if (!o) return o.error();
  PeriodUsage u;
  u.meter.assign(meter);
  u.used = o->used;
  u.period_end = o->reset;
  u.period_start = o->reset - o->window;
  if (o->limit < kUnlimited) {
    u.limit = o->limit;
    u.remaining = std::max<std::int64_t>(0, o->limit - o->used);
    u.warning = o->used * 5 >= o->limit * 4;
    u.exceeded = o->used >= o->limit;
    u.percent =
        o->limit == 0
            ? 100.0
            : std::round(static_cast<double>(o->used) * 10000.0 / static_cast<double>(o->limit)) /
                  100.0;
  }
  return u;
}

Result<std::vector<PeriodUsage>> UsageRecorder::period_usage(const TenantId& tenant) {
  std::vector<PeriodUsage> out;
  out.reserve(options_.meters.size());
  for (const std::string& m : options_.meters) {
    auto u = period_usage(tenant, m);
    if (!u) return u.error();
    out.push_back(std::move(*u));
  }
  return out;
}

Result<std::vector<storage::DailyUsage>> UsageRecorder::daily(const TenantId& tenant,
                                                              std::string_view meter,
                                                              std::string_view from,
                                                              std::string_view to) {
  std::vector<FieldError> bad;
  if (!meter.empty() && !is_valid_meter_name(meter))
    bad.push_back({"meter", "must be 1..64 characters of [a-z0-9_.-], a letter first"});
  auto f = parse_date(from);
  if (!f) bad.push_back({"from", "must be a date YYYY-MM-DD"});
  auto t = parse_date(to);
  if (!t) bad.push_back({"to", "must be a date YYYY-MM-DD"});
  if (f && t) {
    if (*t < *f) {
      bad.push_back({"to", "must not be before from"});
    } else if (std::chrono::floor<std::chrono::days>(*t - *f).count() + 1 > kMaxDailyRangeDays) {
      bad.push_back({"to", "the range must be at most 366 days"});
    }
  }
  if (!bad.empty()) return invalid(std::move(bad));
  return store_.daily(tenant, meter, from, to);
}

}  // namespace tenantkit::quota
