// SPDX-License-Identifier: Apache-2.0
// InProcessBackend: the embedded quota engine. One instance is shared by all threads of a
// process. Decisions take no lock and allocate nothing once a tenant's meter has been seen
// (its first decision creates its counter, from a per-shard arena): counters live in a sharded,
// lock-free-read hash table behind direct-mapped front cells, and counters used from several
// cores lease small chunks of units to per-CPU stripes so that threads on different cores do not
// fight over one cache line. Also coarse_clock(): a cheap wall clock.
#pragma once

#include <cstddef>
#include <memory>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/quota/backend.hpp>
#include <tenantkit/quota/detail/in_process_fast.hpp>
#include <tenantkit/quota/limits.hpp>

namespace tenantkit::quota {

/// A wall clock read from CLOCK_REALTIME_COARSE: a few nanoseconds per read, resolution of a
/// scheduler tick (1-4 ms). Windows are whole seconds, so the engine defaults to it.
/// Lives for the whole program; thread-safe.
const Clock& coarse_clock() noexcept;

/// Options of InProcessBackend; set fields with designated initializers.
struct InProcessOptions {
  /// Per-CPU stripes that hold leased units. Default 0: the number of CPUs rounded up to a
  /// power of two (at least 2). Valid: 0..64; 1 disables leasing (one atomic per counter).
  std::size_t stripes = 0;
  /// Largest chunk a stripe leases from a counter at once. Default 1024. Chunks also shrink
  /// with the headroom (headroom / (8 x stripes)) and are 0 near the limit, so enforcement
  /// stays exact. Valid: 0..65536 (0 disables leasing like stripes = 1).
  std::int64_t max_chunk = 1024;
};

/// The in-process QuotaBackend. Safe for concurrent use by any number of threads; `limits` and
/// `clock` must outlive it. Counters are created on first use and live until destruction
/// (memory: about 200 bytes per tenant and meter, plus 512 KiB of front cells per backend).
class InProcessBackend final : public QuotaBackend {
 public:
  InProcessBackend(const LimitSource& limits, const Clock& clock = coarse_clock(),
                   InProcessOptions options = {});
  ~InProcessBackend() override;

  /// See QuotaBackend::decide. Lock-free and allocation-free for a tenant's meter already seen.
  /// Inline: the common decision (detail::FastPath::try_fast) compiles into the caller when the
  /// call is made on an InProcessBackend (the class is final); other cases call out of line.
  [[gnu::always_inline]] Result<Outcome> decide(std::string_view tenant, std::string_view meter,
                                                std::int64_t cost) override {
    // The fast path fills a local Outcome (scalars once inlined: each field is written once,
    // straight into the result); anything else returns the general path's result as is.
    Outcome o;
    if (fast_->try_fast(o, tenant, meter, cost)) [[likely]]
      return o;
    return decide_general(tenant, meter, cost);
  }
  Result<Outcome> add(std::string_view tenant, std::string_view meter,
                      std::int64_t amount) override;
  Result<void> set_gauge(std::string_view tenant, std::string_view meter,
                         std::int64_t value) override;
  Result<Reservation> reserve(std::string_view tenant, std::string_view meter, std::int64_t amount,
                              std::chrono::seconds ttl) override;
  Result<Outcome> commit(const Reservation& reservation, std::int64_t actual) override;
  Result<void> release(const Reservation& reservation) override;

  /// The number of stripes in use (after the default was resolved).
  std::size_t stripes() const noexcept;

  struct Impl;

 private:
  // Every decision try_fast() does not answer: creation, a new window, leasing, denials, ...
  Result<Outcome> decide_general(std::string_view tenant, std::string_view meter,
                                 std::int64_t cost);

  std::unique_ptr<Impl> impl_;
  detail::FastPath* fast_;  // impl_, as the part that decide() reads inline
};

}  // namespace tenantkit::quota
