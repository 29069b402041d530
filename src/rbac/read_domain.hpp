// SPDX-License-Identifier: Apache-2.0
// ReadDomain: reclamation for the engine's immutable snapshots, in the style of SRCU.
//
// Readers bump a counter of the current epoch parity in a per-thread stripe (one cache line per
// stripe, so two reader threads rarely share a line) and re-check the parity, which closes the
// window where a writer flips between the reader's two loads. A writer publishes new pointers,
// flips the parity and waits until the old parity's counters drain: after that no reader can
// still hold a pointer it unpublished. Readers never wait; writers (serialized by the engine's
// mutex) wait at most for checks already in flight.
//
// Why not std::atomic<std::shared_ptr>: libstdc++ 12 guards every load with a spin lock in the
// control block and then bumps a shared reference count, so two threads checking the same tenant
// bounce one cache line on every check; here a reader only touches its own stripe.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

namespace tenantkit::rbac::detail {

class ReadDomain {
  static constexpr std::size_t kStripes = 32;
  struct alignas(64) Stripe {
    std::array<std::atomic<std::int64_t>, 2> count{};
  };

 public:
  /// Marks the calling thread as reading for its lifetime. Nests; never blocks.
  class Guard {
   public:
    explicit Guard(const ReadDomain& domain) noexcept : stripe_(&domain.stripes_[stripe_index()]) {
      for (;;) {
        parity_ = domain.epoch_.load(std::memory_order_seq_cst) & 1U;
        stripe_->count[parity_].fetch_add(1, std::memory_order_seq_cst);
        if ((domain.epoch_.load(std::memory_order_seq_cst) & 1U) == parity_) break;
        stripe_->count[parity_].fetch_sub(1, std::memory_order_seq_cst);
      }
    }
    ~Guard() { stripe_->count[parity_].fetch_sub(1, std::memory_order_release); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    Stripe* stripe_;
    unsigned parity_ = 0;
  };

  /// Waits until every Guard that existed when it was called has ended. Writers only, one at a
  /// time (the caller holds the engine's write mutex). Call it after unpublishing a pointer and
  /// before freeing what it pointed to.
  void synchronize() const noexcept {
    const unsigned old = epoch_.fetch_add(1, std::memory_order_seq_cst) & 1U;
    for (const Stripe& s : stripes_) {
      for (unsigned spins = 0; s.count[old].load(std::memory_order_seq_cst) != 0; ++spins) {
        if (spins > 64) std::this_thread::yield();
      }
    }
  }

 private:
  static std::size_t stripe_index() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
    return index;
  }

  mutable std::atomic<unsigned> epoch_{0};
  mutable std::array<Stripe, kStripes> stripes_{};
};

}  // namespace tenantkit::rbac::detail
