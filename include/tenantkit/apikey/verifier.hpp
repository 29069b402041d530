// SPDX-License-Identifier: Apache-2.0
// Verifier: turns a presented API key into a VerifiedKey, or refuses it.
// Order: format and checksum (offline: junk and typos never reach storage), then the cache, then
// storage by prefix (storage::ApiKeyStore::find_by_prefix) + constant-time comparison of the keyed
// hash, then revocation and expiry. Revocation bound: a key revoked in any process is refused here
// once this process's RevocationFeed shows the new generation (PollingRevocationFeed: within its
// interval, 1 s by default), and in any case within CacheOptions::ttl. Safe for concurrent use; a
// cached verify takes one shard mutex and allocates nothing; an uncached one calls the store (may
// block).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/apikey/last_used.hpp>
#include <tenantkit/apikey/revocation.hpp>
#include <tenantkit/apikey/verification_cache.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/api_key_store.hpp>

namespace tenantkit::apikey {

class Verifier {
 public:
  /// Every reference must outlive the verifier; `recorder` may be null (no last-used tracking).
  Verifier(storage::ApiKeyStore& store, const KeyHasher& hasher, RevocationFeed& feed,
           const Clock& clock, LastUsedRecorder* recorder = nullptr, CacheOptions cache = {});

  /// Errors: unauthorized for every bad key (malformed, checksum mismatch, unknown, wrong secret,
  /// revoked, expired; the detail says which and is safe to log, never the secret),
  /// unavailable (storage failed; fail closed).
  Result<std::shared_ptr<const VerifiedKey>> verify(std::string_view presented);

  /// Refresh-ahead (CacheOptions::refresh_ahead): called from verify(), once per cache entry, on
  /// a hit inside the entry's refresh window, with the presented secret. The hook should arrange
  /// for reload(presented) to run soon, off the caller's hot path (it must not block: verify()
  /// may run where blocking is not allowed); if it never does, the entry simply expires. Set it
  /// before the verifier is shared between threads.
  using RefreshHook = std::function<void(std::string_view presented)>;
  void set_refresh_hook(RefreshHook hook) { refresh_hook_ = std::move(hook); }

  /// Verifies `presented` against storage, skipping the cache, and caches the result afresh:
  /// what the refresh hook's work calls. Errors: as verify() (a key revoked or expired since it
  /// was cached is refused and not cached again).
  Result<std::shared_ptr<const VerifiedKey>> reload(std::string_view presented);

  /// The cache, for inspection in tests and metrics.
  const VerificationCache& cache() const noexcept { return cache_; }

 private:
  CacheDigest digest(std::string_view presented) const noexcept;
  Result<std::shared_ptr<const VerifiedKey>> from_store(std::string_view presented,
                                                        std::string_view prefix, Timestamp now,
                                                        const CacheDigest& d,
                                                        std::uint64_t generation, bool touch);

  storage::ApiKeyStore& store_;
  const KeyHasher& hasher_;
  RevocationFeed& feed_;
  const Clock& clock_;
  LastUsedRecorder* recorder_;
  VerificationCache cache_;
  RefreshHook refresh_hook_;
  std::array<std::uint8_t, 16> cache_key_{};  // per process: cache digests mean nothing elsewhere
};

}  // namespace tenantkit::apikey
