// SPDX-License-Identifier: Apache-2.0
// LastUsedRecorder: batches API key last-used times in memory and writes them with one
// ApiKeyStore::record_last_used() call per flush, instead of a write per request. A verification
// only stores an atomic into the key's slot (no allocation, no lock); flush() (on demand) or
// flush_if_due() (from a timer, every `interval`) collects and writes. Safe for concurrent use.
// last_used_at in storage may therefore lag by up to the flush interval.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/ids.hpp>
#include <tenantkit/storage/api_key_store.hpp>

namespace tenantkit::apikey {

class LastUsedRecorder {
 public:
  /// One key's pending last-used time. Obtained once per key (slot()), then touched lock-free.
  class Slot {
   public:
    explicit Slot(ApiKeyId id) : id_(std::move(id)) {}
    /// Records a use at `at` (keeps the latest). Never allocates or blocks.
    void touch(Timestamp at) noexcept;

   private:
    friend class LastUsedRecorder;
    ApiKeyId id_;
    std::atomic<std::int64_t> pending_us_{0};  // 0: nothing to write
  };

  /// `store` and `clock` must outlive the recorder. `interval`: how often flush_if_due() writes.
  LastUsedRecorder(storage::ApiKeyStore& store, const Clock& clock,
                   std::chrono::seconds interval = std::chrono::seconds{60});
  LastUsedRecorder(const LastUsedRecorder&) = delete;
  LastUsedRecorder& operator=(const LastUsedRecorder&) = delete;

  /// The slot of key `id`, created on first use. Allocates: call it off the hot path (on a cache
  /// miss) and keep the pointer.
  std::shared_ptr<Slot> slot(const ApiKeyId& id);

  /// Writes every pending time in one batch; returns how many keys were written. Slots no longer
  /// held by anyone and with nothing pending are dropped, which bounds memory to the keys in use.
  /// Errors: the store's (unavailable); the pending times are kept for the next flush.
  Result<std::size_t> flush();

  /// flush() when `interval` has passed since the last flush, else 0.
  Result<std::size_t> flush_if_due();

 private:
  storage::ApiKeyStore& store_;
  const Clock& clock_;
  std::chrono::microseconds interval_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Slot>> slots_;  // by key id
  Timestamp last_flush_;
};

}  // namespace tenantkit::apikey
