// SPDX-License-Identifier: Apache-2.0
// RevocationFeed: how verification caches learn that a key was revoked or rotated, across
// processes. A feed is a generation counter shared by every process (an atomic in-process, a Redis
// key for several instances): revoke/rotate publish() (bump it); a verifier serves a cached entry
// only while the generation it was cached under is still current. The bound on how late a
// revocation takes effect in another process is therefore the feed's propagation delay, which
// PollingRevocationFeed makes explicit (its poll interval; default 1 s). All classes here are safe
// for concurrent use; generation() is called on every verification and must be cheap.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/result.hpp>

namespace tenantkit::apikey {

/// A shared "something was revoked" counter.
class RevocationFeed {
 public:
  /// generation() returns this when it cannot vouch for freshness (source unreachable for too
  /// long): caches must then treat every entry as stale.
  static constexpr std::uint64_t kUnknown = 0;

  virtual ~RevocationFeed();
  RevocationFeed(const RevocationFeed&) = delete;
  RevocationFeed& operator=(const RevocationFeed&) = delete;

  /// The newest generation this process knows of (>= 1), or kUnknown. Never blocks for long.
  virtual std::uint64_t generation() noexcept = 0;
  /// Announces a revocation (bumps the shared generation). Errors: unavailable (the caller should
  /// report failure: the revocation is stored but other processes learn it only from their TTL).
  virtual Result<void> publish() = 0;

 protected:
  RevocationFeed() = default;
};

/// The feed within one process: an atomic counter. Also the shared source in tests of several
/// "processes" (each wraps it in its own PollingRevocationFeed).
class InProcessRevocationFeed final : public RevocationFeed {
 public:
  InProcessRevocationFeed() = default;
  std::uint64_t generation() noexcept override { return gen_.load(std::memory_order_acquire); }
  Result<void> publish() override;

 private:
  std::atomic<std::uint64_t> gen_{1};
};

/// Reads a (remote, slower) source at most once per `interval` and serves the last value in
/// between: a revocation published anywhere is seen here within `interval` (plus the source's own
/// delay). When the source has answered kUnknown for longer than `max_staleness`, generation()
/// answers kUnknown too, so caches fail closed rather than serve revoked keys forever.
class PollingRevocationFeed final : public RevocationFeed {
 public:
  /// `source` and `clock` must outlive this object.
  PollingRevocationFeed(RevocationFeed& source, const Clock& clock,
                        std::chrono::milliseconds interval = std::chrono::seconds{1},
                        std::chrono::milliseconds max_staleness = std::chrono::seconds{5});
  std::uint64_t generation() noexcept override;
  /// Publishes to the source and refreshes immediately (this process sees its own revocations at
  /// once).
  Result<void> publish() override;

 private:
  void poll(std::int64_t now_us) noexcept;

  RevocationFeed& source_;
  const Clock& clock_;
  std::int64_t interval_us_;
  std::int64_t max_staleness_us_;
  std::mutex poll_mutex_;  // one poller at a time; others serve the cached value
  std::atomic<std::int64_t> next_poll_us_{0};
  std::atomic<std::int64_t> last_success_us_{0};
  std::atomic<std::uint64_t> cached_{kUnknown};
};

}  // namespace tenantkit::apikey
