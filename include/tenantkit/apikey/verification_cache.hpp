// SPDX-License-Identifier: Apache-2.0
// VerificationCache: recently verified API keys, so the hot path skips storage and the pepper
// hash. Bounded (capacity, FIFO eviction), each entry living at most `ttl` (and never past the
// key's own expiry), and tied to the RevocationFeed generation it was cached under. Entries are
// found by a keyed digest of the presented secret, never the secret itself. Sharded: 16 mutexes,
// no global lock; find() never allocates. Safe for concurrent use.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/apikey/last_used.hpp>
#include <tenantkit/apikey/revocation.hpp>
#include <tenantkit/apikey/scopes.hpp>
#include <tenantkit/core/ids.hpp>
#include <tenantkit/core/time.hpp>

namespace tenantkit::apikey {

/// What a successful verification yields: who the key acts for and with which scopes. Immutable.
struct VerifiedKey {
  ApiKeyId id;
  TenantId tenant;  ///< The request's tenant (X-Org-Id is ignored for keys).
  UserId created_by;
  std::string prefix;
  std::vector<std::string> scopes;
  std::optional<Timestamp> expires_at;
  std::shared_ptr<LastUsedRecorder::Slot> last_used;  ///< Null without a recorder.

  /// True when the key's scopes cover `permission` (`resource:action`, wildcards allowed).
  bool allows(std::string_view permission) const noexcept {
    return scopes_allow(scopes, permission);
  }
};

/// Cache bounds. Set fields with designated initializers.
struct CacheOptions {
  /// Entries kept at most. Default 10,000. 0 disables caching.
  std::size_t capacity = 10'000;
  /// Longest life of an entry: the bound on revocation when the feed itself is silent. Default 60
  /// s.
  std::chrono::seconds ttl{60};
  /// Refresh-ahead window: an entry with less than this left to live is "due" (see find()), so
  /// its owner can reload it in the background while it keeps answering; a hot key then never
  /// misses. The revocation bound is unchanged (a reload is a storage read like a miss). Default
  /// 0: off.
  std::chrono::milliseconds refresh_ahead{0};
};

/// Cache index of a presented secret: a 128-bit keyed PRF (SipHash-x-2-4 with a per-process
/// random key), so neither the secret nor anything usable elsewhere is kept in memory, and a
/// forged secret cannot be made to collide with a cached one without knowing the key.
using CacheDigest = std::array<std::uint8_t, 16>;

class VerificationCache {
 public:
  explicit VerificationCache(CacheOptions options = {});
  VerificationCache(const VerificationCache&) = delete;
  VerificationCache& operator=(const VerificationCache&) = delete;

  /// The entry for `digest` if it is younger than its expiry and was cached under `generation`
  /// (a generation of RevocationFeed::kUnknown never hits). Never allocates.
  std::shared_ptr<const VerifiedKey> find(const CacheDigest& digest, std::uint64_t generation,
                                          Timestamp now) noexcept;
  /// As find(); also sets `*refresh_due` to true for the FIRST hit inside the entry's
  /// refresh-ahead window (false otherwise): one caller per entry is asked to reload it.
  std::shared_ptr<const VerifiedKey> find(const CacheDigest& digest, std::uint64_t generation,
                                          Timestamp now, bool* refresh_due) noexcept;

  /// Caches `key` under `generation` (read BEFORE the storage lookup that produced `key`, so a
  /// revocation racing with the lookup invalidates the entry). Evicts the oldest entries of the
  /// shard when full.
  void insert(const CacheDigest& digest, std::shared_ptr<const VerifiedKey> key,
              std::uint64_t generation, Timestamp now);

  /// Entries currently held (including expired ones not yet evicted).
  std::size_t size() const;
  void clear();

 private:
  static constexpr std::size_t kShards = 16;
  struct DigestHash {
    std::size_t operator()(const CacheDigest& d) const noexcept {
      std::size_t h = 0;
      for (std::size_t i = 0; i < sizeof h; ++i) h = (h << 8) | d[i];
      return h;
    }
  };
  struct Entry {
    std::shared_ptr<const VerifiedKey> key;
    std::uint64_t generation;
    Timestamp expires;
    std::uint64_t seq;
    Timestamp refresh_at;        // start of the refresh-ahead window (Timestamp::max(): none)
    bool refresh_asked = false;  // a find() already reported this entry due
  };
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::unordered_map<CacheDigest, Entry, DigestHash> map;
    std::deque<std::pair<CacheDigest, std::uint64_t>> order;  // insertion order, for eviction
    std::uint64_t next_seq = 0;
  };
  Shard& shard_for(const CacheDigest& d) noexcept { return shards_[d[15] % kShards]; }

  CacheOptions options_;
  std::size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace tenantkit::apikey
