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

  /// The cache, for inspection in tests and metrics.
  const VerificationCache& cache() const noexcept { return cache_; }

 private:
  CacheDigest digest(std::string_view presented) const noexcept;

  storage::ApiKeyStore& store_;
  const KeyHasher& hasher_;
  RevocationFeed& feed_;
  const Clock& clock_;
  LastUsedRecorder* recorder_;
  VerificationCache cache_;
  std::array<std::uint8_t, 16> cache_key_{};  // per process: cache digests mean nothing elsewhere
};

}  // namespace tenantkit::apikey
