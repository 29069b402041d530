// SPDX-License-Identifier: Apache-2.0
// C ABI over quota::QuotaBackend (in-process, or Redis when built), with an in-memory limit
// table owned by the handle, and the rate-limit header formatter.
#include <tenantkit/quota/headers.hpp>
#include <tenantkit/quota/in_process.hpp>
#include <tenantkit/quota/limits.hpp>
#ifdef TENANTKIT_C_WITH_REDIS
#include <tenantkit/quota/redis/backend.hpp>
#endif

#include "c/common.hpp"

struct tk_quota {
  // Declared before the backend, which keeps a reference to it: destroyed after it.
  tenantkit::quota::InMemoryLimitSource limits;
  std::unique_ptr<tenantkit::quota::QuotaBackend> backend;
};

struct tk_reservation {
  tenantkit::quota::Reservation reservation;
};

using namespace tenantkit;
using namespace tenantkit::c;

namespace {

constexpr tk_meter_kind kind_out(quota::MeterKind k) noexcept {
  switch (k) {
    case quota::MeterKind::gauge:
      return TK_METER_GAUGE;
    case quota::MeterKind::fixed_window:
      return TK_METER_FIXED_WINDOW;
    case quota::MeterKind::token_bucket:
      return TK_METER_TOKEN_BUCKET;
    case quota::MeterKind::counter:
    default:
      return TK_METER_COUNTER;
  }
}

std::optional<quota::MeterKind> kind_in(tk_meter_kind k) noexcept {
  switch (k) {
    case TK_METER_COUNTER:
      return quota::MeterKind::counter;
    case TK_METER_GAUGE:
      return quota::MeterKind::gauge;
    case TK_METER_FIXED_WINDOW:
      return quota::MeterKind::fixed_window;
    case TK_METER_TOKEN_BUCKET:
      return quota::MeterKind::token_bucket;
    default:
      return std::nullopt;
  }
}

// kUnlimited is an engine-internal sentinel (2^40); C callers see TK_UNLIMITED.
std::int64_t limit_out(std::int64_t v) noexcept {
  return v >= quota::kUnlimited ? TK_UNLIMITED : v;
}

tk_outcome outcome_out(const quota::Outcome& o) noexcept {
  tk_outcome out{};
  out.allowed = o.is_allowed;
  out.warning = o.warning;
  out.overage = o.overage;
  out.kind = kind_out(o.kind);
  out.deny_code = status_of(o.deny_code);
  out.limit = limit_out(o.limit);
  out.used = o.used;
  out.remaining = out.limit == TK_UNLIMITED ? TK_UNLIMITED : o.remaining;
  out.window_seconds = o.window.count();
  out.reset_at = o.reset == Timestamp{} ? 0 : to_unix_ceil(o.reset);
  out.retry_after_seconds = o.retry_after.count();
  return out;
}

Result<quota::Outcome> outcome_in(const tk_outcome& in) {
  auto kind = kind_in(in.kind);
  if (!kind) return Error{Errc::bad_request, "outcome.kind is not a tk_meter_kind"};
  if (in.deny_code < TK_BAD_REQUEST || in.deny_code > TK_INTERNAL)
    return Error{Errc::bad_request, "outcome.deny_code is not an error status"};
  quota::Outcome o;
  o.is_allowed = in.allowed;
  o.warning = in.warning;
  o.overage = in.overage;
  o.kind = *kind;
  o.deny_code = static_cast<Errc>(in.deny_code);
  o.limit = in.limit == TK_UNLIMITED ? quota::kUnlimited : in.limit;
  o.used = in.used;
  o.remaining = in.remaining == TK_UNLIMITED ? quota::kUnlimited : in.remaining;
  o.window = std::chrono::seconds{in.window_seconds};
  o.reset = in.reset_at == 0 ? Timestamp{} : from_unix(in.reset_at);
  o.retry_after = std::chrono::seconds{in.retry_after_seconds};
  return o;
}

Result<quota::Policy> policy_of(tk_meter_kind kind, std::int64_t limit, std::int64_t window_seconds,
                                bool soft) {
  auto k = kind_in(kind);
  if (!k) return Error{Errc::validation_failed, "unknown meter kind", {{"kind", "unknown"}}};
  if (limit < TK_UNLIMITED)
    return Error{Errc::validation_failed, "limit must be >= 0 or TK_UNLIMITED", {{"limit", "< 0"}}};
  const std::int64_t l = limit == TK_UNLIMITED ? quota::kUnlimited : limit;
  if (*k != quota::MeterKind::gauge && window_seconds < 1)
    return Error{Errc::validation_failed, "window must be >= 1 s", {{"window_seconds", "< 1"}}};
  const std::chrono::seconds w{window_seconds};
  quota::Policy p;
  switch (*k) {
    case quota::MeterKind::gauge:
      p = quota::Policy::gauge(l);
      break;
    case quota::MeterKind::fixed_window:
      p = quota::Policy::fixed_window(l, w);
      break;
    case quota::MeterKind::token_bucket:
      p = quota::Policy::token_bucket(l, w);
      break;
    case quota::MeterKind::counter:
    default:
      p = quota::Policy::counter(l, w);
      break;
  }
  return soft ? p.soft() : p;
}

}  // namespace

