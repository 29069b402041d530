// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <tenantkit/apikey/verification_cache.hpp>

namespace tenantkit::apikey {

VerificationCache::VerificationCache(CacheOptions options)
    : options_(options), per_shard_((options.capacity + kShards - 1) / kShards) {}

std::shared_ptr<const VerifiedKey> VerificationCache::find(const CacheDigest& digest,
                                                           std::uint64_t generation,
                                                           Timestamp now) noexcept {
  return find(digest, generation, now, nullptr);
}

std::shared_ptr<const VerifiedKey> VerificationCache::find(const CacheDigest& digest,
                                                           std::uint64_t generation, Timestamp now,
                                                           bool* refresh_due) noexcept {
  if (refresh_due != nullptr) *refresh_due = false;
  if (per_shard_ == 0 || generation == RevocationFeed::kUnknown) return nullptr;
  Shard& s = shard_for(digest);
  std::lock_guard lock(s.mutex);
  const auto it = s.map.find(digest);
  if (it == s.map.end()) return nullptr;
  Entry& e = it->second;
  if (e.generation != generation || now >= e.expires) {
    // Stale: leave it for insert() to overwrite; erasing here would free memory under the lock
    // on what is otherwise a read path.
    return nullptr;
  }
  if (refresh_due != nullptr && now >= e.refresh_at && !e.refresh_asked) {
    e.refresh_asked = true;
    *refresh_due = true;
  }
  return e.key;
}

void VerificationCache::insert(const CacheDigest& digest, std::shared_ptr<const VerifiedKey> key,
                               std::uint64_t generation, Timestamp now) {
  if (per_shard_ == 0 || generation == RevocationFeed::kUnknown || !key) return;
  Timestamp expires = now + std::chrono::duration_cast<std::chrono::microseconds>(options_.ttl);
  // Only a TTL-bound entry is worth reloading; one capped by the key's own expiry is not.
  const Timestamp refresh_at =
      options_.refresh_ahead.count() > 0 && (!key->expires_at || expires < *key->expires_at)
          ? expires - std::chrono::duration_cast<std::chrono::microseconds>(options_.refresh_ahead)
          : Timestamp::max();
  if (key->expires_at) expires = std::min(expires, *key->expires_at);
  Shard& s = shard_for(digest);
  std::lock_guard lock(s.mutex);
  const std::uint64_t seq = s.next_seq++;
  s.map.insert_or_assign(digest, Entry{std::move(key), generation, expires, seq, refresh_at});
  s.order.emplace_back(digest, seq);
  while (s.map.size() > per_shard_ && !s.order.empty()) {
    const auto [victim, victim_seq] = s.order.front();
    s.order.pop_front();
    const auto it = s.map.find(victim);
    if (it != s.map.end() && it->second.seq == victim_seq) s.map.erase(it);
  }
  // Overwritten entries leave stale order records behind; drop them so `order` stays bounded.
  while (s.order.size() > 2 * per_shard_ + 16) {
    const auto [victim, victim_seq] = s.order.front();
    s.order.pop_front();
    const auto it = s.map.find(victim);
    if (it != s.map.end() && it->second.seq == victim_seq) s.map.erase(it);
  }
}

std::size_t VerificationCache::size() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.map.size();
  }
  return n;
}

void VerificationCache::clear() {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    s.map.clear();
    s.order.clear();
  }
}

}  // namespace tenantkit::apikey
