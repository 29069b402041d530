// SPDX-License-Identifier: Apache-2.0
// LeasedBackend: hybrid quota engine. Each process leases chunks of a counter's units from Redis
// (counted as used there at once) and spends them locally: a decision on a leased meter is one
// compare-and-swap on the meter's local pool, found in a table read without locks, with no round
// trip and no lock. A background thread leases again before a large pool runs out; unused units
// go back on return_leases() and at destruction. Leases shrink with the headroom
// (headroom / (2 x processes)) down to the decision's own cost near the limit, so no process can
// ever allow more than the limit (overshoot 0), and the units other processes hold unspent — the
// only inexactness — are bounded by processes x lease, which shrinks to 0 near the limit.
// Safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>

#include <tenantkit/quota/in_process.hpp>
#include <tenantkit/quota/redis/backend.hpp>

namespace tenantkit::quota::redis {

/// Options of LeasedBackend; set fields with designated initializers.
struct LeaseOptions {
  /// Largest lease taken at once. Default 10,000: a hot tenant then needs one round trip per
  /// 10,000 decisions (at 1000, 10 M decisions/s would need 10,000 round trips/s). Only tenants
  /// with a headroom above 2 x processes x max_lease get leases this large. Valid: 1..1,000,000.
  std::int64_t max_lease = 10'000;
  /// Processes expected to share a tenant: a lease is headroom / (2 x processes). Default 4.
  std::int64_t processes = 4;
};

/// Leases counter and fixed-window units from `redis`; every other call (gauges, token buckets,
/// soft limits, reservations, cost 0) goes to `redis` directly. `redis`, `limits` and `clock`
/// must outlive it. Errors are those of RedisBackend.
class LeasedBackend final : public QuotaBackend {
 public:
  LeasedBackend(RedisBackend& redis, const LimitSource& limits, const Clock& clock = coarse_clock(),
                LeaseOptions options = {});
  /// Returns unused units (best effort).
  ~LeasedBackend() override;

  Result<Outcome> decide(std::string_view tenant, std::string_view meter,
                         std::int64_t cost) override;
  Result<Outcome> add(std::string_view tenant, std::string_view meter,
                      std::int64_t amount) override;
  Result<void> set_gauge(std::string_view tenant, std::string_view meter,
                         std::int64_t value) override;
  Result<Reservation> reserve(std::string_view tenant, std::string_view meter, std::int64_t amount,
                              std::chrono::seconds ttl) override;
  Result<Outcome> commit(const Reservation& reservation, std::int64_t actual) override;
  Result<void> release(const Reservation& reservation) override;

  /// Gives every unused leased unit back to Redis. Errors: unavailable (the units then stay
  /// counted in Redis until their window ends).
  Result<void> return_leases();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenantkit::quota::redis
