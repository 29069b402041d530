// SPDX-License-Identifier: Apache-2.0
#include <vector>

#include <tenantkit/apikey/last_used.hpp>

namespace tenantkit::apikey {

void LastUsedRecorder::Slot::touch(Timestamp at) noexcept {
  const std::int64_t us = at.time_since_epoch().count();
  std::int64_t cur = pending_us_.load(std::memory_order_relaxed);
  while (cur < us && !pending_us_.compare_exchange_weak(cur, us, std::memory_order_relaxed)) {
  }
}

LastUsedRecorder::LastUsedRecorder(storage::ApiKeyStore& store, const Clock& clock,
                                   std::chrono::seconds interval)
    : store_(store), clock_(clock), interval_(interval), last_flush_(clock.now()) {}

std::shared_ptr<LastUsedRecorder::Slot> LastUsedRecorder::slot(const ApiKeyId& id) {
  std::lock_guard lock(mutex_);
  auto& s = slots_[id.str()];
  if (!s) s = std::make_shared<Slot>(id);
  return s;
}

Result<std::size_t> LastUsedRecorder::flush() {
  std::vector<std::pair<ApiKeyId, Timestamp>> batch;
  std::vector<std::shared_ptr<Slot>> taken;
  {
    std::lock_guard lock(mutex_);
    last_flush_ = clock_.now();
    for (auto it = slots_.begin(); it != slots_.end();) {
      const std::int64_t us = it->second->pending_us_.exchange(0, std::memory_order_relaxed);
      if (us != 0) {
        batch.emplace_back(it->second->id_, Timestamp{std::chrono::microseconds{us}});
        taken.push_back(it->second);
      }
      if (us == 0 && it->second.use_count() == 1) {
        it = slots_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (batch.empty()) return std::size_t{0};
  auto written = store_.record_last_used(batch);
  if (!written) {
    // Put the times back so the next flush retries them (touch keeps the later of both).
    for (std::size_t i = 0; i < batch.size(); ++i) taken[i]->touch(batch[i].second);
    return written.error();
  }
  return batch.size();
}

Result<std::size_t> LastUsedRecorder::flush_if_due() {
  {
    std::lock_guard lock(mutex_);
    if (clock_.now() - last_flush_ < interval_) return std::size_t{0};
  }
  return flush();
}

}  // namespace tenantkit::apikey
