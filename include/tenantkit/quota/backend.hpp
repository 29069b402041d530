// SPDX-License-Identifier: Apache-2.0
// QuotaBackend: check-and-consume on per-tenant meters, gauges, and reservations.
// Implementations: InProcessBackend (quota/in_process.hpp), redis::RedisBackend
// (quota/redis/backend.hpp), redis::LeasedBackend. Each passes
// testing/conformance/quota_backend.hpp unchanged. Safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include <tenantkit/core/result.hpp>
#include <tenantkit/quota/meter.hpp>

namespace tenantkit::quota {

/// Counts usage and decides. Every method is safe for concurrent use. The in-process backend
/// never blocks on the decision path; network backends block for one round trip (never call
/// them on an I/O thread). Tenants and meters are plain strings (the TenantId's text).
class QuotaBackend {
 public:
  virtual ~QuotaBackend();
  QuotaBackend(const QuotaBackend&) = delete;
  QuotaBackend& operator=(const QuotaBackend&) = delete;

  /// Decides whether `tenant` may spend `cost` units of `meter` now, and counts them when it
  /// may (soft limits count past the limit and set overage). A deny is an Outcome, not an error.
  /// `cost` 0 reads the state without changing it (allowed: at least one unit is left).
  /// Errors: validation_failed (cost < 0), not_found (no policy for the meter, from the
  /// LimitSource), unavailable (the backend or the LimitSource failed).
  virtual Result<Outcome> decide(std::string_view tenant, std::string_view meter,
                                 std::int64_t cost) = 0;

  /// Counts `amount` units that were already spent (a recorded usage event): never denies, so
  /// usage may go past even a hard limit, and later decisions see it. Returns the state after
  /// counting, as decide() with cost 0 reports it (allowed: a unit is still left; overage: usage
  /// is past the limit). Counters and fixed windows count into the current window; gauges and
  /// token buckets move by `amount` like an allowed decision would. `amount` 0 only reads.
  /// Errors: validation_failed (amount < 0), not_found (no policy for the meter), unavailable.
  virtual Result<Outcome> add(std::string_view tenant, std::string_view meter,
                              std::int64_t amount) = 0;

  /// Sets a gauge to its authoritative level (seats from the member count). Later decisions
  /// on the gauge add their cost to it when allowed.
  /// Errors: validation_failed (value < 0, or the meter is not a gauge), not_found, unavailable.
  virtual Result<void> set_gauge(std::string_view tenant, std::string_view meter,
                                 std::int64_t value) = 0;

  /// Decides on `amount` units like decide() (hard limits apply, soft ones flag), and holds them
  /// as a reservation until commit(), release() or `ttl` passes, whichever comes first; expired
  /// reservations return their units by themselves (a crashed caller leaks nothing).
  /// A denied reservation has id 0 and holds nothing.
  /// Errors: validation_failed (amount < 1, ttl < 1 s), not_found, unavailable.
  virtual Result<Reservation> reserve(std::string_view tenant, std::string_view meter,
                                      std::int64_t amount, std::chrono::seconds ttl) = 0;

  /// Settles a reservation with the `actual` usage: the difference to the reserved amount is
  /// returned (or, when larger, counted even past the limit: it was spent). Returns the state
  /// after settling. Errors: validation_failed (actual < 0), not_found (not issued by this
  /// backend for that tenant and meter), gone (already settled or expired), unavailable.
  virtual Result<Outcome> commit(const Reservation& reservation, std::int64_t actual) = 0;

  /// Returns all units of a reservation. Errors: as commit().
  virtual Result<void> release(const Reservation& reservation) = 0;

 protected:
  QuotaBackend() = default;

  /// The range every backend accepts for a cost, amount or level: `min` (0, or 1 for a
  /// reservation) up to kUnlimited. Errors: validation_failed, "<what> must not be negative" or
  /// "<what> must be at least 1" below, "<what> must not exceed 2^40 (kUnlimited)" above (no
  /// limit is larger, and larger values could overflow the sums a backend keeps).
  static Result<void> check_units(std::int64_t value, std::int64_t min, std::string_view what);
};

}  // namespace tenantkit::quota
