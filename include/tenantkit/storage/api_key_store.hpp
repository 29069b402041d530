// SPDX-License-Identifier: Apache-2.0
// ApiKeyStore persists API key records (keyed hashes, never secrets). Safe for concurrent use;
// calls may block, so never call them on an I/O thread.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <tenantkit/core/page.hpp>
#include <tenantkit/core/result.hpp>
#include <tenantkit/storage/records.hpp>

namespace tenantkit::storage {

class ApiKeyStore {
 public:
  virtual ~ApiKeyStore();
  ApiKeyStore(const ApiKeyStore&) = delete;
  ApiKeyStore& operator=(const ApiKeyStore&) = delete;

  /// Stores `key` for `org`. When `max_keys` is set, fails with plan_limit_reached if the org
  /// already has that many unrevoked keys. Errors: conflict (id or prefix taken),
  /// plan_limit_reached, unavailable.
  virtual Result<ApiKey> create(const OrgId& org, const ApiKey& key,
                                std::optional<std::int64_t> max_keys) = 0;
  /// Errors: not_found (absent, or another org's), unavailable.
  virtual Result<ApiKey> get(const OrgId& org, const ApiKeyId& id) = 0;
  /// The only unscoped read: verification finds a key by its public prefix before the tenant is
  /// known. Absence is a value, not an error.
  virtual Result<std::optional<ApiKey>> find_by_prefix(std::string_view prefix) = 0;
  /// Keys of `org` (revoked ones too), ordered by id.
  virtual Result<Page<ApiKey>> list(const OrgId& org, const PageRequest& page) = 0;
  /// Revokes the key; revoking a revoked key returns it unchanged. Errors: not_found, unavailable.
  virtual Result<ApiKey> revoke(const OrgId& org, const ApiKeyId& id, Timestamp now) = 0;
  /// Atomically stores `successor` and sets the old key's rotated_to and expires_at (the grace
  /// end, never later than its own expiry). Errors: not_found, gone (old key revoked or already
  /// rotated), conflict (prefix taken), unavailable.
  virtual Result<ApiKey> rotate(const OrgId& org, const ApiKeyId& old_id, const ApiKey& successor,
                                Timestamp old_expires_at) = 0;
  /// Batched last-used times: for each (key, time) pair, sets last_used_at to the later of the
  /// stored and the given time. Unknown ids are ignored. Unscoped: a background flush.
  virtual Result<void> record_last_used(
      const std::vector<std::pair<ApiKeyId, Timestamp>>& uses) = 0;

 protected:
  ApiKeyStore() = default;
};

}  // namespace tenantkit::storage
