// SPDX-License-Identifier: Apache-2.0
#include <tenantkit/apikey/revocation.hpp>

namespace tenantkit::apikey {

RevocationFeed::~RevocationFeed() = default;

Result<void> InProcessRevocationFeed::publish() {
  gen_.fetch_add(1, std::memory_order_acq_rel);
  return ok();
}

PollingRevocationFeed::PollingRevocationFeed(RevocationFeed& source, const Clock& clock,
                                             std::chrono::milliseconds interval,
                                             std::chrono::milliseconds max_staleness)
    : source_(source),
      clock_(clock),
      interval_us_(std::chrono::duration_cast<std::chrono::microseconds>(interval).count()),
      max_staleness_us_(
          std::chrono::duration_cast<std::chrono::microseconds>(max_staleness).count()) {}

void PollingRevocationFeed::poll(std::int64_t now_us) noexcept {
  const std::uint64_t g = source_.generation();
  if (g != kUnknown) {
    cached_.store(g, std::memory_order_release);
    last_success_us_.store(now_us, std::memory_order_release);
  }
  next_poll_us_.store(now_us + interval_us_, std::memory_order_release);
}

std::uint64_t PollingRevocationFeed::generation() noexcept {
  const std::int64_t now_us = clock_.now().time_since_epoch().count();
  if (now_us >= next_poll_us_.load(std::memory_order_acquire)) {
    // Only one thread polls; the others keep serving the previous value rather than queueing.
    std::unique_lock lock(poll_mutex_, std::try_to_lock);
    if (lock.owns_lock() && now_us >= next_poll_us_.load(std::memory_order_acquire)) poll(now_us);
  }
  const std::uint64_t g = cached_.load(std::memory_order_acquire);
  if (g == kUnknown) return kUnknown;
  if (now_us - last_success_us_.load(std::memory_order_acquire) > max_staleness_us_)
    return kUnknown;
  return g;
}

Result<void> PollingRevocationFeed::publish() {
  auto r = source_.publish();
  if (!r) return r;
  std::lock_guard lock(poll_mutex_);
  poll(clock_.now().time_since_epoch().count());
  return ok();
}

}  // namespace tenantkit::apikey
