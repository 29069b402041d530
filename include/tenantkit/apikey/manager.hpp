// SPDX-License-Identifier: Apache-2.0
// KeyManager: the API key lifecycle on top of storage::ApiKeyStore: create (secret shown once),
// list, revoke, rotate with a grace period. Every revoke and rotate publishes to the
// RevocationFeed so verification caches in every process drop stale entries. Safe for concurrent
// use; calls the store (may block: never on an I/O thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <tenantkit/apikey/hasher.hpp>
#include <tenantkit/apikey/revocation.hpp>
#include <tenantkit/core/clock.hpp>
#include <tenantkit/core/page.hpp>
#include <tenantkit/core/random.hpp>
#include <tenantkit/core/secret.hpp>
#include <tenantkit/storage/api_key_store.hpp>

namespace tenantkit::apikey {

/// Lifecycle settings. Set fields with designated initializers.
struct ManagerOptions {
  /// How long the old secret keeps working after rotate(). Default 24 h (API.md).
  std::chrono::seconds rotation_grace{24 * 3600};
  /// Scopes of a key created without any. Default `data:read`, `usage:write` (API.md).
  std::vector<std::string> default_scopes{"data:read", "usage:write"};
};

/// What create() needs. `scopes` empty means ManagerOptions::default_scopes.
struct NewKey {
  std::string name{};                      ///< 1..100 bytes.
  std::vector<std::string> scopes{};       ///< `resource:action`, wildcards allowed.
  std::optional<Timestamp> expires_at{};   ///< Must be in the future.
  std::string env = "live";                ///< Key environment: 1..16 of [a-z0-9].
  UserId created_by{};                     ///< Recorded on the key.
  std::optional<std::int64_t> max_keys{};  ///< The plan's limit on unrevoked keys, if any.
};

/// A freshly issued key: the record as stored and the secret, which is never available again.
struct IssuedKey {
  storage::ApiKey record;
  Secret secret;
};

class KeyManager {
 public:
  /// Every reference must outlive the manager.
  KeyManager(storage::ApiKeyStore& store, const KeyHasher& hasher, RevocationFeed& feed,
             Random& random, const Clock& clock, ManagerOptions options = {});

  /// Issues a key for `org`. `creator_permissions` are the creator's effective permissions in
  /// `org`: each scope must be covered by one of them (no escalation through a key). Whether the
  /// plan allows choosing scopes (`api_key_scopes`) is the caller's check.
  /// Errors: validation_failed (name, env, scope syntax, expiry in the past; fields named),
  /// forbidden (a scope the creator lacks), plan_limit_reached (max_keys), conflict (prefix
  /// collision three times running), unavailable.
  Result<IssuedKey> create(const OrgId& org, const NewKey& key,
                           std::span<const std::string> creator_permissions);

  /// The org's keys, without secrets. Errors: unavailable.
  Result<Page<storage::ApiKey>> list(const OrgId& org, const PageRequest& page = {});

  /// Revokes a key (idempotent) and publishes the revocation.
  /// Errors: not_found (absent or another org's), unavailable.
  Result<storage::ApiKey> revoke(const OrgId& org, const ApiKeyId& id);

  /// Issues a new secret with the same name, scopes and expiry; the old key stays valid for
  /// `grace` (default ManagerOptions::rotation_grace; 0 ends it now), never longer than it
  /// already would. Errors: not_found, gone (revoked, expired or already rotated keys),
  /// validation_failed (negative grace), unavailable.
  Result<IssuedKey> rotate(const OrgId& org, const ApiKeyId& id,
                           std::optional<std::chrono::seconds> grace = std::nullopt);

 private:
  /// A new record (id, prefix, hash) for `env` with `base`'s other fields, and its secret.
  Result<IssuedKey> mint(const storage::ApiKey& base, std::string_view env);

  storage::ApiKeyStore& store_;
  const KeyHasher& hasher_;
  RevocationFeed& feed_;
  Random& random_;
  const Clock& clock_;
  ManagerOptions options_;
};

}  // namespace tenantkit::apikey
