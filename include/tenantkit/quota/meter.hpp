// SPDX-License-Identifier: Apache-2.0
// The quota model: meter kinds, the Policy that limits a tenant's meter, the Outcome of a
// decision and the Reservation handle of reserve/commit/release. Plain values: copy freely.
// A deny is an Outcome value; an Error only means "could not decide" (STYLE.md 6.3).
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <tenantkit/core/error.hpp>
#include <tenantkit/core/time.hpp>

namespace tenantkit::quota {

/// How a meter counts.
enum class MeterKind : std::uint8_t {
  counter,  ///< Usage per billing period (api_calls, ai_tokens, documents); resets each period.
  gauge,    ///< A level set from data (seats, workspaces); never resets by itself.
  fixed_window,  ///< Requests per fixed window (per second/minute); like counter, denies
                 ///< rate_limited.
  token_bucket,  ///< GCRA: `limit` units per `window`, bursts up to `limit`; denies rate_limited.
};

/// What happens past the limit.
enum class Enforcement : std::uint8_t {
  hard,  ///< Deny the decision that would go past the limit.
  soft,  ///< Allow it, count it, and flag Outcome::overage.
};

/// Limits: a limit at or above kUnlimited never denies (usage is still counted).
inline constexpr std::int64_t kUnlimited = std::int64_t{1} << 40;

/// Well-known meter names (API.md plans); any name of [a-z0-9_.-] works.
namespace meters {
inline constexpr std::string_view api_calls = "api_calls";
inline constexpr std::string_view ai_tokens = "ai_tokens";
inline constexpr std::string_view documents = "documents";
inline constexpr std::string_view seats = "seats";
inline constexpr std::string_view workspaces = "workspaces";
}  // namespace meters

/// The limit of one tenant's meter, as a LimitSource returns it.
struct Policy {
  MeterKind kind = MeterKind::counter;
  /// Units allowed per window (counter, fixed_window), the burst and units per window
  /// (token_bucket) or the highest level (gauge). Valid: 0..kUnlimited (larger is clamped).
  std::int64_t limit = 0;
  /// Window length: the billing period for counters (default 30 days, API.md's w=2592000), the
  /// rate window otherwise. Ignored for gauges. Valid: >= 1 s.
  std::chrono::seconds window{2'592'000};
  Enforcement enforcement = Enforcement::hard;
  /// The code of a denied Outcome (Outcome::deny_code): quota_exceeded, rate_limited,
  /// seat_limit_reached or plan_limit_reached. The factories below pick the usual one.
  Errc deny_code = Errc::quota_exceeded;
  /// Windows start at anchor + k * window (a billing period start). Unset: at the first
  /// decision of the tenant's meter in this backend.
  std::optional<Timestamp> anchor;

  /// A per-period counter (deny: quota_exceeded).
  static Policy counter(std::int64_t limit,
                        std::chrono::seconds period = std::chrono::seconds{2'592'000}) {
    return Policy{MeterKind::counter, limit, period, Enforcement::hard, Errc::quota_exceeded, {}};
  }
  /// A fixed rate window (deny: rate_limited).
  static Policy fixed_window(std::int64_t limit, std::chrono::seconds window) {
    return Policy{MeterKind::fixed_window, limit, window, Enforcement::hard,
                  Errc::rate_limited,      {}};
  }
  /// A GCRA token bucket: `limit` units per `window`, bursts up to `limit` (deny: rate_limited).
  static Policy token_bucket(std::int64_t limit, std::chrono::seconds window) {
    return Policy{MeterKind::token_bucket, limit, window, Enforcement::hard,
                  Errc::rate_limited,      {}};
  }
  /// A gauge (deny: `code`, e.g. seat_limit_reached for seats, plan_limit_reached otherwise).
  static Policy gauge(std::int64_t limit, Errc code = Errc::plan_limit_reached) {
    return Policy{MeterKind::gauge, limit, std::chrono::seconds{1}, Enforcement::hard, code, {}};
  }
  /// This policy with soft enforcement.
  Policy soft() const {
    Policy p = *this;
    p.enforcement = Enforcement::soft;
    return p;
  }

  friend bool operator==(const Policy&, const Policy&) = default;
};

/// The answer of a decision: enough for API.md's RateLimit headers and Retry-After.
struct Outcome {
  bool is_allowed = false;  ///< Whether the cost was granted (and counted).
  bool warning = false;     ///< Usage is at or above 80 % of the limit.
  bool overage = false;     ///< A soft limit is exceeded (allowed, but past the limit).
  MeterKind kind = MeterKind::counter;
  Errc deny_code = Errc::quota_exceeded;  ///< The code to answer with when !allowed().
  std::int64_t limit = 0;                 ///< The limit in force (kUnlimited: none).
  std::int64_t used = 0;                  ///< Usage in the current window after this decision.
  std::int64_t remaining = 0;      ///< max(0, limit - used). May be low by a few leased units.
  std::chrono::seconds window{0};  ///< The window length (RateLimit-Policy w=); 0 for gauges.
  Timestamp reset{};               ///< When the window ends or the bucket is full; {} for gauges.
  std::chrono::seconds retry_after{0};  ///< When denied: how long until a retry can succeed.

  bool allowed() const noexcept { return is_allowed; }
  /// The Error to answer a denied decision with (deny_code and a fixed detail).
  Error to_error() const;
};

/// A pending reservation of `amount` units (reserve -> commit/release). Only the backend that
/// issued it accepts it; it expires at `expires_at`, and its units then return by themselves.
struct Reservation {
  std::uint64_t id = 0;  ///< 0 when the reservation was denied.
  std::string tenant;
  std::string meter;
  std::int64_t amount = 0;
  Timestamp expires_at{};
  Outcome outcome;  ///< The decision on the reserved amount.
};

}  // namespace tenantkit::quota
