// SPDX-License-Identifier: Apache-2.0
// KeyManager: the API key lifecycle: create (secret shown once), list, revoke, rotate with a
// grace period. Every revoke and rotate publishes to the RevocationFeed so verification caches in
// every process drop stale entries. Safe for concurrent use; calls KeyStore (may block).
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/apikey/key_store.hpp>
#include <tenantkit/apikey/revocation.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/secret.hpp>

namespace tenantkit::apikey {

/// Lifecycle settings. Set fields with designated initializers.
struct ManagerOptions {
  /// How long the old secret keeps working after rotate(). Default 24 h (API.md).
  std::chrono::seconds rotation_grace{24 * 3600};
  /// Scopes of a key created without any. Default `data:read`, `usage:write` (API.md).
  std::vector<std::string> default_scopes{"data:read", "usage:write"};
};

/// What create() needs. `scopes` empty means the default scopes.
struct NewKey {
  std::string name;                     ///< 1..100 bytes.
  std::vector<std::string> scopes;      ///< `resource:action`, wildcards allowed.
  std::optional<Timestamp> expires_at;  ///< Must be in the future.
  std::string env = "live";             ///< Key environment: 1..16 of [a-z0-9].
  UserId created_by;
};

/// A freshly issued key: the record as stored and the secret, which is never available again.
struct IssuedKey {
  Record record;
  Secret secret;
};

class KeyManager {
 public:
  /// Every reference must outlive the manager.
  KeyManager(KeyStore& store, const KeyHasher& hasher, RevocationFeed& feed, Random& random,
             const Clock& clock, ManagerOptions options = {});

  /// Issues a key for `tenant`. `creator_permissions` are the creator's effective permissions:
  /// each scope must be covered by one of them (no escalation through a key).
  /// Errors: validation_failed (name, env, scope syntax, expiry in the past; fields named),
  /// forbidden (a scope the creator lacks), conflict (prefix collision, retried 3 times first),
  /// unavailable.
  Result<IssuedKey> create(const TenantId& tenant, const NewKey& key,
                           std::span<const std::string> creator_permissions);

  /// The tenant's keys, newest first, without secrets. Errors: unavailable.
  Result<std::vector<Record>> list(const TenantId& tenant);

  /// Revokes a key (idempotent: an already revoked key is returned unchanged) and publishes the
  /// revocation. Errors: not_found (absent or another tenant's), unavailable.
  Result<Record> revoke(const TenantId& tenant, const ApiKeyId& id);

  /// Issues a new secret with the same name, scopes and expiry; the old key stays valid for
  /// `grace` (default: ManagerOptions::rotation_grace; 0 ends it now), never longer than it
  /// already would. Errors: not_found, gone (revoked or expired keys cannot be rotated),
  /// validation_failed (negative grace), unavailable.
  Result<IssuedKey> rotate(const TenantId& tenant, const ApiKeyId& id,
                           std::optional<std::chrono::seconds> grace = std::nullopt);

 private:
  Result<IssuedKey> issue(Record base, std::string_view env);

  KeyStore& store_;
  const KeyHasher& hasher_;
  RevocationFeed& feed_;
  Random& random_;
  const Clock& clock_;
  ManagerOptions options_;
};

}  // namespace tenantkit::apikey