extern "C" {

tk_status tk_quota_create(const tk_clock* clock, tk_quota** out, tk_error** error) {
  return guard(error, [&] {
    if (out == nullptr) return null_argument(error, "out");
    auto q = std::make_unique<tk_quota>();
    q->backend = std::make_unique<quota::InProcessBackend>(q->limits, clock_of(clock));
    *out = q.release();
    return TK_OK;
  });
}

tk_status tk_quota_open_redis(const char* url, const tk_clock* clock, tk_quota** out,
                              tk_error** error) {
  return guard(error, [&] {
    if (url == nullptr) return null_argument(error, "url");
    if (out == nullptr) return null_argument(error, "out");
#ifdef TENANTKIT_C_WITH_REDIS
    auto q = std::make_unique<tk_quota>();
    auto backend = quota::redis::open_backend({.url = url}, q->limits, clock_of(clock));
    if (!backend) return fail(error, backend.error());
    q->backend = std::move(*backend);
    *out = q.release();
    return TK_OK;
#else
    (void)clock;
    return fail(error, Error{Errc::unavailable, "built without tenantkit::redis"});
#endif
  });
}

void tk_quota_destroy(tk_quota* quota) {
  delete quota;
}

tk_status tk_quota_set_limit(tk_quota* quota, const char* tenant, const char* meter,
                             tk_meter_kind kind, int64_t limit, int64_t window_seconds, bool soft,
                             tk_error** error) {
  return guard(error, [&] {
    if (quota == nullptr) return null_argument(error, "quota");
    if (meter == nullptr) return null_argument(error, "meter");
    if (*meter == '\0')
      return fail(error, Error{Errc::validation_failed, "empty meter", {{"meter", "empty"}}});
    auto policy = policy_of(kind, limit, window_seconds, soft);
    if (!policy) return fail(error, policy.error());
    if (tenant == nullptr)
      quota->limits.set_default(meter, *policy);
    else
      quota->limits.set_override(tenant, meter, *policy);
    return TK_OK;
  });
}

tk_status tk_quota_decide(tk_quota* quota, const char* tenant, const char* meter, int64_t cost,
                          tk_outcome* outcome, tk_error** error) {
  return guard(error, [&] {
    if (quota == nullptr) return null_argument(error, "quota");
    if (tenant == nullptr) return null_argument(error, "tenant");
    if (meter == nullptr) return null_argument(error, "meter");
    if (outcome == nullptr) return null_argument(error, "outcome");
    auto r = quota->backend->decide(tenant, meter, cost);
    if (!r) return fail(error, r.error());
    *outcome = outcome_out(*r);
    return TK_OK;
  });
}

tk_status tk_quota_set_gauge(tk_quota* quota, const char* tenant, const char* meter, int64_t value,
                             tk_error** error) {
  return guard(error, [&] {
    if (quota == nullptr) return null_argument(error, "quota");
    if (tenant == nullptr) return null_argument(error, "tenant");
    if (meter == nullptr) return null_argument(error, "meter");
    auto r = quota->backend->set_gauge(tenant, meter, value);
    return r ? TK_OK : fail(error, r.error());
  });
}

tk_status tk_quota_reserve(tk_quota* quota, const char* tenant, const char* meter, int64_t amount,
                           int64_t ttl_seconds, tk_reservation** reservation, tk_outcome* outcome,
                           tk_error** error) {
  return guard(error, [&] {
    if (quota == nullptr) return null_argument(error, "quota");
    if (tenant == nullptr) return null_argument(error, "tenant");
    if (meter == nullptr) return null_argument(error, "meter");
    if (reservation == nullptr) return null_argument(error, "reservation");
    auto r = quota->backend->reserve(tenant, meter, amount, std::chrono::seconds{ttl_seconds});
    if (!r) return fail(error, r.error());
    auto handle = std::make_unique<tk_reservation>();
    handle->reservation = std::move(*r);
    if (outcome != nullptr) *outcome = outcome_out(handle->reservation.outcome);
    *reservation = handle.release();
    return TK_OK;
  });
}

tk_status tk_quota_commit(tk_quota* quota, const tk_reservation* reservation, int64_t actual,
                          tk_outcome* outcome, tk_error** error) {
  return guard(error, [&] {
    if (quota == nullptr) return null_argument(error, "quota");
    if (reservation == nullptr) return null_argument(error, "reservation");
    auto r = quota->backend->commit(reservation->reservation, actual);
    if (!r) return fail(error, r.error());
    if (outcome != nullptr) *outcome = outcome_out(*r);
    return TK_OK;
  });
}

tk_status tk_quota_release(tk_quota* quota, const tk_reservation* reservation, tk_error** error) {
  return guard(error, [&] {
    if (quota == nullptr) return null_argument(error, "quota");
    if (reservation == nullptr) return null_argument(error, "reservation");
    auto r = quota->backend->release(reservation->reservation);
    return r ? TK_OK : fail(error, r.error());
  });
}

uint64_t tk_reservation_id(const tk_reservation* reservation) {
  return reservation == nullptr ? 0 : reservation->reservation.id;
}

void tk_reservation_destroy(tk_reservation* reservation) {
  delete reservation;
}

tk_status tk_quota_format_headers(const char* meter, const tk_outcome* outcome, int64_t now,
                                  char** ratelimit_policy, char** ratelimit, char** retry_after,
                                  tk_error** error) {
  return guard(error, [&] {
    if (meter == nullptr) return null_argument(error, "meter");
    if (outcome == nullptr) return null_argument(error, "outcome");
    auto o = outcome_in(*outcome);
    if (!o) return fail(error, o.error());
    const quota::RateLimitHeaders h = quota::rate_limit_headers(meter, *o, from_unix(now));
    auto p = string_out(h.policy);
    auto r = string_out(h.rate_limit);
    auto a = string_out(h.retry_after);
    give(ratelimit_policy, p);
    give(ratelimit, r);
    give(retry_after, a);
    return TK_OK;
  });
}

}  // extern "C"
