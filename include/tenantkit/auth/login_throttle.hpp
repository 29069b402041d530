// SPDX-License-Identifier: Apache-2.0
// LoginThrottle: failed-login counting per IP and per identifier (email) in a sliding window
// (API.md "Login throttling"). Once either key has `max_attempts` failures inside the window, the
// next attempt, right or wrong, is refused with the time until the oldest of those failures leaves
// the window. LoginThrottle is the interface; InProcessLoginThrottle counts in this process
// (bounded memory, sharded locks), auth::redis::RedisLoginThrottle (tenantkit::redis) shares the
// counts between server instances. Both pass testing/conformance/login_throttle.hpp and are safe
// for concurrent use.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/result.hpp>

namespace tenantkit::auth {

/// Throttling settings. Set fields with designated initializers.
struct LoginThrottleOptions {
  int max_attempts = 10;             ///< TK_LOGIN_MAX_ATTEMPTS. Valid: 1..1000.
  std::chrono::seconds window{900};  ///< TK_LOGIN_WINDOW_SECONDS. Valid: >= 1 s.
  std::size_t max_keys = 100'000;    ///< Tracked IPs + identifiers at most. Valid: >= 16.
};

/// The answer to "may this login attempt proceed?".
struct ThrottleDecision {
  bool allowed = true;
  std::chrono::seconds retry_after{
      0};  ///< When refused: seconds until an attempt is allowed (>= 1).
};

/// Validates `options`. Errors: validation_failed, one field per bad option
/// (login_max_attempts, login_window, max_keys).
Result<void> validate(const LoginThrottleOptions& options);

/// The throttle a login handler consults. Identifiers compare case-insensitively (ASCII), IPs
/// byte for byte. Every method is safe for concurrent use; shared implementations block for one
/// round trip (never call them on an I/O thread).
class LoginThrottle {
 public:
  virtual ~LoginThrottle();
  LoginThrottle(const LoginThrottle&) = delete;
  LoginThrottle& operator=(const LoginThrottle&) = delete;

  /// The in-process throttle (InProcessLoginThrottle::create), for callers that need no sharing.
  /// Errors: validation_failed (options out of range). `clock` must outlive the throttle.
  static Result<std::unique_ptr<LoginThrottle>> create(const Clock& clock,
                                                       LoginThrottleOptions options = {});

  /// Call before checking the password. Refused attempts are not counted as failures, so a
  /// locked-out client is released on schedule however often it retries. A shared
  /// implementation that cannot reach its store answers by its failure policy (refused with
  /// retry_after 1 s when failing closed).
  virtual ThrottleDecision check(std::string_view ip, std::string_view identifier) = 0;

  /// check() as a Result. Errors: rate_limited, detail "retry after N s" (N = retry_after);
  /// unavailable (a shared implementation failing closed cannot reach its store).
  virtual Result<void> admit(std::string_view ip, std::string_view identifier);

  /// Counts a failed attempt against both the IP and the identifier. Best effort for shared
  /// implementations: a failure that cannot be stored is not counted.
  virtual void record_failure(std::string_view ip, std::string_view identifier) = 0;

  /// A successful login clears the identifier's failures (the account owner proved the password)
  /// but not the IP's: a success on one account must not unlock guessing at others from the same
  /// address.
  virtual void record_success(std::string_view ip, std::string_view identifier) = 0;

 protected:
  LoginThrottle() = default;
};

/// The in-process LoginThrottle: bounded memory (at most `max_keys` tracked keys, each holding
/// at most `max_attempts` timestamps), sharded locks. Several server instances each count on
/// their own; use auth::redis::RedisLoginThrottle to share the counts.
class InProcessLoginThrottle final : public LoginThrottle {
 public:
  /// Errors: validation_failed (options out of range). `clock` must outlive the throttle.
  static Result<std::unique_ptr<InProcessLoginThrottle>> create(const Clock& clock,
                                                                LoginThrottleOptions options = {});

  ThrottleDecision check(std::string_view ip, std::string_view identifier) override;
  void record_failure(std::string_view ip, std::string_view identifier) override;
  void record_success(std::string_view ip, std::string_view identifier) override;

  /// Keys currently tracked (for tests and metrics).
  std::size_t tracked() const;

 private:
  InProcessLoginThrottle(const Clock& clock, LoginThrottleOptions options);

  struct Entry {
    std::vector<std::int64_t> failures;  // ring of the last max_attempts failure times (us)
    std::size_t next = 0;                // ring write position
    std::int64_t last_us = 0;            // newest failure
  };
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
  };

  static std::string key(char kind, std::string_view value);
  Shard& shard_for(const std::string& key) noexcept;
  std::chrono::seconds blocked_for(const std::string& key, std::int64_t now_us);
  void add_failure(const std::string& key, std::int64_t now_us);
  void evict(Shard& shard, std::int64_t now_us);

  const Clock& clock_;
  LoginThrottleOptions options_;
  std::int64_t window_us_;
  std::size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace tenantkit::auth
