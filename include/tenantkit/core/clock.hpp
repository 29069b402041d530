// SPDX-License-Identifier: Apache-2.0
// Clock: the one source of "now" for tenantkit, injectable for tests.
// SystemClock reads the real time; ManualClock only moves when told. Both are thread-safe.
#pragma once

#include <atomic>
#include <chrono>

#include <tenantkit/core/time.hpp>

namespace tenantkit {

/// Wall-clock time for expiries, windows and timestamps. Safe for concurrent use.
class Clock {
 public:
  virtual ~Clock();
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;

  /// The current UTC time, microsecond resolution.
  virtual Timestamp now() const noexcept = 0;

 protected:
  Clock() = default;
};

/// The real system clock.
class SystemClock final : public Clock {
 public:
  SystemClock() = default;
  Timestamp now() const noexcept override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
};

/// A process-wide SystemClock; lives for the whole program.
Clock& system_clock() noexcept;

/// A clock that moves only when set or advanced: deterministic tests of expiry and windows.
class ManualClock final : public Clock {
 public:
  /// Starts at `start` (default 2026-01-01T00:00:00Z).
  explicit ManualClock(Timestamp start = Timestamp{std::chrono::seconds{1767225600}}) noexcept
      : now_us_(start.time_since_epoch().count()) {}

  Timestamp now() const noexcept override {
    return Timestamp{std::chrono::microseconds{now_us_.load(std::memory_order_acquire)}};
  }
  void set(Timestamp t) noexcept {
    now_us_.store(t.time_since_epoch().count(), std::memory_order_release);
  }
  void advance(std::chrono::microseconds d) noexcept {
    now_us_.fetch_add(d.count(), std::memory_order_acq_rel);
  }

 private:
  std::atomic<std::int64_t> now_us_;
};

}  // namespace tenantkit
