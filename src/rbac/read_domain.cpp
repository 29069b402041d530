// SPDX-License-Identifier: Apache-2.0
#include "rbac/read_domain.hpp"

#include <mutex>
#include <thread>

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tenantkit::rbac::detail {

ReadGlobals g_read;
thread_local constinit ReaderRecord t_reader [[gnu::tls_model("initial-exec")]];

namespace {

// Constant-initialized and trivially destructible, so threads that exit during static
// destruction still find it. Readers push their record without the mutex (a reader never waits
// for a writer); unlinking and scanning hold it.
struct Registry {
  std::mutex mutex;
  std::atomic<ReaderRecord*> head{nullptr};
};
constinit Registry g_registry;

long membarrier(int cmd) noexcept {
  return ::syscall(SYS_membarrier, cmd, 0U, 0);
}

// Decided once, before the first record is registered or the first writer scans: do writers
// provide the readers' fence?
bool writers_fence() noexcept {
  static const bool fast = [] {
    const long supported = membarrier(MEMBARRIER_CMD_QUERY);
    const bool ok = supported > 0 && (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 &&
                    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
    g_read.fence_in_readers.store(!ok, std::memory_order_relaxed);
    return ok;
  }();
  return fast;
}

}  // namespace

void unregister_reader() noexcept {
  std::lock_guard lock(g_registry.mutex);
  ReaderRecord* self = &t_reader;
  ReaderRecord* expected = self;
  if (!g_registry.head.compare_exchange_strong(expected, self->next, std::memory_order_acq_rel)) {
    // Not the head (a record was pushed since): unlink from its predecessor; only unlinking,
    // under the mutex, changes `next` of a published record.
    for (ReaderRecord* p = expected; p != nullptr; p = p->next) {
      if (p->next == self) {
        p->next = self->next;
        break;
      }
    }
  }
  self->next = nullptr;
  self->registered = false;
}

namespace {

// Unlinks the record when its thread exits (its storage goes away with the thread).
struct Unregister {
  ~Unregister() {
    unregister_reader();
    t_reader.exited = true;
  }
};

}  // namespace

void register_reader() noexcept {
  (void)writers_fence();
  ReaderRecord* self = &t_reader;
  ReaderRecord* head = g_registry.head.load(std::memory_order_relaxed);
  do {
    self->next = head;
  } while (!g_registry.head.compare_exchange_weak(head, self, std::memory_order_seq_cst,
                                                  std::memory_order_relaxed));
  self->registered = true;
  thread_local Unregister unregister;
  (void)unregister;
}

std::size_t registered_readers() noexcept {
  std::lock_guard lock(g_registry.mutex);
  std::size_t n = 0;
  for (ReaderRecord* p = g_registry.head.load(std::memory_order_acquire); p != nullptr; p = p->next)
    ++n;
  return n;
}

void ReadDomain::synchronize() const noexcept {
  std::lock_guard lock(g_registry.mutex);
  const bool fast = writers_fence();
  // Readers that announce `target` or later loaded the epoch after this bump, hence after the
  // caller unpublished its pointers (acquire/release on the epoch): they cannot hold them.
  const std::uint64_t target = g_read.epoch.fetch_add(1, std::memory_order_seq_cst) + 1;
  // membarrier cannot fail once registered. After this, a reader whose announcement is not visible
  // below loads only new pointers. A record pushed after the scan read the head is such a reader
  // too: its push is a locked instruction ordered before its loads.
  if (!fast || membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
    std::atomic_thread_fence(std::memory_order_seq_cst);
  for (const ReaderRecord* r = g_registry.head.load(std::memory_order_acquire); r != nullptr;
       r = r->next) {
    for (unsigned spins = 0;; ++spins) {
      const std::uint64_t e = r->epoch.load(std::memory_order_acquire);
      if (e == 0 || e >= target) break;
      if (spins > 64) std::this_thread::yield();
    }
  }
}

}  // namespace tenantkit::rbac::detail
