// SPDX-License-Identifier: Apache-2.0
// ReadDomain: reclamation for the engine's immutable snapshots, in the style of userspace RCU
// (liburcu's membarrier flavour).
//
// Every thread that reads owns one ReaderRecord (thread-local storage, linked into one
// process-wide registry at its first read). A reader announces itself with a plain store of the
// current global epoch into its own record and clears it with a plain release store when done:
// no locked instruction, no shared cache line written, so consecutive checks overlap their cache
// misses. The store-to-load ordering a reader would need (announce before loading a pointer) is
// supplied by the writer instead: after unpublishing a pointer it bumps the epoch and calls
// membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which runs a full barrier on every CPU running a
// thread of this process, then waits for every record that announced an older epoch. A reader
// whose announcement the writer did not see is ordered after that barrier, so it can only load
// the new pointers. Readers that start after the bump announce the new epoch and are not waited
// for, so a writer never starves. Where membarrier is unavailable (old kernel, seccomp), readers
// add a seq_cst fence after the announcement (one locked instruction instead of the two of a
// striped counter) and writers a seq_cst fence before scanning.
//
// Readers never wait; writers (serialized by the engine's mutex) wait at most for reads already
// in flight, of any engine (the registry is process-wide, like liburcu's default domain).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tenantkit::rbac::detail {

struct ReaderRecord {
  std::atomic<std::uint64_t> epoch{0};  // 0: not reading; else the epoch it started in
  std::uint32_t depth = 0;              // nesting; the owner thread only
  bool registered = false;              // the owner thread only
  // The owner thread is exiting and its unlinking destructor has run: a check made later (from
  // another thread_local's destructor) links the record for the read only.
  bool exited = false;
  ReaderRecord* next = nullptr;  // registry list (see read_domain.cpp)
};

struct ReadGlobals {
  alignas(64) std::atomic<std::uint64_t> epoch{1};
  // Set once, before any record is registered or any writer scans.
  std::atomic<bool> fence_in_readers{true};
};

extern ReadGlobals g_read;
// initial-exec: a check reads it at a fixed offset from the thread pointer, never through
// __tls_get_addr (the library is position-independent).
extern thread_local constinit ReaderRecord t_reader [[gnu::tls_model("initial-exec")]];

/// Links the calling thread's record into the registry (first read of a thread).
void register_reader() noexcept;
/// Unlinks the calling thread's record: at thread exit, and at the end of each read made after
/// that (see ReaderRecord::exited).
void unregister_reader() noexcept;
// Records linked in the registry (tests).
std::size_t registered_readers() noexcept;

class ReadDomain {
 public:
  /// Marks the calling thread as reading for its lifetime. Nests; never blocks.
  class Guard {
   public:
    explicit Guard(const ReadDomain&) noexcept {
      ReaderRecord& r = t_reader;
      if (r.depth++ != 0) return;
      if (!r.registered) [[unlikely]]
        register_reader();
      r.epoch.store(g_read.epoch.load(std::memory_order_acquire), std::memory_order_relaxed);
      if (g_read.fence_in_readers.load(std::memory_order_relaxed)) [[unlikely]]
        std::atomic_thread_fence(std::memory_order_seq_cst);
      // The writer's membarrier orders the announcement before the loads below; the compiler
      // must not move them above it either.
      std::atomic_signal_fence(std::memory_order_seq_cst);
    }
    ~Guard() {
      ReaderRecord& r = t_reader;
      if (--r.depth == 0) {
        r.epoch.store(0, std::memory_order_release);
        if (r.exited) [[unlikely]]
          unregister_reader();
      }
    }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
  };

  /// Waits until every Guard that existed when it was called has ended. Writers only. Call it
  /// after unpublishing a pointer and before freeing what it pointed to.
  void synchronize() const noexcept;
};

}  // namespace tenantkit::rbac::detail
