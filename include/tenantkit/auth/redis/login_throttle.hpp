// SPDX-License-Identifier: Apache-2.0
// RedisLoginThrottle: the LoginThrottle shared by every server instance through Redis (target
// tenantkit::redis, hiredis). One sorted set of failure times per key (`tk:login:i:{<ip>}`,
// `tk:login:u:{<identifier>}`), kept to the last max_attempts inside the window by one Lua script
// (ZREMRANGEBYSCORE, ZADD, ZCARD; EVALSHA, reloaded on NOSCRIPT). The IP and identifier calls
// of check() and record_failure() are pipelined: one round trip, and each key stays in its own
// Redis Cluster slot. Same semantics as InProcessLoginThrottle; passes
// testing/conformance/login_throttle.hpp. Safe for concurrent use (a connection pool); calls
// block for at most the command timeout, so never call them on an I/O thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <tenantkit/auth/login_throttle.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/quota/redis/backend.hpp>

namespace tenantkit::auth::redis {

/// Options of open_login_throttle(); set fields with designated initializers.
struct RedisThrottleOptions {
  /// `redis://HOST:PORT[/DB]` (TK_REDIS_URL). Required.
  std::string url;
  /// Connections in the pool. Default 2. Valid: 1..256.
  std::size_t pool_size = 2;
  /// Bound on connecting. Default 500 ms. Valid: 1 ms..60 s.
  std::chrono::milliseconds connect_timeout{500};
  /// Bound on each round trip. Default 500 ms. Valid: 1 ms..60 s.
  std::chrono::milliseconds command_timeout{500};
  /// After a failure, calls fail fast (no new connect) for this long. Default 200 ms; >= 0.
  std::chrono::milliseconds retry_backoff{200};
  /// While Redis is unreachable: fail_closed (default) refuses every login (admit() answers
  /// unavailable, check() refused with retry_after 1 s); fail_open lets logins through
  /// unthrottled. Failures are never counted while Redis is away.
  quota::redis::FailurePolicy on_unavailable = quota::redis::FailurePolicy::fail_closed;
  /// Key prefix. Default "tk:login:". Must hold no `{` or `}`.
  std::string key_prefix = "tk:login:";
};

/// The Redis LoginThrottle. `clock` must outlive it; its time is passed to the script (so
/// windows follow the injected clock; keep hosts NTP-synchronised).
class RedisLoginThrottle final : public LoginThrottle {
 public:
  ~RedisLoginThrottle() override;

  ThrottleDecision check(std::string_view ip, std::string_view identifier) override;
  /// Errors: rate_limited, unavailable (Redis unreachable and failing closed).
  Result<void> admit(std::string_view ip, std::string_view identifier) override;
  void record_failure(std::string_view ip, std::string_view identifier) override;
  void record_success(std::string_view ip, std::string_view identifier) override;

  /// The wait check() would report, or the Redis failure. Errors: unavailable.
  Result<std::chrono::seconds> blocked_for(std::string_view ip, std::string_view identifier);

  /// Checks that Redis answers PING (readiness probes). Errors: unavailable.
  Result<void> ping();
  /// Deletes every key of this throttle's prefix (tests). Errors: unavailable.
  Result<void> flush_all_for_tests();

  struct Impl;
  explicit RedisLoginThrottle(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

/// Validates both option sets and connects once (later failures reconnect by themselves).
/// Errors: validation_failed (detail or fields name the option), unavailable (cannot connect).
Result<std::unique_ptr<RedisLoginThrottle>> open_login_throttle(const RedisThrottleOptions& options,
                                                                const Clock& clock,
                                                                LoginThrottleOptions throttle = {});

}  // namespace tenantkit::auth::redis
