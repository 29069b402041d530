// SPDX-License-Identifier: Apache-2.0
// LimitSource: where a backend learns the Policy of a tenant's meter (the billing concern's plan
// policy implements it; InMemoryLimitSource is a plain map with per-tenant overrides).
// Implementations are safe for concurrent use. Backends cache policies and re-read them when
// version() moves, so policy() is off the hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>

#include <tenantkit/core/result.hpp>
#include <tenantkit/quota/meter.hpp>

namespace tenantkit::quota {

/// Supplies policies. Safe for concurrent use; policy() may block (a store lookup).
class LimitSource {
 public:
  virtual ~LimitSource();
  LimitSource(const LimitSource&) = delete;
  LimitSource& operator=(const LimitSource&) = delete;

  /// The policy of `tenant`'s `meter`.
  /// Errors: not_found (the meter has no policy for this tenant), unavailable.
  virtual Result<Policy> policy(std::string_view tenant, std::string_view meter) const = 0;

  /// Moves whenever any policy may have changed; backends re-read cached policies then.
  std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

 protected:
  LimitSource() = default;
  /// Call after changing any policy.
  void bump_version() noexcept { version_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  std::atomic<std::uint64_t> version_{1};
};

/// Policies from a map: a default per meter, and per-tenant overrides that win over it.
/// Safe for concurrent use (a shared mutex; only read when a backend's cache is cold).
class InMemoryLimitSource final : public LimitSource {
 public:
  InMemoryLimitSource() = default;

  /// Sets the policy every tenant gets for `meter` unless overridden.
  void set_default(std::string_view meter, const Policy& policy);
  /// Sets `tenant`'s own policy for `meter` (a negotiated limit, a grace raise).
  void set_override(std::string_view tenant, std::string_view meter, const Policy& policy);
  /// Removes the override; the default applies again. No effect when there is none.
  void clear_override(std::string_view tenant, std::string_view meter);

  /// The override, else the default. Errors: not_found (neither exists).
  Result<Policy> policy(std::string_view tenant, std::string_view meter) const override;

 private:
  // Own line: readers' shared locks write it, while every decision reads version() next to it.
  alignas(64) mutable std::shared_mutex mu_;
  std::map<std::string, Policy, std::less<>> defaults_;
  // tenant -> meter -> policy: looked up with the caller's views, building no key string.
  using Meters = std::map<std::string, Policy, std::less<>>;
  std::map<std::string, Meters, std::less<>> overrides_;
};

}  // namespace tenantkit::quota
