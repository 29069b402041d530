// SPDX-License-Identifier: Apache-2.0
// RedisBackend: the quota engine shared by several processes through Redis (target
// tenantkit::redis, hiredis). One round trip per decision: one Lua script, loaded once per
// connection and called with EVALSHA (reloaded on NOSCRIPT). A tenant's keys carry its hash tag
// (`tk:q:{t42}:api_calls`), so they share one Redis Cluster slot. decide_many() keeps a window of
// decisions in flight on one connection and coalesces the decisions issued together into one
// script call (per Cluster slot when RedisOptions::cluster is set). Safe for concurrent use (a
// connection pool); calls block for at most the command timeout, so never call them on an I/O
// thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/quota/backend.hpp>
#include <tenantkit/quota/limits.hpp>

namespace tenantkit::quota::redis {

/// What a decision answers while Redis is unreachable (connect or command failed or timed out).
enum class FailurePolicy : std::uint8_t {
  fail_closed,  ///< Errc::unavailable: the caller cannot decide, and must not serve.
  fail_open,    ///< Allow, count the cost locally, and add it to Redis once it answers again.
};

/// Options of open_backend(); set fields with designated initializers.
struct RedisOptions {
  /// `redis://HOST:PORT[/DB]` (TK_REDIS_URL). Required.
  std::string url;
  /// Connections in the pool: the most concurrent blocking calls. Default 4. Valid: 1..256.
  std::size_t pool_size = 4;
  /// Bound on connecting. Default 500 ms. Valid: 1 ms..60 s.
  std::chrono::milliseconds connect_timeout{500};
  /// Bound on each command's reply. Default 500 ms. Valid: 1 ms..60 s.
  std::chrono::milliseconds command_timeout{500};
  /// After a failure, calls fail fast (no new connect) for this long. Default 200 ms.
  std::chrono::milliseconds retry_backoff{200};
  /// Default fail_closed.
  FailurePolicy on_unavailable = FailurePolicy::fail_closed;
  /// Key prefix before the hash tag. Default "tk:q:".
  std::string key_prefix = "tk:q:";
  /// Whether the server is a Redis Cluster node (or a proxy in front of one). A script call may
  /// only touch keys of one slot there, so decide_many() then coalesces only decisions whose
  /// tenants share a slot (cluster_slot()). Default false: a plain `redis://` server, where one
  /// call may carry decisions of any tenants. The backend does not follow MOVED redirects.
  bool cluster = false;
  /// Most decisions decide_many() coalesces into one script call (1: one EVALSHA per decision).
  /// Default 32. Valid: 1..1024.
  std::size_t batch_size = 32;
};

/// The Redis Cluster slot of every key of `tenant` (CRC16 of the hash tag, the tenant id, mod
/// 16384).
[[nodiscard]] std::uint16_t cluster_slot(std::string_view tenant) noexcept;

/// One decision of a batch (decide_many).
struct Request {
  std::string_view tenant;
  std::string_view meter;
  std::int64_t cost = 1;
};

/// The Redis QuotaBackend. `limits` and `clock` must outlive it. The clock is passed to the
/// script with every call (so windows follow the injected clock; keep hosts NTP-synchronised).
class RedisBackend final : public QuotaBackend {
 public:
  ~RedisBackend() override;

  /// See QuotaBackend. Additional error: validation_failed for a tenant holding `{` or `}`.
  /// Unreachable Redis: unavailable (fail_closed), or an allowed Outcome (fail_open).
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

  /// Decides `requests` in order on one connection with up to `window` decisions issued and not
  /// yet answered (a closed loop: each answer lets the next decisions go). The decisions issued
  /// together go in one script call of up to RedisOptions::batch_size decisions (one per slot
  /// with RedisOptions::cluster), several calls pipelined. Writes out[i] for requests[i]; `out`
  /// must be at least as long. Each result is what decide() would answer, and the decisions of
  /// one tenant meet Redis in request order. Valid window: 1..1024 (clamped).
  void decide_many(std::span<const Request> requests, std::span<Result<Outcome>> out,
                   std::size_t window = 64);

  /// Receives decide_many()'s results as they arrive (not always in request order): (index,
  /// result).
  using Sink = std::function<void(std::size_t, const Result<Outcome>&)>;
  /// As above, handing each result to `sink` instead of storing it (for long batches).
  void decide_many(std::span<const Request> requests, const Sink& sink, std::size_t window = 64);

  /// Units leased from a counter (LeasedBackend): already counted as used in Redis.
  struct Lease {
    std::int64_t units = 0;         ///< 0 when denied
    std::int64_t window_index = 0;  ///< the window the units belong to
    Outcome outcome;                ///< the decision on `min_units`, with Redis's usage
  };
  /// Leases at least `min_units` and up to min(max_units, headroom / divisor) units of a counter
  /// or fixed window meter. Errors: validation_failed (another kind, bad numbers), not_found,
  /// unavailable.
  Result<Lease> take_lease(std::string_view tenant, std::string_view meter, std::int64_t min_units,
                           std::int64_t divisor, std::int64_t max_units);
  /// Gives back unused leased units (no effect once their window has passed).
  /// Errors: not_found, unavailable.
  Result<void> return_lease(std::string_view tenant, std::string_view meter, std::int64_t units,
                            std::int64_t window_index);

  /// Checks that Redis answers PING (readiness probes). Errors: unavailable.
  Result<void> ping();

  /// Deletes every key of this backend's prefix in the current database (tests, benchmarks).
  /// Errors: unavailable.
  Result<void> flush_all_for_tests();

  struct Impl;
  explicit RedisBackend(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

/// Validates `options` and connects once (later failures reconnect by themselves).
/// Errors: validation_failed (detail names the option), unavailable (cannot connect).
Result<std::unique_ptr<RedisBackend>> open_backend(const RedisOptions& options,
                                                   const LimitSource& limits,
                                                   const Clock& clock = system_clock());

}  // namespace tenantkit::quota::redis
